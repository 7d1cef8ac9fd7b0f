// Package relay publishes the transactional outbox to JetStream.
//
// Every state change is committed together with its events in the
// outbox (see natverk.OutboxStore). The relay reads unpublished events in
// commit order, publishes them in batches (asynchronously, waiting for
// every acknowledgement), and marks published the acknowledged prefix of
// each batch. An event is therefore published only after its change was
// committed, and every committed event is published at least once even
// across crashes; JetStream drops a repeated publish inside its duplicate
// window (Nats-Msg-Id = event id), and consumers are idempotent beyond it.
//
// One relay publishes at a time: relays in several processes share a
// lease in the store, so a second relay takes over within the lease's
// lifetime when the first dies, and commit order is kept — except when the
// stream's leader changes in the middle of a batch, when an event lost at
// the old leader is stored after later ones (handlers are order-insensitive,
// docs/EVENTS.md).
package relay

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

// Store is what the relay needs of the store.
type Store interface {
	natverk.OutboxStore
	natverk.LeaseStore
}

// Publisher publishes a batch and returns one error per event (nil =
// acknowledged by the stream).
type Publisher interface {
	PublishBatch(ctx context.Context, es []events.Envelope) []error
}

// Metrics receives the relay's counts (nil = none).
type Metrics interface {
	Published(n int)
	PublishFailed(n int)
	Backlog(pending int, oldest time.Time)
}

// Relay moves outbox events to JetStream.
type Relay struct {
	Store     Store
	Publisher Publisher
	Log       *slog.Logger
	Metrics   Metrics
	// Holder names this relay in the lease (host and pid, say).
	Holder string
	// Batch is the most events published at once (default 1000).
	Batch int
	// Poll is how often the outbox is read when no notification comes
	// (default 500ms): the fallback for changes made by other processes.
	Poll time.Duration
	// LeaseTTL is how long the lease lasts unless renewed (default 15s).
	LeaseTTL time.Duration
	// Retention is how long published events stay in the outbox (default
	// 7 days); PruneEvery is how often old ones are deleted (default 1h).
	Retention  time.Duration
	PruneEvery time.Duration
	// PublishTimeout bounds the wait for one batch's acknowledgements
	// (default 5s); a batch that times out is published again.
	PublishTimeout time.Duration
	// Now returns the time (default time.Now).
	Now func() time.Time

	mu      sync.Mutex
	lastErr error
	leader  bool
}

