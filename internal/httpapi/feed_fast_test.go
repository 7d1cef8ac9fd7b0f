package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/natverk/natverk/internal/feeds"
	"github.com/natverk/natverk/internal/metrics"
)

// benchWriter is a ResponseWriter that keeps nothing but the status, so
// a benchmark counts the handler's allocations, not the recorder's.
type benchWriter struct {
	h      http.Header
	status int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *benchWriter) WriteHeader(code int)        { w.status = code }

// BenchmarkFeedNotModified compares a conditional GET of a network feed
// answered 304 through the whole edge (s.Handler(): metrics, the rate
// limit's bookkeeping, panic recovery, security headers) with the bare
// handler scripts/bench measures beside it (the same bytes from memory,
// the same ETag and caching headers, nothing else). The ratio of their
// ns/op is the edge's overhead on a 304, without the network stack.
func BenchmarkFeedNotModified(b *testing.B) {
	e := newAPIEnv(b)
	e.s.Observe = metrics.New().Request
	e.s.RateLimit = 1e6 // as scripts/bench runs the service: far above the load, bookkeeping still runs
	h := e.s.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/feeds/goteborg.ics", nil))
	etag := rec.Header().Get("ETag")
	if rec.Code != http.StatusOK || etag == "" {
		b.Fatalf("GET: %d %v", rec.Code, rec.Header())
	}
	body := rec.Body.Bytes()
	bareETag := feeds.ETag(body)
	modified := time.Now().UTC().Format(http.TimeFormat)
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Type", "text/calendar; charset=utf-8")
		hd.Set("Cache-Control", "public, max-age=900")
		hd.Set("ETag", bareETag)
		hd.Set("Last-Modified", modified)
		if r.Header.Get("If-None-Match") == bareETag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write(body)
	})
	member := e.links.MemberFeed(e.m["bo"], "").HTTPS[len(e.srv.URL):]
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", member, nil))
	memberETag := rec.Header().Get("ETag")
	if rec.Code != http.StatusOK || memberETag == "" {
		b.Fatalf("GET %s: %d", member, rec.Code)
	}
	for _, tc := range []struct {
		name, path, etag string
		h                http.Handler
	}{
		{"bare", "/feed.ics", bareETag, bare},
		{"network", "/feeds/goteborg.ics", etag, h},
		{"member", member, memberETag, h},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				w := &benchWriter{h: http.Header{}}
				tmpl := httptest.NewRequest("GET", tc.path, nil)
				tmpl.RemoteAddr = "127.0.0.1:40000"
				tmpl.Header.Set("If-None-Match", tc.etag)
				for pb.Next() {
					// A copy of the parsed request, as net/http hands
					// each request to the handler in a new *Request.
					r := new(http.Request)
					*r = *tmpl
					clear(w.h)
					w.status = 0
					tc.h.ServeHTTP(w, r)
					if w.status != http.StatusNotModified {
						b.Errorf("status %d, want 304", w.status)
						return
					}
				}
			})
		})
	}
}

