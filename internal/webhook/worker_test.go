package webhook_test

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natstest"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/webhook"
)

// pipeline is the webhooks consumer running on a real in-process
// JetStream server over a real store.
type pipeline struct {
	js     jetstream.JetStream
	store  natverk.Store
	worker *webhook.Worker
	pub    *events.Publisher
}

// startPipeline starts the "webhooks" consumer with short retries:
// deliveries at +0, +50ms, +100ms, … up to maxDeliver.
func startPipeline(t *testing.T, sender *webhook.Sender, maxDeliver int) *pipeline {
	t.Helper()
	_, js := natstest.Run(t)
	if _, err := events.EnsureStream(ctx(), js, events.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	p := &pipeline{js: js, store: openStore(t), pub: events.NewPublisher(js)}
	p.worker = &webhook.Worker{Store: p.store, Sender: sender}
	c, err := events.Consume(ctx(), js, events.DefaultStream, events.ConsumerConfig{
		Name:        events.ConsumerWebhooks,
		Concurrency: 4,
		Backoff:     []time.Duration{50 * time.Millisecond, 100 * time.Millisecond},
		MaxDeliver:  maxDeliver,
		AckWait:     5 * time.Second,
	}, p.worker.Handle)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx(), 5*time.Second)
		defer cancel()
		c.Stop(sctx)
	})
	return p
}

func (p *pipeline) publish(t *testing.T, es ...events.Envelope) {
	t.Helper()
	for _, e := range es {
		if err := p.pub.Publish(ctx(), e); err != nil {
			t.Fatal(err)
		}
	}
}

// delivery returns the stored delivery of an event to an endpoint, or nil.
func (p *pipeline) delivery(t *testing.T, webhookID int64, eventID string) *natverk.WebhookDelivery {
	t.Helper()
	ds, err := p.store.FindWebhookDeliveries(ctx(), natverk.WebhookDeliveryFilter{WebhookID: webhookID, EventID: eventID})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) == 0 {
		return nil
	}
	return ds[0]
}

func (p *pipeline) deadLetters(t *testing.T) []events.DeadLetter {
	t.Helper()
	dls, err := events.ListDeadLetters(ctx(), p.js, events.DefaultStream, events.ConsumerWebhooks)
	if err != nil {
		t.Fatal(err)
	}
	return dls
}

func rsvp(member int64, answer string) events.Envelope {
	return events.MustNew(events.RSVPRecorded, time.Now(), events.Refs{NetworkID: 7, SeriesID: 3, MemberID: member},
		events.RSVPPayload{NetworkID: 7, SeriesID: 3, MemberID: member, Answer: answer, Source: "link", AnsweredAt: time.Now().UTC()})
}

func joined(member int64) events.Envelope {
	return events.MustNew(events.MemberJoined, time.Now(), events.Refs{NetworkID: 7, MemberID: member},
		events.MembershipPayload{NetworkID: 7, MemberID: member, Status: "joined", Via: "link"})
}

