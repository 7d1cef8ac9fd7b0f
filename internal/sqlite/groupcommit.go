package sqlite

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
)

// maxGroup bounds how many writes share one transaction.
const maxGroup = 64

// errClosed answers writes after Close.
var errClosed = errors.New("the store is closed")

// writeReq is one write waiting for the writer.
type writeReq struct {
	ctx  context.Context
	fn   func(tx *Tx) error
	done chan error // buffered: the writer never waits for the caller
}

// writePanic carries a panic in a write function back to its caller's
// goroutine, where it is raised again.
type writePanic struct {
	value any
	stack []byte
}

func (p *writePanic) Error() string { return fmt.Sprintf("sqlite: write panicked: %v", p.value) }

// write runs fn in a write transaction and commits it; it returns once
// the transaction holding fn's writes has committed (nil) or fn's writes
// are undone (the error).
//
// SQLite has one writer, so every write goes through one goroutine
// (writer), which commits concurrent writes together: the writes waiting
// when a transaction begins run in it one after another, each inside a
// SAVEPOINT, so one that fails is undone alone, and a single COMMIT
// covers them all (group commit). Under load this replaces a BEGIN, a
// COMMIT and a WAL append per write with one per group; alone, a write
// runs as before, in a transaction of its own.
func (db *DB) write(ctx context.Context, fn func(tx *Tx) error) error {
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case db.writes <- req:
	case <-ctx.Done():
		return storeErr("begin", ctx.Err())
	case <-db.closing:
		return storeErr("begin", errClosed)
	}
	err := <-req.done
	if p, ok := err.(*writePanic); ok {
		panic(fmt.Sprintf("%v\n\nin the store's writer:\n%s", p.value, p.stack))
	}
	return err
}

// writer runs the writes, a group at a time, until the store closes.
func (db *DB) writer() {
	defer close(db.writerDone)
	for {
		var first *writeReq
		select {
		case first = <-db.writes:
		case <-db.closing:
			return
		}
		group := []*writeReq{first}
	drain:
		for len(group) < maxGroup {
			select {
			case r := <-db.writes:
				group = append(group, r)
			default:
				break drain
			}
		}
		for len(group) > 0 {
			group = db.runGroup(group)
		}
	}
}

// runGroup runs the writes of a group in one transaction and answers
// each. When the transaction breaks (SQLite rolled it back, as it does
// after an interrupted statement or a full disk) the writes already run
// get the error and the rest are returned, to run in a new transaction.
func (db *DB) runGroup(group []*writeReq) (rest []*writeReq) {
	ctx := context.Background()
	tx, err := db.begin(ctx)
	if err != nil {
		for _, r := range group {
			r.done <- err
		}
		return nil
	}
	defer tx.Rollback()
	if len(group) == 1 {
		r := group[0]
		if err := r.ctx.Err(); err != nil {
			r.done <- storeErr("begin", err)
			return nil
		}
		if err := runFn(r.fn, tx); err != nil {
			r.done <- err
			return nil
		}
		r.done <- db.commit(tx)
		return nil
	}
	var ran []*writeReq
	broken := func(r *writeReq, rerr error, err error) []*writeReq {
		if r != nil {
			r.done <- rerr
		}
		for _, x := range ran {
			x.done <- storeErr("write", err)
		}
		return nil
	}
	for i, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.done <- storeErr("begin", err)
			continue
		}
		if _, err := tx.ExecContext(ctx, `SAVEPOINT w`); err != nil {
			broken(nil, nil, err)
			return group[i:]
		}
		if ferr := runFn(r.fn, tx); ferr != nil {
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO w`); err != nil {
				broken(r, ferr, err)
				return group[i+1:]
			}
			if _, err := tx.ExecContext(ctx, `RELEASE w`); err != nil {
				broken(r, ferr, err)
				return group[i+1:]
			}
			// Undone: nothing of it will be committed.
			r.done <- ferr
			continue
		}
		if _, err := tx.ExecContext(ctx, `RELEASE w`); err != nil {
			broken(r, storeErr("write", err), err)
			return group[i+1:]
		}
		ran = append(ran, r)
	}
	if len(ran) == 0 {
		return nil
	}
	err = db.commit(tx)
	for _, r := range ran {
		r.done <- err
	}
	return nil
}

// runFn runs a write function, turning a panic into a *writePanic.
func runFn(fn func(tx *Tx) error, tx *Tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &writePanic{value: v, stack: debug.Stack()}
		}
	}()
	return fn(tx)
}
