package events_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natstest"
)

// On a 3-node cluster the stream has 3 replicas, and publishing and
// consuming go on while one node is down.
func TestClusterSurvivesANodeDown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	nodes := natstest.RunCluster(t, 3)
	js := natstest.JetStream(t, nodes...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := events.EnsureStream(ctx, js, events.StreamConfig{Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Replicas != 3 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
		t.Fatalf("stream cluster = %+v, want a leader and 2 replicas", info.Cluster)
	}
	// Idempotent on a cluster as well.
	if _, err := events.EnsureStream(ctx, js, events.StreamConfig{Replicas: 3}); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	seen := map[string]int{}
	consume(t, js, events.ConsumerConfig{Name: "clustered", Subjects: []string{events.MemberInvited}, Concurrency: 2},
		func(ctx context.Context, e events.Envelope) error {
			mu.Lock()
			defer mu.Unlock()
			seen[e.ID]++
			return nil
		})
	before := manyEvents(t, 50)
	for i, err := range events.NewPublisher(js).PublishBatch(ctx, before) {
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	waitFor(t, 20*time.Second, "events before the node stops", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == len(before)
	})

	// Stop the stream leader, the hardest case.
	leader := info.Cluster.Leader
	stopped := false
	for _, n := range nodes {
		if n.Name() == leader {
			n.Shutdown()
			stopped = true
		}
	}
	if !stopped {
		t.Fatalf("stream leader %q is not one of the nodes", leader)
	}

	after := manyEvents(t, 50)
	p := events.NewPublisher(js)
	for _, e := range after {
		// The relay's loop: retry until acked (a new leader is elected
		// within seconds); duplicates are dropped by the stream.
		deadline := time.Now().Add(30 * time.Second)
		for {
			pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
			err := p.Publish(pctx, e)
			pcancel()
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("publish with the leader down: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitFor(t, 60*time.Second, "events after the node stopped", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == len(before)+len(after)
	})
	info, err = s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Cluster.Leader == leader {
		t.Errorf("leader is still the stopped node %s", leader)
	}
	if info.State.Msgs != uint64(len(before)+len(after)) {
		t.Errorf("stream holds %d events, want %d", info.State.Msgs, len(before)+len(after))
	}
}