// TestDeliverSigned: each endpoint gets the types it subscribed to, once,
// with a signature the test verifies on its own, the event id as
// webhook-id and a payload naming the event.
func TestDeliverSigned(t *testing.T) {
	all, answers := newEndpoint(t), newEndpoint(t)
	p := startPipeline(t, newSender(t, all, answers), 3)
	hAll := mustWebhook(t, p.store, all.URL+"/all", natverk.WebhookAllEvents)
	hAnswers := mustWebhook(t, p.store, answers.URL+"/answers?key=abc", events.RSVPRecorded)
	e1, e2 := rsvp(42, "ACCEPTED"), joined(43)
	p.publish(t, e1, e2)

	waitFor(t, 10*time.Second, "both deliveries to the all-events endpoint", func() bool { return len(all.requests()) == 2 })
	waitFor(t, 10*time.Second, "the recorded deliveries", func() bool {
		d := p.delivery(t, hAnswers.ID, e1.ID)
		return d != nil && d.Status == natverk.WebhookDelivered && p.delivery(t, hAll.ID, e2.ID) != nil && p.delivery(t, hAll.ID, e1.ID) != nil
	})
	if got := all.ids(); !cmp.Equal(sorted(got), sorted([]string{e1.ID, e2.ID})) {
		t.Fatalf("all-events endpoint got %v, want %s and %s", got, e1.ID, e2.ID)
	}
	if got := answers.ids(); !cmp.Equal(got, []string{e1.ID}) {
		t.Fatalf("answers endpoint got %v, want only %s", got, e1.ID)
	}
	now := time.Now()
	for _, c := range []struct {
		ep     *endpoint
		secret string
	}{{all, hAll.Secret}, {answers, hAnswers.Secret}} {
		for _, r := range c.ep.requests() {
			if sig := r.header.Get("webhook-signature"); strings.Contains(sig, " ") {
				t.Fatalf("more than one signature without a rotation: %q", sig)
			}
			if ok := verify(t, r, now, c.secret); !ok[0] {
				t.Fatalf("signature of %s does not verify", r.header.Get("webhook-id"))
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		}
	}
	// The other endpoint's secret does not verify: each has its own.
	if ok := verify(t, answers.requests()[0], now, hAll.Secret); ok[0] {
		t.Fatal("a delivery verifies with another endpoint's secret")
	}
	body := decode(t, answers.requests()[0])
	if body["type"] != events.RSVPRecorded || body["id"] != e1.ID || body["version"] != 1.0 {
		t.Fatalf("body head = %v", body)
	}
	data, _ := body["data"].(map[string]any)
	if data["member_id"] != 42.0 || data["network_id"] != 7.0 || data["series_id"] != 3.0 || data["answer"] != "ACCEPTED" {
		t.Fatalf("body data = %v", data)
	}
	d := p.delivery(t, hAll.ID, e1.ID)
	if d == nil || d.Status != natverk.WebhookDelivered || d.Attempts != 1 || d.Code != http.StatusNoContent || d.EventType != events.RSVPRecorded {
		t.Fatalf("stored delivery = %+v", d)
	}
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

// TestRetryThenSucceed: an endpoint that fails twice gets the event a
// third time after the backoff and then has it; a healthy endpoint
// subscribed to the same event is not sent it again.
func TestRetryThenSucceed(t *testing.T) {
	flaky, healthy := newEndpoint(t), newEndpoint(t)
	flaky.answer(func(n int) int {
		if n <= 2 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	p := startPipeline(t, newSender(t, flaky, healthy), 5)
	hFlaky := mustWebhook(t, p.store, flaky.URL, natverk.WebhookAllEvents)
	hHealthy := mustWebhook(t, p.store, healthy.URL, natverk.WebhookAllEvents)
	e := rsvp(42, "DECLINED")
	p.publish(t, e)

	waitFor(t, 10*time.Second, "the third attempt to succeed", func() bool {
		d := p.delivery(t, hFlaky.ID, e.ID)
		return d != nil && d.Status == natverk.WebhookDelivered
	})
	if got := flaky.ids(); !cmp.Equal(got, []string{e.ID, e.ID, e.ID}) {
		t.Fatalf("flaky endpoint got %v, want the event three times", got)
	}
	if got := healthy.ids(); !cmp.Equal(got, []string{e.ID}) {
		t.Fatalf("healthy endpoint got %v, want the event once", got)
	}
	d := p.delivery(t, hFlaky.ID, e.ID)
	if d.Attempts != 3 || d.Code != http.StatusOK || d.Error != "" {
		t.Fatalf("flaky delivery = %+v", d)
	}
	if d := p.delivery(t, hHealthy.ID, e.ID); d.Attempts != 1 {
		t.Fatalf("healthy delivery = %+v", d)
	}
	// Every attempt verifies, and carries the same id and body.
	reqs := flaky.requests()
	for _, r := range reqs {
		if ok := verify(t, r, time.Now(), hFlaky.Secret); !ok[0] || string(r.body) != string(reqs[0].body) {
			t.Fatalf("attempt does not verify or changed its body")
		}
	}
	if dls := p.deadLetters(t); len(dls) != 0 {
		t.Fatalf("dead letters: %+v", dls)
	}
}

// TestAlwaysFailingEndsInDLQ: an endpoint that never accepts makes each
// event a dead letter after MaxDeliver attempts, with its deliveries
// recorded as failed; the other endpoint gets every event once, later
// events are not held up, and re-driving the dead letter after the
// endpoint recovered sends it only there.
func TestAlwaysFailingEndsInDLQ(t *testing.T) {
	broken, healthy := newEndpoint(t), newEndpoint(t)
	broken.answer(func(int) int { return http.StatusInternalServerError })
	p := startPipeline(t, newSender(t, broken, healthy), 3)
	hBroken := mustWebhook(t, p.store, broken.URL, natverk.WebhookAllEvents)
	hHealthy := mustWebhook(t, p.store, healthy.URL, natverk.WebhookAllEvents)
	e1, e2, e3 := rsvp(1, "ACCEPTED"), rsvp(2, "ACCEPTED"), joined(3)
	p.publish(t, e1, e2, e3)

	waitFor(t, 15*time.Second, "three dead letters", func() bool { return len(p.deadLetters(t)) == 3 })
	if got := sorted(healthy.ids()); !cmp.Equal(got, sorted([]string{e1.ID, e2.ID, e3.ID})) {
		t.Fatalf("healthy endpoint got %v", got)
	}
	if n := len(broken.requests()); n != 9 {
		t.Fatalf("broken endpoint got %d requests, want 3 events × 3 attempts", n)
	}
	for _, e := range []events.Envelope{e1, e2, e3} {
		d := p.delivery(t, hBroken.ID, e.ID)
		if d == nil || d.Status != natverk.WebhookFailed || d.Attempts != 3 || d.Code != 500 || !strings.Contains(d.Error, "500") {
			t.Fatalf("broken delivery of %s = %+v", e.ID, d)
		}
		if d := p.delivery(t, hHealthy.ID, e.ID); d == nil || d.Status != natverk.WebhookDelivered || d.Attempts != 1 {
			t.Fatalf("healthy delivery of %s = %+v", e.ID, d)
		}
	}
	dl := p.deadLetters(t)[0]
	if dl.Deliveries != 3 || !strings.Contains(dl.Reason, "#"+itoa(hBroken.ID)) || strings.Contains(dl.Reason, "#"+itoa(hHealthy.ID)) {
		t.Fatalf("dead letter = %+v", dl)
	}

	// The endpoint is fixed; re-driving one dead letter sends it there only.
	broken.answer(func(int) int { return http.StatusOK })
	if err := events.RetryDeadLetter(ctx(), p.js, events.DefaultStream, dl.Seq); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the re-driven delivery", func() bool {
		d := p.delivery(t, hBroken.ID, dl.Event.ID)
		return d != nil && d.Status == natverk.WebhookDelivered
	})
	if d := p.delivery(t, hBroken.ID, dl.Event.ID); d.Attempts != 4 {
		t.Fatalf("re-driven delivery = %+v", d)
	}
	if n := len(healthy.requests()); n != 3 {
		t.Fatalf("healthy endpoint got %d requests after the re-drive, want still 3", n)
	}
}

// TestRedeliveryDoesNotResend plays the same event to the handler again,
// as JetStream does after a lost ack: the endpoint that has it is not
// sent it twice.
func TestRedeliveryDoesNotResend(t *testing.T) {
	ep := newEndpoint(t)
	store := openStore(t)
	w := &webhook.Worker{Store: store, Sender: newSender(t, ep)}
	h := mustWebhook(t, store, ep.URL, events.RSVPRecorded)
	e := rsvp(42, "ACCEPTED")
	for n := 1; n <= 3; n++ {
		hctx := events.WithDelivery(ctx(), events.Delivery{Consumer: events.ConsumerWebhooks, NumDelivered: n, MaxDeliver: 5})
		if err := w.Handle(hctx, e); err != nil {
			t.Fatalf("delivery %d: %v", n, err)
		}
	}
	if got := ep.ids(); !cmp.Equal(got, []string{e.ID}) {
		t.Fatalf("endpoint got %v, want the event once", got)
	}
	if d, _ := store.FindWebhookDeliveries(ctx(), natverk.WebhookDeliveryFilter{WebhookID: h.ID}); len(d) != 1 || d[0].Attempts != 1 {
		t.Fatalf("deliveries = %+v", d)
	}
	// An event of a type it did not subscribe to is not sent nor recorded.
	if err := w.Handle(ctx(), joined(42)); err != nil {
		t.Fatal(err)
	}
	if n := len(ep.requests()); n != 1 {
		t.Fatalf("endpoint got %d requests", n)
	}
}

// TestPausedSkipped: a paused endpoint gets nothing and the delivery is
// recorded as skipped; after it is resumed, that event is still not sent
// (a redelivery finds it final) but new events are.
func TestPausedSkipped(t *testing.T) {
	ep := newEndpoint(t)
	store := openStore(t)
	w := &webhook.Worker{Store: store, Sender: newSender(t, ep)}
	h := mustWebhook(t, store, ep.URL, natverk.WebhookAllEvents)
	paused, resumed := true, false
	if _, err := store.UpdateWebhook(ctx(), h.ID, natverk.WebhookUpdate{Paused: &paused}); err != nil {
		t.Fatal(err)
	}
	e1 := rsvp(1, "ACCEPTED")
	if err := w.Handle(ctx(), e1); err != nil {
		t.Fatal(err)
	}
	if n := len(ep.requests()); n != 0 {
		t.Fatalf("paused endpoint got %d requests", n)
	}
	ds, _ := store.FindWebhookDeliveries(ctx(), natverk.WebhookDeliveryFilter{WebhookID: h.ID})
	if len(ds) != 1 || ds[0].Status != natverk.WebhookSkipped || ds[0].Attempts != 0 {
		t.Fatalf("deliveries = %+v", ds)
	}
	if _, err := store.UpdateWebhook(ctx(), h.ID, natverk.WebhookUpdate{Paused: &resumed}); err != nil {
		t.Fatal(err)
	}
	e2 := rsvp(2, "ACCEPTED")
	for _, e := range []events.Envelope{e1, e2} {
		if err := w.Handle(ctx(), e); err != nil {
			t.Fatal(err)
		}
	}
	if got := ep.ids(); !cmp.Equal(got, []string{e2.ID}) {
		t.Fatalf("resumed endpoint got %v, want only %s", got, e2.ID)
	}
}

// TestRotationSignsWithBoth: during the grace period each delivery
// carries a signature by the new and by the old secret, each verifying on
// its own; after it, only the new one.
func TestRotationSignsWithBoth(t *testing.T) {
	ep := newEndpoint(t)
	store := openStore(t)
	now := time.Now()
	w := &webhook.Worker{Store: store, Sender: newSender(t, ep), Now: func() time.Time { return now }}
	h := mustWebhook(t, store, ep.URL, natverk.WebhookAllEvents)
	old := h.Secret
	fresh := natverk.NewWebhookSecret()
	if _, err := store.RotateWebhookSecret(ctx(), h.ID, fresh, now.Add(natverk.WebhookSecretGrace)); err != nil {
		t.Fatal(err)
	}
	if err := w.Handle(ctx(), rsvp(1, "ACCEPTED")); err != nil {
		t.Fatal(err)
	}
	r := ep.requests()[0]
	if n := len(strings.Split(r.header.Get("webhook-signature"), " ")); n != 2 {
		t.Fatalf("signatures in the grace period: %q", r.header.Get("webhook-signature"))
	}
	if ok := verify(t, r, time.Now(), fresh, old); !ok[0] || !ok[1] {
		t.Fatalf("verified with [new old] = %v, want both", ok)
	}

	now = now.Add(natverk.WebhookSecretGrace + time.Minute)
	if err := w.Handle(ctx(), rsvp(2, "ACCEPTED")); err != nil {
		t.Fatal(err)
	}
	r = ep.requests()[1]
	if ok := verify(t, r, time.Now(), fresh, old); !ok[0] || ok[1] || strings.Contains(r.header.Get("webhook-signature"), " ") {
		t.Fatalf("after the grace period: verified %v with header %q, want only the new secret", ok, r.header.Get("webhook-signature"))
	}
}

// TestPing sends the test event and verifies it.
func TestPing(t *testing.T) {
	ep := newEndpoint(t)
	store := openStore(t)
	h := mustWebhook(t, store, ep.URL+"/ping", events.RSVPRecorded)
	id, res := newSender(t, ep).Ping(ctx(), h, time.Now())
	if !res.OK() || res.Code != http.StatusNoContent || res.Duration <= 0 {
		t.Fatalf("ping = %+v", res)
	}
	r := ep.requests()[0]
	if r.header.Get("webhook-id") != id || !verify(t, r, time.Now(), h.Secret)[0] {
		t.Fatalf("ping request %v does not verify", r.header)
	}
	body := decode(t, r)
	if body["type"] != natverk.WebhookTestEvent || body["id"] != id || body["data"].(map[string]any)["webhook_id"] != float64(h.ID) {
		t.Fatalf("ping body = %v", body)
	}
	ep.answer(func(int) int { return http.StatusGone })
	if _, res := newSender(t, ep).Ping(ctx(), h, time.Now()); res.OK() || res.Code != http.StatusGone {
		t.Fatalf("ping to a failing endpoint = %+v", res)
	}
}

// TestEndpointDeletedMidway: an endpoint deleted between the listing and
// the record is not an error.
func TestDeliveryToDeletedEndpoint(t *testing.T) {
	ep := newEndpoint(t)
	store := openStore(t)
	h := mustWebhook(t, store, ep.URL, natverk.WebhookAllEvents)
	ep.answer(func(int) int {
		if err := store.DeleteWebhook(ctx(), h.ID); err != nil {
			t.Error(err)
		}
		return http.StatusOK
	})
	w := &webhook.Worker{Store: store, Sender: newSender(t, ep)}
	if err := w.Handle(ctx(), rsvp(1, "ACCEPTED")); err != nil {
		t.Fatal(err)
	}
	if ds, _ := store.FindWebhookDeliveries(ctx(), natverk.WebhookDeliveryFilter{}); len(ds) != 0 {
		t.Fatalf("deliveries = %+v", ds)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
