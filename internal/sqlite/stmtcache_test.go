package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// TestStatementCache checks the prepared-statement cache: reads are
// prepared once and reused; a query first met inside a write transaction
// runs unprepared and is prepared before the next one begins; texts with
// several statements are never cached; the cache stays within its bound.
func TestStatementCache(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "natverk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	const q = `SELECT count(*) FROM members WHERE id > ?`
	for range 3 {
		var n int
		if err := db.r.QueryRowContext(ctx, q, 0).Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	if db.r.lookup(q) == nil {
		t.Fatal("a read query was not kept prepared")
	}

	const w = `UPDATE members SET name = name WHERE id = ?`
	if err := db.write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, w, 1)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if db.w.lookup(w) != nil {
		t.Fatal("a query met in a transaction was prepared while the transaction held the connection")
	}
	if err := db.write(ctx, func(tx *Tx) error {
		if tx.cache.lookup(w) == nil {
			return fmt.Errorf("the query met in the last transaction was not prepared before this one")
		}
		_, err := tx.ExecContext(ctx, w, 1)
		return err
	}); err != nil {
		t.Fatal(err)
	}

	// Several statements in one text: all run, none cached.
	const multi = `CREATE TEMP TABLE IF NOT EXISTS t1 (x); INSERT INTO t1 VALUES (1); INSERT INTO t1 VALUES (2)`
	if _, err := db.w.ExecContext(ctx, multi); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.w.QueryRowContext(ctx, `SELECT count(*) FROM t1`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("multi-statement text: %d rows, %v; want 2", n, err)
	}
	if db.w.lookup(multi) != nil {
		t.Fatal("a text of several statements was cached")
	}

	// The bound: distinct texts beyond it evict the least recently used.
	for i := range maxCachedStatements + 10 {
		if err := db.r.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d`, i)).Scan(&n); err != nil || n != i {
			t.Fatalf("SELECT %d: %d %v", i, n, err)
		}
	}
	db.r.mu.Lock()
	size := db.r.lru.Len()
	db.r.mu.Unlock()
	if size != maxCachedStatements || db.r.lookup(q) != nil || db.r.lookup(`SELECT 0`) != nil {
		t.Fatalf("cache holds %d statements (bound %d); the oldest should be gone", size, maxCachedStatements)
	}
}

// TestStatementCacheEvictedStillUsable checks that a statement looked up
// just before another query evicts it still runs, and that evicted
// statements are closed once they have been retired long enough.
func TestStatementCacheEvictedStillUsable(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "natverk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clock := time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC)
	db.r.mu.Lock()
	db.r.now = func() time.Time { return clock }
	db.r.mu.Unlock()

	const q = `SELECT 41 + ?`
	st, err := db.r.stmt(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	// Other queries push it out of the cache meanwhile.
	for i := range maxCachedStatements + 5 {
		var n int
		if err := db.r.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d`, i)).Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	if db.r.lookup(q) != nil {
		t.Fatal("the statement was not evicted")
	}
	var n int
	if err := st.QueryRowContext(ctx, 1).Scan(&n); err != nil || n != 42 {
		t.Fatalf("a statement evicted between lookup and use failed: %d, %v", n, err)
	}
	// Later evictions close what was retired long enough ago.
	clock = clock.Add(retireDelay)
	if err := db.r.QueryRowContext(ctx, `SELECT 'one more'`).Scan(new(string)); err != nil {
		t.Fatal(err)
	}
	if err := st.QueryRowContext(ctx, 1).Scan(&n); err == nil {
		t.Error("a statement retired for retireDelay was not closed")
	}
	db.r.mu.Lock()
	retired := len(db.r.retired)
	db.r.mu.Unlock()
	if retired != 1 {
		t.Errorf("%d statements retired; want the last one only", retired)
	}
}
