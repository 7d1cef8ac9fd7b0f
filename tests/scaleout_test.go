package tests

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/smtptest"
	"github.com/natverk/natverk/tests/harness"
)

// mailerConcurrency is one mailer process's concurrent sends with the
// harness's NATVERK_SMTP_POOL=4 (serve.go runs 2 handlers per pooled
// connection): the most messages one killed mailer can leave in flight.
const mailerConcurrency = 8

// TestScaleOut is issue 9's scale-out test: three clustered nats-servers
// with the stream at three replicas, two api+relay processes, three
// mailers and a calendar worker on one Postgres. During a fan-out the
// stream leader's node and one mailer are killed (SIGKILL) and
// restarted. Every invitation reaches the sinks once (a repeat only for
// a message in flight at the kill, with the same Message-ID), every
// outbox event is in the stream once and in order, and the metrics add
// up to what the sinks received.
func TestScaleOut(t *testing.T) {
	t.Parallel() // mostly waiting: a killed mailer's claims lapse after two minutes
	n := size(1000, 5000)
	ctx := ctxFor(t, 15*time.Minute)
	nodes := harness.StartNATS(t, 3)
	dsn := postgresURL(t)
	dep := harness.NewDeployment(t, map[string]string{
		"DATABASE_URL":            pooled(dsn),
		"NATS_URL":                harness.NATSURLs(nodes),
		"NATVERK_STREAM_REPLICAS": "3",
		"NATVERK_RETRY_BACKOFF":   retryBackoff,
	})
	api := []*harness.Natverk{dep.Start("api1", "api,relay", nil), dep.Start("api2", "api,relay", nil)}
	var sinks []*smtptest.Sink
	var mailers []*harness.Natverk
	for i := range 3 {
		s := smtptest.Start(t, smtptest.Faults{})
		sinks = append(sinks, s)
		mailers = append(mailers, dep.Start(fmt.Sprintf("mailer%d", i+1), "mailer", map[string]string{"SMTP_URL": s.URL()}))
	}
	cal := dep.Start("calendar", "calendar", nil)

	reg := harness.Members("scale", "Göteborg", n)
	c1, c2 := api[0].Client(), api[1].Client()
	if r, err := c1.ImportMembers(ctx, reg.CSV); err != nil || r.Created != n {
		t.Fatalf("import: %+v %v", r, err)
	}
	netID, err := c2.CreateNetwork(ctx, "Skala ut i Göteborg")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	inv, err := c1.InviteTown(ctx, netID, "goteborg")
	if err != nil || inv.Invited != n {
		t.Fatalf("invite: %+v %v", inv, err)
	}

	// Kill the stream leader's node a fifth of the way, a mailer at two
	// fifths; restart both.
	leader := streamLeader(t, ctx, nodes)
	waitUntil(t, 5*time.Minute, 20*time.Millisecond, "a fifth sent", func() (bool, string) {
		return sinkTotal(sinks...) >= n/5, fmt.Sprint(sinkTotal(sinks...))
	})
	t.Logf("killing NATS node %s (stream leader) at %d sent", leader.Name, sinkTotal(sinks...))
	leader.Kill()
	waitUntil(t, 5*time.Minute, 20*time.Millisecond, "two fifths sent", func() (bool, string) {
		return sinkTotal(sinks...) >= 2*n/5, fmt.Sprint(sinkTotal(sinks...))
	})
	victim := mailers[1]
	t.Logf("killing %s at %d sent", victim.Name, sinkTotal(sinks...))
	victim.Kill()
	killedSink := sinks[1]
	leader.Restart(t)
	t.Logf("NATS node %s back at %d sent", leader.Name, sinkTotal(sinks...))
	fresh := smtptest.Start(t, smtptest.Faults{})
	sinks = append(sinks, fresh)
	victim.SetEnv("SMTP_URL", fresh.URL())
	victim.Restart()
	t.Logf("%s back at %d sent", victim.Name, sinkTotal(sinks...))

	waitUntil(t, 8*time.Minute, 200*time.Millisecond, "every invitation sent", func() (bool, string) {
		d := distinctDelivered(t, sinks...)
		return d >= n, fmt.Sprintf("%d of %d recipients", d, n)
	})
	elapsed := time.Since(start)
	waitQuiet(t, ctx, api[0].MetricsURL)

	ds, err := harness.Deliveries(sinks...)
	if err != nil {
		t.Fatal(err)
	}
	tally := harness.Count(ds, reg.Emails)
	t.Logf("%d invitations in %s: %s", n, elapsed.Round(time.Second), tally)
	if err := tally.Check(mailerConcurrency); err != nil {
		t.Error(err)
	}
	checkInvitation(t, sinks[0].Messages()[0])

	// The metrics of the processes alive at the end add up to what their
	// sinks accepted; the killed run's counts died with it.
	live := []*harness.Natverk{mailers[0], mailers[2], victim}
	liveSinks := []*smtptest.Sink{sinks[0], sinks[2], fresh}
	var sent float64
	for i, m := range live {
		samples, err := harness.Scrape(ctx, m.MetricsURL)
		if err != nil {
			t.Fatal(err)
		}
		got := harness.Sum(samples, "natverk_mail_total", map[string]string{"result": "sent"})
		if int(got) != liveSinks[i].Count() {
			t.Errorf("%s: natverk_mail_total{result=sent} = %v, its sink accepted %d", m.Name, got, liveSinks[i].Count())
		}
		sent += got
	}
	if int(sent)+killedSink.Count() != tally.Total {
		t.Errorf("sent per metrics %v + %d by the killed mailer != %d accepted", sent, killedSink.Count(), tally.Total)
	}
	// The order across a stream leader's death is TestRelayOrderAcrossLeaderChanges's.
	checkOutbox(t, ctx, dsn, nodes, true, api...)
	_ = cal
}

