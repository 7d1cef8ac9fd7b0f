package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Default addresses of the embedded server. The client port is not NATS's
// 4222, so that a developer's own nats-server and ours do not collide.
const (
	DefaultHost        = "127.0.0.1"
	DefaultPort        = 4250
	DefaultClusterPort = 6250
	DefaultServerName  = "natverk"
)

// defaultReadyTimeout bounds StartNATS when ctx has no deadline.
const defaultReadyTimeout = 10 * time.Second

// NATSOptions configure an embedded nats-server with JetStream.
type NATSOptions struct {
	// StoreDir is the JetStream file store directory. Required.
	StoreDir string
	// Host is the client listen address; default DefaultHost (loopback).
	Host string
	// Port is the client port: 0 means DefaultPort, -1 a random free port.
	Port int
	// DontListen runs the server without any client listener; clients
	// connect in-process through [NATS.Connect]. Cluster routes still
	// listen if Cluster is set.
	DontListen bool
	// ServerName names the server; default DefaultServerName. Every node of
	// a cluster needs its own name.
	ServerName string
	// Cluster, if set, joins the server to a cluster of JetStream servers.
	Cluster *ClusterOptions
	// Logger receives the server's notices, warnings and errors; nil
	// discards them.
	Logger *slog.Logger
}

// ClusterOptions join an embedded server to a NATS cluster.
type ClusterOptions struct {
	// Name is the cluster name, the same on every node. Required.
	Name string
	// Host is the route listen address; default DefaultHost.
	Host string
	// Port is the route port: 0 means DefaultClusterPort, -1 a random free
	// port.
	Port int
	// Routes are the route URLs of every node of the cluster
	// ("nats://127.0.0.1:6250"); a node may list itself. JetStream
	// clustering needs at least one.
	Routes []string
}

// NATS is a running embedded nats-server.
type NATS struct {
	srv  *server.Server
	opts NATSOptions
}

// StartNATS starts a nats-server with JetStream and waits until it accepts
// connections. ctx bounds the wait (10s when ctx has no deadline); when the
// server is not ready in time it is shut down and an error is returned.
func StartNATS(ctx context.Context, opts NATSOptions) (*NATS, error) {
	sopts, err := serverOptions(&opts)
	if err != nil {
		return nil, err
	}
	srv, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("embedded: nats-server: %w", err)
	}
	if opts.Logger != nil {
		srv.SetLoggerV2(slogAdapter{opts.Logger}, false, false, false)
	}
	go srv.Start()

	wait := defaultReadyTimeout
	if dl, ok := ctx.Deadline(); ok {
		wait = time.Until(dl)
	}
	ready := make(chan bool, 1)
	go func() { ready <- srv.ReadyForConnections(wait) }()
	select {
	case ok := <-ready:
		if !ok {
			srv.Shutdown()
			srv.WaitForShutdown()
			return nil, fmt.Errorf("embedded: nats-server %q not ready for connections after %s (store %s, %s)",
				opts.ServerName, wait.Round(time.Millisecond), opts.StoreDir, listenDesc(&opts))
		}
	case <-ctx.Done():
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("embedded: start nats-server %q (store %s, %s): %w",
			opts.ServerName, opts.StoreDir, listenDesc(&opts), ctx.Err())
	}
	if !srv.JetStreamEnabled() {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("embedded: nats-server %q started without JetStream (store %s)", opts.ServerName, opts.StoreDir)
	}
	return &NATS{srv: srv, opts: opts}, nil
}

