package events_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natverk/natverk/events"
)

func TestConsumeHandlesAndObserves(t *testing.T) {
	js := setup(t)
	es := manyEvents(t, 20)
	publish(t, js, es...)
	obs := &recorder{}
	var mu sync.Mutex
	var got []string
	consume(t, js, events.ConsumerConfig{Name: "ok", Subjects: []string{events.MemberInvited}, Concurrency: 4, Observer: obs},
		func(ctx context.Context, e events.Envelope) error {
			d, ok := events.DeliveryOf(ctx)
			if !ok || d.Consumer != "ok" || d.NumDelivered != 1 || d.StreamSeq == 0 {
				return events.Permanent(fmt.Errorf("delivery = %+v, %v", d, ok))
			}
			mu.Lock()
			got = append(got, e.ID)
			mu.Unlock()
			return nil
		})
	waitFor(t, 10*time.Second, "20 events handled", func() bool {
		h, _ := obs.snapshot()
		return len(h) == 20
	})
	handled, dead := obs.snapshot()
	for _, h := range handled {
		if h != "ok natverk.member.invited: ok" {
			t.Errorf("observed %q", h)
		}
	}
	if len(dead) != 0 {
		t.Errorf("dead letters: %v", dead)
	}
	var want []string
	for _, e := range es {
		want = append(want, e.ID)
	}
	mu.Lock()
	slices.Sort(got)
	mu.Unlock()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("handled (-want +got):\n%s", diff)
	}
}

// A failing handler is retried after each backoff (NakWithDelay, not at
// once), then dead-lettered with its reason; RetryDeadLetter re-drives it
// and the dead letter is gone.
func TestConsumeRetryBackoffThenDeadLetterThenRetry(t *testing.T) {
	js := setup(t)
	e := invited(t, 9)
	publish(t, js, e)
	obs := &recorder{}
	var (
		mu       sync.Mutex
		attempts []int
		times    []time.Time
		fixed    atomic.Bool
	)
	backoff := []time.Duration{150 * time.Millisecond, 300 * time.Millisecond}
	consume(t, js, events.ConsumerConfig{Name: "flaky", Subjects: []string{events.MemberInvited}, Backoff: backoff, Observer: obs},
		func(ctx context.Context, got events.Envelope) error {
			d, _ := events.DeliveryOf(ctx)
			mu.Lock()
			attempts = append(attempts, d.NumDelivered)
			times = append(times, time.Now())
			mu.Unlock()
			if fixed.Load() {
				return nil
			}
			return errors.New("smtp: 451 try again later")
		})
	waitFor(t, 10*time.Second, "a dead letter", func() bool {
		_, dead := obs.snapshot()
		return len(dead) == 1
	})
	mu.Lock()
	if diff := cmp.Diff([]int{1, 2, 3}, attempts); diff != "" {
		t.Errorf("NumDelivered sequence (-want +got):\n%s", diff)
	}
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap < backoff[i-1] {
			t.Errorf("retry %d came after %s, want at least the backoff %s", i, gap, backoff[i-1])
		}
	}
	mu.Unlock()
	_, dead := obs.snapshot()
	if want := "flaky natverk.member.invited: smtp: 451 try again later"; dead[0] != want {
		t.Errorf("DeadLettered %q, want %q", dead[0], want)
	}

	ctx := context.Background()
	dls, err := events.ListDeadLetters(ctx, js, events.DefaultStream, "flaky")
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != 1 {
		t.Fatalf("%d dead letters, want 1", len(dls))
	}
	dl := dls[0]
	if dl.Consumer != "flaky" || dl.Subject != events.MemberInvited || dl.Reason != "smtp: 451 try again later" ||
		dl.Deliveries != 3 || dl.StreamSeq != 1 || dl.At.IsZero() {
		t.Errorf("dead letter = %+v", dl)
	}
	if diff := cmp.Diff(e, dl.Event); diff != "" {
		t.Errorf("dead letter event (-want +got):\n%s", diff)
	}

	fixed.Store(true)
	if err := events.RetryDeadLetter(ctx, js, events.DefaultStream, dl.Seq); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the retried event handled", func() bool {
		h, _ := obs.snapshot()
		return len(h) == 4 && strings.HasSuffix(h[3], ": ok")
	})
	dls, err = events.ListDeadLetters(ctx, js, events.DefaultStream, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != 0 {
		t.Errorf("dead letters after retry: %+v", dls)
	}
	// The re-driven message is acked: nothing more arrives.
	time.Sleep(400 * time.Millisecond)
	if h, _ := obs.snapshot(); len(h) != 4 {
		t.Errorf("handled %d times, want 4: %v", len(h), h)
	}
}

