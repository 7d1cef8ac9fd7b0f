package events

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
)

// maxReasonLen caps the reason header (an error text can be long).
const maxReasonLen = 1024

// deadLetterTimeout bounds writing one dead letter.
const deadLetterTimeout = 10 * time.Second

// deadLetterMsg builds the dead letter of a message: the original body on
// natverk.dlq.<consumer>, with headers saying where it came from and why it
// was given up. Its Nats-Msg-Id is "dlq-<consumer>-<original Nats-Msg-Id>",
// which for an event published by the relay is "dlq-<consumer>-<event id>":
// writing the same dead letter twice stores it once.
func deadLetterMsg(consumer, subject string, h nats.Header, data []byte, streamSeq, deliveries uint64, reason string) *nats.Msg {
	m := nats.NewMsg(DeadLetterPrefix + consumer)
	m.Data = data
	for _, k := range []string{HeaderCESpecVersion, HeaderCEID, HeaderCEType, HeaderCESource, HeaderCETime, HeaderContentType} {
		if v := h.Get(k); v != "" {
			m.Header.Set(k, v)
		}
	}
	origID := h.Get(HeaderMsgID)
	if origID == "" {
		origID = h.Get(HeaderCEID)
	}
	if origID == "" {
		origID = "seq-" + strconv.FormatUint(streamSeq, 10)
	}
	m.Header.Set(HeaderMsgID, "dlq-"+consumer+"-"+origID)
	m.Header.Set(HeaderDLQReason, headerValue(reason))
	m.Header.Set(HeaderDLQSubject, subject)
	m.Header.Set(HeaderDLQStreamSeq, strconv.FormatUint(streamSeq, 10))
	m.Header.Set(HeaderDLQDeliveries, strconv.FormatUint(deliveries, 10))
	m.Header.Set(HeaderDLQConsumer, consumer)
	m.Header.Set(HeaderDLQMsgID, origID)
	return m
}

// headerValue makes s safe as a header value: control characters become
// spaces and it is cut to maxReasonLen bytes on a rune boundary.
func headerValue(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxReasonLen {
		cut := maxReasonLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// deadLetterDelivery writes d's dead letter and terminates d. If the dead
// letter cannot be written, d is nakked instead so the message is not
// lost: it comes back for another try (or, past MaxDeliver, through the
// max-deliveries advisory). d.once is held.
func (c *Consumer) deadLetterDelivery(d *delivery, reason string) {
	md := d.meta
	subject := d.msg.Subject()
	m := deadLetterMsg(c.cfg.Name, subject, d.msg.Headers(), d.msg.Data(), md.Sequence.Stream, md.NumDelivered, reason)
	ctx, cancel := context.WithTimeout(context.Background(), deadLetterTimeout)
	defer cancel()
	if _, err := c.js.PublishMsg(ctx, m); err != nil {
		c.log.Error("events: dead letter not written; message nakked", "subject", subject, "stream_seq", md.Sequence.Stream, "reason", reason, "error", err)
		if err := d.msg.NakWithDelay(c.cfg.backoff(md.NumDelivered)); err != nil {
			c.log.Warn("events: nak failed", "subject", subject, "error", err)
		}
		return
	}
	c.log.Error("events: message dead-lettered", "subject", subject, "stream_seq", md.Sequence.Stream,
		"delivery", md.NumDelivered, "dlq", m.Subject, "reason", reason)
	c.cfg.Observer.DeadLettered(c.cfg.Name, subject, reason)
	if err := d.msg.TermWithReason("dead-lettered to " + m.Subject); err != nil {
		c.log.Warn("events: term failed", "subject", subject, "error", err)
	}
}

// maxDeliveriesAdvisory is the part of the server's
// io.nats.jetstream.advisory.v1.max_deliver advisory we read.
type maxDeliveriesAdvisory struct {
	Stream     string `json:"stream"`
	Consumer   string `json:"consumer"`
	StreamSeq  uint64 `json:"stream_seq"`
	Deliveries uint64 `json:"deliveries"`
}

// watchMaxDeliveries subscribes to the server's advisory for a message
// that reached MaxDeliver without an ack or a term (its handler's process
// died or hung on the last delivery) and dead-letters that message too.
// Every process sharing the consumer receives the advisory; the dead
// letter's Nats-Msg-Id makes the stream keep one copy.
func (c *Consumer) watchMaxDeliveries() error {
	subj := fmt.Sprintf("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.%s.%s", c.stream, c.cfg.Name)
	sub, err := c.js.Conn().Subscribe(subj, func(m *nats.Msg) {
		var a maxDeliveriesAdvisory
		if err := json.Unmarshal(m.Data, &a); err != nil || a.StreamSeq == 0 {
			c.log.Warn("events: unreadable max-deliveries advisory", "data", string(m.Data))
			return
		}
		c.deadLetterSeq(a.StreamSeq, a.Deliveries)
	})
	if err != nil {
		return fmt.Errorf("events: consumer %s: watch max deliveries: %w", c.cfg.Name, err)
	}
	c.mu.Lock()
	c.advisory = sub
	c.mu.Unlock()
	return nil
}

// deadLetterSeq dead-letters the stream message seq that the server gave
// up on.
func (c *Consumer) deadLetterSeq(seq, deliveries uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), deadLetterTimeout)
	defer cancel()
	raw, err := c.str.GetMsg(ctx, seq)
	if err != nil {
		c.log.Error("events: message past MaxDeliver not dead-lettered: cannot read it", "stream_seq", seq, "error", err)
		return
	}
	reason := fmt.Sprintf("no ack after %d deliveries (the handler's process stopped, crashed or hung)", deliveries)
	m := deadLetterMsg(c.cfg.Name, raw.Subject, raw.Header, raw.Data, seq, deliveries, reason)
	ack, err := c.js.PublishMsg(ctx, m)
	if err != nil {
		c.log.Error("events: message past MaxDeliver not dead-lettered", "stream_seq", seq, "error", err)
		return
	}
	if !ack.Duplicate {
		c.log.Error("events: message dead-lettered", "subject", raw.Subject, "stream_seq", seq,
			"delivery", deliveries, "dlq", m.Subject, "reason", reason)
		c.cfg.Observer.DeadLettered(c.cfg.Name, raw.Subject, reason)
	}
}
