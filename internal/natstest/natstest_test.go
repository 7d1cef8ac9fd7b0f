package natstest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/natverk/natverk/internal/natstest"
)

func TestRun(t *testing.T) {
	ns, js := natstest.Run(t)
	if ns.ClientURL() == "" {
		t.Fatal("Run started a server without a client URL")
	}
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "t.x", []byte("1")); err != nil {
		t.Fatal(err)
	}
}

// Two servers in one test do not collide.
func TestRunTwice(t *testing.T) {
	a, _ := natstest.Run(t)
	b, _ := natstest.Run(t)
	if a.ClientURL() == b.ClientURL() {
		t.Errorf("both servers on %s", a.ClientURL())
	}
}

// A 3-node cluster holds an R3 stream, and keeps serving it with one node
// down.
func TestRunCluster(t *testing.T) {
	start := time.Now()
	nodes := natstest.RunCluster(t, 3)
	t.Logf("cluster ready in %s", time.Since(start))
	if len(nodes) != 3 {
		t.Fatalf("got %d nodes, want 3", len(nodes))
	}
	for _, n := range nodes {
		if n.RouteURL() == "" {
			t.Errorf("node %s has no route URL", n.Name())
		}
	}
	js := natstest.JetStream(t, nodes...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "R3", Subjects: []string{"r3.>"}, Storage: jetstream.FileStorage, Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Replicas != 3 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
		t.Fatalf("stream cluster info = %+v, want a leader and 2 replicas", info.Cluster)
	}
	for i := range 5 {
		if _, err := js.Publish(ctx, "r3.x", []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	nodes[0].Shutdown()
	start = time.Now()
	// The stream stays writable with 2 of 3 nodes (after a new leader is
	// elected if the stopped node led it).
	deadline := time.Now().Add(20 * time.Second)
	for {
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := js.Publish(pctx, "r3.x", []byte("after"), jetstream.WithMsgID("after"))
		pcancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("publish with one node down: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("writable again after %s", time.Since(start))
	info, err = s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 6 {
		t.Errorf("stream holds %d messages, want 6", info.State.Msgs)
	}
}
