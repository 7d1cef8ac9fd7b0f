package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// OutboxNotify returns a channel that receives a value soon after any
// process commits events to the outbox. The first call starts a LISTEN
// natverk_outbox on a connection of its own, outside the pool; it
// reconnects with backoff when the connection is lost and then sends a
// value, since notifications sent meanwhile are lost. Commits made
// through this DB also signal the channel directly. Close closes it.
// Signals coalesce (the channel holds one), and delivery is best effort:
// the relay polls as well.
func (db *DB) OutboxNotify() <-chan struct{} {
	db.listen.Do(func() {
		db.mu.Lock()
		defer db.mu.Unlock()
		if db.closed {
			return
		}
		db.wg.Add(1)
		go db.listenLoop(db.stopCtx)
	})
	return db.notify
}

// wake signals the notify channel without blocking.
func (db *DB) wake() {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return
	}
	select {
	case db.notify <- struct{}{}:
	default:
	}
}

// listenLoop holds the LISTEN connection until ctx ends.
func (db *DB) listenLoop(ctx context.Context) {
	defer db.wg.Done()
	failures := 0
	for {
		err := db.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			failures = 0
		}
		failures++
		select {
		case <-ctx.Done():
			return
		case <-time.After(db.backoff.delay(failures)):
		}
	}
}

// listenOnce connects, listens and forwards notifications until the
// connection fails or ctx ends. It returns nil if it was listening before
// it failed.
func (db *DB) listenOnce(ctx context.Context) error {
	cfg := db.pool.Config().ConnConfig.Copy()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+outboxNotifyChannel); err != nil {
		return err
	}
	// Anything committed while we were not listening is pending now.
	db.wake()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return nil
		}
		db.wake()
	}
}

// backoff computes reconnect delays: min doubled per failure, capped at
// max.
type backoff struct {
	min, max time.Duration
}

func (b backoff) delay(failures int) time.Duration {
	d := b.min
	for i := 1; i < failures && d < b.max; i++ {
		d *= 2
	}
	return min(d, b.max)
}
