package httpapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/natverk/natverk/internal/feeds"
	"github.com/natverk/natverk/internal/links"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/sqlite"
	"github.com/natverk/natverk/internal/token"
)

// apiEnv is the HTTP edge over a real SQLite store, for API and feed
// tests.
type apiEnv struct {
	t      testing.TB
	store  *sqlite.DB
	s      *Server
	srv    *httptest.Server
	links  *links.Builder
	signer *token.Signer
	// organizers' API tokens, by name
	tokens map[string]string
	m      map[string]*natverk.Member
	net    map[string]*natverk.Network
	series map[string]*natverk.Series
}

func newAPIEnv(t testing.TB) *apiEnv {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "natverk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sig, _ := token.NewSigner(token.Key{ID: 1, Secret: []byte("0123456789abcdef0123456789abcdef-api")})
	lb := &links.Builder{MailDomain: "natverk.test", Signer: sig}
	e := &apiEnv{t: t, store: db, links: lb, signer: sig, tokens: map[string]string{}, m: map[string]*natverk.Member{}, net: map[string]*natverk.Network{}, series: map[string]*natverk.Series{}}
	e.s = &Server{Store: db, Links: lb, Signer: sig, Feeds: &feeds.Renderer{Store: db, Links: lb}, AdminToken: testAdminToken,
		Checks: testChecks, BoardEmail: "styrelsen@natverk.test", CSRFKey: []byte("csrf-key-for-the-api-test-0123456"), MaxBody: 64 << 10}
	e.srv = httptest.NewServer(e.s.Handler())
	t.Cleanup(e.srv.Close)
	lb.BaseURL = e.srv.URL
	var rows []natverk.ImportRow
	for i, in := range []natverk.MemberInput{
		{Email: "anna@example.org", Name: "Anna Organisatör", Town: "Göteborg"},
		{Email: "olle@example.org", Name: "Olle Organisatör", Town: "Malmö"},
		{Email: "bo@example.org", Name: "Bo Medlem", Town: "Göteborg"},
	} {
		n, _ := in.Normalize()
		rows = append(rows, natverk.ImportRow{Row: i + 2, MemberInput: n})
	}
	if _, err := db.ImportMembers(ctx, rows); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		m, _ := db.FindMemberByEmail(ctx, r.Email)
		e.m[strings.Split(r.Email, "@")[0]] = m
	}
	for name, org := range map[string]string{"goteborg": "anna", "malmo": "olle"} {
		in, _ := natverk.NetworkInput{Name: "Nätverk " + name, Slug: name, Organizers: []int64{e.m[org].ID}}.Normalize(testChecks.Zone)
		if name == "malmo" {
			in.FeedVisibility = natverk.FeedPrivate
		}
		n, err := db.CreateNetwork(ctx, in, "feedtoken"+name+"0123456789")
		if err != nil {
			t.Fatal(err)
		}
		e.net[name] = n
		sr, err := natverk.SeriesInput{Start: "2027-01-12T18:00", RRule: "FREQ=MONTHLY;BYDAY=2TU", Location: "Torget"}.Build(n, testChecks)
		if err != nil {
			t.Fatal(err)
		}
		sr.UID = name + "@natverk.test"
		if e.series[name], err = db.CreateSeries(ctx, sr); err != nil {
			t.Fatal(err)
		}
		tok, rec := natverk.NewAPIToken(natverk.RoleOrganizer, e.m[org].ID, "test", nil)
		if err := db.CreateAPIToken(ctx, rec); err != nil {
			t.Fatal(err)
		}
		e.tokens[org] = tok
	}
	if _, err := db.Invite(ctx, e.net["goteborg"].ID, natverk.InviteRequest{MemberIDs: []int64{e.m["bo"].ID}}); err != nil {
		t.Fatal(err)
	}
	return e
}

