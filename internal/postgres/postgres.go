// Package postgres implements natverk.Store on PostgreSQL through pgx/v5
// (a pgxpool.Pool, no database/sql). It is the store of a production
// deployment: any number of processes share one database.
//
// Every state change and the events describing it are written in one
// transaction (the transactional outbox). Events are inserted at the end
// of the transaction under a per-network advisory lock, so the outbox
// sequence follows commit order within a network, and the transaction
// sends NOTIFY natverk_outbox, which PostgreSQL delivers when it commits
// (see OutboxNotify). Races between processes are settled by the database:
// upserts with ON CONFLICT … WHERE, and row locks (SELECT … FOR UPDATE)
// where a decision reads what it changes.
//
// Directory search matches the SQLite store exactly: both index the same
// folded words computed in Go (natverk.Words). PostgreSQL keeps them as
// the lexemes of a tsvector in a GIN index and finds word prefixes with a
// tsquery ('w1':* & 'w2':*); it sorts by the folded name in byte order
// (COLLATE "C"), as SQLite does.
//
// The PostgreSQL features it relies on are described in the PostgreSQL 15
// documentation: NOTIFY and LISTEN (sql-notify.html, sql-listen.html),
// advisory locks (explicit-locking.html#ADVISORY-LOCKS), INSERT … ON
// CONFLICT (sql-insert.html), text search types and GIN indexes
// (datatype-textsearch.html, gin.html) and COPY (sql-copy.html).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/puddle/v2"
	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

// DefaultMaxConns is the pool size when the URL sets no pool_max_conns.
const DefaultMaxConns = 16

// DB is a natverk.Store on a PostgreSQL database.
type DB struct {
	pool *pgxpool.Pool
	// Now returns the current time; tests may replace it.
	Now func() time.Time

	// notify is the channel OutboxNotify returns. mu guards closed, so no
	// signal is sent and no listener started once Close began.
	notify chan struct{}
	mu     sync.Mutex
	closed bool
	// listen starts the LISTEN loop once; stopCtx (the DB's lifetime, not
	// a request's) ends it, wg waits for it; backoff spaces reconnects.
	listen  sync.Once
	stopCtx context.Context
	stop    context.CancelFunc
	wg      sync.WaitGroup
	backoff backoff
	// closeOnce makes Close idempotent.
	closeOnce sync.Once
	// answers groups concurrent answers to a series (answer.go).
	answers answerGroups
}

var _ natverk.Store = (*DB)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	migrate bool
}

// WithoutMigrate makes Open leave the schema alone: run Migrate (or the
// migrate command) separately, for example from a deploy step.
func WithoutMigrate() Option { return func(o *options) { o.migrate = false } }

// Open connects to the database at url (a postgres:// URL or a
// keyword/value string, as pgx accepts) and migrates it to the current
// schema unless WithoutMigrate is given. The pool holds at most the URL's
// pool_max_conns connections, DefaultMaxConns if it names none. Without
// migration no connection is made until first use (see Ping).
func Open(ctx context.Context, url string, opts ...Option) (*DB, error) {
	o := options{migrate: true}
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse database URL: %w", err)
	}
	if !setsPoolMaxConns(url) {
		cfg.MaxConns = DefaultMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open pool: %w", err)
	}
	stopCtx, stop := context.WithCancel(context.Background())
	db := &DB{
		pool:    pool,
		Now:     time.Now,
		notify:  make(chan struct{}, 1),
		stopCtx: stopCtx,
		stop:    stop,
		backoff: backoff{min: 100 * time.Millisecond, max: 10 * time.Second},
	}
	if o.migrate {
		if err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// setsPoolMaxConns reports whether the connection string names a pool
// size.
func setsPoolMaxConns(connString string) bool {
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		u, err := url.Parse(connString)
		return err == nil && u.Query().Has("pool_max_conns")
	}
	return slices.ContainsFunc(strings.Fields(connString), func(kv string) bool {
		return strings.HasPrefix(kv, "pool_max_conns=")
	})
}

// MaxConns returns the pool size.
func (db *DB) MaxConns() int { return int(db.pool.Config().MaxConns) }

// Close stops the LISTEN connection, closes the channel OutboxNotify
// returned and closes the pool. It is safe to call more than once.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.mu.Lock()
		db.closed = true // no listener starts and no signal is sent from now on
		db.mu.Unlock()
		db.stop()
		db.wg.Wait()
		close(db.notify)
		db.pool.Close()
	})
	return nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return natverk.Unavailable("The database", fmt.Errorf("postgres: ping: %w", err))
	}
	return nil
}

// Tx is a write transaction with its start time and the events it will
// write to the outbox when it commits.
type Tx struct {
	pgx.Tx
	now     time.Time
	pending []events.Envelope
}