// TestFeedFastMatchesMux sends the same feed requests, clean and not,
// to the edge with serveFeedFast and to one that routes them through the
// mux, and wants the same answers: status, headers, body and the route
// pattern metrics see.
func TestFeedFastMatchesMux(t *testing.T) {
	e := newAPIEnv(t)
	type seen struct {
		route  string
		status int
	}
	var fastSeen, muxSeen seen
	e.s.Observe = func(route string, status int, _ time.Duration) { fastSeen = seen{route, status} }
	fast := e.s.Handler()
	viaMux := &Server{Store: e.s.Store, Links: e.s.Links, Signer: e.s.Signer, Feeds: e.s.Feeds, AdminToken: testAdminToken,
		Checks: testChecks, CSRFKey: e.s.CSRFKey, feedsViaMux: true,
		Observe: func(route string, status int, _ time.Duration) { muxSeen = seen{route, status} }}
	slow := viaMux.Handler()

	rec := httptest.NewRecorder()
	fast.ServeHTTP(rec, httptest.NewRequest("GET", "/feeds/goteborg.ics", nil))
	etag, modified := rec.Header().Get("ETag"), rec.Header().Get("Last-Modified")
	rec = httptest.NewRecorder()
	fast.ServeHTTP(rec, httptest.NewRequest("GET", "/feeds/goteborg.ics", nil))
	gzRec := httptest.NewRecorder()
	gzReq := httptest.NewRequest("GET", "/feeds/goteborg.ics", nil)
	gzReq.Header.Set("Accept-Encoding", "gzip")
	fast.ServeHTTP(gzRec, gzReq)
	gzTag := gzRec.Header().Get("ETag")
	member := e.links.MemberFeed(e.m["bo"], "").HTTPS[len(e.srv.URL):]
	private := "/feeds/p/" + e.net["malmo"].FeedToken + "/malmo.ics"

	for _, tc := range []struct {
		method, path string
		header       map[string]string
	}{
		{"GET", "/feeds/goteborg.ics", nil},
		{"HEAD", "/feeds/goteborg.ics", nil},
		{"GET", "/feeds/goteborg.ics", map[string]string{"If-None-Match": etag}},
		{"HEAD", "/feeds/goteborg.ics", map[string]string{"If-None-Match": etag}},
		{"GET", "/feeds/goteborg.ics", map[string]string{"If-None-Match": `"x" , W/` + etag}},
		{"GET", "/feeds/goteborg.ics", map[string]string{"If-None-Match": "*"}},
		{"GET", "/feeds/goteborg.ics", map[string]string{"If-None-Match": `"other"`, "If-Modified-Since": modified}},
		{"GET", "/feeds/goteborg.ics", map[string]string{"If-Modified-Since": modified}},
		{"GET", "/feeds/goteborg.ics", map[string]string{"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}},
		{"GET", "/feeds/goteborg.ics", map[string]string{"Accept-Encoding": "gzip, deflate"}},
		{"GET", "/feeds/goteborg.ics", map[string]string{"Accept-Encoding": "br;q=1, gzip;q=0"}},
		{"GET", "/feeds/goteborg.ics", map[string]string{"Accept-Encoding": "GZIP", "If-None-Match": gzTag}},
		{"GET", "/feeds/goteborg.ics", map[string]string{"If-None-Match": gzTag}},
		{"GET", "/feeds/goteborg.ics?x=1", nil},
		{"GET", "/feeds/goteborg", nil},
		{"GET", "/feeds/malmo.ics", nil},
		{"GET", "/feeds/nosuchnetwork.ics", nil},
		{"GET", "/feeds/g%C3%B6teborg.ics", nil},
		{"GET", "/feeds/g%6Fteborg.ics", nil},
		{"GET", "/feeds/goteborg%2Eics", nil},
		{"GET", "/feeds/a%2Fb.ics", nil},
		{"GET", "/feeds/", nil},
		{"GET", "/feeds", nil},
		{"GET", "/feeds//goteborg.ics", nil},
		{"GET", "/feeds/./goteborg.ics", nil},
		{"GET", "/feeds/x/../goteborg.ics", nil},
		{"GET", "/feeds/goteborg.ics/", nil},
		{"GET", "/feeds/..", nil},
		{"GET", "/feeds/m", nil},
		{"GET", "/feeds/m/", nil},
		{"GET", member, nil},
		{"HEAD", member, nil},
		{"GET", "/feeds/m/" + strings.Repeat("a", 40) + ".ics", nil},
		{"GET", "/feeds/m/x/y.ics", nil},
		{"GET", private, nil},
		{"GET", "/feeds/p/wrongtoken0123456789/malmo.ics", nil},
		{"GET", "/feeds/p/malmo.ics", nil},
		{"GET", "/feeds/p//malmo.ics", nil},
		{"GET", "/feeds/p/../malmo.ics", nil},
		{"GET", "/feeds/p/a/b/c.ics", nil},
		{"POST", "/feeds/goteborg.ics", nil},
		{"DELETE", member, nil},
		{"OPTIONS", "/feeds/goteborg.ics", nil},
	} {
		name := tc.method + " " + tc.path + fmt.Sprint(tc.header)
		var recs [2]*httptest.ResponseRecorder
		for i, h := range []http.Handler{fast, slow} {
			r := httptest.NewRequest(tc.method, tc.path, nil)
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			recs[i] = httptest.NewRecorder()
			h.ServeHTTP(recs[i], r)
		}
		a, b := recs[0], recs[1]
		if a.Code != b.Code || !bytes.Equal(a.Body.Bytes(), b.Body.Bytes()) {
			t.Errorf("%s: fast %d (%d bytes), mux %d (%d bytes)", name, a.Code, a.Body.Len(), b.Code, b.Body.Len())
			continue
		}
		if diff := cmp.Diff(b.Header(), a.Header()); diff != "" {
			t.Errorf("%s: headers differ (-mux +fast):\n%s", name, diff)
		}
		if fastSeen != muxSeen {
			t.Errorf("%s: metrics saw %+v, through the mux %+v", name, fastSeen, muxSeen)
		}
	}
}

// TestFeedPanicIsA500: a panic while answering a feed on the fast path
// is a 500 problem with the security headers, and the edge goes on.
func TestFeedPanicIsA500(t *testing.T) {
	e := newAPIEnv(t)
	var routes []string
	s := &Server{Store: e.s.Store, Links: e.s.Links, Signer: e.s.Signer, Feeds: nil, Checks: testChecks, CSRFKey: e.s.CSRFKey,
		Observe: func(route string, status int, _ time.Duration) { routes = append(routes, route) }}
	h := s.Handler()
	for range 2 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/feeds/goteborg.ics", nil))
		if rec.Code != http.StatusInternalServerError || rec.Header().Get("Content-Type") != "application/problem+json" ||
			rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Header().Get("X-Frame-Options") != "DENY" {
			t.Fatalf("panic answered %d %v", rec.Code, rec.Header())
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != http.StatusOK || len(routes) != 1 || routes[0] != "GET /healthz" {
		t.Fatalf("after the panics: %d, routes observed %v", rec.Code, routes)
	}
}

// TestMemberFeedRevoked: the personal feed closes at once when the admin
// erases the member or revokes their links through this edge, though
// the member behind a feed token is remembered; a change made elsewhere
// (another process) shows within a second.
func TestMemberFeedRevoked(t *testing.T) {
	e := newAPIEnv(t)
	feed := func(name string) int {
		u := e.links.MemberFeed(e.m[name], "").HTTPS
		r := e.call("GET", strings.TrimPrefix(u, e.srv.URL), "", "", nil, nil)
		return r.StatusCode
	}
	admin := func(method, path string) {
		if r := e.call(method, path, testAdminToken, "", nil, nil); r.StatusCode != http.StatusNoContent {
			t.Fatalf("%s %s: %d", method, path, r.StatusCode)
		}
	}
	for _, name := range []string{"bo", "anna", "olle"} {
		if got := feed(name); got != 200 {
			t.Fatalf("%s's feed: %d", name, got)
		}
	}
	admin("POST", fmt.Sprintf("/api/v1/members/%d/revoke-links", e.m["bo"].ID))
	if got := feed("bo"); got != 404 {
		t.Fatalf("after revoke-links: %d, want 404", got)
	}
	admin("DELETE", fmt.Sprintf("/api/v1/members/%d", e.m["anna"].ID))
	if got := feed("anna"); got != 404 {
		t.Fatalf("after erasing the member: %d, want 404", got)
	}
	if err := e.store.RevokeMemberTokens(context.Background(), e.m["olle"].ID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(1500 * time.Millisecond)
	for feed("olle") != 404 {
		if time.Now().After(deadline) {
			t.Fatal("links revoked in the store still open the feed after 1.5 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestFeedHeaderKeysCanonical(t *testing.T) {
	for _, k := range []string{"Content-Type", "Cache-Control", "Last-Modified", "Vary", "Etag", "Content-Encoding", "Content-Length",
		"X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options"} {
		if c := textproto.CanonicalMIMEHeaderKey(k); c != k {
			t.Errorf("%q is set directly in header maps but its canonical form is %q", k, c)
		}
	}
}
