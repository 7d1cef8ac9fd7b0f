package tests

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/smtptest"
	"github.com/natverk/natverk/tests/harness"
)

// TestPoisonMessages is issue 10's poison messages: events the mailer can
// never handle — a body that is no event, a payload that does not
// decode, a message for a member who does not exist — are published
// straight to JetStream ahead of good invitations. Each ends in
// natverk.dlq.mailer with its reason (GET /api/v1/dlq, `natverk dlq
// list`, the dead-letter metric), and the invitations behind them go out.
func TestPoisonMessages(t *testing.T) {
	ctx := ctxFor(t, 5*time.Minute)
	nodes := harness.StartNATS(t, 1)
	sink := smtptest.Start(t, smtptest.Faults{})
	dep := harness.NewDeployment(t, map[string]string{"NATS_URL": nodes[0].URL(), "NATVERK_RETRY_BACKOFF": "500ms,1s"})
	p := dep.Start("natverk", "api,relay,mailer", map[string]string{"SMTP_URL": sink.URL()})
	c := p.Client()

	nc, js, err := harness.Connect(nodes[0].URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	now := time.Now()
	bad := events.MustNew(events.MailQueued, now, events.Refs{NetworkID: 404}, map[string]any{"kind": 42})
	missing := events.MustNew(events.MailQueued, now, events.Refs{NetworkID: 404, MemberID: 999999},
		events.MailPayload{Kind: "update", NetworkID: 404, SeriesID: 404, MemberID: 999999})
	poison := []struct {
		name, reason string
		msg          *nats.Msg
	}{
		{"not an event", "decode envelope", &nats.Msg{Subject: events.MailQueued, Data: []byte("this is not an event"), Header: nats.Header{jetstream.MsgIDHeader: {"poison-garbage"}}}},
		{"payload does not decode", "kind", mustMsg(t, bad)},
		{"member does not exist", "not found", mustMsg(t, missing)},
	}
	for _, pm := range poison {
		if _, err := js.PublishMsg(ctx, pm.msg); err != nil {
			t.Fatalf("publish %s: %v", pm.name, err)
		}
	}

	const n = 5
	reg := fanOut(t, ctx, c, "poison", n)
	waitDelivered(t, n, sink)

	var dl []harness.DeadLetter
	waitUntil(t, time.Minute, 200*time.Millisecond, "three dead letters", func() (bool, string) {
		dl, err = c.DeadLetters(ctx)
		return err == nil && len(dl) >= len(poison), fmt.Sprintf("%d, %v", len(dl), err)
	})
	if len(dl) != len(poison) {
		t.Fatalf("%d dead letters, want %d: %+v", len(dl), len(poison), dl)
	}
	// The mailer handles messages concurrently, so the dead letters may be
	// in any order: match each poison message by its body or event id.
	for _, pm := range poison {
		var found *harness.DeadLetter
		for i := range dl {
			if string(dl[i].Data) == string(pm.msg.Data) {
				found = &dl[i]
			}
		}
		if found == nil {
			t.Errorf("%s: no dead letter holds it", pm.name)
			continue
		}
		d := found
		t.Logf("%s: dead letter %d on %s after %d deliveries: %s", pm.name, d.Seq, d.Subject, d.Deliveries, d.Reason)
		if d.Consumer != events.ConsumerMailer || d.Subject != events.MailQueued || d.Deliveries != 1 || d.Reason == "" || !strings.Contains(d.Reason, pm.reason) {
			t.Errorf("%s: dead letter %+v, want consumer mailer, subject %s, 1 delivery, a reason naming %q", pm.name, d, events.MailQueued, pm.reason)
		}
		if e, err := events.Unmarshal(pm.msg.Data); err == nil && d.Event.ID != e.ID {
			t.Errorf("%s: the dead letter holds event %q, want %q", pm.name, d.Event.ID, e.ID)
		}
	}

	out, err := p.Command("dlq", "list")
	if err != nil {
		t.Fatalf("natverk dlq list: %v\n%s", err, out)
	}
	for _, d := range dl {
		if !strings.Contains(out, fmt.Sprintf("%d\t", d.Seq)) {
			t.Errorf("natverk dlq list does not show dead letter %d:\n%s", d.Seq, out)
		}
	}
	s, err := harness.Scrape(ctx, p.MetricsURL)
	if err != nil {
		t.Fatal(err)
	}
	if got := harness.Sum(s, "natverk_events_dead_lettered_total", map[string]string{"consumer": "mailer"}); int(got) != len(poison) {
		t.Errorf("natverk_events_dead_lettered_total{consumer=mailer} = %v, want %d", got, len(poison))
	}
	checkOnce(t, reg, 0, sink)
}

func mustMsg(t *testing.T, e events.Envelope) *nats.Msg {
	t.Helper()
	m, err := events.NewMsg(e)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