// serverOptions validates opts, fills in defaults and translates them.
func serverOptions(opts *NATSOptions) (*server.Options, error) {
	if opts.StoreDir == "" {
		return nil, errors.New("embedded: NATSOptions.StoreDir is required")
	}
	if opts.Host == "" {
		opts.Host = DefaultHost
	}
	switch {
	case opts.Port == 0:
		opts.Port = DefaultPort
	case opts.Port < -1 || opts.Port > 65535:
		return nil, fmt.Errorf("embedded: invalid client port %d", opts.Port)
	}
	if opts.ServerName == "" {
		if opts.Cluster != nil {
			return nil, errors.New("embedded: a cluster node needs its own ServerName")
		}
		opts.ServerName = DefaultServerName
	}
	so := &server.Options{
		ServerName: opts.ServerName,
		Host:       opts.Host,
		Port:       opts.Port,
		DontListen: opts.DontListen,
		JetStream:  true,
		StoreDir:   opts.StoreDir,
		NoSigs:     true,
		NoLog:      opts.Logger == nil,
	}
	if c := opts.Cluster; c != nil {
		if c.Name == "" {
			return nil, errors.New("embedded: ClusterOptions.Name is required")
		}
		if len(c.Routes) == 0 {
			return nil, errors.New("embedded: ClusterOptions.Routes is empty; JetStream clustering needs the routes of the other nodes")
		}
		if c.Host == "" {
			c.Host = DefaultHost
		}
		switch {
		case c.Port == 0:
			c.Port = DefaultClusterPort
		case c.Port < -1 || c.Port > 65535:
			return nil, fmt.Errorf("embedded: invalid cluster port %d", c.Port)
		}
		routes := make([]*url.URL, 0, len(c.Routes))
		for _, r := range c.Routes {
			u, err := url.Parse(r)
			if err != nil || u.Host == "" {
				return nil, fmt.Errorf("embedded: invalid route URL %q", r)
			}
			routes = append(routes, u)
		}
		so.Cluster = server.ClusterOpts{Name: c.Name, Host: c.Host, Port: c.Port}
		so.Routes = routes
	}
	return so, nil
}

func listenDesc(opts *NATSOptions) string {
	if opts.DontListen {
		return "in-process only"
	}
	return "listening on " + net.JoinHostPort(opts.Host, strconv.Itoa(opts.Port))
}

// Server returns the underlying nats-server, for callers that need its
// monitoring methods (for example JetStreamIsLeader).
func (n *NATS) Server() *server.Server { return n.srv }

// Name returns the server name.
func (n *NATS) Name() string { return n.srv.Name() }

// ClientURL returns the URL clients connect to ("nats://127.0.0.1:4250"),
// with the actual port when a random one was asked for. It is empty for a
// server started with DontListen.
func (n *NATS) ClientURL() string {
	if n.opts.DontListen {
		return ""
	}
	return n.srv.ClientURL()
}

// RouteURL returns the URL other cluster nodes route to, or "" when the
// server is not clustered.
func (n *NATS) RouteURL() string {
	addr := n.srv.ClusterAddr()
	if n.opts.Cluster == nil || addr == nil {
		return ""
	}
	return "nats://" + addr.String()
}

// Connect opens a client connection to the server: in-process when it was
// started with DontListen, over loopback TCP otherwise. opts are passed on
// to nats.Connect.
func (n *NATS) Connect(opts ...nats.Option) (*nats.Conn, error) {
	if n.opts.DontListen {
		opts = append([]nats.Option{nats.InProcessServer(n.srv)}, opts...)
		nc, err := nats.Connect("", opts...)
		if err != nil {
			return nil, fmt.Errorf("embedded: connect in-process to %q: %w", n.opts.ServerName, err)
		}
		return nc, nil
	}
	nc, err := nats.Connect(n.srv.ClientURL(), opts...)
	if err != nil {
		return nil, fmt.Errorf("embedded: connect to %s: %w", n.srv.ClientURL(), err)
	}
	return nc, nil
}

// WaitJetStream waits until the server's JetStream is usable: at once for a
// single server, and for a cluster node once the JetStream meta group has a
// leader and this node is current with it.
func (n *NATS) WaitJetStream(ctx context.Context) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if n.jetStreamReady() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("embedded: JetStream on %q not ready: %w", n.opts.ServerName, ctx.Err())
		case <-t.C:
		}
	}
}

func (n *NATS) jetStreamReady() bool {
	if !n.srv.JetStreamEnabled() {
		return false
	}
	if !n.srv.JetStreamIsClustered() {
		return true
	}
	// Current means the meta group has committed entries and this node is
	// its leader or has heard from the leader lately.
	return n.srv.JetStreamIsCurrent()
}

// Shutdown stops the server and waits until it has stopped. It is safe to
// call more than once.
func (n *NATS) Shutdown() {
	n.srv.Shutdown()
	n.srv.WaitForShutdown()
}