// A permanent error goes to the DLQ at once; a panic is recovered and
// retried like an error.
func TestConsumePermanentAndPanic(t *testing.T) {
	js := setup(t)
	perm := invited(t, 1)
	boom := invited(t, 2)
	publish(t, js, perm, boom)
	obs := &recorder{}
	var calls sync.Map
	consume(t, js, events.ConsumerConfig{Name: "strict", Subjects: []string{events.MemberInvited}, Backoff: []time.Duration{20 * time.Millisecond}, MaxDeliver: 2, Observer: obs},
		func(ctx context.Context, e events.Envelope) error {
			n, _ := calls.LoadOrStore(e.ID, new(atomic.Int32))
			n.(*atomic.Int32).Add(1)
			if e.ID == perm.ID {
				return events.Permanent(errors.New("member 1 has no address"))
			}
			var m map[string]int
			m["x"] = 1 // nil map: panics
			return nil
		})
	waitFor(t, 10*time.Second, "two dead letters", func() bool {
		_, dead := obs.snapshot()
		return len(dead) == 2
	})
	count := func(id string) int32 {
		n, _ := calls.Load(id)
		return n.(*atomic.Int32).Load()
	}
	if n := count(perm.ID); n != 1 {
		t.Errorf("permanent error handled %d times, want 1", n)
	}
	if n := count(boom.ID); n != 2 {
		t.Errorf("panicking handler ran %d times, want MaxDeliver=2", n)
	}
	dls, err := events.ListDeadLetters(context.Background(), js, "", "strict")
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, dl := range dls {
		reasons[dl.Event.ID] = dl.Reason
	}
	if got := reasons[perm.ID]; got != "member 1 has no address" {
		t.Errorf("permanent reason = %q", got)
	}
	if got := reasons[boom.ID]; !strings.Contains(got, "handler panic") || !strings.Contains(got, "nil map") {
		t.Errorf("panic reason = %q", got)
	}
}

// A message that cannot be decoded is dead-lettered at once, with its raw
// body kept.
func TestConsumeUndecodable(t *testing.T) {
	js := setup(t)
	if _, err := js.Publish(context.Background(), events.MemberInvited, []byte("not json")); err != nil {
		t.Fatal(err)
	}
	obs := &recorder{}
	consume(t, js, events.ConsumerConfig{Name: "parse", Subjects: []string{events.MemberInvited}, Observer: obs},
		func(context.Context, events.Envelope) error { return nil })
	waitFor(t, 10*time.Second, "a dead letter", func() bool {
		_, dead := obs.snapshot()
		return len(dead) == 1
	})
	dls, err := events.ListDeadLetters(context.Background(), js, "", "parse")
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != 1 || string(dls[0].Data) != "not json" || dls[0].Event.ID != "" || !strings.Contains(dls[0].Reason, "decode envelope") {
		t.Fatalf("dead letters = %+v", dls)
	}
}

