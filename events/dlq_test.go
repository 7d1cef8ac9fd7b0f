package events_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natstest"
)

// A re-driven dead letter reaches only the consumer that gave up on it;
// another consumer of the same subject does not handle it again.
func TestRetryDeadLetterTargetsItsConsumer(t *testing.T) {
	js := setup(t)
	e := invited(t, 3)
	publish(t, js, e)
	var aRuns, bRuns atomic.Int32
	var aFixed atomic.Bool
	obsA, obsB := &recorder{}, &recorder{}
	consume(t, js, events.ConsumerConfig{Name: "a", Subjects: []string{events.MemberInvited}, Observer: obsA},
		func(context.Context, events.Envelope) error {
			aRuns.Add(1)
			if aFixed.Load() {
				return nil
			}
			return events.Permanent(errors.New("template missing"))
		})
	consume(t, js, events.ConsumerConfig{Name: "b", Subjects: []string{events.MemberInvited}, Observer: obsB},
		func(context.Context, events.Envelope) error {
			bRuns.Add(1)
			return nil
		})
	waitFor(t, 10*time.Second, "a's dead letter and b's run", func() bool {
		_, dead := obsA.snapshot()
		return len(dead) == 1 && bRuns.Load() == 1
	})
	aFixed.Store(true)
	n, err := events.RetryAll(context.Background(), js, "", "a")
	if err != nil || n != 1 {
		t.Fatalf("RetryAll = %d, %v; want 1, nil", n, err)
	}
	waitFor(t, 10*time.Second, "a handles the retry", func() bool { return aRuns.Load() == 2 })
	assertAcked(t, js, "b")
	if n := bRuns.Load(); n != 1 {
		t.Errorf("b handled the event %d times, want 1", n)
	}
	if h, _ := obsB.snapshot(); len(h) != 1 {
		t.Errorf("b observed %v", h)
	}
}

// A re-driven event that fails again is dead-lettered again: the duplicate
// window does not swallow the second dead letter.
func TestRetryDeadLetterFailsAgain(t *testing.T) {
	js := setup(t)
	e := invited(t, 4)
	publish(t, js, e)
	obs := &recorder{}
	consume(t, js, events.ConsumerConfig{Name: "broken", Subjects: []string{events.MemberInvited}, Observer: obs},
		func(context.Context, events.Envelope) error { return events.Permanent(errors.New("still broken")) })
	waitFor(t, 10*time.Second, "a dead letter", func() bool { _, d := obs.snapshot(); return len(d) == 1 })
	ctx := context.Background()
	dls, err := events.ListDeadLetters(ctx, js, "", "broken")
	if err != nil || len(dls) != 1 {
		t.Fatalf("ListDeadLetters = %v, %v", dls, err)
	}
	if err := events.RetryDeadLetter(ctx, js, "", dls[0].Seq); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "a second dead letter", func() bool { _, d := obs.snapshot(); return len(d) == 2 })
	dls2, err := events.ListDeadLetters(ctx, js, "", "broken")
	if err != nil {
		t.Fatal(err)
	}
	if len(dls2) != 1 || dls2[0].Seq == dls[0].Seq || dls2[0].Event.ID != e.ID {
		t.Fatalf("after a failed retry: %+v, want one new dead letter of %s", dls2, e.ID)
	}
}

