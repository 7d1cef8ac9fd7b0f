package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natverk/natverk/internal/links"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/pgtest"
	"github.com/natverk/natverk/internal/smtptest"
	"github.com/natverk/natverk/internal/token"
)

// These benchmarks run the whole service in-process (run(), as the
// binary does) so that `go test -cpuprofile` shows where the time of the
// fan-out and of feed serving goes; scripts/bench measures the same paths
// against the real binary beside their references (docs/PERFORMANCE.md).
//
//	go test ./cmd/natverk -run '^$' -bench 'Fanout|FeedGet|RSVPPost' -benchtime 10x -cpuprofile /tmp/cpu.prof

// benchService is a service started in-process for a benchmark, as the
// tests start it (startService), with a client for many connections.
type benchService struct {
	*service
	b *testing.B
}

func startBenchService(b *testing.B, env map[string]string) *benchService {
	b.Helper()
	vars := map[string]string{
		"NATVERK_ADMIN_TOKEN": "bench-admin-token-0123456789abcdef",
		"NATVERK_LOG_LEVEL":   "error", "NATVERK_RATE_LIMIT": "1000000", "NATVERK_SMTP_POOL": "16",
	}
	for k, v := range env {
		vars[k] = v
	}
	s := startService(b, vars)
	s.http = &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}
	return &benchService{service: s, b: b}
}

// api calls the JSON API as the admin.
func (s *benchService) api(method, path, contentType string, body []byte, want int, out any) {
	s.b.Helper()
	s.service.api(method, path, contentType, string(body), want, out)
}

// createBenchNetwork creates a network with a weekly meeting for ten
// years and returns its id, series id and feed URL.
func (s *benchService) createBenchNetwork(name string) (id, series int64, feed string) {
	var n struct {
		ID       int64
		Feed     struct{ HTTPS string }
		Meetings []struct{ ID int64 }
	}
	body, _ := json.Marshal(map[string]any{"name": name, "kind": "geographic", "description": "Nätverk för chefer i Göteborg.",
		"meeting": map[string]any{"start": "2027-01-05T18:00", "rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=522", "location": "Järntorget 1, Göteborg"}})
	s.api("POST", "/api/v1/networks", "application/json", body, http.StatusCreated, &n)
	return n.ID, n.Meetings[0].ID, n.Feed.HTTPS
}

// benchStores runs fn on SQLite and, when Postgres answers, on Postgres.
func benchStores(b *testing.B, fn func(b *testing.B, env map[string]string)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, map[string]string{}) })
	b.Run("postgres", func(b *testing.B) { fn(b, map[string]string{"DATABASE_URL": pgtest.Fresh(b)}) })
}

// benchMembers imports n members and returns their addresses.
func (s *benchService) benchMembers(n int) []string {
	var csv strings.Builder
	csv.WriteString("email,name,town,industry,company\n")
	emails := make([]string, n)
	for i := range n {
		emails[i] = fmt.Sprintf("m%d@medlem.example.org", i)
		fmt.Fprintf(&csv, "%s,Medlem %d Åberg,Göteborg,Logistik,Hamnbolaget AB\n", emails[i], i)
	}
	s.api("POST", "/api/v1/members/import", "text/csv", []byte(csv.String()), http.StatusOK, nil)
	return emails
}

// BenchmarkFanout sends one invite call's invitations to 500 members
// (each iteration a new network), through relay, JetStream, the mailer
// worker and 16 pooled SMTP connections to an in-process sink, and
// reports messages per second.
func BenchmarkFanout(b *testing.B) {
	benchStores(b, func(b *testing.B, env map[string]string) {
		const members = 500
		sink := smtptest.Start(b, smtptest.Faults{})
		sink.Discard()
		env["SMTP_URL"] = sink.URL()
		s := startBenchService(b, env)
		emails := s.benchMembers(members)
		req, _ := json.Marshal(map[string]any{"emails": emails})
		sent, i := 0, 0
		for b.Loop() {
			i++
			id, _, _ := s.createBenchNetwork(fmt.Sprintf("Nätverk %d", i))
			s.api("POST", fmt.Sprintf("/api/v1/networks/%d/invitations", id), "application/json", req, http.StatusAccepted, nil)
			sent += members
			sink.WaitFor(b, sent, 5*time.Minute)
		}
		b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "msgs/s")
	})
}

