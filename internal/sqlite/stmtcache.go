package sqlite

import (
	"container/list"
	"context"
	"database/sql"
	"strings"
	"sync"
	"time"
)

// maxCachedStatements bounds the prepared statements kept per pool. The
// store's queries are a few hundred fixed strings; queries built from
// input (IN lists of varying length, search filters) come and go through
// the least-recently-used end.
const maxCachedStatements = 512

// stmtDB is a connection pool that keeps its queries prepared. database/sql
// prepares a statement for every Query and Exec on a *sql.DB, and SQLite's
// statement preparation (parsing and planning) was a quarter of a feed
// request's CPU and an eighth of a fan-out's (docs/PERFORMANCE.md); the
// modernc driver keeps no statement cache of its own, so we do: one
// *sql.Stmt per query text, which database/sql prepares once per
// connection and reuses, also inside transactions (Tx.StmtContext finds
// the statement already prepared on the transaction's connection).
type stmtDB struct {
	*sql.DB

	mu      sync.Mutex
	stmts   map[string]*list.Element // of *cachedStmt
	lru     list.List                // front: most recently used
	pending map[string]bool          // first met inside a transaction; prepared at the next begin
	retired []retiredStmt            // evicted, closed once retireDelay has passed
	now     func() time.Time         // for tests; nil = time.Now
}

// retireDelay is how long an evicted statement stays open: a caller that
// looked it up just before the eviction still runs its query on it
// (database/sql refuses a closed statement, even between lookup and use).
const retireDelay = 30 * time.Second

// retiredStmt is an evicted statement waiting to be closed.
type retiredStmt struct {
	stmt *sql.Stmt
	at   time.Time
}

type cachedStmt struct {
	query string
	stmt  *sql.Stmt
}

func newStmtDB(db *sql.DB) *stmtDB {
	return &stmtDB{DB: db, stmts: map[string]*list.Element{}, pending: map[string]bool{}}
}

// cacheable reports whether a query can be kept prepared: SQLite prepares
// only the first statement of a text, so texts holding several are run
// as they are.
func cacheable(query string) bool {
	return !strings.Contains(strings.TrimRight(query, "; \t\r\n"), ";")
}

// lookup returns the cached statement for query, or nil.
func (c *stmtDB) lookup(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.stmts[query]; ok {
		c.lru.MoveToFront(el)
		return el.Value.(*cachedStmt).stmt
	}
	return nil
}

// want notes a query met inside a transaction. It cannot be prepared on
// the pool then: preparing takes a connection, and the write pool's one
// connection is the transaction's.
func (c *stmtDB) want(query string) {
	c.mu.Lock()
	if len(c.pending) < maxCachedStatements {
		c.pending[query] = true
	}
	c.mu.Unlock()
}

// preparePending prepares the queries noted by want. It runs before a
// write transaction begins, when the caller holds no connection.
func (c *stmtDB) preparePending(ctx context.Context) {
	c.mu.Lock()
	if len(c.pending) == 0 {
		c.mu.Unlock()
		return
	}
	qs := make([]string, 0, len(c.pending))
	for q := range c.pending {
		qs = append(qs, q)
	}
	c.pending = map[string]bool{}
	c.mu.Unlock()
	for _, q := range qs {
		// A query that does not prepare runs unprepared, as before.
		c.stmt(ctx, q)
	}
}

// stmt returns the prepared statement for query, preparing it on first
// use.
func (c *stmtDB) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st := c.lookup(query); st != nil {
		return st, nil
	}
	// Prepared outside the lock; a concurrent first use may prepare the
	// same query twice, and the loser's statement is closed.
	st, err := c.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.stmts[query]; ok {
		st.Close()
		c.lru.MoveToFront(el)
		return el.Value.(*cachedStmt).stmt, nil
	}
	c.stmts[query] = c.lru.PushFront(&cachedStmt{query: query, stmt: st})
	if c.lru.Len() > maxCachedStatements {
		old := c.lru.Remove(c.lru.Back()).(*cachedStmt)
		delete(c.stmts, old.query)
		c.retire(old.stmt)
	}
	return st, nil
}

// retire keeps an evicted statement open for retireDelay and closes those
// retired longer ago (database/sql then closes each once the queries
// running on it are done). The caller holds c.mu.
func (c *stmtDB) retire(st *sql.Stmt) {
	now := time.Now()
	if c.now != nil {
		now = c.now()
	}
	kept := c.retired[:0]
	for _, r := range c.retired {
		if now.Sub(r.at) >= retireDelay {
			r.stmt.Close()
		} else {
			kept = append(kept, r)
		}
	}
	c.retired = append(kept, retiredStmt{stmt: st, at: now})
}

// QueryContext runs a query through its prepared statement.
func (c *stmtDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if !cacheable(query) {
		return c.DB.QueryContext(ctx, query, args...)
	}
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext runs a query through its prepared statement.
func (c *stmtDB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if !cacheable(query) {
		return c.DB.QueryRowContext(ctx, query, args...)
	}
	st, err := c.stmt(ctx, query)
	if err != nil {
		// The plain path reports the same preparation error through Scan.
		return c.DB.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// ExecContext runs a statement through its prepared statement.
func (c *stmtDB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if !cacheable(query) {
		return c.DB.ExecContext(ctx, query, args...)
	}
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// Close closes the cached statements and the pool.
func (c *stmtDB) Close() error {
	c.mu.Lock()
	for _, el := range c.stmts {
		el.Value.(*cachedStmt).stmt.Close()
	}
	for _, r := range c.retired {
		r.stmt.Close()
	}
	c.retired = nil
	c.stmts = map[string]*list.Element{}
	c.lru.Init()
	c.mu.Unlock()
	return c.DB.Close()
}

// txStmt returns the pool's prepared statement for query bound to the
// transaction, or nil when the query is not prepared yet (it is noted,
// and prepared before a later transaction).
func (tx *Tx) txStmt(ctx context.Context, query string) *sql.Stmt {
	if tx.cache == nil || !cacheable(query) {
		return nil
	}
	st := tx.cache.lookup(query)
	if st == nil {
		tx.cache.want(query)
		return nil
	}
	return tx.Tx.StmtContext(ctx, st)
}

// QueryContext runs a query in the transaction, prepared once for the
// pool.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := tx.txStmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a query in the transaction, prepared once for the
// pool.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := tx.txStmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, query, args...)
}

// ExecContext runs a statement in the transaction, prepared once for the
// pool.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := tx.txStmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, query, args...)
}

// PrepareContext returns the statement for query in the transaction:
// the pool's prepared one when there is one, else one prepared for this
// transaction.
func (tx *Tx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	if st := tx.txStmt(ctx, query); st != nil {
		return st, nil
	}
	return tx.Tx.PrepareContext(ctx, query)
}
