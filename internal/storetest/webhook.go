package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

func testWebhooks(t *testing.T, open Opener) {
	t.Run("CRUD", func(t *testing.T) { testWebhookCRUD(t, open(t)) })
	t.Run("Rotate", func(t *testing.T) { testWebhookRotate(t, open(t)) })
	t.Run("Deliveries", func(t *testing.T) { testWebhookDeliveries(t, open(t)) })
	t.Run("DeliveryRace", func(t *testing.T) { testWebhookDeliveryRace(t, open(t)) })
}

func mustWebhook(t testing.TB, s natverk.Store, url string, types ...string) *natverk.Webhook {
	t.Helper()
	in, err := natverk.WebhookInput{URL: url, EventTypes: types, Description: "Test"}.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	h, err := s.CreateWebhook(ctx(), in, natverk.NewWebhookSecret())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func testWebhookCRUD(t *testing.T, s natverk.Store) {
	secret := natverk.NewWebhookSecret()
	in, err := natverk.WebhookInput{
		URL:         " HTTPS://Hooks.Example.org/natverk?x=1 ",
		EventTypes:  []string{events.RSVPRecorded, events.MemberJoined, events.RSVPRecorded},
		Description: "  CRM sync ",
	}.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	h, err := s.CreateWebhook(ctx(), in, secret)
	if err != nil {
		t.Fatal(err)
	}
	want := &natverk.Webhook{
		ID: h.ID, URL: "https://hooks.example.org/natverk?x=1", EventTypes: []string{events.MemberJoined, events.RSVPRecorded},
		Description: "CRM sync", Secret: secret, CreatedAt: h.CreatedAt, UpdatedAt: h.UpdatedAt,
	}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Fatalf("created (-want +got):\n%s", diff)
	}
	if h.ID == 0 || h.CreatedAt.IsZero() || h.CreatedAt.Location() != time.UTC {
		t.Fatalf("created = %+v", h)
	}
	got, err := s.FindWebhookByID(ctx(), h.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(h, got); diff != "" {
		t.Fatalf("found (-created +found):\n%s", diff)
	}
	all := mustWebhook(t, s, "https://second.example.org/", natverk.WebhookAllEvents)

	list, err := s.FindWebhooks(ctx())
	if err != nil || len(list) != 2 || list[0].ID != h.ID || list[1].ID != all.ID {
		t.Fatalf("list = %v %v, want the two oldest first", list, err)
	}

	paused, types, url := true, []string{natverk.WebhookAllEvents}, "https://other.example.org/hook"
	up, err := s.UpdateWebhook(ctx(), h.ID, natverk.WebhookUpdate{Paused: &paused})
	if err != nil || !up.Paused || up.URL != h.URL || up.Description != h.Description || up.Secret != secret {
		t.Fatalf("pause = %+v %v", up, err)
	}
	up, err = s.UpdateWebhook(ctx(), h.ID, natverk.WebhookUpdate{URL: &url, EventTypes: &types})
	if err != nil || !up.Paused || up.URL != url || !cmp.Equal(up.EventTypes, types) || !up.Subscribes(events.SupportDecided) {
		t.Fatalf("update = %+v %v", up, err)
	}
	_, err = s.UpdateWebhook(ctx(), 424242, natverk.WebhookUpdate{Paused: &paused})
	wantCode(t, err, natverk.ENOTFOUND)
	_, err = s.FindWebhookByID(ctx(), 424242)
	wantCode(t, err, natverk.ENOTFOUND)

	if err := s.DeleteWebhook(ctx(), h.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.DeleteWebhook(ctx(), h.ID), natverk.ENOTFOUND)
	_, err = s.FindWebhookByID(ctx(), h.ID)
	wantCode(t, err, natverk.ENOTFOUND)
	if list, _ := s.FindWebhooks(ctx()); len(list) != 1 || list[0].ID != all.ID {
		t.Fatalf("after delete: %v", list)
	}
	// Webhooks are configuration, not domain events: none in the outbox.
	if evs := drain(t, s); len(evs) != 0 {
		t.Fatalf("outbox = %v", countTypes(evs))
	}
}

func testWebhookRotate(t *testing.T, s natverk.Store) {
	h := mustWebhook(t, s, "https://hooks.example.org/", events.RSVPRecorded)
	first := h.Secret
	now := time.Now().UTC()
	if got := h.Secrets(now); !cmp.Equal(got, []string{first}) {
		t.Fatalf("secrets before rotation = %v", got)
	}
	second := natverk.NewWebhookSecret()
	grace := now.Add(natverk.WebhookSecretGrace).Truncate(time.Microsecond)
	r, err := s.RotateWebhookSecret(ctx(), h.ID, second, grace)
	if err != nil {
		t.Fatal(err)
	}
	if r.Secret != second || r.PreviousSecret != first || r.PreviousSecretUntil == nil || !r.PreviousSecretUntil.Equal(grace) {
		t.Fatalf("rotated = %+v", r)
	}
	if got := r.Secrets(now); !cmp.Equal(got, []string{second, first}) {
		t.Fatalf("secrets in the grace period = %v", got)
	}
	if got := r.Secrets(grace.Add(time.Second)); !cmp.Equal(got, []string{second}) {
		t.Fatalf("secrets after the grace period = %v", got)
	}
	found, err := s.FindWebhookByID(ctx(), h.ID)
	if err != nil || found.Secret != second || found.PreviousSecret != first {
		t.Fatalf("found = %+v %v", found, err)
	}
	// A second rotation drops the first secret at once.
	third := natverk.NewWebhookSecret()
	r, err = s.RotateWebhookSecret(ctx(), h.ID, third, grace)
	if err != nil || !cmp.Equal(r.Secrets(now), []string{third, second}) {
		t.Fatalf("second rotation = %+v %v", r, err)
	}
	_, err = s.RotateWebhookSecret(ctx(), 424242, third, grace)
	wantCode(t, err, natverk.ENOTFOUND)
}

func testWebhookDeliveries(t *testing.T, s natverk.Store) {
	a := mustWebhook(t, s, "https://a.example.org/", natverk.WebhookAllEvents)
	b := mustWebhook(t, s, "https://b.example.org/", natverk.WebhookAllEvents)
	ev1, ev2 := events.NewID(time.Now()), events.NewID(time.Now())
	rec := func(d natverk.WebhookDelivery) *natverk.WebhookDelivery {
		t.Helper()
		out, err := s.RecordWebhookDelivery(ctx(), d)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	ignoreTimes := cmp.FilterPath(func(p cmp.Path) bool {
		return strings.HasSuffix(p.String(), "At")
	}, cmp.Ignore())

	// a fails twice, then gets it.
	d := rec(natverk.WebhookDelivery{WebhookID: a.ID, EventID: ev1, EventType: events.RSVPRecorded, Status: natverk.WebhookFailed, Code: 500, Error: "HTTP 500"})
	want := &natverk.WebhookDelivery{WebhookID: a.ID, EventID: ev1, EventType: events.RSVPRecorded, Status: natverk.WebhookFailed, Attempts: 1, Code: 500, Error: "HTTP 500"}
	if diff := cmp.Diff(want, d, ignoreTimes); diff != "" || d.CreatedAt.IsZero() || d.Final() {
		t.Fatalf("first attempt (-want +got):\n%s", diff)
	}
	d = rec(natverk.WebhookDelivery{WebhookID: a.ID, EventID: ev1, EventType: events.RSVPRecorded, Status: natverk.WebhookFailed, Error: "connection refused"})
	if d.Attempts != 2 || d.Code != 0 || d.Error != "connection refused" {
		t.Fatalf("second attempt = %+v", d)
	}
	d = rec(natverk.WebhookDelivery{WebhookID: a.ID, EventID: ev1, EventType: events.RSVPRecorded, Status: natverk.WebhookDelivered, Code: 204})
	if d.Attempts != 3 || d.Status != natverk.WebhookDelivered || d.Code != 204 || d.Error != "" || !d.Final() {
		t.Fatalf("third attempt = %+v", d)
	}
	// Delivered is final: a late failure from a racing process changes nothing.
	d = rec(natverk.WebhookDelivery{WebhookID: a.ID, EventID: ev1, EventType: events.RSVPRecorded, Status: natverk.WebhookFailed, Code: 503})
	if d.Attempts != 3 || d.Status != natverk.WebhookDelivered || d.Code != 204 {
		t.Fatalf("after delivered = %+v", d)
	}
	// b was paused: skipped, no attempt, final.
	d = rec(natverk.WebhookDelivery{WebhookID: b.ID, EventID: ev1, EventType: events.RSVPRecorded, Status: natverk.WebhookSkipped})
	if d.Attempts != 0 || d.Status != natverk.WebhookSkipped || !d.Final() {
		t.Fatalf("skipped = %+v", d)
	}
	d = rec(natverk.WebhookDelivery{WebhookID: b.ID, EventID: ev1, EventType: events.RSVPRecorded, Status: natverk.WebhookDelivered, Code: 200})
	if d.Status != natverk.WebhookSkipped {
		t.Fatalf("skipped is final, got %+v", d)
	}
	rec(natverk.WebhookDelivery{WebhookID: b.ID, EventID: ev2, EventType: events.MemberJoined, Status: natverk.WebhookFailed, Error: strings.Repeat("é", natverk.MaxWebhookError)})

	list, err := s.FindWebhookDeliveries(ctx(), natverk.WebhookDeliveryFilter{EventID: ev1})
	if err != nil || len(list) != 2 {
		t.Fatalf("by event = %v %v", list, err)
	}
	list, err = s.FindWebhookDeliveries(ctx(), natverk.WebhookDeliveryFilter{WebhookID: b.ID})
	if err != nil || len(list) != 2 {
		t.Fatalf("by webhook = %v %v", list, err)
	}
	if list[0].EventID != ev2 || list[1].EventID != ev1 {
		t.Fatalf("by webhook: %s, %s; want the most recent first", list[0].EventID, list[1].EventID)
	}
	if e := list[0].Error; len(e) > natverk.MaxWebhookError || !strings.HasPrefix(e, "é") || strings.ContainsRune(e, '\uFFFD') {
		t.Fatalf("long error stored as %d bytes, %q…", len(e), e[:8])
	}
	list, err = s.FindWebhookDeliveries(ctx(), natverk.WebhookDeliveryFilter{Status: natverk.WebhookFailed})
	if err != nil || len(list) != 1 || list[0].EventID != ev2 {
		t.Fatalf("failed = %v %v", list, err)
	}
	list, err = s.FindWebhookDeliveries(ctx(), natverk.WebhookDeliveryFilter{Limit: 1})
	if err != nil || len(list) != 1 {
		t.Fatalf("limit 1 = %v %v", list, err)
	}

	_, err = s.RecordWebhookDelivery(ctx(), natverk.WebhookDelivery{WebhookID: 424242, EventID: ev1, EventType: events.RSVPRecorded, Status: natverk.WebhookFailed})
	wantCode(t, err, natverk.ENOTFOUND)
	_, err = s.RecordWebhookDelivery(ctx(), natverk.WebhookDelivery{WebhookID: a.ID, EventID: ev1, EventType: events.RSVPRecorded, Status: "sent"})
	wantCode(t, err, natverk.EINVALID)

	// Pruning by age, then deleting the endpoint takes its deliveries.
	n, err := s.PruneWebhookDeliveries(ctx(), time.Now().Add(-time.Hour))
	if err != nil || n != 0 {
		t.Fatalf("prune old = %d %v", n, err)
	}
	if err := s.DeleteWebhook(ctx(), b.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.FindWebhookDeliveries(ctx(), natverk.WebhookDeliveryFilter{}); len(list) != 1 || list[0].WebhookID != a.ID {
		t.Fatalf("after delete = %v", list)
	}
	n, err = s.PruneWebhookDeliveries(ctx(), time.Now().Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("prune all = %d %v", n, err)
	}
}

// testWebhookDeliveryRace records one delivery from many goroutines at
// once: every attempt is counted, and a delivered outcome is never
// overwritten by a failure recorded after it.
func testWebhookDeliveryRace(t *testing.T, s natverk.Store) {
	h := mustWebhook(t, s, "https://race.example.org/", natverk.WebhookAllEvents)
	ev := events.NewID(time.Now())
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status := natverk.WebhookFailed
			if i == n/2 {
				status = natverk.WebhookDelivered
			}
			_, err := s.RecordWebhookDelivery(ctx(), natverk.WebhookDelivery{WebhookID: h.ID, EventID: ev, EventType: events.RSVPRecorded, Status: status, Error: fmt.Sprint(i)})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.FindWebhookDeliveries(ctx(), natverk.WebhookDeliveryFilter{EventID: ev})
	if err != nil || len(list) != 1 {
		t.Fatalf("deliveries = %v %v", list, err)
	}
	d := list[0]
	if d.Status != natverk.WebhookDelivered || d.Error != fmt.Sprint(n/2) || d.Attempts < 1 || d.Attempts > n {
		t.Fatalf("after the race: %+v", d)
	}
}