// BenchmarkFeedGet fetches a network feed of ten years of weekly
// meetings with 50 moved ones from parallel clients: the full body (200)
// and a conditional request (304).
func BenchmarkFeedGet(b *testing.B) {
	benchStores(b, func(b *testing.B, env map[string]string) {
		s := startBenchService(b, env)
		_, series, feed := s.createBenchNetwork("Ledare i Västsverige")
		first := time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC)
		for i := range 50 {
			day := first.AddDate(0, 0, 7*(10*i+3))
			body, _ := json.Marshal(map[string]any{"occurrence": day.Format("2006-01-02") + "T18:00", "start": day.AddDate(0, 0, 1).Format("2006-01-02") + "T17:30"})
			s.api("POST", fmt.Sprintf("/api/v1/meetings/%d/move-occurrence", series), "application/json", body, http.StatusOK, nil)
		}
		var etag string
		var size int
		deadline := time.Now().Add(time.Minute)
		for {
			resp, err := s.http.Get(feed)
			if err != nil {
				b.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Count(string(body), "\r\nRECURRENCE-ID") >= 50 {
				etag, size = resp.Header.Get("ETag"), len(body)
				break
			}
			if time.Now().After(deadline) {
				b.Fatal("the feed never showed the 50 moved meetings")
			}
			time.Sleep(50 * time.Millisecond)
		}
		for _, tc := range []struct {
			name string
			inm  string
			want int
		}{{"200", "", http.StatusOK}, {"304", etag, http.StatusNotModified}} {
			b.Run(tc.name, func(b *testing.B) {
				if tc.want == http.StatusOK {
					b.SetBytes(int64(size))
				}
				b.SetParallelism(16)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						req, _ := http.NewRequest("GET", feed, nil)
						if tc.inm != "" {
							req.Header.Set("If-None-Match", tc.inm)
						}
						resp, err := s.http.Do(req)
						if err != nil {
							b.Error(err)
							return
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != tc.want {
							b.Errorf("status %d, want %d", resp.StatusCode, tc.want)
							return
						}
					}
				})
			})
		}
	})
}

// BenchmarkRSVPPost records answers through the RSVP page's form from 50
// concurrent clients, as members pressing a button in their invitation
// would; each answer differs from the member's last, so each is stored,
// published and re-rendered into the network's and the member's feed.
func BenchmarkRSVPPost(b *testing.B) {
	benchStores(b, func(b *testing.B, env map[string]string) {
		const members = 1000
		const keys = "1:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		sink := smtptest.Start(b, smtptest.Faults{})
		sink.Discard()
		env["SMTP_URL"], env["NATVERK_TOKEN_KEYS"] = sink.URL(), keys
		s := startBenchService(b, env)
		emails := s.benchMembers(members)
		id, series, _ := s.createBenchNetwork("Chefer i Göteborg")
		req, _ := json.Marshal(map[string]any{"emails": emails})
		s.api("POST", fmt.Sprintf("/api/v1/networks/%d/invitations", id), "application/json", req, http.StatusAccepted, nil)
		sink.WaitFor(b, members, 5*time.Minute)
		var list struct{ Members []struct{ ID int64 } }
		s.api("GET", fmt.Sprintf("/api/v1/networks/%d/members", id), "", nil, http.StatusOK, &list)
		parsed, err := token.ParseKeys(keys)
		if err != nil {
			b.Fatal(err)
		}
		signer, err := token.NewSigner(parsed...)
		if err != nil {
			b.Fatal(err)
		}
		lb := &links.Builder{BaseURL: s.base, MailDomain: "natverk.localhost", Signer: signer}
		type form struct{ link, csrf string }
		forms := make([]form, len(list.Members))
		csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
		for i, m := range list.Members {
			link := lb.RSVP(lb.RSVPToken(&natverk.Member{ID: m.ID}, series, id, time.Time{}), "")
			resp, err := s.http.Get(link)
			if err != nil {
				b.Fatal(err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			c := csrf.FindSubmatch(page)
			if c == nil {
				b.Fatalf("no form token on %s: %.300s", link, page)
			}
			forms[i] = form{link, string(c[1])}
		}
		answers := []string{"yes", "no", "maybe"}
		var next atomic.Int64
		b.ResetTimer()       // the invitations and page views above are setup
		b.SetParallelism(25) // 50 clients on two cores
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				n := next.Add(1) - 1
				f := forms[n%int64(len(forms))]
				resp, err := s.http.PostForm(f.link, url.Values{"csrf": {f.csrf}, "answer": {answers[(n/int64(len(forms)))%3]}})
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("POST %s: %d", f.link, resp.StatusCode)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "answers/s")
	})
}
