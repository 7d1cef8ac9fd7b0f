package relay_test

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/embedded"
	"github.com/natverk/natverk/internal/natstest"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/relay"
	"github.com/natverk/natverk/internal/sqlite"
)

func openStore(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "natverk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func importMembers(t *testing.T, s natverk.Store, n int) {
	t.Helper()
	var rows []natverk.ImportRow
	for i := 0; i < n; i++ {
		in, _ := natverk.MemberInput{Email: "m" + itoa(i) + "@example.org", Name: "M " + itoa(i)}.Normalize()
		rows = append(rows, natverk.ImportRow{Row: i + 2, MemberInput: in})
	}
	if _, err := s.ImportMembers(context.Background(), rows); err != nil {
		t.Fatal(err)
	}
}

func itoa(i int) string {
	return string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676%26))
}

// streamCount returns the number of event messages in the stream.
func streamCount(t *testing.T, js jetstream.JetStream) uint64 {
	t.Helper()
	s, err := js.Stream(context.Background(), events.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func pending(t *testing.T, s natverk.Store) int {
	n, _, err := s.OutboxStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func start(t *testing.T, r *relay.Relay) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

func TestPublishesCommittedEvents(t *testing.T) {
	db := openStore(t)
	_, js := natstest.Run(t)
	if _, err := events.EnsureStream(context.Background(), js, events.StreamConfig{}); err != nil {
		t.Fatal(err)
	}
	stop := start(t, &relay.Relay{Store: db, Publisher: events.NewPublisher(js), Poll: 20 * time.Millisecond})
	defer stop()
	for i := 0; i < 5; i++ {
		importMembers(t, db, 3)
	}
	waitFor(t, "5 events in the stream", func() bool { return streamCount(t, js) == 5 && pending(t, db) == 0 })
}

// TestTwoRelays runs two relays over one store: one holds the lease, and
// every event reaches the stream once.
func TestTwoRelays(t *testing.T) {
	db := openStore(t)
	_, js := natstest.Run(t)
	events.EnsureStream(context.Background(), js, events.StreamConfig{})
	r1 := &relay.Relay{Store: db, Publisher: events.NewPublisher(js), Holder: "one", Poll: 10 * time.Millisecond, LeaseTTL: 300 * time.Millisecond}
	r2 := &relay.Relay{Store: db, Publisher: events.NewPublisher(js), Holder: "two", Poll: 10 * time.Millisecond, LeaseTTL: 300 * time.Millisecond}
	stop1 := start(t, r1)
	stop2 := start(t, r2)
	for i := 0; i < 50; i++ {
		importMembers(t, db, 1)
	}
	waitFor(t, "50 events", func() bool { return pending(t, db) == 0 })
	l1, _ := r1.Status()
	l2, _ := r2.Status()
	if l1 == l2 {
		t.Fatalf("leaders: one=%v two=%v; want exactly one", l1, l2)
	}
	// The leader stops; the other takes over within the lease time.
	if l1 {
		stop1()
		defer stop2()
	} else {
		stop2()
		defer stop1()
	}
	for i := 0; i < 10; i++ {
		importMembers(t, db, 1)
	}
	waitFor(t, "takeover", func() bool { return pending(t, db) == 0 })
	if got := streamCount(t, js); got != 60 {
		t.Fatalf("stream holds %d events, want 60", got)
	}
}

// failingMarks is the real store, except that MarkPublished fails the
// first n times: the relay has published but crashes before recording it.
type failingMarks struct {
	*sqlite.DB
	n atomic.Int32
}

func (f *failingMarks) MarkPublished(ctx context.Context, seqs []int64, at time.Time) error {
	if f.n.Add(-1) >= 0 {
		return errors.New("injected crash between publish and mark")
	}
	return f.DB.MarkPublished(ctx, seqs, at)
}

func TestCrashBetweenPublishAndMark(t *testing.T) {
	db := openStore(t)
	_, js := natstest.Run(t)
	events.EnsureStream(context.Background(), js, events.StreamConfig{})
	store := &failingMarks{DB: db}
	store.n.Store(3)
	for i := 0; i < 4; i++ {
		importMembers(t, db, 1)
	}
	stop := start(t, &relay.Relay{Store: store, Publisher: events.NewPublisher(js), Poll: 10 * time.Millisecond})
	defer stop()
	waitFor(t, "outbox drained", func() bool { return pending(t, db) == 0 })
	if got := streamCount(t, js); got != 4 {
		t.Fatalf("stream holds %d events after republishing, want 4 (duplicates dropped)", got)
	}
}

// TestBrokerDown keeps accepting writes while NATS is down and publishes
// them, in order, once it is back.
func TestBrokerDown(t *testing.T) {
	db := openStore(t)
	dir := t.TempDir()
	startNATS := func(port int) *embedded.NATS {
		ns, err := embedded.StartNATS(context.Background(), embedded.NATSOptions{StoreDir: dir, Port: port, ServerName: "relaytest"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(ns.Shutdown)
		return ns
	}
	ns := startNATS(-1)
	u, _ := url.Parse(ns.ClientURL())
	port, _ := strconv.Atoi(u.Port())
	js := natstest.JetStream(t, ns)
	events.EnsureStream(context.Background(), js, events.StreamConfig{})
	r := &relay.Relay{Store: db, Publisher: events.NewPublisher(js), Poll: 10 * time.Millisecond}
	stop := start(t, r)
	defer stop()
	importMembers(t, db, 1)
	waitFor(t, "first event", func() bool { return pending(t, db) == 0 })

	ns.Shutdown()
	for i := 0; i < 20; i++ {
		importMembers(t, db, 1) // writes keep working
	}
	waitFor(t, "relay reports the outage", func() bool { _, err := r.Status(); return err != nil })
	if pending(t, db) != 20 {
		t.Fatalf("pending = %d, want 20", pending(t, db))
	}
	startNATS(port)
	waitFor(t, "outbox drained after restart", func() bool { return pending(t, db) == 0 })
	if got := streamCount(t, js); got != 21 {
		t.Fatalf("stream holds %d events, want 21", got)
	}
	// Commit order is kept in the stream.
	s, _ := js.Stream(context.Background(), events.DefaultStream)
	var last string
	for seq := uint64(1); seq <= 21; seq++ {
		m, err := s.GetMsg(context.Background(), seq)
		if err != nil {
			t.Fatal(err)
		}
		id := m.Header.Get("Nats-Msg-Id")
		if id <= last {
			t.Fatalf("event %d (%s) after %s: out of order", seq, id, last)
		}
		last = id
	}
}

// failingLease is the real store, except that taking the lease fails
// while fail is set: a store that refuses writes (a full disk).
type failingLease struct {
	*sqlite.DB
	fail atomic.Bool
}

func (f *failingLease) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	if f.fail.Load() {
		return false, errors.New("injected: disk full")
	}
	return f.DB.AcquireLease(ctx, name, holder, now, ttl)
}

// TestLeaseRefused: a relay whose store refuses the lease reports it in
// Status (so /readyz is degraded), and publishes again soon after the
// store accepts writes again, without waiting a lease period.
func TestLeaseRefused(t *testing.T) {
	db := openStore(t)
	_, js := natstest.Run(t)
	events.EnsureStream(context.Background(), js, events.StreamConfig{})
	store := &failingLease{DB: db}
	store.fail.Store(true)
	// A long lease: waiting a third of it (20 s) would fail the test.
	r := &relay.Relay{Store: store, Publisher: events.NewPublisher(js), Poll: 10 * time.Millisecond, LeaseTTL: time.Minute}
	stop := start(t, r)
	defer stop()
	importMembers(t, db, 1)
	waitFor(t, "the refused lease reported", func() bool {
		leader, err := r.Status()
		return !leader && err != nil && strings.Contains(err.Error(), "disk full")
	})
	store.fail.Store(false)
	waitFor(t, "outbox drained once the store accepts the lease", func() bool { return pending(t, db) == 0 })
	if leader, err := r.Status(); !leader || err != nil {
		t.Fatalf("after recovery: leader %v, err %v", leader, err)
	}
}
