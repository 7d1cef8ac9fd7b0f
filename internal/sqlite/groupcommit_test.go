package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestGroupCommit runs many concurrent writes, every third of which
// fails after writing, one of which panics and one of which comes with a
// cancelled context: each successful write is stored, nothing of a
// failed one is, the panic reaches its own caller only, and the others
// do not notice.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "natverk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE gc (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	errFail := errors.New("fails after writing")
	const n = 300
	results := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wctx := ctx
			if i == 7 {
				c, cancel := context.WithCancel(ctx)
				cancel()
				wctx = c
			}
			defer func() {
				if v := recover(); v != nil {
					results[i] = fmt.Errorf("panic: %v", v)
				}
			}()
			results[i] = db.write(wctx, func(tx *Tx) error {
				if _, err := tx.ExecContext(wctx, `INSERT INTO gc (id, v) VALUES (?, ?)`, i, "x"); err != nil {
					return err
				}
				if i == 11 {
					panic("boom")
				}
				if i%3 == 0 {
					return errFail
				}
				return nil
			})
		}()
	}
	wg.Wait()
	stored := map[int]bool{}
	rows, err := db.r.QueryContext(ctx, `SELECT id FROM gc`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int
		rows.Scan(&id)
		stored[id] = true
	}
	rows.Close()
	for i, err := range results {
		switch {
		case i == 7:
			if err == nil || !errors.Is(err, context.Canceled) || stored[i] {
				t.Errorf("write %d (cancelled): %v, stored %v", i, err, stored[i])
			}
		case i == 11:
			if err == nil || !strings.Contains(err.Error(), "boom") || stored[i] {
				t.Errorf("write %d (panics): %v, stored %v", i, err, stored[i])
			}
		case i%3 == 0:
			if !errors.Is(err, errFail) || stored[i] {
				t.Errorf("write %d (fails): %v, stored %v", i, err, stored[i])
			}
		default:
			if err != nil || !stored[i] {
				t.Errorf("write %d: %v, stored %v", i, err, stored[i])
			}
		}
	}

	// After Close, writes fail cleanly.
	db.Close()
	if err := db.write(ctx, func(tx *Tx) error { return nil }); err == nil {
		t.Fatal("a write after Close succeeded")
	}
}

// BenchmarkConcurrentWrites measures small write transactions from 32
// goroutines, as the mailer's claims and records come.
func BenchmarkConcurrentWrites(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "natverk.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE gc (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := db.write(ctx, func(tx *Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO gc (v) VALUES (?)`, "a small row of bookkeeping")
				return err
			}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
