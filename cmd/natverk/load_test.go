package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natverk/natverk/internal/links"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/smtptest"
	"github.com/natverk/natverk/internal/token"
)

// TestLoadRSVPBurstWithFeeds (issue 10, "load held"): 10,000 answers by
// POST from 50 concurrent clients while calendar apps fetch the feeds:
// no error, no lost answer, and every member's feed shows the member's
// last answer within seconds of the burst's end. The full size runs with
// NATVERK_LONG=1 (scripts/test-long); the README's command runs 1,000.
func TestLoadRSVPBurstWithFeeds(t *testing.T) {
	members, answers := 200, 1000
	if os.Getenv("NATVERK_LONG") == "1" {
		members, answers = 1000, 10_000
	}
	const keys = "1:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	sink := smtptest.Start(t, smtptest.Faults{})
	sink.Discard()
	s := &benchService{service: startService(t, map[string]string{
		"SMTP_URL": sink.URL(), "NATVERK_TOKEN_KEYS": keys, "NATVERK_RATE_LIMIT": "1000000", "NATVERK_LOG_LEVEL": "error",
	})}
	s.http = &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	emails := benchEmails(s, members)
	id, series, feed := s.createNetwork(t, "Last")
	req, _ := json.Marshal(map[string]any{"emails": emails})
	s.service.api("POST", fmt.Sprintf("/api/v1/networks/%d/invitations", id), "application/json", string(req), http.StatusAccepted, nil)
	var list struct{ Members []struct{ ID int64 } }
	s.service.api("GET", fmt.Sprintf("/api/v1/networks/%d/members", id), "", "", http.StatusOK, &list)
	parsed, _ := token.ParseKeys(keys)
	signer, _ := token.NewSigner(parsed...)
	lb := &links.Builder{BaseURL: s.base, MailDomain: "natverk.localhost", Signer: signer}
	type form struct {
		link, csrf, feed string
	}
	forms := make([]form, len(list.Members))
	csrfRe := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	for i, m := range list.Members {
		mem := &natverk.Member{ID: m.ID}
		link := lb.RSVP(lb.RSVPToken(mem, series, id, time.Time{}), "")
		page := s.get(link)
		c := csrfRe.FindStringSubmatch(page)
		if c == nil {
			t.Fatalf("no form on %s", link)
		}
		forms[i] = form{link, c[1], lb.MemberFeed(mem, "").HTTPS}
	}
	words := []string{"yes", "no", "maybe"}
	partstat := map[string]string{"yes": "Ditt svar: Ja, jag kommer.", "no": "Ditt svar: Nej, jag kommer inte.", "maybe": "Ditt svar: Kanske."}
	last := make([]atomic.Int64, len(forms)) // the answer index each member gave last
	var failures atomic.Int64
	stop := make(chan struct{})
	var feeds sync.WaitGroup
	for c := 0; c < 4; c++ { // calendar apps polling meanwhile
		feeds.Add(1)
		go func() {
			defer feeds.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := s.http.Get(feed)
				if err != nil || resp.StatusCode != 200 {
					failures.Add(1)
				}
				if resp != nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}()
	}
	var wg sync.WaitGroup
	start := time.Now()
	const clients = 50
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each client answers for its own members (i ≡ c mod 50) in
			// turn, so a member's answers never overlap and the last one
			// sent is the last one stored.
			var mine []int
			for i := c; i < len(forms); i += clients {
				mine = append(mine, i)
			}
			for k := 0; k < answers/clients; k++ {
				i := mine[k%len(mine)]
				w := (k / len(mine)) % 3
				resp, err := s.http.PostForm(forms[i].link, url.Values{"csrf": {forms[i].csrf}, "answer": {words[w]}})
				if err != nil || resp.StatusCode != 200 {
					failures.Add(1)
					if resp != nil {
						resp.Body.Close()
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				last[i].Store(int64(w))
			}
		}()
	}
	wg.Wait()
	burst := time.Since(start)
	close(stop)
	feeds.Wait()
	if f := failures.Load(); f != 0 {
		t.Fatalf("%d requests failed", f)
	}
	t.Logf("%d answers from 50 clients in %s (%.0f/s) while 4 clients fetched the feed", answers, burst.Round(time.Millisecond), float64(answers)/burst.Seconds())
	// The store counts each member's last answer, once: the organizers'
	// counts of every meeting agree with what the clients sent last.
	want := map[string]int{}
	for i := range last {
		want[words[last[i].Load()]]++
	}
	var occs []struct {
		Start  string
		Counts map[string]int
	}
	s.service.api("GET", fmt.Sprintf("/api/v1/meetings/%d/occurrences", series), "", "", http.StatusOK, &occs)
	if len(occs) == 0 {
		t.Fatal("no meetings in the next 90 days")
	}
	for _, o := range occs {
		for _, w := range words {
			if o.Counts[w] != want[w] {
				t.Fatalf("meeting %s: counts %v, want %v", o.Start, o.Counts, want)
			}
		}
	}
	// Every member's own feed shows their last answer within seconds.
	deadline := time.Now().Add(30 * time.Second)
	for i := range forms {
		want := strings.ReplaceAll(partstat[words[last[i].Load()]], ",", `\,`) // TEXT escaping
		for !strings.Contains(unfold(s.get(forms[i].feed)), want) {
			if time.Now().After(deadline) {
				t.Fatalf("member %d's feed does not show %q 30 s after the burst", list.Members[i].ID, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Logf("every member's feed showed their last answer %s after the burst", time.Since(start.Add(burst)).Round(time.Millisecond))
}

// benchEmails imports n members and returns their addresses.
func benchEmails(s *benchService, n int) []string {
	var csv strings.Builder
	csv.WriteString("email,name,town\n")
	emails := make([]string, n)
	for i := range emails {
		emails[i] = fmt.Sprintf("m%05d@example.org", i)
		fmt.Fprintf(&csv, "%s,Medlem %d,Göteborg\n", emails[i], i)
	}
	s.service.api("POST", "/api/v1/members/import", "text/csv", csv.String(), http.StatusOK, nil)
	return emails
}

// createNetwork creates a network with a weekly meeting and returns its
// id, the series id and the feed URL.
func (s *benchService) createNetwork(t testing.TB, name string) (id, series int64, feed string) {
	var n struct {
		ID       int64
		Feed     struct{ HTTPS string }
		Meetings []struct{ ID int64 }
	}
	s.service.api("POST", "/api/v1/networks", "application/json",
		`{"name":"`+name+`","meeting":{"start":"2027-01-12T18:00","rrule":"FREQ=WEEKLY;BYDAY=TU","location":"Torget"}}`, http.StatusCreated, &n)
	return n.ID, n.Meetings[0].ID, n.Feed.HTTPS
}
