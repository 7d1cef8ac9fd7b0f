package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/embedded"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/postgres"
	"github.com/natverk/natverk/internal/relay"
	"github.com/natverk/natverk/internal/sqlite"
)

// benchPipeline measures the event pipeline on the service's own
// packages, in this process: events are committed to the store's outbox
// (as a fan-out does), then the relay publishes them to JetStream on the
// embedded server (with a TCP listener, as natverk runs it) and a durable
// consumer with the calendar worker's settings acknowledges each; the
// figure is events/s from the relay's start until the last is
// acknowledged. The reference is `nats bench js pub sync` (one client,
// messages of the events' size, file storage, message ids) on the same
// server.
func (b *bench) benchPipeline(ctx context.Context, st store, dir string) error {
	pdir := filepath.Join(dir, "pipeline")
	if err := os.MkdirAll(pdir, 0o755); err != nil {
		return err
	}
	var s natverk.Store
	var err error
	if st.name == "sqlite" {
		s, err = sqlite.Open(ctx, filepath.Join(pdir, "natverk.db"))
	} else {
		u, drop, ferr := freshSchema(ctx, st.url, "benchpipe")
		if ferr != nil {
			return ferr
		}
		defer drop()
		s, err = postgres.Open(ctx, u)
	}
	if err != nil {
		return err
	}
	defer s.Close()
	port, err := freePort()
	if err != nil {
		return err
	}
	srv, err := embedded.StartNATS(ctx, embedded.NATSOptions{StoreDir: filepath.Join(pdir, "nats"), Port: port})
	if err != nil {
		return err
	}
	defer srv.Shutdown()
	nc, err := srv.Connect()
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		return err
	}
	if _, err := events.EnsureStream(ctx, js, events.StreamConfig{MaxAge: 720 * time.Hour, MaxBytes: 1 << 30}); err != nil {
		return err
	}

	// The outbox: n member.invited events, committed 1,000 to a
	// transaction.
	n := b.sizes.events
	now := time.Now()
	size := 0
	for i := 0; i < n; i += 1000 {
		evs := make([]events.Envelope, 0, 1000)
		for j := i; j < min(i+1000, n); j++ {
			evs = append(evs, natverk.MembershipEvent(events.MemberInvited, 1, int64(j+1), []int64{1}, natverk.StatusInvited, "search", now))
		}
		if size == 0 {
			m, err := events.NewMsg(evs[0])
			if err != nil {
				return err
			}
			size = len(m.Data)
		}
		if _, err := s.ScheduleOnce(ctx, fmt.Sprintf("bench-%d", i), evs); err != nil {
			return fmt.Errorf("fill the outbox: %w", err)
		}
	}

	seen := make([]atomic.Bool, n+1)
	var count atomic.Int64
	all := make(chan struct{})
	c, err := events.Consume(ctx, js, events.DefaultStream, events.ConsumerConfig{
		Name: "bench", Subjects: []string{events.MemberInvited}, Concurrency: 64, MaxAckPending: 5000,
	}, func(_ context.Context, e events.Envelope) error {
		if e.MemberID > 0 && e.MemberID <= int64(n) && !seen[e.MemberID].Swap(true) && count.Add(1) == int64(n) {
			close(all)
		}
		return nil
	})
	if err != nil {
		return err
	}
	rctx, stopRelay := context.WithCancel(ctx)
	relayDone := make(chan struct{})
	r := &relay.Relay{Store: s, Publisher: events.NewPublisher(js), Holder: "natverk-bench"}
	start := time.Now()
	go func() { defer close(relayDone); r.Run(rctx) }()
	var d time.Duration
	select {
	case <-all:
		d = time.Since(start)
	case <-time.After(sinkTimeout(n)):
		err = fmt.Errorf("the consumer acknowledged %d of %d events in %s", count.Load(), n, sinkTimeout(n))
	case <-ctx.Done():
		err = ctx.Err()
	}
	stopRelay()
	<-relayDone
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	c.Stop(sctx)
	cancel()
	if err != nil {
		return err
	}
	ours := float64(n) / d.Seconds()
	b.log.Printf("pipeline/%s: %d events of %d B in %s", st.name, n, size, d.Round(time.Millisecond))

	ref, err := natsBench(ctx, b.tools.nats, srv.ClientURL(), n, size)
	if err != nil {
		return err
	}
	r1 := result("event_pipeline", st.name, ours, "events/s", "nats bench js pub sync", ref, atLeastRatio(1.0))
	r1.Note = fmt.Sprintf("%d events of %d B through outbox, relay, JetStream (file) and an acking consumer", n, size)
	b.add(r1)
	return nil
}

var natsBenchRate = regexp.MustCompile(`publisher stats: ([0-9,.]+) msgs/sec`)

// natsBench runs `nats bench js pub sync`: one client publishing n
// messages of size bytes, each waiting for its acknowledgement, to a
// file-storage stream with message ids (as the relay's are).
func natsBench(ctx context.Context, bin, server string, n, size int) (float64, error) {
	cmd := exec.CommandContext(ctx, bin, "--no-context", "-s", server, "bench", "js", "pub", "sync", "natverk-bench.ref",
		"--create", "--storage", "file", "--stream", "NATVERKBENCH", "--msgs", strconv.Itoa(n), "--size", strconv.Itoa(size),
		"--clients", "1", "--no-progress", "--dedup")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("nats bench: %v: %s", err, out)
	}
	m := natsBenchRate.FindStringSubmatch(string(out))
	if m == nil {
		return 0, fmt.Errorf("nats bench: no rate in its output:\n%s", out)
	}
	return strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64)
}
