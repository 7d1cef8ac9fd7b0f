package httpapi

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/natverk/natverk/calendar"
	"github.com/natverk/natverk/internal/feeds"
	"github.com/natverk/natverk/internal/icaltest"
	"github.com/natverk/natverk/internal/links"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/sqlite"
	"github.com/natverk/natverk/internal/token"
)

// pagesEnv is the HTTP edge on a real SQLite store, served by httptest,
// with a network, its fortnightly meeting and a few members:
//
//   - Åsa Öberg organizes "Chefer i Göteborg" (joined);
//   - Bo Ek and Eva Ström are invited (Eva's address bounces, she reads
//     English);
//   - Cia Lund (Malmö) and Dan Berg (Göteborg, hidden) are not invited.
//
// The clock starts at 2026-11-28 12:00 UTC and runs, so that answers
// given one after the other are ordered.
type pagesEnv struct {
	t       *testing.T
	s       *Server
	srv     *httptest.Server
	store   *sqlite.DB
	client  *http.Client
	network *natverk.Network
	series  *natverk.Series
	m       map[string]*natverk.Member // by first name, lower case

	mu    sync.Mutex
	clock time.Time
}

var testChecks = natverk.Checks{Zone: calendar.ValidateTimeZone, Rule: calendar.ValidateRule}

const testAdminToken = "test-admin-token-0123456789abcdef"

