package events

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"
)

// handle runs the handler on one delivery and settles it.
func (c *Consumer) handle(d *delivery) {
	c.track(d, true)
	defer c.track(d, false)

	md, err := d.msg.Metadata()
	if err != nil {
		// Not a JetStream delivery: nothing to ack; should not happen.
		c.log.Error("events: message without JetStream metadata", "subject", d.msg.Subject(), "error", err)
		return
	}
	d.meta = md
	if rc := d.msg.Headers().Get(HeaderRetryConsumer); rc != "" && rc != c.cfg.Name {
		// A dead letter of another consumer re-driven on its subject.
		c.settle(d, nil)
		return
	}
	start := time.Now()
	e, err := ParseJetStreamMsg(d.msg)
	if err != nil {
		err = Permanent(err)
	} else {
		err = c.run(d, e)
	}
	c.cfg.Observer.Handled(c.cfg.Name, d.msg.Subject(), err, time.Since(start))
	c.settle(d, err)
}

func (c *Consumer) track(d *delivery, on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if on {
		c.inflight[d] = struct{}{}
	} else {
		delete(c.inflight, d)
	}
}

// run calls the handler with a timeout, sends progress heartbeats while it
// runs, and turns a panic into an error.
func (c *Consumer) run(d *delivery, e Envelope) (err error) {
	ctx, cancel := context.WithTimeout(c.runCtx, c.cfg.HandlerTimeout)
	defer cancel()
	ctx = WithDelivery(ctx, Delivery{
		Consumer:     c.cfg.Name,
		StreamSeq:    d.meta.Sequence.Stream,
		NumDelivered: int(d.meta.NumDelivered),
		MaxDeliver:   c.cfg.MaxDeliver,
	})
	stop := make(chan struct{})
	defer close(stop)
	go c.heartbeat(d, stop)
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("events: handler panicked", "subject", e.Type, "event_id", e.ID, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("events: handler panic: %v", r)
		}
	}()
	return c.h(ctx, e)
}

// heartbeat tells the server the message is still being worked on every
// AckWait/2, so a long handler is not redelivered elsewhere.
func (c *Consumer) heartbeat(d *delivery, stop <-chan struct{}) {
	t := time.NewTicker(c.cfg.AckWait / 2)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-c.runCtx.Done():
			return
		case <-t.C:
			if err := d.msg.InProgress(); err != nil {
				c.log.Warn("events: progress heartbeat failed", "subject", d.msg.Subject(), "error", err)
			}
		}
	}
}

// settle acks the message on success; after an error it retries it with
// the backoff for this delivery, or dead-letters it when the error is
// permanent or this was the last allowed delivery.
func (c *Consumer) settle(d *delivery, herr error) {
	d.once.Do(func() {
		md := d.meta
		subject := d.msg.Subject()
		switch {
		case herr == nil:
			if err := d.msg.Ack(); err != nil {
				c.log.Warn("events: ack failed", "subject", subject, "stream_seq", md.Sequence.Stream, "error", err)
			}
		case c.runCtx.Err() != nil && errors.Is(herr, context.Canceled) && !IsPermanent(herr):
			// The consumer is stopping and cancelled the handler.
			c.interruptLocked(d)
		case IsPermanent(herr) || md.NumDelivered >= uint64(c.cfg.MaxDeliver):
			c.deadLetterDelivery(d, herr.Error())
		default:
			delay := c.cfg.backoff(md.NumDelivered)
			c.log.Warn("events: handler failed; will retry", "subject", subject, "stream_seq", md.Sequence.Stream,
				"delivery", md.NumDelivered, "max_deliver", c.cfg.MaxDeliver, "retry_in", delay, "error", herr)
			if err := d.msg.NakWithDelay(delay); err != nil {
				c.log.Warn("events: nak failed", "subject", subject, "error", err)
			}
		}
	})
}

// interrupt settles a delivery the consumer gave up on while stopping.
func (c *Consumer) interrupt(d *delivery) {
	d.once.Do(func() { c.interruptLocked(d) })
}

// interruptLocked naks d for immediate redelivery elsewhere, or, on its
// last allowed delivery, dead-letters it. d.once is held.
func (c *Consumer) interruptLocked(d *delivery) {
	if d.meta == nil {
		md, err := d.msg.Metadata()
		if err != nil {
			return
		}
		d.meta = md
	}
	if d.meta.NumDelivered >= uint64(c.cfg.MaxDeliver) {
		c.deadLetterDelivery(d, "consumer stopped before the handler finished, on the last allowed delivery")
		return
	}
	if err := d.msg.Nak(); err != nil {
		c.log.Warn("events: nak on stop failed", "subject", d.msg.Subject(), "error", err)
	}
}