func (r *Relay) defaults() {
	if r.Batch <= 0 {
		r.Batch = 1000
	}
	if r.Poll <= 0 {
		r.Poll = 500 * time.Millisecond
	}
	if r.LeaseTTL <= 0 {
		r.LeaseTTL = 15 * time.Second
	}
	if r.Retention <= 0 {
		r.Retention = 7 * 24 * time.Hour
	}
	if r.PruneEvery <= 0 {
		r.PruneEvery = time.Hour
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.PublishTimeout <= 0 {
		r.PublishTimeout = 5 * time.Second
	}
	if r.Log == nil {
		r.Log = slog.New(slog.DiscardHandler)
	}
	if r.Holder == "" {
		r.Holder = events.NewID(time.Now())
	}
}

// Status reports whether this relay holds the lease and the last error
// publishing or taking the lease (nil when the last attempt succeeded,
// and for a relay that waits while another holds the lease).
func (r *Relay) Status() (leader bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.leader, r.lastErr
}

func (r *Relay) setStatus(leader bool, err error) {
	r.mu.Lock()
	r.leader, r.lastErr = leader, err
	r.mu.Unlock()
}

// Run publishes until ctx is done. It returns nil on cancellation; store
// and broker failures are logged and retried with backoff, never fatal.
func (r *Relay) Run(ctx context.Context) error {
	r.defaults()
	notify := r.Store.OutboxNotify()
	var lastLease, lastPrune time.Time
	leader := false
	var leaseErr error
	backoff := time.Duration(0)
	defer func() {
		if leader {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			r.Store.ReleaseLease(rctx, "relay", r.Holder)
			cancel()
		}
	}()
	for {
		if ctx.Err() != nil {
			return nil
		}
		now := r.Now()
		if now.Sub(lastLease) >= r.LeaseTTL/3 || !leader {
			ok, err := r.Store.AcquireLease(ctx, "relay", r.Holder, now, r.LeaseTTL)
			leaseErr = nil
			if err != nil {
				r.Log.Warn("relay: lease", "err", err)
				ok, leaseErr = false, fmt.Errorf("relay: lease: %w", err)
			}
			if ok != leader {
				r.Log.Info("relay: lease", "leader", ok, "holder", r.Holder)
			}
			leader, lastLease = ok, now
		}
		if !leader {
			// Another relay holds the lease (no error), or the store
			// refused the lease (an error /readyz reports; asked again
			// within a second, so publishing resumes soon after the store
			// does).
			r.setStatus(false, leaseErr)
			wait := r.LeaseTTL / 3
			if leaseErr != nil {
				wait = min(wait, time.Second)
			}
			if !sleep(ctx, wait) {
				return nil
			}
			continue
		}
		if now.Sub(lastPrune) >= r.PruneEvery {
			if n, err := r.Store.PruneOutbox(ctx, now.Add(-r.Retention)); err != nil {
				r.Log.Warn("relay: prune", "err", err)
			} else if n > 0 {
				r.Log.Info("relay: pruned published events", "count", n)
			}
			lastPrune = now
		}
		n, err := r.publishOnce(ctx)
		r.setStatus(true, err)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			backoff = min(max(2*backoff, 100*time.Millisecond), 5*time.Second)
			r.Log.Warn("relay: publish", "err", err, "retry_in", backoff)
			if !sleep(ctx, backoff) {
				return nil
			}
			continue
		}
		backoff = 0
		if n == r.Batch {
			continue // more waiting
		}
		select {
		case <-ctx.Done():
			return nil
		case <-notify:
		case <-time.After(r.Poll):
		}
	}
}

// publishOnce publishes one batch and returns how many events it read.
func (r *Relay) publishOnce(ctx context.Context) (int, error) {
	pending, err := r.Store.PendingOutbox(ctx, r.Batch)
	if err != nil {
		return 0, fmt.Errorf("relay: read outbox: %w", err)
	}
	if r.Metrics != nil {
		if n, oldest, err := r.Store.OutboxStats(ctx); err == nil {
			r.Metrics.Backlog(n, oldest)
		}
	}
	if len(pending) == 0 {
		return 0, nil
	}
	es := make([]events.Envelope, len(pending))
	for i, p := range pending {
		es[i] = p.Event
	}
	pctx, cancel := context.WithTimeout(ctx, r.PublishTimeout)
	errs := r.Publisher.PublishBatch(pctx, es)
	cancel()
	// Mark the acknowledged prefix: events after a failure are published
	// again next round (the stream drops the repeats), which keeps commit
	// order for the consumers.
	var done []int64
	var firstErr error
	for i, err := range errs {
		if err != nil {
			firstErr = err
			break
		}
		done = append(done, pending[i].Seq)
	}
	if len(done) > 0 {
		// Counted as JetStream acknowledged them: the events are in the
		// stream whatever happens to the mark below (a mark whose commit
		// the store cannot confirm may or may not have been written; if it
		// was not, the events are published again and counted again).
		if r.Metrics != nil {
			r.Metrics.Published(len(done))
		}
		// Marking them must not be cut short by shutdown, or they would be
		// published again after a restart.
		mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := r.Store.MarkPublished(mctx, done, r.Now()); err != nil {
			return len(pending), fmt.Errorf("relay: mark published: %w", err)
		}
	}
	if firstErr != nil {
		if r.Metrics != nil {
			r.Metrics.PublishFailed(len(pending) - len(done))
		}
		return len(pending), fmt.Errorf("relay: publish %s: %w", pending[len(done)].Event.Type, firstErr)
	}
	return len(pending), nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
