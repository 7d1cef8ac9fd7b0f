package events_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/embedded"
	"github.com/natverk/natverk/internal/natstest"
)

// setupBare starts a server with no stream.
func setupBare(t testing.TB) (*embedded.NATS, jetstream.JetStream) {
	t.Helper()
	return natstest.Run(t)
}

func manyEvents(t testing.TB, n int) []events.Envelope {
	es := make([]events.Envelope, n)
	for i := range es {
		es[i] = invited(t, int64(i+1))
	}
	return es
}

func TestPublishBatch10000(t *testing.T) {
	js := setup(t)
	es := manyEvents(t, 10_000)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	errs := events.NewPublisher(js).PublishBatch(ctx, es)
	if len(errs) != len(es) {
		t.Fatalf("got %d results for %d events", len(errs), len(es))
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	if n := streamMsgs(t, js, events.MemberInvited); n != 10_000 {
		t.Errorf("stream holds %d events, want 10000", n)
	}
}

// An invalid event in a batch fails alone.
func TestPublishBatchInvalidEvent(t *testing.T) {
	js := setup(t)
	es := manyEvents(t, 3)
	es[1].ID = "not-a-ulid"
	errs := events.NewPublisher(js).PublishBatch(context.Background(), es)
	if errs[0] != nil || errs[2] != nil || errs[1] == nil {
		t.Fatalf("errs = %v, want only the second to fail", errs)
	}
	if n := streamMsgs(t, js, events.MemberInvited); n != 2 {
		t.Errorf("stream holds %d events, want 2", n)
	}
}

// With the server shut down in the middle of a batch, the events that
// failed get errors, and every event reported as published really is in
// the stream (checked after a restart on the same store).
func TestPublishBatchServerShutdown(t *testing.T) {
	dir := t.TempDir()
	start := func(port int) *embedded.NATS {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		ns, err := embedded.StartNATS(ctx, embedded.NATSOptions{StoreDir: dir, Port: port})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(ns.Shutdown)
		return ns
	}
	ns := start(-1)
	nc, err := ns.Connect(nats.NoReconnect())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var acked atomic.Int64
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncAckHandler(func(_ jetstream.JetStream, _ *nats.Msg, _ *jetstream.PubAck) {
		if acked.Add(1) == 2000 {
			go ns.Shutdown()
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := events.EnsureStream(context.Background(), js, events.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	es := manyEvents(t, 10_000)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	begin := time.Now()
	errs := events.NewPublisher(js).PublishBatch(ctx, es)

	published := map[string]bool{}
	failed := 0
	for i, err := range errs {
		if err != nil {
			failed++
			continue
		}
		published[es[i].ID] = true
	}
	t.Logf("%d published, %d failed (%s)", len(published), failed, time.Since(begin))
	if len(published) < 2000 || failed == 0 {
		t.Fatalf("%d published and %d failed; want at least 2000 published and some failures", len(published), failed)
	}

	// Restart on the same store and read back every stored id.
	ns2 := start(-1)
	js2 := natstest.JetStream(t, ns2)
	s, err := js2.Stream(context.Background(), events.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	oc, err := s.OrderedConsumer(context.Background(), jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for range info.State.Msgs {
		m, err := oc.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		stored[m.Headers().Get("Nats-Msg-Id")] = true
	}
	for id := range published {
		if !stored[id] {
			t.Errorf("event %s reported published but not in the stream", id)
		}
	}
}