// A message waiting for its retry does not hold up the ones behind it.
func TestConsumePoisonDoesNotBlock(t *testing.T) {
	js := setup(t)
	poison := invited(t, 666)
	good := manyEvents(t, 10)
	publish(t, js, poison)
	publish(t, js, good...)
	var (
		mu        sync.Mutex
		order     []string
		poisonRun int
	)
	consume(t, js, events.ConsumerConfig{Name: "poison", Subjects: []string{events.MemberInvited}, Concurrency: 1, Backoff: []time.Duration{time.Minute}},
		func(ctx context.Context, e events.Envelope) error {
			mu.Lock()
			defer mu.Unlock()
			if e.ID == poison.ID {
				poisonRun++
				return errors.New("always fails")
			}
			order = append(order, e.ID)
			return nil
		})
	waitFor(t, 10*time.Second, "the good events", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(order) == len(good)
	})
	mu.Lock()
	defer mu.Unlock()
	if poisonRun != 1 {
		t.Errorf("poison ran %d times, want 1 (its retry is a minute away)", poisonRun)
	}
}

// Two processes (two Consume calls with the same name) share the durable
// consumer: each event is handled once in all.
func TestConsumeSharedByTwoInstances(t *testing.T) {
	js := setup(t)
	es := manyEvents(t, 200)
	publish(t, js, es...)
	var (
		mu    sync.Mutex
		seen  = map[string]int{}
		perIn [2]int
	)
	for i := range 2 {
		consume(t, js, events.ConsumerConfig{Name: "shared", Subjects: []string{events.MemberInvited}, Concurrency: 2},
			func(ctx context.Context, e events.Envelope) error {
				time.Sleep(2 * time.Millisecond)
				mu.Lock()
				defer mu.Unlock()
				seen[e.ID]++
				perIn[i]++
				return nil
			})
	}
	waitFor(t, 20*time.Second, "200 events", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == len(es)
	})
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %s handled %d times", id, n)
		}
	}
	t.Logf("split: %v", perIn)
	if perIn[0] == 0 || perIn[1] == 0 {
		t.Errorf("work not shared: %v", perIn)
	}
}

// Stop lets an in-flight handler finish; a handler that outlives the
// deadline is nakked and another instance gets the message long before
// AckWait.
func TestConsumeStop(t *testing.T) {
	js := setup(t)
	cfg := events.ConsumerConfig{Name: "stopper", Subjects: []string{events.MemberInvited}, AckWait: 30 * time.Second}

	t.Run("FinishesInFlight", func(t *testing.T) {
		e := invited(t, 1)
		started := make(chan struct{})
		var finished atomic.Bool
		c := consume(t, js, cfg, func(ctx context.Context, got events.Envelope) error {
			close(started)
			time.Sleep(200 * time.Millisecond)
			finished.Store(true)
			return nil
		})
		publish(t, js, e)
		<-started
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Stop(ctx); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if !finished.Load() {
			t.Fatal("Stop returned before the handler finished")
		}
		select {
		case <-c.Done():
		default:
			t.Error("Done not closed after Stop")
		}
		if err := c.Stop(ctx); err != nil {
			t.Errorf("second Stop: %v", err)
		}
		assertAcked(t, js, "stopper")
	})

	t.Run("NaksWhatOutlivesTheDeadline", func(t *testing.T) {
		e := invited(t, 2)
		started := make(chan struct{})
		var cancelled atomic.Bool
		a := consume(t, js, cfg, func(ctx context.Context, got events.Envelope) error {
			close(started)
			<-ctx.Done()
			cancelled.Store(true)
			return ctx.Err()
		})
		publish(t, js, e)
		<-started
		// The second instance starts only now, so the first has the message.
		gotB := make(chan int, 1)
		consume(t, js, cfg, func(ctx context.Context, got events.Envelope) error {
			d, _ := events.DeliveryOf(ctx)
			gotB <- d.NumDelivered
			return nil
		})
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		err := a.Stop(ctx)
		if err == nil || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Stop = %v, want a deadline error", err)
		}
		select {
		case n := <-gotB:
			if n != 2 {
				t.Errorf("second instance got delivery %d, want 2", n)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the nakked message did not reach the other instance (AckWait is 30s)")
		}
		waitFor(t, 5*time.Second, "the handler's ctx cancelled", cancelled.Load)
	})
}

