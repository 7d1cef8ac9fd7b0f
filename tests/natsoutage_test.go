package tests

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/natverk/natverk/internal/smtptest"
	"github.com/natverk/natverk/tests/harness"
)

// TestNATSDownWithWrites is issue 3's "NATS unavailable for 30 s", with
// two relays and three mailers at once: while the only NATS server is
// stopped, the API keeps accepting writes (their events wait in the
// outbox), /readyz answers 503 naming nats, and once NATS is back every
// event is published once, in outbox order per network, and every
// invitation is sent exactly once.
func TestNATSDownWithWrites(t *testing.T) {
	ctx := ctxFor(t, 10*time.Minute)
	nodes := harness.StartNATS(t, 1)
	dsn := postgresURL(t)
	dep := harness.NewDeployment(t, map[string]string{
		"DATABASE_URL": pooled(dsn), "NATS_URL": nodes[0].URL(), "NATVERK_RETRY_BACKOFF": retryBackoff,
	})
	api := []*harness.Natverk{dep.Start("api1", "api,relay", nil), dep.Start("api2", "api,relay", nil)}
	var sinks []*smtptest.Sink
	var mailers []*harness.Natverk
	for i := range 3 {
		s := smtptest.Start(t, smtptest.Faults{})
		sinks = append(sinks, s)
		mailers = append(mailers, dep.Start(fmt.Sprintf("mailer%d", i+1), "mailer", map[string]string{"SMTP_URL": s.URL()}))
	}
	dep.Start("calendar", "calendar", nil)
	c1, c2 := api[0].Client(), api[1].Client()

	before := fanOut(t, ctx, c1, "before", size(200, 1000))
	waitDelivered(t, len(before.Emails), sinks...)

	down := 30 * time.Second
	t.Logf("stopping NATS for %s", down)
	if err := nodes[0].Stop(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	for _, p := range api {
		waitDegraded(t, ctx, p.Client(), "nats")
	}
	waitWorkerDegraded(t, ctx, mailers[0])

	// Writes while NATS is down, spread over both API processes.
	during := harness.Members("during", "Malmö", size(300, 1000))
	if r, err := c2.ImportMembers(ctx, during.CSV); err != nil || r.Created != len(during.Emails) {
		t.Fatalf("import while NATS is down: %+v %v", r, err)
	}
	netID, err := c1.CreateNetwork(ctx, "Under avbrottet")
	if err != nil {
		t.Fatalf("create a network while NATS is down: %v", err)
	}
	if r, err := c2.InviteTown(ctx, netID, "malmo"); err != nil || r.Invited != len(during.Emails) {
		t.Fatalf("invite while NATS is down: %+v %v", r, err)
	}
	for i := 0; time.Since(stopped) < down; i++ {
		c := api[i%2].Client()
		if _, err := c.CreateNetwork(ctx, fmt.Sprintf("Avbrott %d", i)); err != nil {
			t.Fatalf("write %d, %s into the outage: %v", i, time.Since(stopped).Round(time.Second), err)
		}
		for _, p := range api {
			if r, err := p.Client().Readyz(ctx); err != nil || r.Code != 503 || !slices.Contains(r.Degraded(), "nats") {
				t.Fatalf("%s /readyz %s into the outage: %+v %v", p.Name, time.Since(stopped).Round(time.Second), r, err)
			}
		}
		time.Sleep(time.Second)
	}
	waiting, err := harness.QueryInt(ctx, dsn, `SELECT count(*) FROM outbox WHERE published_at IS NULL`)
	if err != nil {
		t.Fatal(err)
	}
	if waiting < int64(len(during.Emails)) {
		t.Errorf("%d events wait in the outbox, want at least the %d invitations", waiting, len(during.Emails))
	}
	t.Logf("%d events wait in the outbox after %s; starting NATS", waiting, time.Since(stopped).Round(time.Second))
	nodes[0].Restart(t)

	all := harness.Register{Emails: append(slices.Clone(before.Emails), during.Emails...)}
	waitDelivered(t, len(all.Emails), sinks...)
	waitQuiet(t, ctx, api[0].MetricsURL)
	for _, p := range api {
		waitReady(t, ctx, p.Client())
	}
	checkOnce(t, all, 0, sinks...)
	checkOutbox(t, ctx, dsn, nodes, false, api...)
}

// TestNATSRestartDuringFanOut is issue 10's "NATS restart" and "NATS
// down for a minute" during traffic: the NATS server is killed while
// invitations go out and started again at once (or after a minute, in
// the long run, with /readyz degraded meanwhile). Nothing is lost or
// sent twice, and everything flows after.
func TestNATSRestartDuringFanOut(t *testing.T) {
	cases := []struct {
		name string
		down time.Duration
		n    int
		long bool
	}{
		{"KilledAndRestarted", 0, size(1000, 3000), false},
		{"DownAMinute", time.Minute, 3000, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.long {
				needLong(t)
			}
			ctx := ctxFor(t, 15*time.Minute)
			nodes := harness.StartNATS(t, 1)
			dsn := postgresURL(t)
			dep := harness.NewDeployment(t, map[string]string{
				"DATABASE_URL": pooled(dsn), "NATS_URL": nodes[0].URL(), "NATVERK_RETRY_BACKOFF": retryBackoff,
			})
			api := dep.Start("api", "api,relay", nil)
			sink := smtptest.Start(t, smtptest.Faults{})
			mailer := dep.Start("mailer", "mailer", map[string]string{"SMTP_URL": sink.URL()})
			reg := fanOut(t, ctx, api.Client(), "nats", tc.n)
			waitUntil(t, 5*time.Minute, 10*time.Millisecond, "a third sent", func() (bool, string) {
				return sink.Count() >= tc.n/3, fmt.Sprint(sink.Count())
			})
			nodes[0].Kill()
			t.Logf("killed NATS (SIGKILL) at %d sent", sink.Count())
			if tc.down > 0 {
				killed := time.Now()
				waitDegraded(t, ctx, api.Client(), "nats")
				waitWorkerDegraded(t, ctx, mailer)
				for time.Since(killed) < tc.down {
					if r, err := api.Client().Readyz(ctx); err != nil || r.Code != 503 || !slices.Contains(r.Degraded(), "nats") {
						t.Fatalf("/readyz %s into the outage: %+v %v", time.Since(killed).Round(time.Second), r, err)
					}
					time.Sleep(2 * time.Second)
				}
				t.Logf("NATS down for %s, %d sent meanwhile", time.Since(killed).Round(time.Second), sink.Count())
			}
			nodes[0].Restart(t)
			waitDelivered(t, tc.n, sink)
			waitQuiet(t, ctx, api.MetricsURL)
			waitReady(t, ctx, api.Client())
			checkOnce(t, reg, 0, sink)
			checkOutbox(t, ctx, dsn, nodes, false, api)
		})
	}
}

