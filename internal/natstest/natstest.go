// Package natstest starts in-process nats-servers with JetStream for tests:
// one server ([Run]) or a cluster joined by routes ([RunCluster]), each
// storing its data in the test's temporary directory and shut down when
// the test ends.
package natstest

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natverk/natverk/internal/embedded"
)

// startTimeout bounds the start of one server or of a cluster's JetStream.
const startTimeout = 30 * time.Second

// Run starts a JetStream server on a random loopback port with its store in
// tb.TempDir(), connects to it and returns the server and a JetStream
// handle. Both are closed when the test ends.
func Run(tb testing.TB) (*embedded.NATS, jetstream.JetStream) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	ns, err := embedded.StartNATS(ctx, embedded.NATSOptions{
		StoreDir:   tb.TempDir(),
		Port:       -1,
		ServerName: "natstest",
	})
	if err != nil {
		tb.Fatalf("natstest: %v", err)
	}
	tb.Cleanup(ns.Shutdown)
	return ns, JetStream(tb, ns)
}

// JetStream connects to the given servers (the client fails over between
// them) and returns a JetStream handle; the connection is closed when the
// test ends.
func JetStream(tb testing.TB, servers ...*embedded.NATS) jetstream.JetStream {
	tb.Helper()
	urls := make([]string, 0, len(servers))
	for _, s := range servers {
		urls = append(urls, s.ClientURL())
	}
	nc, err := nats.Connect(strings.Join(urls, ","),
		nats.Name(tb.Name()),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(50*time.Millisecond),
	)
	if err != nil {
		tb.Fatalf("natstest: connect: %v", err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatalf("natstest: jetstream: %v", err)
	}
	return js
}

// RunCluster starts n JetStream servers on random loopback ports, joined
// into one cluster by routes, and waits until every node is current with
// the JetStream meta leader. The servers are shut down when the test ends
// (shutting one down earlier is fine).
func RunCluster(tb testing.TB, n int) []*embedded.NATS {
	tb.Helper()
	if n < 2 {
		tb.Fatalf("natstest: RunCluster needs at least 2 nodes, got %d (use Run for one server)", n)
	}
	var lastErr error
	// Route ports are chosen before the servers start (every node must know
	// every route); another process may take one in between, so retry.
	for attempt := 0; attempt < 3; attempt++ {
		nodes, err := startCluster(tb, n, attempt)
		if err == nil {
			return nodes
		}
		lastErr = err
	}
	tb.Fatalf("natstest: %v", lastErr)
	return nil
}

func startCluster(tb testing.TB, n, attempt int) ([]*embedded.NATS, error) {
	ports, err := FreePorts(n)
	if err != nil {
		return nil, err
	}
	routes := make([]string, n)
	for i, p := range ports {
		routes[i] = fmt.Sprintf("nats://127.0.0.1:%d", p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	nodes := make([]*embedded.NATS, 0, n)
	shutdown := func() {
		for _, s := range nodes {
			s.Shutdown()
		}
	}
	for i := range n {
		ns, err := embedded.StartNATS(ctx, embedded.NATSOptions{
			StoreDir:   tb.TempDir(),
			Port:       -1,
			ServerName: fmt.Sprintf("n%d-%d", i+1, attempt),
			Cluster: &embedded.ClusterOptions{
				Name:   "natstest",
				Port:   ports[i],
				Routes: routes,
			},
		})
		if err != nil {
			shutdown()
			return nil, err
		}
		nodes = append(nodes, ns)
	}
	for _, s := range nodes {
		if err := s.WaitJetStream(ctx); err != nil {
			shutdown()
			return nil, err
		}
	}
	if err := waitPeers(ctx, nodes); err != nil {
		shutdown()
		return nil, err
	}
	for _, s := range nodes {
		tb.Cleanup(s.Shutdown)
	}
	return nodes, nil
}

// FreePorts returns n loopback TCP ports that were free a moment ago.
// Another process may take one before it is used; the caller retries.
func FreePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("natstest: reserve a port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// waitPeers waits until the JetStream meta leader knows every node with its
// stats: before that, placing a stream with one replica per node fails
// with "no suitable peers for placement".
func waitPeers(ctx context.Context, nodes []*embedded.NATS) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		for _, s := range nodes {
			if s.Server().JetStreamIsLeader() && len(s.Server().JetStreamClusterPeers()) == len(nodes) {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("natstest: the JetStream meta leader does not see all %d nodes: %w", len(nodes), ctx.Err())
		case <-t.C:
		}
	}
}