// assertAcked checks that the consumer has nothing pending.
func assertAcked(t *testing.T, js jetstream.JetStream, name string) {
	t.Helper()
	waitFor(t, 5*time.Second, "no pending acks", func() bool {
		c, err := js.Consumer(context.Background(), events.DefaultStream, name)
		if err != nil {
			t.Fatal(err)
		}
		info, err := c.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return info.NumAckPending == 0 && info.NumPending == 0 && info.NumRedelivered == 0
	})
}

// A handler running longer than AckWait sends progress heartbeats, so the
// message is not redelivered to another instance meanwhile.
func TestConsumeHeartbeat(t *testing.T) {
	js := setup(t)
	cfg := events.ConsumerConfig{Name: "slow", Subjects: []string{events.MemberInvited}, AckWait: time.Second}
	var runs atomic.Int32
	h := func(ctx context.Context, e events.Envelope) error {
		runs.Add(1)
		time.Sleep(2500 * time.Millisecond)
		return nil
	}
	consume(t, js, cfg, h)
	consume(t, js, cfg, h)
	publish(t, js, invited(t, 1))
	waitFor(t, 10*time.Second, "a run", func() bool { return runs.Load() > 0 })
	assertAcked(t, js, "slow")
	if n := runs.Load(); n != 1 {
		t.Errorf("handler ran %d times, want 1", n)
	}
}

// HandlerTimeout cancels a handler's ctx, and the message is retried.
func TestConsumeHandlerTimeout(t *testing.T) {
	js := setup(t)
	obs := &recorder{}
	var runs atomic.Int32
	consume(t, js, events.ConsumerConfig{Name: "timeout", Subjects: []string{events.MemberInvited},
		HandlerTimeout: 50 * time.Millisecond, Backoff: []time.Duration{10 * time.Millisecond}, Observer: obs},
		func(ctx context.Context, e events.Envelope) error {
			if runs.Add(1) == 1 {
				<-ctx.Done()
				return ctx.Err()
			}
			return nil
		})
	publish(t, js, invited(t, 1))
	waitFor(t, 10*time.Second, "two runs", func() bool {
		h, _ := obs.snapshot()
		return len(h) == 2
	})
	h, _ := obs.snapshot()
	want := []string{"timeout natverk.member.invited: context deadline exceeded", "timeout natverk.member.invited: ok"}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Errorf("observed (-want +got):\n%s", diff)
	}
}

// Cancelling Consume's ctx stops the consumer.
func TestConsumeContextCancel(t *testing.T) {
	js := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	c, err := events.Consume(ctx, js, "", events.ConsumerConfig{Name: "ctx", Subjects: []string{events.MemberInvited}},
		func(context.Context, events.Envelope) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("consumer still running after its ctx was cancelled")
	}
	if c.Err() != nil {
		t.Errorf("Err = %v", c.Err())
	}
}

func TestConsumeDefaultSubjectsFromCatalogue(t *testing.T) {
	js := setup(t)
	consume(t, js, events.ConsumerConfig{Name: events.ConsumerMailer}, func(context.Context, events.Envelope) error { return nil })
	c, err := js.Consumer(context.Background(), events.DefaultStream, events.ConsumerMailer)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, ty := range events.Catalogue() {
		if slices.Contains(ty.Consumers, events.ConsumerMailer) {
			want = append(want, ty.Name)
		}
	}
	if diff := cmp.Diff(want, info.Config.FilterSubjects); diff != "" {
		t.Errorf("filter subjects (-want +got):\n%s", diff)
	}
	if info.Config.AckPolicy != jetstream.AckExplicitPolicy || info.Config.MaxDeliver != 6 || info.Config.AckWait != 30*time.Second || info.Config.Durable != "mailer" {
		t.Errorf("consumer config = %+v", info.Config)
	}
}

