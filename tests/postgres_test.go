package tests

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/natverk/natverk/internal/smtptest"
	"github.com/natverk/natverk/tests/harness"
)

// write is one API request made during the Postgres restart.
type write struct {
	name   string
	status int
	retry  string
	clean  bool // a problem document with code "unavailable"
	err    error
	took   time.Duration
	at     time.Time
}

// TestPostgresRestart is issue 10's "Postgres restart during traffic",
// on a private server (the machine's shared one must not be stopped):
// while invitations go out and a client keeps creating networks, the
// server stops as if it crashed (pg_ctl stop -m immediate) for 15 s.
// Meanwhile every request fails cleanly — 503, Retry-After, a problem
// document, no hang — and /readyz names the store; nothing is
// half-written; after the restart the writes succeed again and every
// invitation and event goes out.
func TestPostgresRestart(t *testing.T) {
	needLong(t)
	ctx := ctxFor(t, 15*time.Minute)
	pg := harness.StartPostgres(t)
	dsn := pg.URL()
	nodes := harness.StartNATS(t, 1)
	dep := harness.NewDeployment(t, map[string]string{
		"DATABASE_URL": pooled(dsn), "NATS_URL": nodes[0].URL(), "NATVERK_RETRY_BACKOFF": retryBackoff,
	})
	api := dep.Start("api", "api,relay", nil)
	sink := smtptest.Start(t, smtptest.Faults{})
	dep.Start("mailer", "mailer", map[string]string{"SMTP_URL": sink.URL()})
	c := api.Client()
	n := 2000
	reg := fanOut(t, ctx, c, "pg", n)

	var mu sync.Mutex
	var writes []write
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			name := fmt.Sprintf("Under omstarten %d", i)
			w := write{name: name, at: time.Now()}
			rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			r, err := c.Do(rctx, "POST", "/api/v1/networks", "application/json",
				fmt.Sprintf(`{"name":%q,"kind":"interest","meeting":{"start":"2027-03-02T18:00","rrule":"FREQ=WEEKLY"}}`, name))
			cancel()
			w.took = time.Since(w.at)
			if err != nil {
				w.err = err
			} else {
				w.status, w.retry = r.Status, r.Header.Get("Retry-After")
				p, ok := r.Problem()
				w.clean = ok && p.Code == "unavailable"
			}
			mu.Lock()
			writes = append(writes, w)
			mu.Unlock()
		}
	}()

	waitUntil(t, 5*time.Minute, 10*time.Millisecond, "a third sent", func() (bool, string) {
		return sink.Count() >= n/3, fmt.Sprint(sink.Count())
	})
	if err := pg.Stop("immediate"); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	t.Logf("Postgres stopped (immediate) at %d sent", sink.Count())
	waitDegraded(t, ctx, c, "store")
	for time.Since(down) < 15*time.Second {
		if r, err := c.Do(ctx, "GET", "/api/v1/members?limit=1", "", ""); err != nil || r.Status != 503 || r.Header.Get("Retry-After") == "" {
			t.Errorf("a read while Postgres is down: %v %v", r, err)
		}
		time.Sleep(time.Second)
	}
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	up := time.Now()
	t.Logf("Postgres up again after %s, %d sent", up.Sub(down).Round(time.Second), sink.Count())
	waitReady(t, ctx, c)
	waitUntil(t, time.Minute, 100*time.Millisecond, "writes succeed again", func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		ok := 0
		for _, w := range writes {
			if w.at.After(up) && w.status == 201 {
				ok++
			}
		}
		return ok >= 10, fmt.Sprintf("%d writes succeeded after the restart", ok)
	})
	close(stop)
	wg.Wait()

	var created, refused []string
	for _, w := range writes {
		switch {
		case w.err != nil:
			t.Errorf("%s: %v after %s (no answer: a hang or a dropped connection)", w.name, w.err, w.took.Round(time.Millisecond))
		case w.status == 201:
			created = append(created, w.name)
		case w.status == 503 && w.retry != "" && w.clean:
			refused = append(refused, w.name)
		default:
			t.Errorf("%s: %d (Retry-After %q, problem %v) after %s, want 201, or 503 with Retry-After and a problem", w.name, w.status, w.retry, w.clean, w.took.Round(time.Millisecond))
		}
	}
	t.Logf("%d writes: %d created, %d refused with 503 while Postgres was down", len(writes), len(created), len(refused))
	if len(refused) == 0 {
		t.Error("no write was refused: the outage was not observed")
	}

	// Nothing half-written: every network has its meeting and its events;
	// a refused write left nothing, a created one is there once.
	for _, q := range []struct{ what, sql string }{
		{"networks without their meeting", `SELECT count(*) FROM networks n WHERE NOT EXISTS (SELECT 1 FROM series s WHERE s.network_id = n.id)`},
		{"networks without their network.created event", `SELECT count(*) FROM networks n WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.network_id = n.id AND o.type = 'natverk.network.created')`},
		{"series without their meeting.scheduled event", `SELECT count(*) FROM series s WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.network_id = s.network_id AND o.type = 'natverk.meeting.scheduled')`},
		{"invitations without their member.invited event", `SELECT count(*) FROM memberships m WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.network_id = m.network_id AND o.type = 'natverk.member.invited' AND (convert_from(o.body, 'UTF8')::jsonb->>'member_id')::bigint = m.member_id)`},
	} {
		if got, err := harness.QueryInt(ctx, dsn, q.sql); err != nil || got != 0 {
			t.Errorf("%s: %d %v", q.what, got, err)
		}
	}
	for _, name := range slices.Concat(created, refused) {
		got, err := harness.QueryInt(ctx, dsn, `SELECT count(*) FROM networks WHERE name = $1`, name)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(created, name) && got != 1 {
			t.Errorf("%s was created (201) but is stored %d times", name, got)
		}
		if slices.Contains(refused, name) && got != 0 {
			t.Errorf("%s was refused (503) but is stored", name)
		}
	}

	waitDelivered(t, n, sink)
	waitQuiet(t, ctx, api.MetricsURL)
	checkOnce(t, reg, mailerConcurrency, sink)
	checkOutbox(t, ctx, dsn, nodes, false, api)
}
