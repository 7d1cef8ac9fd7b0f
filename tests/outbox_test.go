package tests

import (
	"testing"
	"time"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/smtptest"
	"github.com/natverk/natverk/tests/harness"
)

// TestCrashBetweenCommitAndPublish is issue 3's "a crash between commit
// and publish": the api+relay process is killed (SIGKILL) right after a
// write committed and while its relay is publishing the events — NATS is
// frozen (SIGSTOP) so that none can be acknowledged and marked. After a
// restart every event is in the stream exactly once (the relay publishes
// them again; what reached the stream before the kill is dropped by the
// duplicate window) and every invitation is sent once.
func TestCrashBetweenCommitAndPublish(t *testing.T) {
	n := size(1000, 5000)
	ctx := ctxFor(t, 10*time.Minute)
	nodes := harness.StartNATS(t, 1)
	dsn := postgresURL(t)
	dep := harness.NewDeployment(t, map[string]string{"DATABASE_URL": pooled(dsn), "NATS_URL": nodes[0].URL()})
	api := dep.Start("api", "api,relay", nil)
	sink := smtptest.Start(t, smtptest.Faults{})
	dep.Start("mailer", "mailer", map[string]string{"SMTP_URL": sink.URL()})
	c := api.Client()
	reg := harness.Members("commit", "Göteborg", n)
	if r, err := c.ImportMembers(ctx, reg.CSV); err != nil || r.Created != n {
		t.Fatalf("import: %+v %v", r, err)
	}
	id, err := c.CreateNetwork(ctx, "Mellan commit och publicering")
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, time.Minute, 100*time.Millisecond, "the network's events published", func() (bool, string) {
		left, err := harness.QueryInt(ctx, dsn, `SELECT count(*) FROM outbox WHERE published_at IS NULL`)
		return err == nil && left == 0, "outbox not empty"
	})

	if err := nodes[0].Pause(); err != nil {
		t.Fatal(err)
	}
	if r, err := c.InviteTown(ctx, id, "goteborg"); err != nil || r.Invited != n {
		t.Fatalf("invite: %+v %v", r, err)
	}
	time.Sleep(time.Second) // the relay has read the rows and is publishing them
	left, err := harness.QueryInt(ctx, dsn, `SELECT count(*) FROM outbox WHERE published_at IS NULL`)
	if err != nil {
		t.Fatal(err)
	}
	if left != int64(n) {
		t.Fatalf("%d events unpublished before the kill, want the %d committed invitations", left, n)
	}
	api.Kill()
	if err := nodes[0].Resume(); err != nil {
		t.Fatal(err)
	}
	nc, js, err := harness.Connect(nodes[0].URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	early, err := harness.ReadStream(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("killed the api+relay with %d committed events unpublished; %d of them reached the stream from its last batch", left, len(harness.Events(early, events.MemberInvited)))

	api.Restart()
	waitDelivered(t, n, sink)
	waitQuiet(t, ctx, api.MetricsURL)
	checkOnce(t, reg, 0, sink)
	waitPublished(t, dsn, 0)
	stream, err := harness.ReadStream(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	outbox, err := harness.ReadOutbox(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	once, order := harness.CheckPublished(outbox, stream)
	if once != nil {
		t.Error(once)
	}
	if order != nil {
		t.Error(order)
	}
	if got := len(harness.Events(stream, events.MemberInvited)); got != n {
		t.Errorf("%d member.invited events in the stream, want %d", got, n)
	}
}
