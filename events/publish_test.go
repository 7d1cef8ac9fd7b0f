package events_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zone below must load without a system tz database

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"

	"github.com/natverk/natverk/events"
)

func TestNewMsgHeadersAndRoundTrip(t *testing.T) {
	e := invited(t, 42)
	m, err := events.NewMsg(e)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != events.MemberInvited {
		t.Errorf("subject = %q, want %q", m.Subject, events.MemberInvited)
	}
	wantHeaders := map[string]string{
		"Nats-Msg-Id":    e.ID,
		"ce-specversion": "1.0",
		"ce-id":          e.ID,
		"ce-type":        events.MemberInvited,
		"ce-source":      "urn:natverk",
		"ce-time":        "2026-03-24T17:00:00Z",
		"content-type":   "application/json",
	}
	gotHeaders := map[string]string{}
	for k, v := range m.Header {
		if len(v) != 1 {
			t.Errorf("header %s has %d values", k, len(v))
		}
		gotHeaders[k] = v[0]
	}
	if diff := cmp.Diff(wantHeaders, gotHeaders); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
	var body map[string]any
	if err := json.Unmarshal(m.Data, &body); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	for _, k := range []string{"id", "type", "version", "occurred_at", "network_id", "member_id", "payload"} {
		if _, ok := body[k]; !ok {
			t.Errorf("body lacks %q: %s", k, m.Data)
		}
	}
	got, err := events.ParseMsg(m)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(e, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	var p events.MembershipPayload
	if err := got.Decode(&p); err != nil {
		t.Fatal(err)
	}
	if p.MemberID != 42 || p.Status != "invited" {
		t.Errorf("payload = %+v", p)
	}
}

// ce-time keeps sub-second precision and is always UTC.
func TestNewMsgTimeIsUTC(t *testing.T) {
	stockholm, err := time.LoadLocation("Europe/Stockholm") // time/tzdata is linked in
	if err != nil {
		t.Fatal(err)
	}
	e := invited(t, 1)
	e.OccurredAt = time.Date(2026, 7, 1, 12, 0, 0, 500_000_000, stockholm)
	m, err := events.NewMsg(e)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get("ce-time"); got != "2026-07-01T10:00:00.5Z" {
		t.Errorf("ce-time = %q", got)
	}
}

func TestNewMsgRejects(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*events.Envelope)
		want   string
	}{
		{"NoID", func(e *events.Envelope) { e.ID = "" }, "not a ULID"},
		{"IDNotULID", func(e *events.Envelope) { e.ID = "outbox-17" }, "not a ULID"},
		{"NoType", func(e *events.Envelope) { e.Type = "" }, "not under natverk."},
		{"ForeignSubject", func(e *events.Envelope) { e.Type = "other.member.invited" }, "not under natverk."},
		{"DeadLetterSubject", func(e *events.Envelope) { e.Type = "natverk.dlq.mailer" }, "dead-letter subject"},
		{"Wildcard", func(e *events.Envelope) { e.Type = "natverk.member.*" }, "not a valid literal subject"},
		{"EmptyToken", func(e *events.Envelope) { e.Type = "natverk..invited" }, "not a valid literal subject"},
		{"Space", func(e *events.Envelope) { e.Type = "natverk.member invited" }, "not a valid literal subject"},
		{"NoVersion", func(e *events.Envelope) { e.Version = 0 }, "no schema version"},
		{"NoTime", func(e *events.Envelope) { e.OccurredAt = time.Time{} }, "no occurred_at"},
		{"BadPayload", func(e *events.Envelope) { e.Payload = json.RawMessage(`{"a":`) }, "encode envelope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := invited(t, 1)
			tt.modify(&e)
			_, err := events.NewMsg(e)
			if err == nil {
				t.Fatal("NewMsg succeeded")
			}
			if !strings.HasPrefix(err.Error(), "events: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
			if err := events.NewPublisher(nil).Publish(context.Background(), e); err == nil {
				t.Error("Publish accepted the envelope")
			}
		})
	}
}

func TestParseMsgRejects(t *testing.T) {
	good := invited(t, 1)
	goodMsg, err := events.NewMsg(good)
	if err != nil {
		t.Fatal(err)
	}
	other := invited(t, 2)
	tests := []struct {
		name string
		msg  *nats.Msg
		want string
	}{
		{"NotJSON", &nats.Msg{Subject: events.MemberInvited, Data: []byte("<xml/>")}, "decode envelope"},
		{"Empty", &nats.Msg{Subject: events.MemberInvited}, "decode envelope"},
		{"NoID", &nats.Msg{Subject: events.MemberInvited, Data: []byte(`{"type":"natverk.member.invited"}`)}, "missing id or type"},
		{"WrongSubject", &nats.Msg{Subject: events.MemberJoined, Data: goodMsg.Data}, "carries event"},
		{"WrongCEID", &nats.Msg{Subject: events.MemberInvited, Data: goodMsg.Data, Header: nats.Header{"ce-id": {other.ID}}}, "has ce-id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := events.ParseMsg(tt.msg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseMsg error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	// A message without headers but with the right subject is fine.
	if _, err := events.ParseMsg(&nats.Msg{Subject: events.MemberInvited, Data: goodMsg.Data}); err != nil {
		t.Errorf("ParseMsg without headers: %v", err)
	}
}

// The same event published twice (relay retry after a lost ack) is stored
// once and handled once.
func TestPublishTwiceStoredAndHandledOnce(t *testing.T) {
	js := setup(t)
	e := invited(t, 5)
	p := events.NewPublisher(js)
	ctx := context.Background()
	if err := p.Publish(ctx, e); err != nil {
		t.Fatal(err)
	}
	if err := p.Publish(ctx, e); err != nil {
		t.Fatalf("second Publish: %v (a duplicate must count as published)", err)
	}
	for i, err := range p.PublishBatch(ctx, []events.Envelope{e, e}) {
		if err != nil {
			t.Fatalf("PublishBatch[%d]: %v", i, err)
		}
	}
	if n := streamMsgs(t, js, events.MemberInvited); n != 1 {
		t.Fatalf("stream holds %d copies, want 1", n)
	}
	marker := invited(t, 6)
	publish(t, js, marker)

	var got []string
	done := make(chan struct{})
	consume(t, js, events.ConsumerConfig{Name: "once", Subjects: []string{events.MemberInvited}}, func(ctx context.Context, ev events.Envelope) error {
		got = append(got, ev.ID)
		if ev.ID == marker.ID {
			close(done)
		}
		return nil
	})
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("marker event not handled")
	}
	if diff := cmp.Diff([]string{e.ID, marker.ID}, got); diff != "" {
		t.Errorf("handled (-want +got):\n%s", diff)
	}
}

func TestPublishNoStream(t *testing.T) {
	_, js := setupBare(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	err := events.NewPublisher(js).Publish(ctx, invited(t, 1))
	if err == nil || !strings.HasPrefix(err.Error(), "events: publish ") {
		t.Errorf("Publish without a stream: %v, want an events: publish error", err)
	}
}
