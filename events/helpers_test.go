package events_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natstest"
)

// setup starts a server, creates the NATVERK stream and returns a
// JetStream handle.
func setup(t testing.TB) jetstream.JetStream {
	t.Helper()
	_, js := natstest.Run(t)
	if _, err := events.EnsureStream(context.Background(), js, events.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	return js
}

var t0 = time.Date(2026, 3, 24, 17, 0, 0, 0, time.UTC)

// invited returns a member.invited event for member id.
func invited(t testing.TB, id int64) events.Envelope {
	t.Helper()
	e, err := events.New(events.MemberInvited, t0, events.Refs{NetworkID: 7, MemberID: id},
		events.MembershipPayload{NetworkID: 7, MemberID: id, SeriesIDs: []int64{3}, Status: "invited", Via: "api"})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func publish(t testing.TB, js jetstream.JetStream, es ...events.Envelope) {
	t.Helper()
	p := events.NewPublisher(js)
	for _, e := range es {
		if err := p.Publish(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
}

// consume starts a consumer stopped at the end of the test.
func consume(t testing.TB, js jetstream.JetStream, cfg events.ConsumerConfig, h events.Handler) *events.Consumer {
	t.Helper()
	c, err := events.Consume(context.Background(), js, events.DefaultStream, cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c.Stop(ctx)
	})
	return c
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// recorder is an Observer that keeps what it is told.
type recorder struct {
	mu      sync.Mutex
	handled []string // "subject: error or ok"
	dead    []string // "consumer subject: reason"
}

func (r *recorder) Handled(consumer, subject string, err error, dur time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.handled = append(r.handled, fmt.Sprintf("%s %s: %v", consumer, subject, err))
	} else {
		r.handled = append(r.handled, fmt.Sprintf("%s %s: ok", consumer, subject))
	}
}

func (r *recorder) DeadLettered(consumer, subject, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dead = append(r.dead, fmt.Sprintf("%s %s: %s", consumer, subject, reason))
}

func (r *recorder) snapshot() (handled, dead []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.handled...), append([]string(nil), r.dead...)
}

// streamMsgs returns how many messages the stream holds on subject.
func streamMsgs(t testing.TB, js jetstream.JetStream, subject string) uint64 {
	t.Helper()
	s, err := js.Stream(context.Background(), events.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background(), jetstream.WithSubjectFilter(subject))
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, c := range info.State.Subjects {
		n += c
	}
	return n
}