func TestListDeadLettersByConsumer(t *testing.T) {
	js := setup(t)
	es := manyEvents(t, 3)
	publish(t, js, es...)
	fail := func(context.Context, events.Envelope) error { return events.Permanent(errors.New("no")) }
	obs := &recorder{}
	consume(t, js, events.ConsumerConfig{Name: "one", Subjects: []string{events.MemberInvited}, Observer: obs}, fail)
	consume(t, js, events.ConsumerConfig{Name: "two", Subjects: []string{events.MemberInvited}, Observer: obs}, fail)
	waitFor(t, 10*time.Second, "six dead letters", func() bool { _, d := obs.snapshot(); return len(d) == 6 })
	ctx := context.Background()
	all, err := events.ListDeadLetters(ctx, js, "", "")
	if err != nil {
		t.Fatal(err)
	}
	one, err := events.ListDeadLetters(ctx, js, "", "one")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 6 || len(one) != 3 {
		t.Fatalf("all %d, one %d; want 6 and 3", len(all), len(one))
	}
	for i, dl := range all {
		if i > 0 && dl.Seq <= all[i-1].Seq {
			t.Errorf("not oldest first: %d after %d", dl.Seq, all[i-1].Seq)
		}
	}
	var ids []string
	for _, dl := range one {
		if dl.Consumer != "one" {
			t.Errorf("consumer %q in the list of one", dl.Consumer)
		}
		ids = append(ids, dl.Event.ID)
	}
	want := []string{es[0].ID, es[1].ID, es[2].ID}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("dead letters of one (-want +got):\n%s", diff)
	}
	// Listing disturbs nothing: no consumer was added.
	var names []string
	for n := range mustStream(t, js).ConsumerNames(ctx).Name() {
		names = append(names, n)
	}
	if len(names) != 2 {
		t.Errorf("consumers after listing: %v", names)
	}
}

