package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/natverk/natverk/internal/icaltest"
	"github.com/natverk/natverk/internal/natverk"
)

func TestOversizeBodies(t *testing.T) {
	e := newAPIEnv(t)
	big := `{"name":"` + strings.Repeat("x", 70<<10) + `"}`
	resp := e.call("POST", "/api/v1/networks", testAdminToken, "application/json", strings.NewReader(big), nil)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversize JSON: %d", resp.StatusCode)
	}
	if p := problemOf(t, resp); p.Status != 413 || p.Code != natverk.ETOOLARGE {
		t.Fatalf("problem = %+v", p)
	}
	e.s.MaxImport = 1024
	csv := "email,name\n" + strings.Repeat("a@example.org,A\n", 200)
	resp = e.call("POST", "/api/v1/members/import", testAdminToken, "text/csv", strings.NewReader(csv), nil)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversize import: %d %s", resp.StatusCode, readAll(t, resp.Body))
	}
}

func TestBadJSONGetsAProblem(t *testing.T) {
	e := newAPIEnv(t)
	for _, tc := range []struct {
		name, body, ct string
		want           int
		field          string
	}{
		{"NotJSON", `{name: x}`, "application/json", 422, ""},
		{"Truncated", `{"name":"x"`, "application/json", 422, ""},
		{"UnknownField", `{"name":"x","colour":"red"}`, "application/json", 422, "colour"},
		{"WrongType", `{"name":42}`, "application/json", 422, "name"},
		{"TwoValues", `{"name":"x"}{"name":"y"}`, "application/json", 422, ""},
		{"Empty", ``, "application/json", 422, ""},
		{"WrongContentType", `name=x`, "application/x-www-form-urlencoded", 422, ""},
		{"BadZone", `{"name":"x","time_zone":"Mars/Olympus"}`, "application/json", 422, "time_zone"},
		{"BadRRule", `{"name":"x","meeting":{"start":"2027-01-12T18:00","rrule":"FREQ=SECONDLY"}}`, "application/json", 422, "meeting.rrule"},
		{"BadStart", `{"name":"x","meeting":{"start":"next tuesday"}}`, "application/json", 422, "meeting.start"},
		{"MultilineLocation", `{"name":"x","meeting":{"start":"2027-01-12T18:00","location":"Rum 1\r\nATTENDEE:mailto:evil@example.org"}}`, "application/json", 422, "meeting.location"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.call("POST", "/api/v1/networks", testAdminToken, tc.ct, strings.NewReader(tc.body), nil)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.want, readAll(t, resp.Body))
			}
			p := problemOf(t, resp)
			if p.Detail == "" || p.Title == "" {
				t.Fatalf("problem without detail: %+v", p)
			}
			if tc.field != "" {
				found := false
				for _, f := range p.Errors {
					found = found || f.Field == tc.field
				}
				if !found {
					t.Fatalf("problem does not name %s: %+v", tc.field, p)
				}
			}
		})
	}
	if ns, _, _ := e.store.FindNetworks(context.Background(), natverk.NetworkFilter{}); len(ns) != 2 {
		t.Fatalf("a refused request stored something: %d networks", len(ns))
	}
}

// TestICalendarInjection: text that looks like iCalendar stays text.
func TestICalendarInjection(t *testing.T) {
	e := newAPIEnv(t)
	body := `{"start":"2027-01-07T18:00","rrule":"FREQ=WEEKLY;BYDAY=TH","summary":"Möte;X-EVIL:1","location":"Rum 1, END:VEVENT","description":"rad 1\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil\r\nATTENDEE:mailto:evil@example.org"}`
	resp := e.call("POST", "/api/v1/networks/"+itoa(e.net["goteborg"].ID)+"/meetings", testAdminToken, "application/json", strings.NewReader(body), nil)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, readAll(t, resp.Body))
	}
	if err := e.s.Feeds.Refresh(context.Background(), natverk.NetworkFeedKey(e.net["goteborg"].ID)); err != nil {
		t.Fatal(err)
	}
	feed := readAll(t, e.call("GET", "/feeds/goteborg.ics", "", "", nil, nil).Body)
	if n := bytes.Count(feed, []byte("\r\nBEGIN:VEVENT\r\n")); n != 2 {
		t.Fatalf("%d VEVENTs (want 2: the fixture's series and this one):\n%s", n, feed)
	}
	for _, bad := range []string{"\r\nUID:evil", "\r\nATTENDEE:", "\r\nX-EVIL"} {
		if bytes.Contains(feed, []byte(bad)) {
			t.Fatalf("injected %q:\n%s", bad, feed)
		}
	}
	icaltest.Check(t, feed)
}