func TestConsumeInvalidConfig(t *testing.T) {
	js := setup(t)
	h := func(context.Context, events.Envelope) error { return nil }
	tests := []struct {
		name string
		cfg  events.ConsumerConfig
		want string
	}{
		{"NoName", events.ConsumerConfig{Subjects: []string{events.MemberInvited}}, "needs a Name"},
		{"DottedName", events.ConsumerConfig{Name: "a.b", Subjects: []string{events.MemberInvited}}, "one subject token"},
		{"UnknownNameNoSubjects", events.ConsumerConfig{Name: "nobody"}, "no catalogue type lists it"},
		{"AllNatverk", events.ConsumerConfig{Name: "x", Subjects: []string{"natverk.>"}}, "overlaps the dead-letter subjects"},
		{"StarStar", events.ConsumerConfig{Name: "x", Subjects: []string{"natverk.*.*"}}, "overlaps the dead-letter subjects"},
		{"StarVerb", events.ConsumerConfig{Name: "x", Subjects: []string{"natverk.*.invited"}}, "overlaps the dead-letter subjects"}, // natverk.dlq.invited
		{"DLQ", events.ConsumerConfig{Name: "x", Subjects: []string{"natverk.dlq.mailer"}}, "overlaps the dead-letter subjects"},
		{"DLQWildcard", events.ConsumerConfig{Name: "x", Subjects: []string{"natverk.dlq.>"}}, "overlaps the dead-letter subjects"},
		{"Everything", events.ConsumerConfig{Name: "x", Subjects: []string{">"}}, "outside natverk.>"},
		{"Foreign", events.ConsumerConfig{Name: "x", Subjects: []string{"orders.created"}}, "outside natverk.>"},
		{"BadFilter", events.ConsumerConfig{Name: "x", Subjects: []string{"natverk..x"}}, "invalid subject filter"},
		{"GTNotLast", events.ConsumerConfig{Name: "x", Subjects: []string{"natverk.>.x"}}, "invalid subject filter"},
		{"MaxAckPending", events.ConsumerConfig{Name: "x", Subjects: []string{events.MemberInvited}, Concurrency: 8, MaxAckPending: 4}, "below Concurrency"},
		{"NegativeBackoff", events.ConsumerConfig{Name: "x", Subjects: []string{events.MemberInvited}, Backoff: []time.Duration{-1}}, "must be positive"},
		{"NegativeMaxDeliver", events.ConsumerConfig{Name: "x", Subjects: []string{events.MemberInvited}, MaxDeliver: -1}, "MaxDeliver must be at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := events.Consume(context.Background(), js, "", tt.cfg, h)
			if err == nil {
				c.Stop(context.Background())
				t.Fatal("Consume succeeded")
			}
			if !strings.HasPrefix(err.Error(), "events: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
	// Filters that stay clear of the dead letters are accepted.
	for _, s := range []string{"natverk.member.>", "natverk.member.*", "natverk.dlq"} {
		c, err := events.Consume(context.Background(), js, "", events.ConsumerConfig{Name: "okfilter", Subjects: []string{s}}, h)
		if err != nil {
			t.Errorf("filter %q: %v", s, err)
			continue
		}
		c.Stop(context.Background())
	}
	if _, err := events.Consume(context.Background(), js, "NOSUCH", events.ConsumerConfig{Name: "x", Subjects: []string{events.MemberInvited}}, h); err == nil {
		t.Error("Consume on a missing stream succeeded")
	}
	if _, err := events.Consume(context.Background(), js, "", events.ConsumerConfig{Name: "x", Subjects: []string{events.MemberInvited}}, nil); err == nil {
		t.Error("Consume without a handler succeeded")
	}
}
