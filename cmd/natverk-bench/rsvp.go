package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/natverk/natverk/internal/links"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/token"
)

// answerJob is one member's answer in the burst.
type answerJob struct {
	memberID        int64
	rsvp, feed      string // the RSVP page and the member's feed
	csrf, etag      string
	answer, expect  string // the form value, and the line it puts in the feed
	done            time.Time
	latency, lagged time.Duration
}

// The answers and what a Swedish member's feed says for each (the
// calendar package's feed words).
var answers = []struct{ form, feed string }{
	{"yes", "Ditt svar: Ja, jag kommer."},
	{"maybe", "Ditt svar: Kanske."},
	{"no", "Ditt svar: Nej, jag kommer inte."},
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// benchRSVP has every invitee of the fan-out answer through the RSVP
// page's form, from 50 concurrent clients. The links are signed with the
// service's keys, as its mail does. Before the burst every member has
// opened the page (for the form token) and fetched their personal feed
// (so the calendar worker keeps it). During the burst a sample of the
// answers is followed in the member's feed (conditional GETs every
// 25 ms) for the feed lag; after it, every member's feed is checked for
// their answer.
func (b *bench) benchRSVP(ctx context.Context, st store, svc *service, f *fanout) {
	jobs, err := b.rsvpJobs(ctx, svc, f)
	if err != nil {
		b.add(failed("rsvp_burst", st.name, err))
		return
	}
	client := newClient(time.Minute, 2*b.sizes.clients)
	if err := parallel(ctx, b.sizes.clients, len(jobs), func(i int) error { return prepareAnswer(ctx, client, jobs[i]) }); err != nil {
		b.add(failed("rsvp_burst", st.name, fmt.Errorf("opening the pages: %w", err)))
		return
	}
	b.log.Printf("rsvp/%s: %d pages opened and feeds fetched; burst from %d clients", st.name, len(jobs), b.sizes.clients)

	samples := min(len(jobs), 500)
	stride := len(jobs) / samples
	var lagWG sync.WaitGroup
	lagCtx, cancelLag := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelLag()
	start := time.Now()
	err = parallel(ctx, b.sizes.clients, len(jobs), func(i int) error {
		j := jobs[i]
		t0 := time.Now()
		if err := postAnswer(ctx, client, j); err != nil {
			return err
		}
		j.done = time.Now()
		j.latency = j.done.Sub(t0)
		if i%stride == 0 {
			lagWG.Add(1)
			go func() { defer lagWG.Done(); followFeed(lagCtx, client, j) }()
		}
		return nil
	})
	elapsed := time.Since(start)
	if err != nil {
		b.add(failed("rsvp_burst", st.name, err))
		return
	}
	lagWG.Wait()
	var lat, lags []time.Duration
	for i, j := range jobs {
		lat = append(lat, j.latency)
		if i%stride == 0 {
			lags = append(lags, j.lagged)
		}
	}
	rate := float64(len(jobs)) / elapsed.Seconds()
	r1 := result("rsvp_burst", st.name, rate, "answers/s", "", 0, atLeast(2000))
	r1.Note = fmt.Sprintf("%d answers, %d clients", len(jobs), b.sizes.clients)
	r2 := result("rsvp_burst_p99", st.name, ms(percentile(lat, 99)), "ms p99", "", 0, atMost(50))
	r2.Note = fmt.Sprintf("p50 %.1f ms", ms(percentile(lat, 50)))
	r3 := result("rsvp_feed_lag_p99", st.name, ms(percentile(lags, 99)), "ms p99", "", 0, atMost(1000))
	r3.Note = fmt.Sprintf("%d sampled answers followed in the member's feed, p50 %.0f ms", len(lags), ms(percentile(lags, 50)))

	// Every answer must be in its member's feed (waiting up to 30 s for
	// the calendar worker to catch up).
	var present atomic.Int64
	deadline := time.Now().Add(30 * time.Second)
	err = parallel(ctx, b.sizes.clients, len(jobs), func(i int) error {
		for {
			ok, err := feedShows(ctx, client, jobs[i])
			if err != nil {
				return err
			}
			if ok {
				present.Add(1)
				return nil
			}
			if time.Now().After(deadline) {
				return nil
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	var r4 Result
	if err != nil {
		r4 = failed("rsvp_in_feed", st.name, err)
	} else {
		r4 = result("rsvp_in_feed", st.name, 100*float64(present.Load())/float64(len(jobs)), "% of answers", "", 0, atLeast(100))
		r4.Note = fmt.Sprintf("%d of %d members' feeds show their answer", present.Load(), len(jobs))
	}
	b.add(r1, r2, r3, r4)
}

// rsvpJobs signs each invitee's RSVP link and personal feed URL with the
// service's keys.
func (b *bench) rsvpJobs(ctx context.Context, svc *service, f *fanout) ([]*answerJob, error) {
	var list struct {
		Members []struct {
			ID     int64
			Email  string
			Status string
		}
	}
	if err := svc.api(ctx, "GET", fmt.Sprintf("/api/v1/networks/%d/members", f.network.ID), "", nil, 200, &list); err != nil {
		return nil, err
	}
	ids := map[string]int64{}
	for _, m := range list.Members {
		ids[m.Email] = m.ID
	}
	keys, err := token.ParseKeys(svc.env["NATVERK_TOKEN_KEYS"])
	if err != nil {
		return nil, err
	}
	signer, err := token.NewSigner(keys...)
	if err != nil {
		return nil, err
	}
	lb := &links.Builder{BaseURL: svc.base, MailDomain: "natverk.localhost", Signer: signer}
	jobs := make([]*answerJob, 0, len(f.invitees))
	for i, p := range f.invitees {
		id, ok := ids[p.Email]
		if !ok {
			return nil, fmt.Errorf("%s is not a member of network %d", p.Email, f.network.ID)
		}
		m := &natverk.Member{ID: id} // a fresh member's token epoch is 0
		a := answers[i%len(answers)]
		jobs = append(jobs, &answerJob{
			memberID: id, answer: a.form, expect: a.feed,
			rsvp: lb.RSVP(lb.RSVPToken(m, f.network.seriesID(), f.network.ID, time.Time{}), ""),
			feed: lb.MemberFeed(m, "").HTTPS,
		})
	}
	return jobs, nil
}

// prepareAnswer opens the RSVP page (for its form token) and fetches the
// member's feed once.
func prepareAnswer(ctx context.Context, c *http.Client, j *answerJob) error {
	body, _, status, err := get(ctx, c, j.rsvp, "")
	if err != nil {
		return err
	}
	m := csrfRE.FindStringSubmatch(body)
	if status != 200 || m == nil {
		return fmt.Errorf("GET %s: status %d, no form token: %.300s", j.rsvp, status, body)
	}
	j.csrf = m[1]
	_, h, status, err := get(ctx, c, j.feed, "")
	if err != nil {
		return err
	}
	if status != 200 || h.Get("ETag") == "" {
		return fmt.Errorf("GET %s: status %d, ETag %q", j.feed, status, h.Get("ETag"))
	}
	j.etag = h.Get("ETag")
	return nil
}

// postAnswer presses the answer's button.
func postAnswer(ctx context.Context, c *http.Client, j *answerJob) error {
	form := url.Values{"csrf": {j.csrf}, "answer": {j.answer}}
	req, err := http.NewRequestWithContext(ctx, "POST", j.rsvp, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("POST %s: status %d: %.300s", j.rsvp, resp.StatusCode, b)
	}
	return nil
}

// followFeed polls the member's feed (If-None-Match) every 25 ms until it
// shows the answer, and records how long after the answer that was.
func followFeed(ctx context.Context, c *http.Client, j *answerJob) {
	etag := j.etag
	for {
		body, h, status, err := get(ctx, c, j.feed, etag)
		if err == nil && status == 200 {
			etag = h.Get("ETag")
			if strings.Contains(unfoldText(body), j.expect) {
				j.lagged = time.Since(j.done)
				return
			}
		}
		select {
		case <-ctx.Done():
			j.lagged = time.Since(j.done) // never seen: counts as the whole wait
			return
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// feedShows reports whether the member's feed shows the answer.
func feedShows(ctx context.Context, c *http.Client, j *answerJob) (bool, error) {
	body, _, status, err := get(ctx, c, j.feed, "")
	if err != nil {
		return false, err
	}
	if status != 200 {
		return false, fmt.Errorf("GET %s: status %d", j.feed, status)
	}
	return strings.Contains(unfoldText(body), j.expect), nil
}

// unfoldText undoes iCalendar line folding and TEXT escaping (RFC 5545
// §3.1 and §3.3.11), enough to search a feed for a phrase.
func unfoldText(s string) string {
	s = strings.ReplaceAll(s, "\r\n ", "")
	s = strings.ReplaceAll(s, "\r\n\t", "")
	return strings.NewReplacer(`\,`, ",", `\;`, ";", `\n`, "\n", `\N`, "\n", `\\`, `\`).Replace(s)
}

// get fetches u, conditionally when etag is set.
func get(ctx context.Context, c *http.Client, u, etag string) (string, http.Header, int, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return "", nil, 0, err
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), resp.Header, resp.StatusCode, err
}

// parallel runs fn(0..n-1) on workers goroutines and returns the first
// error (after which the rest are skipped).
func parallel(ctx context.Context, workers, n int, fn func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := ctx.Err(); err != nil {
					once.Do(func() { first = err })
					stop.Store(true)
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					stop.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		return errors.New("interrupted")
	}
	return first
}
