package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

// TestConcurrentAnswersEndInOne: 50 POSTs of one member's RSVP link at
// once — yes and no mixed — leave one answer, the one given last, and an
// rsvp.recorded event per change, never more.
func TestConcurrentAnswersEndInOne(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	bo, sr := e.m["bo"], e.series["goteborg"]
	tok := e.links.RSVPToken(bo, sr.ID, sr.NetworkID, sr.Start.UTC())
	csrf := e.s.csrfFor(tok)
	pending, _ := e.store.PendingOutbox(ctx, 10000)
	var seqs []int64
	for _, p := range pending {
		seqs = append(seqs, p.Seq)
	}
	e.store.MarkPublished(ctx, seqs, sr.CreatedAt)
	var wg sync.WaitGroup
	codes := make(chan int, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			answer := []string{"yes", "no"}[i%2]
			resp, err := http.PostForm(e.srv.URL+"/rsvp/"+tok, url.Values{"csrf": {csrf}, "answer": {answer}})
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}(i)
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusOK {
			t.Fatalf("a POST answered %d", c)
		}
	}
	rs, err := e.store.FindRSVPs(ctx, natverk.RSVPFilter{SeriesID: sr.ID, MemberID: bo.ID})
	if err != nil || len(rs) != 1 {
		t.Fatalf("%d answers stored for one member and meeting: %v", len(rs), err)
	}
	// The events tell the same story: each records a change from the
	// previous answer, and the last one is the stored answer.
	evs, _ := e.store.PendingOutbox(ctx, 10000)
	prev, n := "", 0
	for _, p := range evs {
		if p.Event.Type != events.RSVPRecorded {
			continue
		}
		var pl events.RSVPPayload
		p.Event.Decode(&pl)
		if pl.Previous != prev || pl.Answer == prev {
			t.Fatalf("event %d: %s after %s, but the answer before was %q", n, pl.Answer, pl.Previous, prev)
		}
		prev, n = pl.Answer, n+1
	}
	if n == 0 || n > 50 || prev != rs[0].Answer {
		t.Fatalf("%d rsvp.recorded events, last %q, stored %q", n, prev, rs[0].Answer)
	}
}