// querier is what reads need: the pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

type scanner interface{ Scan(dest ...any) error }

// begin starts a read-write transaction (READ COMMITTED; methods lock
// the rows their decisions depend on).
func (db *DB) begin(ctx context.Context) (*Tx, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, storeErr("begin", err)
	}
	return &Tx{Tx: tx, now: db.Now().UTC()}, nil
}

// write runs fn in a transaction and commits it with its events.
func (db *DB) write(ctx context.Context, fn func(tx *Tx) error) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(tx); err != nil {
		return err
	}
	return db.commit(ctx, tx)
}

// emit queues events; commit writes them to the outbox.
func (tx *Tx) emit(evs ...events.Envelope) {
	tx.pending = append(tx.pending, evs...)
}

// Advisory lock key space of the outbox: the first key of the two-key
// form of pg_advisory_xact_lock, the second being the network id.
const outboxLockClass = 0x6e76 // "nv"

// outboxNotifyChannel is the channel of NOTIFY and LISTEN.
const outboxNotifyChannel = "natverk_outbox"

// commit writes the queued events and commits. The events are inserted
// last, under a transaction-level advisory lock per network (taken in
// ascending order, so two committers never deadlock): a later
// transaction on the same network waits until this one commits before it
// draws its sequence numbers, so seq follows commit order within a
// network. The NOTIFY in the same transaction is delivered on commit.
func (db *DB) commit(ctx context.Context, tx *Tx) error {
	if len(tx.pending) > 0 {
		if err := tx.writeOutbox(ctx); err != nil {
			return err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return storeErr("commit", err)
	}
	if len(tx.pending) > 0 {
		db.wake()
	}
	return nil
}

func (tx *Tx) writeOutbox(ctx context.Context) error {
	b := &pgx.Batch{}
	if err := queueOutbox(b, tx.pending); err != nil {
		return err
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return storeErr("insert outbox", err)
	}
	return nil
}

// queueOutbox queues on b what commit writes for the events evs: the
// advisory lock of each of their networks (ascending), the insert of the
// events in order, and the NOTIFY. It queues 2 + (number of networks)
// statements.
func queueOutbox(b *pgx.Batch, evs []events.Envelope) error {
	n := len(evs)
	ids, types, bodies := make([]string, n), make([]string, n), make([][]byte, n)
	nets, times := make([]int64, n), make([]time.Time, n)
	for i := range evs {
		e := &evs[i]
		body, err := e.Marshal()
		if err != nil {
			return fmt.Errorf("postgres: encode event: %w", err)
		}
		ids[i], types[i], nets[i], bodies[i], times[i] = e.ID, e.Type, e.NetworkID, body, e.OccurredAt.UTC()
	}
	lockKeys := slices.Compact(slices.Sorted(slices.Values(nets)))
	for _, k := range lockKeys {
		b.Queue(`SELECT pg_advisory_xact_lock($1, $2)`, int32(outboxLockClass), int32(k))
	}
	b.Queue(`INSERT INTO outbox (event_id, type, network_id, body, created_at)
		SELECT e, t, n, b, c FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bytea[], $5::timestamptz[]) WITH ORDINALITY AS u (e, t, n, b, c, i)
		ORDER BY i`, ids, types, nets, bodies, times)
	b.Queue(`SELECT pg_notify($1, '')`, outboxNotifyChannel)
	return nil
}

// storeErr wraps a driver error: a unique or foreign key violation
// becomes ECONFLICT; a lost or refused connection, a server shutting
// down, exhausted resources, a deadlock or a serialization failure
// become EUNAVAILABLE (try again); anything else is internal.
func storeErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *natverk.Error
	if errors.As(err, &e) {
		return err
	}
	wrapped := fmt.Errorf("postgres: %s: %w", op, err)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return wrapped
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch code := pgErr.Code; {
		case code == "23505", code == "23503", code == "23P01": // unique, foreign key, exclusion
			return &natverk.Error{Code: natverk.ECONFLICT, Message: "That conflicts with what is stored.", Err: wrapped}
		case strings.HasPrefix(code, "08"), // connection exception
			strings.HasPrefix(code, "53"),                     // insufficient resources
			code == "57P01", code == "57P02", code == "57P03", // shutting down, cannot connect now
			code == "40001", code == "40P01": // serialization failure, deadlock
			return natverk.Unavailable("The database", wrapped)
		}
		return wrapped
	}
	var connErr *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connErr) || errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, puddle.ErrClosedPool) || pgconn.SafeToRetry(err) {
		return natverk.Unavailable("The database", wrapped)
	}
	return wrapped
}

// isUniqueViolation reports whether err is a unique key violation.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

func utc(t time.Time) time.Time { return t.UTC() }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// nullTime stores the zero time as NULL.
func nullTime(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