// client asks for exactly what the test says: no automatic gzip, no
// redirects followed.
func (e *apiEnv) client() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableCompression: true}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// call makes a request with a bearer token ("" = none).
func (e *apiEnv) call(method, path, bearer, contentType string, body io.Reader, header map[string]string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := e.client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func readAll(t *testing.T, r io.Reader) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// problemOf decodes an RFC 9457 problem body.
func problemOf(t *testing.T, resp *http.Response) Problem {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("%d answered %q, not a problem document", resp.StatusCode, ct)
	}
	var p Problem
	if err := json.Unmarshal(readAll(t, resp.Body), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFeedEndpoint(t *testing.T) {
	e := newAPIEnv(t)
	path := "/feeds/goteborg.ics"
	resp := e.call("GET", path, "", "", nil, nil)
	body := readAll(t, resp.Body)
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/calendar; charset=utf-8" || !strings.HasPrefix(etag, `"`) || resp.Header.Get("Last-Modified") == "" {
		t.Fatalf("GET: %d %v", resp.StatusCode, resp.Header)
	}
	if !bytes.HasPrefix(body, []byte("BEGIN:VCALENDAR\r\n")) || bytes.Contains(body, []byte("METHOD:")) || bytes.Contains(body, []byte("ATTENDEE")) || bytes.Contains(body, []byte("@example.org")) {
		t.Fatalf("feed body:\n%s", body)
	}
	for _, tc := range []struct {
		name   string
		method string
		header map[string]string
		want   int
	}{
		{"IfNoneMatch", "GET", map[string]string{"If-None-Match": etag}, 304},
		{"IfNoneMatchList", "GET", map[string]string{"If-None-Match": `"x", ` + etag}, 304},
		{"IfNoneMatchOther", "GET", map[string]string{"If-None-Match": `"other"`}, 200},
		{"IfModifiedSince", "GET", map[string]string{"If-Modified-Since": resp.Header.Get("Last-Modified")}, 304},
		{"IfModifiedSinceOld", "GET", map[string]string{"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}, 200},
		{"Head", "HEAD", nil, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call(tc.method, path, "", "", nil, tc.header)
			b := readAll(t, r.Body)
			if r.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", r.StatusCode, tc.want)
			}
			if (tc.method == "HEAD" || tc.want == 304) && len(b) != 0 {
				t.Fatalf("%s answered a body of %d bytes", tc.name, len(b))
			}
			if r.Header.Get("ETag") != etag {
				t.Fatalf("ETag %q, want %q", r.Header.Get("ETag"), etag)
			}
		})
	}
	t.Run("Gzip", func(t *testing.T) {
		r := e.call("GET", path, "", "", nil, map[string]string{"Accept-Encoding": "gzip"})
		if r.Header.Get("Content-Encoding") != "gzip" || r.Header.Get("Vary") != "Accept-Encoding" {
			t.Fatalf("headers %v", r.Header)
		}
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, zr); !bytes.Equal(got, body) {
			t.Fatal("gzip body differs")
		}
		gz := r.Header.Get("ETag")
		if gz == etag {
			t.Fatal("the gzip answer has the identity ETag")
		}
		if r := e.call("GET", path, "", "", nil, map[string]string{"Accept-Encoding": "gzip", "If-None-Match": gz}); r.StatusCode != 304 {
			t.Fatalf("If-None-Match on the gzip ETag: %d", r.StatusCode)
		}
	})
	t.Run("PrivateFeed", func(t *testing.T) {
		n := e.net["malmo"]
		if r := e.call("GET", "/feeds/malmo.ics", "", "", nil, nil); r.StatusCode != 404 {
			t.Fatalf("private feed without a token: %d", r.StatusCode)
		}
		wrong := e.call("GET", "/feeds/p/wrongtoken0123456789/malmo.ics", "", "", nil, nil)
		missing := e.call("GET", "/feeds/p/wrongtoken0123456789/nosuchnetwork.ics", "", "", nil, nil)
		if wrong.StatusCode != 404 || missing.StatusCode != 404 {
			t.Fatalf("wrong token %d, unknown network %d", wrong.StatusCode, missing.StatusCode)
		}
		if a, b := readAll(t, wrong.Body), readAll(t, missing.Body); !bytes.Equal(bytes.ReplaceAll(a, []byte("malmo"), nil), bytes.ReplaceAll(b, []byte("nosuchnetwork"), nil)) {
			t.Fatalf("a wrong token and an unknown network answer differently:\n%s\n%s", a, b)
		}
		if r := e.call("GET", "/feeds/p/"+n.FeedToken+"/malmo.ics", "", "", nil, nil); r.StatusCode != 200 {
			t.Fatalf("private feed with its token: %d", r.StatusCode)
		}
	})
	t.Run("MemberFeed", func(t *testing.T) {
		u := e.links.MemberFeed(e.m["bo"], "").HTTPS
		r := e.call("GET", strings.TrimPrefix(u, e.srv.URL), "", "", nil, nil)
		b := readAll(t, r.Body)
		if r.StatusCode != 200 || !bytes.Contains(b, []byte("goteborg@natverk.test")) || bytes.Contains(b, []byte("malmo@natverk.test")) {
			t.Fatalf("member feed %d:\n%s", r.StatusCode, b)
		}
		if r := e.call("GET", "/feeds/m/"+strings.Repeat("a", 40)+".ics", "", "", nil, nil); r.StatusCode != 404 {
			t.Fatalf("forged member feed token: %d", r.StatusCode)
		}
	})
	t.Run("ChangesAfterAnAnswer", func(t *testing.T) {
		if _, _, err := e.store.RecordRSVP(context.Background(), natverk.RSVP{SeriesID: e.series["goteborg"].ID, MemberID: e.m["bo"].ID, Answer: natverk.AnswerYes, Source: natverk.SourceAPI, AnsweredAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := e.s.Feeds.Refresh(context.Background(), natverk.NetworkFeedKey(e.net["goteborg"].ID)); err != nil {
			t.Fatal(err)
		}
		r := e.call("GET", path, "", "", nil, map[string]string{"If-None-Match": etag})
		if r.StatusCode != 200 || r.Header.Get("ETag") == etag {
			t.Fatalf("after an answer: %d %s", r.StatusCode, r.Header.Get("ETag"))
		}
	})
}

func TestSeriesSkipsHolidaysAndSummer(t *testing.T) {
	e := newAPIEnv(t)
	resp := e.call("POST", "/api/v1/networks/"+itoa(e.net["goteborg"].ID)+"/meetings", testAdminToken, "application/json",
		strings.NewReader(`{"start":"2027-01-07T18:00","rrule":"FREQ=WEEKLY;BYDAY=TH;COUNT=60","skip_holidays":true,"summer_break":"06-15/08-15"}`), nil)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, readAll(t, resp.Body))
	}
	var v struct{ Exceptions []natverk.Exception }
	json.Unmarshal(readAll(t, resp.Body), &v)
	loc, _ := time.LoadLocation("Europe/Stockholm")
	got := map[string]string{}
	for _, ex := range v.Exceptions {
		got[ex.RecurrenceID.In(loc).Format("2006-01-02")] = ex.Reason
	}
	want := map[string]string{
		"2027-05-06": "Röd dag",        // Kristi himmelsfärdsdag, a Thursday
		"2027-06-17": "Sommaruppehåll", // the first Thursday of the break
		"2027-08-12": "Sommaruppehåll", // the last
	}
	for d, reason := range want {
		if got[d] != reason {
			t.Errorf("%s: %q, want %q (skipped: %v)", d, got[d], reason, got)
		}
	}
	for _, d := range []string{"2027-06-10", "2027-08-19", "2027-05-13"} {
		if _, ok := got[d]; ok {
			t.Errorf("%s skipped", d)
		}
	}
}