// waitDegraded waits until /readyz answers 503 with Retry-After and names
// the dependency.
func waitDegraded(t *testing.T, ctx context.Context, c *harness.Client, dep string) {
	t.Helper()
	waitUntil(t, time.Minute, 100*time.Millisecond, "/readyz degraded: "+dep, func() (bool, string) {
		r, err := c.Readyz(ctx)
		if err != nil {
			return false, err.Error()
		}
		return r.Code == 503 && r.Status == "degraded" && r.RetryAfter != "" && slices.Contains(r.Degraded(), dep), fmt.Sprintf("%+v", r)
	})
}

// waitReady waits until /readyz answers 200.
func waitReady(t *testing.T, ctx context.Context, c *harness.Client) {
	t.Helper()
	waitUntil(t, time.Minute, 100*time.Millisecond, "/readyz ready", func() (bool, string) {
		r, err := c.Readyz(ctx)
		if err != nil {
			return false, err.Error()
		}
		return r.Code == 200 && r.Status == "ready", fmt.Sprintf("%+v", r)
	})
}

// waitWorkerDegraded waits until a worker process's /readyz (on its
// metrics listener) answers 503 naming nats.
func waitWorkerDegraded(t *testing.T, ctx context.Context, w *harness.Natverk) {
	t.Helper()
	c := harness.NewClient(strings.TrimSuffix(w.MetricsURL, "/metrics"), "")
	waitUntil(t, time.Minute, 100*time.Millisecond, w.Name+" /readyz degraded", func() (bool, string) {
		r, err := c.Do(ctx, "GET", "/readyz", "", "")
		if err != nil {
			return false, err.Error()
		}
		return r.Status == 503 && r.Header.Get("Retry-After") != "" && strings.Contains(string(r.Body), "nats"), r.String()
	})
}
