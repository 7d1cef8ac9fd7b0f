package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

// Defaults of Worker.
const (
	DefaultParallel  = 8
	DefaultRetention = 30 * 24 * time.Hour
	// pruneEvery spaces the pruning of old delivery records.
	pruneEvery = time.Hour
	// recordTimeout bounds recording one delivery.
	recordTimeout = 30 * time.Second
)

// Worker is the handler of the "webhooks" consumer: it delivers each event
// to the endpoints subscribed to its type.
type Worker struct {
	Store  natverk.WebhookStore
	Sender *Sender
	// Log gets a line when pruning old deliveries fails; nil discards.
	Log *slog.Logger
	// Now returns the current time; nil is time.Now.
	Now func() time.Time
	// Parallel bounds the endpoints one event is sent to at once;
	// default 8.
	Parallel int
	// Retention is how long delivery records are kept (older ones are
	// pruned about hourly); default 30 days, negative keeps them all.
	// Keep it at least as long as the stream keeps events, or a
	// re-driven dead letter may be sent again.
	Retention time.Duration

	mu        sync.Mutex
	lastPrune time.Time
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

// Handle delivers e to every endpoint subscribed to its type that has not
// got it yet, records each outcome, and returns an error naming the
// endpoints that failed, so the consumer retries the event (for them
// only) after its backoff and finally dead-letters it. Paused endpoints
// are recorded as skipped and not sent to later.
func (w *Worker) Handle(ctx context.Context, e events.Envelope) error {
	w.maybePrune(ctx)
	hooks, err := w.Store.FindWebhooks(ctx)
	if err != nil {
		return fmt.Errorf("webhook: list endpoints: %w", err)
	}
	var targets []*natverk.Webhook
	for _, h := range hooks {
		if h.Subscribes(e.Type) {
			targets = append(targets, h)
		}
	}
	if len(targets) == 0 {
		return nil
	}
	prior, err := w.Store.FindWebhookDeliveries(ctx, natverk.WebhookDeliveryFilter{EventID: e.ID, Limit: natverk.MaxPageSize})
	if err != nil {
		return fmt.Errorf("webhook: deliveries of %s: %w", e.ID, err)
	}
	final := map[int64]bool{}
	for _, d := range prior {
		final[d.WebhookID] = d.Final()
	}
	var body []byte
	p, err := NewPayload(e)
	if err == nil {
		body, err = p.Marshal()
	}
	if err != nil {
		// The event itself is malformed: no retry can send it.
		return events.Permanent(err)
	}

	parallel := w.Parallel
	if parallel <= 0 {
		parallel = DefaultParallel
	}
	sem := make(chan struct{}, parallel)
	var mu sync.Mutex
	var failures []string
	var wg sync.WaitGroup
	for _, h := range targets {
		if final[h.ID] {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := w.deliver(ctx, h, e, body); err != nil {
				mu.Lock()
				failures = append(failures, fmt.Sprintf("#%d: %s", h.ID, strings.TrimPrefix(err.Error(), "webhook: ")))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(failures) > 0 {
		sort.Strings(failures)
		return fmt.Errorf("webhook: %s to %d of %d endpoints failed: %s", e.ID, len(failures), len(targets), strings.Join(failures, "; "))
	}
	return nil
}

// deliver sends (or skips) one delivery and records it. It returns an
// error when the endpoint did not take the event or the outcome could
// not be recorded.
func (w *Worker) deliver(ctx context.Context, h *natverk.Webhook, e events.Envelope, body []byte) error {
	rec := natverk.WebhookDelivery{WebhookID: h.ID, EventID: e.ID, EventType: e.Type}
	var sendErr error
	if h.Paused {
		rec.Status = natverk.WebhookSkipped
	} else {
		res := w.Sender.Send(ctx, h.URL, h.Secrets(w.now()), e.ID, body)
		rec.Code, sendErr = res.Code, res.Err
		rec.Status = natverk.WebhookDelivered
		if sendErr != nil {
			rec.Status = natverk.WebhookFailed
			rec.Error = strings.TrimPrefix(sendErr.Error(), "webhook: ")
		}
	}
	// Record even when ctx ended (the request was made or not; either way
	// the record must say so), within a bound of its own.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	_, err := w.Store.RecordWebhookDelivery(rctx, rec)
	switch {
	case natverk.ErrorCode(err) == natverk.ENOTFOUND:
		return nil // the endpoint was deleted meanwhile
	case err != nil:
		if sendErr == nil && rec.Status == natverk.WebhookDelivered {
			// Delivered but not recorded: a retry sends it again, which
			// the receiver drops by webhook-id.
			return fmt.Errorf("delivered, but recording it failed: %w", err)
		}
		return fmt.Errorf("record delivery: %w", err)
	}
	return sendErr
}

// maybePrune deletes old delivery records, at most once per pruneEvery.
func (w *Worker) maybePrune(ctx context.Context) {
	keep := w.Retention
	if keep == 0 {
		keep = DefaultRetention
	}
	if keep < 0 {
		return
	}
	now := w.now()
	w.mu.Lock()
	if !w.lastPrune.IsZero() && now.Sub(w.lastPrune) < pruneEvery {
		w.mu.Unlock()
		return
	}
	w.lastPrune = now
	w.mu.Unlock()
	if _, err := w.Store.PruneWebhookDeliveries(ctx, now.Add(-keep)); err != nil && w.Log != nil {
		w.Log.Warn("webhook: pruning old deliveries failed", "error", err)
	}
}
