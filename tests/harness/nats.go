package harness

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// NATSNode is one nats-server process with JetStream, alone or in a
// cluster. Its ports and store directory stay the same across restarts.
type NATSNode struct {
	*Proc
	// Port is the client port; ClusterPort the route port (0 alone);
	// MonitorPort serves /healthz.
	Port, ClusterPort, MonitorPort int
	// StoreDir holds the JetStream file store.
	StoreDir string
}

// URL is the client URL of the node.
func (n *NATSNode) URL() string { return "nats://127.0.0.1:" + strconv.Itoa(n.Port) }

// NATSURLs joins the nodes' client URLs with commas, as NATS_URL takes
// them.
func NATSURLs(nodes []*NATSNode) string {
	urls := make([]string, len(nodes))
	for i, n := range nodes {
		urls[i] = n.URL()
	}
	return strings.Join(urls, ",")
}

// StartNATS starts n nats-server processes with JetStream: one server for
// n == 1, else a cluster joined by routes. It returns when every node
// reports healthy. The processes are stopped when the test ends.
func StartNATS(tb testing.TB, n int) []*NATSNode {
	tb.Helper()
	bins, err := Build()
	if err != nil {
		tb.Fatal(err)
	}
	dir, logs := tb.TempDir(), LogDir(tb)
	var lastErr error
	for attempt := range 3 {
		nodes, err := startNATS(tb, bins.NATSServer, dir, logs, n, attempt)
		if err == nil {
			return nodes
		}
		lastErr = err
	}
	tb.Fatal(lastErr)
	return nil
}

func startNATS(tb testing.TB, bin, dir, logs string, n, attempt int) ([]*NATSNode, error) {
	ports, err := FreePorts(3 * n)
	if err != nil {
		return nil, err
	}
	var routes []string
	if n > 1 {
		for i := range n {
			routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", ports[3*i+1]))
		}
	}
	nodes := make([]*NATSNode, n)
	for i := range n {
		name := fmt.Sprintf("nats%d-%d", i+1, attempt)
		node := &NATSNode{Port: ports[3*i], MonitorPort: ports[3*i+2], StoreDir: fmt.Sprintf("%s/%s", dir, name)}
		args := []string{"-a", "127.0.0.1", "-p", strconv.Itoa(node.Port), "-n", name, "-js", "-sd", node.StoreDir,
			"-m", strconv.Itoa(node.MonitorPort)}
		if n > 1 {
			node.ClusterPort = ports[3*i+1]
			args = append(args, "--cluster_name", "reliability", "--cluster", fmt.Sprintf("nats://127.0.0.1:%d", node.ClusterPort),
				"--routes", strings.Join(routes, ","))
		}
		node.Proc = NewProc(name, logs, bin, args, nil)
		if err := node.Start(); err != nil {
			stopAll(nodes)
			return nil, err
		}
		nodes[i] = node
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, node := range nodes {
		if err := node.WaitHealthy(ctx); err != nil {
			stopAll(nodes)
			return nil, err
		}
	}
	for _, node := range nodes {
		manage(tb, node.Proc)
	}
	return nodes, nil
}

func stopAll(nodes []*NATSNode) {
	for _, n := range nodes {
		if n != nil {
			n.Kill()
		}
	}
}

// WaitHealthy waits until the node's /healthz answers 200: JetStream is
// enabled and, in a cluster, the node is current with the meta leader and
// its streams.
func (n *NATSNode) WaitHealthy(ctx context.Context) error {
	url := fmt.Sprintf("http://127.0.0.1:%d/healthz", n.MonitorPort)
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := c.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-n.Exited():
			return fmt.Errorf("harness: %s exited while starting; see %s:\n%s", n.Name, n.LogPath, n.Tail(20))
		case <-ctx.Done():
			return fmt.Errorf("harness: %s not healthy (%v); see %s", n.Name, err, n.LogPath)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Restart starts the node again (same ports, same store) and waits until
// it is healthy.
func (n *NATSNode) Restart(tb testing.TB) {
	tb.Helper()
	if err := n.Start(); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := n.WaitHealthy(ctx); err != nil {
		tb.Fatal(err)
	}
}

// Pause freezes the server (SIGSTOP): connections stay open but nothing
// is answered.
func (n *NATSNode) Pause() error { return n.Signal(syscall.SIGSTOP) }

// Resume lets a paused server run again (SIGCONT).
func (n *NATSNode) Resume() error { return n.Signal(syscall.SIGCONT) }