// streamLeader returns the node leading the NATVERK stream.
func streamLeader(t *testing.T, ctx context.Context, nodes []*harness.NATSNode) *harness.NATSNode {
	t.Helper()
	nc, js, err := harness.Connect(harness.NATSURLs(nodes))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	s, err := js.Stream(ctx, events.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Cluster == nil {
		t.Fatal("the stream has no cluster info")
	}
	if info.Config.Replicas != 3 {
		t.Errorf("stream replicas = %d, want 3", info.Config.Replicas)
	}
	for _, n := range nodes {
		if n.Name == info.Cluster.Leader {
			return n
		}
	}
	t.Fatalf("stream leader %q is none of the nodes", info.Cluster.Leader)
	return nil
}

// waitQuiet waits until the mailer and calendar consumers have nothing
// pending or unacknowledged, as a process's metrics report them.
func waitQuiet(t *testing.T, ctx context.Context, metricsURL string) {
	t.Helper()
	waitUntil(t, 5*time.Minute, 500*time.Millisecond, "consumers quiet", func() (bool, string) {
		s, err := harness.Scrape(ctx, metricsURL)
		if err != nil {
			return false, err.Error()
		}
		var busy float64
		for _, name := range []string{"natverk_consumer_pending", "natverk_consumer_ack_pending"} {
			busy += harness.Sum(s, name, nil)
		}
		return busy == 0, fmt.Sprintf("%v pending or unacknowledged", busy)
	})
}

// checkOutbox checks that every committed event was published once, in
// order per network unless anyOrder, and that the relays' metrics count
// them.
func checkOutbox(t *testing.T, ctx context.Context, dsn string, nodes []*harness.NATSNode, anyOrder bool, relays ...*harness.Natverk) {
	t.Helper()
	waitPublished(t, dsn, 0) // the mailers' mail.sent events come last
	outbox, err := harness.ReadOutbox(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	nc, js, err := harness.Connect(harness.NATSURLs(nodes))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	stream, err := harness.ReadStream(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	unpublished := 0
	for _, o := range outbox {
		if !o.Published {
			unpublished++
		}
	}
	if unpublished > 0 {
		t.Errorf("%d outbox events still unpublished", unpublished)
	}
	verdict := "all in the stream once"
	once, order := harness.CheckPublished(outbox, stream)
	if once != nil {
		t.Error(once)
		verdict = "NOT all in the stream once"
	}
	switch {
	case order == nil:
		verdict += ", in outbox order per network"
	case anyOrder:
		verdict += " (" + order.Error() + ")"
	default:
		t.Error(order)
		verdict += ", NOT in outbox order per network"
	}
	var published float64
	for _, r := range relays {
		s, err := harness.Scrape(ctx, r.MetricsURL)
		if err != nil {
			t.Fatal(err)
		}
		published += harness.Sum(s, "natverk_events_published_total", nil)
	}
	// Every event is counted when JetStream acknowledges it; one whose
	// mark in the store failed (a store restart mid-commit) is published
	// again and counted again, so the sum may exceed the outbox, never
	// fall short of it.
	if len(relays) > 0 && int(published) < len(outbox) {
		t.Errorf("natverk_events_published_total summed over the relays = %v, the outbox holds %d events", published, len(outbox))
	}
	t.Logf("outbox: %d events, %s; relays published %v", len(outbox), verdict, published)
}
