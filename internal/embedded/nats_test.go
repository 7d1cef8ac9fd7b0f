package embedded_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natverk/natverk/internal/embedded"
)

func start(t *testing.T, opts embedded.NATSOptions) *embedded.NATS {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ns, err := embedded.StartNATS(ctx, opts)
	if err != nil {
		t.Fatalf("StartNATS: %v", err)
	}
	t.Cleanup(ns.Shutdown)
	return ns
}

func TestStartNATSInvalidOptions(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		opts embedded.NATSOptions
		want string
	}{
		{"NoStoreDir", embedded.NATSOptions{Port: -1}, "StoreDir is required"},
		{"BadPort", embedded.NATSOptions{StoreDir: dir, Port: 70000}, "invalid client port"},
		{"ClusterWithoutName", embedded.NATSOptions{StoreDir: dir, Port: -1, Cluster: &embedded.ClusterOptions{Name: "c", Routes: []string{"nats://127.0.0.1:1"}}}, "needs its own ServerName"},
		{"ClusterNoClusterName", embedded.NATSOptions{StoreDir: dir, Port: -1, ServerName: "a", Cluster: &embedded.ClusterOptions{Routes: []string{"nats://127.0.0.1:1"}}}, "ClusterOptions.Name is required"},
		{"ClusterNoRoutes", embedded.NATSOptions{StoreDir: dir, Port: -1, ServerName: "a", Cluster: &embedded.ClusterOptions{Name: "c"}}, "Routes is empty"},
		{"ClusterBadRoute", embedded.NATSOptions{StoreDir: dir, Port: -1, ServerName: "a", Cluster: &embedded.ClusterOptions{Name: "c", Port: -1, Routes: []string{"::"}}}, "invalid route URL"},
		{"ClusterBadPort", embedded.NATSOptions{StoreDir: dir, Port: -1, ServerName: "a", Cluster: &embedded.ClusterOptions{Name: "c", Port: -7, Routes: []string{"nats://127.0.0.1:1"}}}, "invalid cluster port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns, err := embedded.StartNATS(context.Background(), tt.opts)
			if err == nil {
				ns.Shutdown()
				t.Fatal("StartNATS succeeded, want error")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "embedded: ") {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestStartNATSListensAndServesJetStream(t *testing.T) {
	ns := start(t, embedded.NATSOptions{StoreDir: t.TempDir(), Port: -1})
	u := ns.ClientURL()
	if !strings.HasPrefix(u, "nats://127.0.0.1:") || strings.HasSuffix(u, ":-1") {
		t.Fatalf("ClientURL = %q, want nats://127.0.0.1:<port>", u)
	}
	if ns.Name() != embedded.DefaultServerName {
		t.Errorf("Name = %q, want %q", ns.Name(), embedded.DefaultServerName)
	}
	if ns.RouteURL() != "" {
		t.Errorf("RouteURL = %q for an unclustered server, want empty", ns.RouteURL())
	}
	nc, err := ns.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if got := nc.ConnectedUrl(); got != u {
		t.Errorf("connected to %q, want %q", got, u)
	}
	checkJetStream(t, nc)
	if err := ns.WaitJetStream(context.Background()); err != nil {
		t.Errorf("WaitJetStream: %v", err)
	}
}

func TestStartNATSDontListen(t *testing.T) {
	ns := start(t, embedded.NATSOptions{StoreDir: t.TempDir(), DontListen: true})
	if ns.ClientURL() != "" {
		t.Errorf("ClientURL = %q, want empty for an in-process server", ns.ClientURL())
	}
	// Nothing listens on the default port on behalf of this server.
	if ns.Server().Addr() != nil {
		t.Errorf("server listens on %v, want no listener", ns.Server().Addr())
	}
	nc, err := ns.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	checkJetStream(t, nc)
}

// checkJetStream creates a stream and stores a message through nc.
func checkJetStream(t *testing.T, nc *nats.Conn) {
	t.Helper()
	ctx := context.Background()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "CHECK", Subjects: []string{"check.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatalf("create stream: %v", err)
	}
	ack, err := js.Publish(ctx, "check.one", []byte("x"))
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	if ack.Stream != "CHECK" || ack.Sequence != 1 {
		t.Errorf("PubAck = %+v, want stream CHECK seq 1", ack)
	}
}

// The store directory keeps streams across restarts.
func TestStartNATSKeepsStoreAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	ns := start(t, embedded.NATSOptions{StoreDir: dir, DontListen: true})
	nc, err := ns.Connect()
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "s.one", []byte("kept")); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	ns.Shutdown()
	ns.Shutdown() // twice is fine

	ns2 := start(t, embedded.NATSOptions{StoreDir: dir, DontListen: true})
	nc2, err := ns2.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc2.Close()
	js2, err := jetstream.New(nc2)
	if err != nil {
		t.Fatal(err)
	}
	s, err := js2.Stream(ctx, "S")
	if err != nil {
		t.Fatalf("stream after restart: %v", err)
	}
	m, err := s.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Data) != "kept" {
		t.Errorf("message after restart = %q, want %q", m.Data, "kept")
	}
}

// A port that is taken makes StartNATS fail with a clear error instead of
// hanging.
func TestStartNATSPortTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ns, err := embedded.StartNATS(ctx, embedded.NATSOptions{StoreDir: t.TempDir(), Port: port})
	if err == nil {
		ns.Shutdown()
		t.Fatal("StartNATS on a taken port succeeded")
	}
	if !strings.Contains(err.Error(), "127.0.0.1:"+strconv.Itoa(port)) {
		t.Errorf("error %q does not name the address", err)
	}
}

func TestStartNATSLogger(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	ns := start(t, embedded.NATSOptions{StoreDir: t.TempDir(), Port: -1, Logger: logger})
	ns.Shutdown()
	if !strings.Contains(buf.String(), "component=nats-server") || !strings.Contains(buf.String(), "JetStream") {
		t.Errorf("log output lacks the server's notices:\n%s", buf.String())
	}
}