func newPagesEnv(t *testing.T) *pagesEnv {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "natverk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sig, err := token.NewSigner(token.Key{ID: 1, Secret: []byte("0123456789abcdef0123456789abcdef-pages")})
	if err != nil {
		t.Fatal(err)
	}
	e := &pagesEnv{t: t, store: db, m: map[string]*natverk.Member{}, clock: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	lb := &links.Builder{MailDomain: "natverk.test", Signer: sig}
	e.s = &Server{
		Store: db, Links: lb, Signer: sig, Feeds: &feeds.Renderer{Store: db, Links: lb}, AdminToken: testAdminToken,
		Checks: testChecks, BoardEmail: "styrelsen@natverk.test", CSRFKey: []byte("csrf-key-for-the-pages-test-0123"), Now: e.now,
	}
	e.srv = httptest.NewServer(e.s.Handler())
	t.Cleanup(e.srv.Close)
	lb.BaseURL = e.srv.URL
	e.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	var rows []natverk.ImportRow
	for i, in := range []natverk.MemberInput{
		{Email: "asa@example.org", Name: "Åsa Öberg", Town: "Göteborg", Industry: "Logistik", Company: "Hamnbolaget AB"},
		{Email: "bo@example.org", Name: "Bo Ek", Town: "Göteborg", Industry: "Vård", Company: "Sahlgrenska"},
		{Email: "cia@example.org", Name: "Cia Lund", Town: "Malmö", Industry: "Bank"},
		{Email: "dan@example.org", Name: "Dan Berg", Town: "Göteborg", Industry: "Bank"},
		{Email: "eva@example.org", Name: "Eva Ström", Town: "Göteborg", Industry: "Handel", Locale: "en"},
	} {
		n, err := in.Normalize()
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, natverk.ImportRow{Row: i + 2, MemberInput: n})
	}
	if _, err := db.ImportMembers(ctx, rows); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		m, err := db.FindMemberByEmail(ctx, r.Email)
		if err != nil {
			t.Fatal(err)
		}
		e.m[strings.TrimSuffix(r.Email, "@example.org")] = m
	}
	hidden := true
	if _, err := db.UpdateMember(ctx, e.m["dan"].ID, natverk.MemberUpdate{Hidden: &hidden}); err != nil {
		t.Fatal(err)
	}
	e.network = e.mustNetwork("Chefer i Göteborg", natverk.FeedPublic, e.m["asa"].ID)
	e.series = e.mustSeries(e.network, "2026-12-08T18:00", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU")
	if _, err := db.Invite(ctx, e.network.ID, natverk.InviteRequest{Emails: []string{"bo@example.org", "eva@example.org"}, Via: "api"}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetBouncing(ctx, e.m["eva"].ID, "550 5.1.1 no such user"); err != nil {
		t.Fatal(err)
	}
	for k, m := range e.m {
		if e.m[k], err = db.FindMemberByID(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *pagesEnv) now() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.clock = e.clock.Add(time.Second)
	return e.clock
}

func (e *pagesEnv) mustNetwork(name, visibility string, organizers ...int64) *natverk.Network {
	e.t.Helper()
	in, err := natverk.NetworkInput{Name: name, Kind: natverk.KindGeographic, Description: "Nätverk för chefer i Göteborg.",
		Have: "En lokal och fika.", Need: "Talare.", FeedVisibility: visibility, Organizers: organizers}.Normalize(testChecks.Zone)
	if err != nil {
		e.t.Fatal(err)
	}
	n, err := e.store.CreateNetwork(context.Background(), in, "feedtoken"+in.Slug)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *pagesEnv) mustSeries(n *natverk.Network, start, rule string) *natverk.Series {
	e.t.Helper()
	sr, err := natverk.SeriesInput{Start: start, RRule: rule, Location: "Järntorget 1, Göteborg"}.Build(n, testChecks)
	if err != nil {
		e.t.Fatal(err)
	}
	sr.UID = newUID("natverk.test")
	out, err := e.store.CreateSeries(context.Background(), sr)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// stockholm returns the instant of a wall-clock time in Stockholm.
func stockholm(t testing.TB, v string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	at, ok := natverk.ParseLocal(v, loc)
	if !ok {
		t.Fatalf("bad time %q", v)
	}
	return at
}

// page is an answer from the edge.
type page struct {
	status int
	header http.Header
	body   string
}

// do sends a request; form (if not nil) is posted as a form with the
// server's own Origin, as a browser does.
func (e *pagesEnv) do(method, path string, form url.Values, header map[string]string) page {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.absolute(path), body)
	if err != nil {
		e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", e.srv.URL)
	}
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	p := page{status: resp.StatusCode, header: resp.Header, body: string(b)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		checkHTML(e.t, path, p)
	}
	return p
}

func (e *pagesEnv) get(path string, header map[string]string) page {
	e.t.Helper()
	return e.do("GET", path, nil, header)
}

func (e *pagesEnv) post(path string, form url.Values) page {
	e.t.Helper()
	return e.do("POST", path, form, nil)
}

func (e *pagesEnv) absolute(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return e.srv.URL + path
}

// checkHTML holds for every page: the CSP without unsafe-inline, no
// caching of member pages, a language, no inline script or style, and a
// CSRF token in every POST form.
func checkHTML(t *testing.T, path string, p page) {
	t.Helper()
	if got := p.header.Get("Content-Security-Policy"); got != csp || strings.Contains(got, "unsafe-inline") {
		t.Errorf("%s: CSP %q", path, got)
	}
	if !regexp.MustCompile(`<html lang="(sv|en)">`).MatchString(p.body) {
		t.Errorf("%s: no lang attribute", path)
	}
	for _, bad := range []string{"<script", " style=", "<style", "javascript:", " on" + "click="} {
		if strings.Contains(p.body, bad) {
			t.Errorf("%s: page holds %q", path, bad)
		}
	}
	forms := regexp.MustCompile(`(?s)<form method="post".*?</form>`).FindAllString(p.body, -1)
	for _, f := range forms {
		if !strings.Contains(f, `name="csrf"`) {
			t.Errorf("%s: a POST form without a CSRF token:\n%s", path, f)
		}
	}
}

// csrfIn returns the CSRF token of the page's first form.
func csrfIn(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`name="csrf" value="([a-f0-9]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token in:\n%s", body)
	}
	return m[1]
}

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func mustNotContain(t *testing.T, what, body string, bads ...string) {
	t.Helper()
	for _, b := range bads {
		if strings.Contains(body, b) {
			t.Errorf("%s holds %q", what, b)
		}
	}
}

func (e *pagesEnv) rsvpPath(m *natverk.Member, occurrence time.Time) string {
	return "/rsvp/" + e.s.Links.RSVPToken(m, e.series.ID, e.network.ID, occurrence)
}

func (e *pagesEnv) answers(m *natverk.Member) []*natverk.RSVP {
	e.t.Helper()
	rs, err := e.store.FindRSVPs(context.Background(), natverk.RSVPFilter{SeriesID: e.series.ID, MemberID: m.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	return rs
}

func (e *pagesEnv) membership(networkID int64, m *natverk.Member) string {
	e.t.Helper()
	ms, err := e.store.FindMembership(context.Background(), networkID, m.ID)
	if natverk.ErrorCode(err) == natverk.ENOTFOUND {
		return ""
	} else if err != nil {
		e.t.Fatal(err)
	}
	return ms.Status
}

func TestRSVPPageShowsTheMeetingAndChangesNothing(t *testing.T) {
	e := newPagesEnv(t)
	path := e.rsvpPath(e.m["bo"], time.Time{})
	p := e.get(path+"?a=yes", nil)
	if p.status != http.StatusOK {
		t.Fatalf("GET %d:\n%s", p.status, p.body)
	}
	mustContain(t, "RSVP page", p.body,
		`<html lang="sv">`, "Chefer i Göteborg", "Nästa möte", "tisdag 8 december 2026 kl. 18:00–20:00 (CET)",
		"varannan tisdag", "Järntorget 1, Göteborg", "En lokal och fika.", "Talare.", "Du har inte svarat än.",
		`value="yes" class="yes chosen"`, "?do=unsubscribe", "?do=leave", "/n/chefer-i-goteborg")
	// The calendar links come after an answer.
	mustNotContain(t, "RSVP page before answering", p.body, "webcal://", "invite.ics")
	if got := e.answers(e.m["bo"]); len(got) != 0 {
		t.Fatalf("a GET recorded %v", got)
	}
	if cc := p.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
}

func TestRSVPPageLanguage(t *testing.T) {
	e := newPagesEnv(t)
	tests := []struct {
		name, member, query, accept string
		lang, want                  string
	}{
		{"the member's locale wins over the browser", "bo", "", "en-GB,en;q=0.9", "sv", "Nästa möte"},
		{"English member", "eva", "", "sv-SE", "en", "Tuesday 8 December 2026, 18:00–20:00 (CET)"},
		{"the member switches with ?lang", "bo", "?lang=en", "", "en", "Will you come to the network&#39;s meetings?"},
		{"default Swedish", "bo", "", "", "sv", "Kommer du på nätverkets möten?"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := e.get(e.rsvpPath(e.m[tc.member], time.Time{})+tc.query, map[string]string{"Accept-Language": tc.accept})
			mustContain(t, "page", p.body, `<html lang="`+tc.lang+`">`, tc.want)
		})
	}
}

func TestRSVPPostRecordsWithCSRF(t *testing.T) {
	e := newPagesEnv(t)
	path := e.rsvpPath(e.m["bo"], time.Time{})
	csrf := csrfIn(t, e.get(path, nil).body)

	t.Run("a forged form token is refused", func(t *testing.T) {
		p := e.post(path, url.Values{"csrf": {"00ff"}, "answer": {"yes"}})
		if p.status != http.StatusForbidden || len(e.answers(e.m["bo"])) != 0 {
			t.Fatalf("status %d, answers %v", p.status, e.answers(e.m["bo"]))
		}
		mustContain(t, "refusal", p.body, "Formuläret hade gått ut")
	})
	t.Run("another site's form is refused", func(t *testing.T) {
		p := e.do("POST", path, url.Values{"csrf": {csrf}, "answer": {"yes"}}, map[string]string{"Origin": "https://evil.example"})
		if p.status != http.StatusForbidden || len(e.answers(e.m["bo"])) != 0 {
			t.Fatalf("status %d", p.status)
		}
	})
	t.Run("another link's form token is refused", func(t *testing.T) {
		other := csrfIn(t, e.get(e.rsvpPath(e.m["eva"], time.Time{}), nil).body)
		if p := e.post(path, url.Values{"csrf": {other}, "answer": {"yes"}}); p.status != http.StatusForbidden {
			t.Fatalf("status %d", p.status)
		}
	})
	t.Run("the pressed answer is recorded", func(t *testing.T) {
		p := e.post(path, url.Values{"csrf": {csrf}, "answer": {"maybe"}})
		if p.status != http.StatusOK {
			t.Fatalf("status %d:\n%s", p.status, p.body)
		}
		mustContain(t, "result", p.body, "Tack! Ditt svar är sparat:", "<strong>Kanske</strong>",
			path+"/invite.ics", "webcal://", "https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2F",
			"https://outlook.live.com/calendar/0/addfromweb?url=", "?do=unsubscribe", "?do=leave")
		got := e.answers(e.m["bo"])
		if len(got) != 1 || got[0].Answer != natverk.AnswerMaybe || got[0].Source != natverk.SourceLink {
			t.Fatalf("answers %+v", got)
		}
	})
	t.Run("a later answer replaces it", func(t *testing.T) {
		e.post(path, url.Values{"csrf": {csrf}, "answer": {"yes"}})
		if got := e.answers(e.m["bo"]); len(got) != 1 || got[0].Answer != natverk.AnswerYes {
			t.Fatalf("answers %+v", got)
		}
		mustContain(t, "page after answering", e.get(path, nil).body, "Ditt svar just nu:", "<strong>Ja, jag kommer</strong>", "webcal://")
	})
	t.Run("a bad answer is an error, not a panic", func(t *testing.T) {
		if p := e.post(path, url.Values{"csrf": {csrf}, "answer": {"perhaps"}}); p.status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d", p.status)
		}
	})
}

func TestRSVPCalendarFile(t *testing.T) {
	e := newPagesEnv(t)
	p := e.get(e.rsvpPath(e.m["bo"], time.Time{})+"/invite.ics", nil)
	if p.status != http.StatusOK || !strings.HasPrefix(p.header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("status %d type %q", p.status, p.header.Get("Content-Type"))
	}
	mustContain(t, "invite.ics", p.body, "METHOD:REQUEST", "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", "BEGIN:VTIMEZONE")
	icaltest.Check(t, []byte(p.body))
}

func TestRSVPCancelledOccurrenceTakesNoAnswer(t *testing.T) {
	e := newPagesEnv(t)
	occ := stockholm(t, "2026-12-22T18:00")
	if _, err := e.store.ChangeOccurrence(context.Background(), e.series.ID, natverk.Exception{RecurrenceID: occ, Cancelled: true}, e.now()); err != nil {
		t.Fatal(err)
	}
	path := e.rsvpPath(e.m["bo"], occ)
	p := e.get(path, nil)
	mustContain(t, "page", p.body, "Det här mötet är inställt.", "tisdag 22 december 2026")
	mustNotContain(t, "page", p.body, `name="answer"`)
	csrf := e.s.csrfFor(strings.TrimPrefix(path, "/rsvp/"))
	if p := e.post(path, url.Values{"csrf": {csrf}, "answer": {"yes"}}); p.status != http.StatusConflict {
		t.Fatalf("POST status %d", p.status)
	}
	if got := e.answers(e.m["bo"]); len(got) != 0 {
		t.Fatalf("answers %+v", got)
	}
}

func TestRSVPBadLinks(t *testing.T) {
	e := newPagesEnv(t)
	good := e.rsvpPath(e.m["bo"], time.Time{})
	expired := e.s.Signer.Sign(token.Claims{Kind: token.RSVP, MemberID: e.m["bo"].ID, SeriesID: e.series.ID, Expires: e.clock.Add(-time.Hour).Unix()})
	tests := []struct {
		name   string
		path   string
		status int
		want   string
	}{
		{"garbage", "/rsvp/not-a-token", http.StatusNotFound, "Länken fungerar inte"},
		{"changed", good[:len(good)-3] + "aaa", http.StatusNotFound, "Länken fungerar inte"},
		{"an unsubscribe token", "/rsvp/" + e.s.Links.UnsubscribeToken(e.m["bo"], e.network.ID), http.StatusNotFound, "Länken fungerar inte"},
		{"expired", "/rsvp/" + expired, http.StatusGone, "Länken har gått ut"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := e.get(tc.path, nil)
			if p.status != tc.status {
				t.Fatalf("status %d, want %d", p.status, tc.status)
			}
			mustContain(t, "page", p.body, tc.want)
		})
	}
	t.Run("revoked", func(t *testing.T) {
		if err := e.store.RevokeMemberTokens(context.Background(), e.m["bo"].ID); err != nil {
			t.Fatal(err)
		}
		p := e.get(good, nil)
		if p.status != http.StatusGone {
			t.Fatalf("status %d", p.status)
		}
		mustContain(t, "page", p.body, "Länken är återkallad")
	})
}

func TestUnsubscribePage(t *testing.T) {
	e := newPagesEnv(t)
	path := "/unsubscribe/" + e.s.Links.UnsubscribeToken(e.m["bo"], e.network.ID)
	tests := []struct {
		name, query, confirm, heading string
		others                        []string
	}{
		{"the mail's link asks to stop invitations", "", "unsubscribe", "Vill du sluta få inbjudningar från nätverket?", []string{"leave", "hide"}},
		{"leave", "?do=leave", "leave", "Vill du lämna nätverket?", []string{"unsubscribe", "hide"}},
		{"hide from the directory", "?do=hide", "hide", "Vill du döljas i medlemssökningen?", []string{"unsubscribe", "leave"}},
		{"an unknown choice is not confirmed", "?do=explode", "", "", []string{"unsubscribe", "leave", "hide"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := e.get(path+tc.query, nil)
			if p.status != http.StatusOK {
				t.Fatalf("status %d", p.status)
			}
			confirm := regexp.MustCompile(`class="primary" autofocus`).FindString(p.body) != ""
			if confirm != (tc.confirm != "") {
				t.Fatalf("confirm button shown: %v", confirm)
			}
			if tc.confirm != "" {
				mustContain(t, "page", p.body, tc.heading, `name="do" value="`+tc.confirm+`" class="primary"`)
			}
			var got []string
			for _, m := range regexp.MustCompile(`name="do" value="([a-z]+)">`).FindAllStringSubmatch(p.body, -1) {
				got = append(got, m[1])
			}
			if diff := cmp.Diff(tc.others, got); diff != "" {
				t.Errorf("other choices (-want +got):\n%s", diff)
			}
		})
	}
	if got := e.membership(e.network.ID, e.m["bo"]); got != natverk.StatusInvited {
		t.Fatalf("GETs changed the membership to %q", got)
	}

	csrf := csrfIn(t, e.get(path, nil).body)
	steps := []struct {
		do, want, status string
		hidden           bool
	}{
		{"leave", "Klart: du har lämnat nätverket.", natverk.StatusLeft, false},
		{"rejoin", "Välkommen tillbaka!", natverk.StatusJoined, false},
		{"hide", "Klart: du syns inte längre i medlemssökningen.", natverk.StatusJoined, true},
		{"show", "Klart: du syns i medlemssökningen igen.", natverk.StatusJoined, false},
		{"unsubscribe", "Klart: du får inga fler inbjudningar från nätverket.", natverk.StatusUnsubscribed, false},
	}
	for _, st := range steps {
		t.Run("POST "+st.do, func(t *testing.T) {
			p := e.post(path, url.Values{"csrf": {csrf}, "do": {st.do}})
			if p.status != http.StatusOK {
				t.Fatalf("status %d:\n%s", p.status, p.body)
			}
			mustContain(t, "result", p.body, st.want)
			m, err := e.store.FindMemberByID(context.Background(), e.m["bo"].ID)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.membership(e.network.ID, m); got != st.status || m.Hidden != st.hidden {
				t.Fatalf("status %q hidden %v, want %q %v", got, m.Hidden, st.status, st.hidden)
			}
		})
	}
	t.Run("a POST without the form token changes nothing", func(t *testing.T) {
		p := e.post(path, url.Values{"do": {"rejoin"}})
		if p.status != http.StatusForbidden || e.membership(e.network.ID, e.m["bo"]) != natverk.StatusUnsubscribed {
			t.Fatalf("status %d", p.status)
		}
	})
	t.Run("RFC 8058 one-click, without a form token", func(t *testing.T) {
		evaPath := "/unsubscribe/" + e.s.Links.UnsubscribeToken(e.m["eva"], e.network.ID)
		p := e.do("POST", evaPath, url.Values{"List-Unsubscribe": {"One-Click"}}, map[string]string{"Origin": ""})
		if p.status != http.StatusOK || strings.TrimSpace(p.body) != "unsubscribed" {
			t.Fatalf("status %d body %q", p.status, p.body)
		}
		if got := e.membership(e.network.ID, e.m["eva"]); got != natverk.StatusUnsubscribed {
			t.Fatalf("status %q", got)
		}
	})
}

func TestNetworkPage(t *testing.T) {
	e := newPagesEnv(t)
	ctx := context.Background()
	if _, _, err := e.store.RecordRSVP(ctx, natverk.RSVP{SeriesID: e.series.ID, MemberID: e.m["bo"].ID, Answer: natverk.AnswerYes, Source: natverk.SourceLink, AnsweredAt: e.now()}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.store.RecordRSVP(ctx, natverk.RSVP{SeriesID: e.series.ID, MemberID: e.m["eva"].ID, Answer: natverk.AnswerMaybe, Source: natverk.SourceLink, AnsweredAt: e.now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.ChangeOccurrence(ctx, e.series.ID, natverk.Exception{RecurrenceID: stockholm(t, "2026-12-22T18:00"), Cancelled: true, Reason: "Jullov"}, e.now()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.ChangeOccurrence(ctx, e.series.ID, natverk.Exception{RecurrenceID: stockholm(t, "2027-01-05T18:00"), Start: stockholm(t, "2027-01-07T17:30"), Duration: 2 * time.Hour}, e.now()); err != nil {
		t.Fatal(err)
	}
	p := e.get("/n/chefer-i-goteborg", nil)
	if p.status != http.StatusOK {
		t.Fatalf("status %d", p.status)
	}
	mustContain(t, "network page", p.body,
		"Geografiskt nätverk", "Nätverk för chefer i Göteborg.", "En lokal och fika.", "Talare.",
		"tisdag 8 december 2026 kl. 18:00–20:00 (CET)", "1 kommer · 1 kanske", // Åsa (organizer, joined) has not answered
		`<li class="cancelled">`, "tisdag 22 december 2026", "inställt",
		"torsdag 7 januari 2027 kl. 17:30–19:30 (CET)", "flyttat från tis 5 jan 18:00",
		"webcal://", "calendar.google.com", "outlook.live.com", `src="data:image/png;base64,`, e.srv.URL+"/feeds/chefer-i-goteborg.ics")
	// The next six meetings (2 Mar 2027 is the sixth held), and the
	// cancelled one among them.
	if n := len(regexp.MustCompile(`<li[ >]`).FindAllString(p.body, -1)); n != 7 {
		t.Errorf("%d meetings listed, want 6 and the cancelled one", n)
	}
	mustContain(t, "network page", p.body, "tisdag 2 mars 2027")
	mustNotContain(t, "network page", p.body, "16 mars 2027")
	// Counts only: no names, no addresses, no organizer's reason text.
	mustNotContain(t, "network page", p.body, "Åsa", "Bo Ek", "Eva", "@example.org", "Jullov")

	t.Run("English by Accept-Language", func(t *testing.T) {
		p := e.get("/n/chefer-i-goteborg", map[string]string{"Accept-Language": "de-DE, en;q=0.8, sv;q=0.5"})
		mustContain(t, "page", p.body, `<html lang="en">`, "Local network", "Tuesday 8 December 2026, 18:00–20:00 (CET)", "moved from Tue 5 Jan 18:00", "cancelled")
	})
	t.Run("a private network has no page", func(t *testing.T) {
		e.mustNetwork("Hemliga klubben", natverk.FeedPrivate, e.m["asa"].ID)
		for _, path := range []string{"/n/hemliga-klubben", "/n/no-such-network"} {
			p := e.get(path, nil)
			if p.status != http.StatusNotFound {
				t.Fatalf("%s: status %d", path, p.status)
			}
			mustContain(t, path, p.body, "Sidan finns inte")
		}
	})
	t.Run("a closed network says so", func(t *testing.T) {
		if _, err := e.store.CloseNetwork(ctx, e.network.ID, ""); err != nil {
			t.Fatal(err)
		}
		p := e.get("/n/chefer-i-goteborg", nil)
		mustContain(t, "page", p.body, "Nätverket är avslutat.", "Inga kommande möten.")
	})
}

func TestStylesheetAndPrintView(t *testing.T) {
	e := newPagesEnv(t)
	p := e.get("/static/site.css", nil)
	if p.status != http.StatusOK || !strings.HasPrefix(p.header.Get("Content-Type"), "text/css") {
		t.Fatalf("status %d type %q", p.status, p.header.Get("Content-Type"))
	}
	mustContain(t, "site.css", p.body, "@media print", ".print-only { display: block; }", "@media (max-width: 30rem)", ":focus-visible")
}

func TestMessagesHaveBothLanguages(t *testing.T) {
	for key := range messages["sv"] {
		if _, ok := messages["en"][key]; !ok {
			t.Errorf("%q has no English text", key)
		}
	}
	for key := range messages["en"] {
		if _, ok := messages["sv"][key]; !ok {
			t.Errorf("%q has no Swedish text", key)
		}
	}
}

func TestLangFor(t *testing.T) {
	tests := []struct {
		name, query, accept, locale, want string
	}{
		{"nothing known", "", "", "", "sv"},
		{"English browser", "", "en-US,en;q=0.9", "", "en"},
		{"preference order, not header order", "", "sv;q=0.4, en-GB;q=0.9", "", "en"},
		{"Norwegian reads Swedish", "", "nb-NO,en;q=0.5", "", "sv"},
		{"unknown languages fall through", "", "de-DE, fr;q=0.9, en;q=0.1", "", "en"},
		{"q=0 means not wanted", "", "en;q=0, sv", "", "sv"},
		{"malformed q is ignored", "", "en;q=abc, sv;q=0.5", "", "sv"},
		{"member locale wins over the browser", "", "en", "sv", "sv"},
		{"English member", "", "sv", "en", "en"},
		{"?lang wins over everything", "?lang=en", "sv", "sv", "en"},
		{"a bad ?lang is ignored", "?lang=xx", "", "en", "en"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/n/x"+tc.query, nil)
			if tc.accept != "" {
				r.Header.Set("Accept-Language", tc.accept)
			}
			if got := langFor(r, tc.locale); got != tc.want {
				t.Errorf("langFor = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFormatWhenKeepsTheWallClockAcrossDST(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, lang string
		start      time.Time
		want       string
	}{
		{"winter, Swedish", "sv", time.Date(2026, 12, 8, 18, 0, 0, 0, loc), "tisdag 8 december 2026 kl. 18:00–20:00 (CET)"},
		{"summer, Swedish", "sv", time.Date(2027, 6, 8, 18, 0, 0, 0, loc), "tisdag 8 juni 2027 kl. 18:00–20:00 (CEST)"},
		{"English", "en", time.Date(2027, 3, 30, 18, 0, 0, 0, loc), "Tuesday 30 March 2027, 18:00–20:00 (CEST)"},
		{"unknown language reads Swedish", "de", time.Date(2027, 1, 1, 9, 30, 0, 0, loc), "fredag 1 januari 2027 kl. 09:30–11:30 (CET)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := formatWhen(tc.lang, tc.start, tc.start.Add(2*time.Hour)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	if got := formatShort("sv", time.Date(2026, 12, 8, 18, 0, 0, 0, loc)); got != "tis 8 dec 18:00" {
		t.Errorf("formatShort = %q", got)
	}
}