func TestRateLimitOnPublicEndpoints(t *testing.T) {
	e := newAPIEnv(t)
	e.s.RateLimit = 1
	srv := httptest.NewServer(e.s.Handler())
	defer srv.Close()
	limited := 0
	for i := 0; i < 30; i++ {
		resp, err := http.Get(srv.URL + "/feeds/goteborg.ics")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			limited++
			if resp.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		}
	}
	if limited == 0 || limited > 25 {
		t.Fatalf("%d of 30 requests limited (burst 10 at 1/s)", limited)
	}
	// The API (authenticated) is not limited by the public limiter.
	for i := 0; i < 20; i++ {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/networks", nil)
		req.Header.Set("Authorization", "Bearer "+testAdminToken)
		resp, _ := http.DefaultClient.Do(req)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("API request %d: %d", i, resp.StatusCode)
		}
	}
}

func FuzzCreateNetworkBody(f *testing.F) {
	for _, s := range []string{
		`{"name":"Chefer i Göteborg","meeting":{"start":"2027-01-12T18:00","rrule":"FREQ=MONTHLY;BYDAY=2TU"}}`,
		`{"name":"x","time_zone":"Europe/Stockholm","kind":"interest","feed_visibility":"private"}`,
		`{"name":"","meeting":{"start":"2027-02-30T25:61","rrule":"FREQ=DAILY;COUNT=99999"}}`,
		`[]`, `null`, `{"organizers":[1,2,3]}`,
	} {
		f.Add(s)
	}
	e := newAPIEnv(f)
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/api/v1/networks", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testAdminToken)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		e.s.Handler().ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body.String())
		}
		if w.Code >= 400 {
			var p Problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != w.Code {
				t.Fatalf("%d without a problem body for %q: %s", w.Code, body, w.Body.String())
			}
		}
	})
}

// FuzzAPIBodies sends arbitrary bodies to every API route that reads a
// JSON body, as the admin, and checks that none answers 5xx and that
// every refusal is a problem document. Routes that reach out to another
// system (a webhook's test delivery, a dead letter's retry through NATS)
// are left out: their 5xx/502 answers are about that system.
func FuzzAPIBodies(f *testing.F) {
	e := newAPIEnv(f)
	var routes []string
	for _, r := range declaredRoutes(f) {
		method, pattern, _ := strings.Cut(r, " ")
		if (method == "POST" || method == "PUT" || method == "PATCH") && strings.HasPrefix(pattern, "/api/v1/") &&
			!strings.HasPrefix(pattern, "/api/v1/dlq/") && !strings.HasSuffix(pattern, "/test") {
			routes = append(routes, method+" "+e.routePath(pattern, "goteborg"))
		}
	}
	if len(routes) < 20 {
		f.Fatalf("only %d body-reading API routes found", len(routes))
	}
	for i := range routes {
		for _, s := range []string{`{}`, `[]`, `null`, `{"name":"x","start":"2027-02-30T25:61","capacity":-1,"emails":["a@b"],"answer":"yes"}`,
			`{"emails":["bo@example.org"],"query":{"town":"göteborg"}}`, `{"start":"2027-03-09T18:00","date":"2027-02-09","new_start":"2027-02-10T18:00"}`,
			`{"url":"http://127.0.0.1:1/hook","events":["natverk.rsvp.recorded"]}`, "\xff\xfe", `{"a":` + strings.Repeat("[", 5000)} {
			f.Add(uint8(i), s)
		}
	}
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		method, path, _ := strings.Cut(routes[int(route)%len(routes)], " ")
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testAdminToken)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		e.s.Handler().ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %s: status %d for %q: %s", method, path, w.Code, body, w.Body.String())
		}
		if w.Code >= 400 {
			var p Problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != w.Code {
				t.Fatalf("%s %s: %d without a problem body for %q: %s", method, path, w.Code, body, w.Body.String())
			}
		}
	})
}
