// Package sqlite implements natverk.Store on SQLite through the pure-Go
// driver modernc.org/sqlite (no cgo). It is the store of the embedded,
// zero-configuration mode.
//
// Writes go through one connection with BEGIN IMMEDIATE transactions, so
// writers queue instead of failing with SQLITE_BUSY; reads use a pool of
// connections in WAL mode and never wait for writers.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DB is a natverk.Store on a SQLite file.
type DB struct {
	path string
	w    *stmtDB // one connection, BEGIN IMMEDIATE
	r    *stmtDB // readers
	// Now returns the current time; tests may replace it.
	Now func() time.Time

	notify chan struct{}
	once   sync.Once

	writes     chan *writeReq // to the writer (groupcommit.go)
	closing    chan struct{}  // closed by Close
	writerDone chan struct{}  // closed when the writer has stopped
}

var _ natverk.Store = (*DB)(nil)

// Open opens (creating if needed) the database file at path and migrates
// it to the current schema.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" || path == ":memory:" {
		return nil, errors.New("sqlite: a file path is required (the store uses separate read and write connections)")
	}
	pragmas := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		pragmas.Add("_pragma", p)
	}
	w, err := sql.Open("sqlite", "file:"+path+"?"+pragmas.Encode()+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite", "file:"+path+"?"+pragmas.Encode()+"&mode=ro")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	// Keep them all: database/sql keeps 2 idle by default, and a reader
	// opened again costs a connection and its prepared statements.
	r.SetMaxIdleConns(8)
	db := &DB{path: path, w: newStmtDB(w), r: newStmtDB(r), Now: time.Now, notify: make(chan struct{}, 1),
		writes: make(chan *writeReq), closing: make(chan struct{}), writerDone: make(chan struct{})}
	go db.writer()
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the database.
func (db *DB) Close() error {
	var err error
	db.once.Do(func() {
		// The writer finishes the group it runs; writes after this fail.
		close(db.closing)
		<-db.writerDone
		err = errors.Join(db.r.Close(), db.w.Close())
	})
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.r.PingContext(ctx); err != nil {
		return natverk.Unavailable("The database", err)
	}
	return nil
}

// migrate applies each embedded migration not yet applied, one
// transaction per file.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("sqlite: create schema_migrations: %w", err)
	}
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("sqlite: list migrations: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := db.migrateFile(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) migrateFile(ctx context.Context, name string) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: migrate %s: %w", name, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, name).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: migrate %s: %w", name, err)
	} else if n > 0 {
		return nil
	}
	body, err := migrationFS.ReadFile(name)
	if err != nil {
		return fmt.Errorf("sqlite: read migration %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("sqlite: apply migration %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, name, fmtTime(db.Now())); err != nil {
		return fmt.Errorf("sqlite: record migration %s: %w", name, err)
	}
	return tx.Commit()
}

// MigrationStatus lists every embedded migration and whether it is
// applied.
func (db *DB) MigrationStatus(ctx context.Context) ([]natverk.Migration, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	applied := map[string]time.Time{}
	rows, err := db.r.QueryContext(ctx, `SELECT version, applied_at FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: migration status: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v, at string
		if err := rows.Scan(&v, &at); err != nil {
			return nil, err
		}
		applied[v] = parseTime(at)
	}
	var out []natverk.Migration
	for _, n := range names {
		at, ok := applied[n]
		out = append(out, natverk.Migration{Version: strings.TrimPrefix(n, "migrations/"), Applied: ok, AppliedAt: at})
	}
	return out, rows.Err()
}

// Tx is a write transaction with its start time.
type Tx struct {
	*sql.Tx
	now    time.Time
	events int
	cache  *stmtDB // the write pool's prepared statements
}

// begin starts a write transaction (BEGIN IMMEDIATE).
func (db *DB) begin(ctx context.Context) (*Tx, error) {
	db.w.preparePending(ctx)
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, storeErr("begin", err)
	}
	return &Tx{Tx: tx, now: db.Now().UTC(), cache: db.w}, nil
}

// commit commits and wakes the relay when events were written.
func (db *DB) commit(tx *Tx) error {
	if err := tx.Commit(); err != nil {
		return storeErr("commit", err)
	}
	if tx.events > 0 {
		select {
		case db.notify <- struct{}{}:
		default:
		}
	}
	return nil
}

// emit writes events to the outbox in the transaction.
func (tx *Tx) emit(ctx context.Context, evs ...events.Envelope) error {
	if len(evs) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO outbox (event_id, type, network_id, body, created_at) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return storeErr("prepare outbox insert", err)
	}
	defer stmt.Close()
	for i := range evs {
		body, err := evs[i].Marshal()
		if err != nil {
			return fmt.Errorf("sqlite: encode event: %w", err)
		}
		if _, err := stmt.ExecContext(ctx, evs[i].ID, evs[i].Type, evs[i].NetworkID, body, fmtTime(evs[i].OccurredAt)); err != nil {
			return storeErr("insert outbox", err)
		}
	}
	tx.events += len(evs)
	return nil
}

const timeLayout = "2006-01-02T15:04:05.000000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func fmtTimePtr(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return fmtTime(*t)
}

func parseTime(s string) time.Time {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		t, _ = time.Parse(time.RFC3339Nano, s)
	}
	return t.UTC()
}

func parseTimePtr(s sql.NullString) *time.Time {
	if !s.Valid || s.String == "" {
		return nil
	}
	t := parseTime(s.String)
	return &t
}

// storeErr wraps a driver error: constraint violations become ECONFLICT,
// a full disk or a locked database EUNAVAILABLE, anything else internal.
func storeErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *natverk.Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CONSTRAINT:
			return &natverk.Error{Code: natverk.ECONFLICT, Message: "That conflicts with what is stored.", Err: err}
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY:
			return natverk.Unavailable("The database", fmt.Errorf("sqlite: %s: %w", op, err))
		}
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// placeholders returns "?, ?, ?" for n values.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}