func mustStream(t *testing.T, js jetstream.JetStream) jetstream.Stream {
	t.Helper()
	s, err := js.Stream(context.Background(), events.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRetryDeadLetterErrors(t *testing.T) {
	js := setup(t)
	publish(t, js, invited(t, 1))
	ctx := context.Background()
	tests := []struct {
		name   string
		stream string
		seq    uint64
		want   string
	}{
		{"NotADeadLetter", "", 1, "not a dead-letter subject"},
		{"NoSuchSeq", "", 99, "message not found"},
		{"NoSuchStream", "NOPE", 1, "stream NOPE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := events.RetryDeadLetter(ctx, js, tt.stream, tt.seq)
			if err == nil || !strings.HasPrefix(err.Error(), "events: retry dead letter") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	if _, err := events.ListDeadLetters(ctx, js, "", "bad.name"); err == nil {
		t.Error("ListDeadLetters accepted a dotted consumer name")
	}
	if n, err := events.RetryAll(ctx, js, "", ""); n != 0 || err != nil {
		t.Errorf("RetryAll with no dead letters = %d, %v", n, err)
	}
}

// A process that dies on the last allowed delivery leaves the message
// unacknowledged; the server's max-deliveries advisory makes a live
// instance dead-letter it.
func TestDeadLetterAfterCrashOnLastDelivery(t *testing.T) {
	js := setup(t)
	ctx := context.Background()
	cfg := events.ConsumerConfig{Name: "crashy", Subjects: []string{events.MemberInvited}, AckWait: 300 * time.Millisecond, MaxDeliver: 1}
	noop := func(context.Context, events.Envelope) error { return nil }
	// Create the durable consumer, then stop this instance.
	first, err := events.Consume(ctx, js, "", cfg, noop)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	e := invited(t, 13)
	publish(t, js, e)
	// The "crashed process": fetch the message and never answer.
	raw, err := js.Consumer(ctx, events.DefaultStream, "crashy")
	if err != nil {
		t.Fatal(err)
	}
	batch, err := raw.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var fetched int
	for range batch.Messages() {
		fetched++
	}
	if fetched != 1 {
		t.Fatalf("fetched %d messages, want 1", fetched)
	}
	obs := &recorder{}
	var runs atomic.Int32
	cfg.Observer = obs
	consume(t, js, cfg, func(context.Context, events.Envelope) error { runs.Add(1); return nil })
	waitFor(t, 10*time.Second, "the dead letter", func() bool { _, d := obs.snapshot(); return len(d) == 1 })
	if n := runs.Load(); n != 0 {
		t.Errorf("the live instance ran the handler %d times; the server must not redeliver past MaxDeliver", n)
	}
	dls, err := events.ListDeadLetters(ctx, js, "", "crashy")
	if err != nil || len(dls) != 1 {
		t.Fatalf("dead letters = %+v, %v", dls, err)
	}
	if dls[0].Event.ID != e.ID || dls[0].Deliveries != 1 || !strings.Contains(dls[0].Reason, "no ack after 1 deliveries") {
		t.Errorf("dead letter = %+v", dls[0])
	}
}

// A handler still running at the stop deadline on the message's last
// allowed delivery is dead-lettered, not dropped.
func TestStopOnLastDeliveryDeadLetters(t *testing.T) {
	js := setup(t)
	obs := &recorder{}
	started := make(chan struct{})
	var once sync.Once
	c := consume(t, js, events.ConsumerConfig{Name: "last", Subjects: []string{events.MemberInvited}, MaxDeliver: 1, Observer: obs},
		func(ctx context.Context, e events.Envelope) error {
			once.Do(func() { close(started) })
			<-ctx.Done()
			return ctx.Err()
		})
	publish(t, js, invited(t, 1))
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := c.Stop(ctx); err == nil {
		t.Fatal("Stop returned nil with a handler still running")
	}
	_, dead := obs.snapshot()
	if len(dead) != 1 || !strings.Contains(dead[0], "consumer stopped before the handler finished") {
		t.Errorf("dead letters = %v", dead)
	}
}

// The consumer recovers when its durable consumer is deleted under it.
func TestConsumeRecreatesDeletedConsumer(t *testing.T) {
	js := setup(t)
	var runs atomic.Int32
	consume(t, js, events.ConsumerConfig{Name: "phoenix", Subjects: []string{events.MemberInvited}},
		func(context.Context, events.Envelope) error { runs.Add(1); return nil })
	publish(t, js, invited(t, 1))
	waitFor(t, 10*time.Second, "first event", func() bool { return runs.Load() == 1 })
	if err := js.DeleteConsumer(context.Background(), events.DefaultStream, "phoenix"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	publish(t, js, invited(t, 2))
	// The recreated consumer starts from the beginning of the stream
	// (DeliverAll): both events come again, as at-least-once allows.
	waitFor(t, 30*time.Second, "events after the consumer was deleted", func() bool { return runs.Load() >= 2 })
}

// A reason with line breaks or of any length becomes one header line of
// bounded size.
func TestDeadLetterReasonIsOneBoundedLine(t *testing.T) {
	js := setup(t)
	publish(t, js, invited(t, 1))
	long := "first line\r\nsecond line\n" + strings.Repeat("ö", 2000)
	obs := &recorder{}
	consume(t, js, events.ConsumerConfig{Name: "verbose", Subjects: []string{events.MemberInvited}, Observer: obs},
		func(context.Context, events.Envelope) error { return events.Permanent(errors.New(long)) })
	waitFor(t, 10*time.Second, "a dead letter", func() bool { _, d := obs.snapshot(); return len(d) == 1 })
	dls, err := events.ListDeadLetters(context.Background(), js, "", "verbose")
	if err != nil || len(dls) != 1 {
		t.Fatalf("dead letters = %v, %v", dls, err)
	}
	r := dls[0].Reason
	if strings.ContainsAny(r, "\r\n") || len(r) > 1024+len("…") || !strings.HasPrefix(r, "first line  second line ") || !utf8.ValidString(r) {
		t.Errorf("reason = %q (%d bytes)", r, len(r))
	}
}

// A consumer whose connection closes stops by itself and says why.
func TestConsumeStopsWhenConnectionCloses(t *testing.T) {
	ns, _ := natstest.Run(t)
	js := natstest.JetStream(t, ns)
	if _, err := events.EnsureStream(context.Background(), js, events.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	c, err := events.Consume(context.Background(), js, "", events.ConsumerConfig{Name: "closing", Subjects: []string{events.MemberInvited}},
		func(context.Context, events.Envelope) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	js.Conn().Close()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("consumer still running after its connection closed")
	}
	if err := c.Err(); err == nil || !strings.HasPrefix(err.Error(), "events: consumer closing") {
		t.Errorf("Err = %v", err)
	}
}
