package events

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"
)

// NewMsg builds the NATS message for an event: subject e.Type, the JSON
// envelope as body, Nats-Msg-Id = e.ID (so JetStream drops a repeated
// publish inside the stream's duplicate window) and the CloudEvents
// binary-mode headers. It rejects an envelope that could not be consumed:
// an id that is not a ULID, a type outside natverk.* (or inside the
// dead-letter subjects), no version or no time.
func NewMsg(e Envelope) (*nats.Msg, error) {
	if err := e.validate(); err != nil {
		return nil, err
	}
	body, err := json.Marshal(&e)
	if err != nil {
		return nil, fmt.Errorf("events: encode envelope %s: %w", e.ID, err)
	}
	m := nats.NewMsg(e.Type)
	m.Data = body
	m.Header.Set(HeaderMsgID, e.ID)
	m.Header.Set(HeaderCESpecVersion, CloudEventsSpecVersion)
	m.Header.Set(HeaderCEID, e.ID)
	m.Header.Set(HeaderCEType, e.Type)
	m.Header.Set(HeaderCESource, Source)
	m.Header.Set(HeaderCETime, e.OccurredAt.UTC().Format(time.RFC3339Nano))
	m.Header.Set(HeaderContentType, ContentTypeJSON)
	return m, nil
}

// validate checks what NewMsg needs of an envelope.
func (e *Envelope) validate() error {
	if _, err := ulid.ParseStrict(e.ID); err != nil {
		return fmt.Errorf("events: envelope id %q is not a ULID: %w", e.ID, err)
	}
	if err := checkEventSubject(e.Type); err != nil {
		return fmt.Errorf("events: envelope %s: %w", e.ID, err)
	}
	if e.Version < 1 {
		return fmt.Errorf("events: envelope %s (%s) has no schema version", e.ID, e.Type)
	}
	if e.OccurredAt.IsZero() {
		return fmt.Errorf("events: envelope %s (%s) has no occurred_at", e.ID, e.Type)
	}
	return nil
}

// checkEventSubject accepts a literal subject under natverk. that is not a
// dead-letter subject.
func checkEventSubject(s string) error {
	if !strings.HasPrefix(s, SubjectPrefix) {
		return fmt.Errorf("event type %q is not under %s", s, SubjectPrefix)
	}
	if strings.HasPrefix(s, DeadLetterPrefix) {
		return fmt.Errorf("event type %q is a dead-letter subject", s)
	}
	for tok := range strings.SplitSeq(s, ".") {
		if tok == "" || tok == "*" || tok == ">" || strings.ContainsAny(tok, " \t\r\n") {
			return fmt.Errorf("event type %q is not a valid literal subject", s)
		}
	}
	return nil
}

// ParseMsg decodes an event message (as built by [NewMsg]). It fails when
// the body is not an envelope or does not agree with the subject or the
// ce-id header.
func ParseMsg(m *nats.Msg) (Envelope, error) {
	return parse(m.Subject, m.Header, m.Data)
}

// ParseJetStreamMsg is [ParseMsg] for a message delivered by a JetStream
// consumer.
func ParseJetStreamMsg(m jetstream.Msg) (Envelope, error) {
	return parse(m.Subject(), m.Headers(), m.Data())
}

func parse(subject string, h nats.Header, data []byte) (Envelope, error) {
	e, err := Unmarshal(data)
	if err != nil {
		return Envelope{}, fmt.Errorf("%w (subject %s)", err, subject)
	}
	if e.Type != subject {
		return Envelope{}, fmt.Errorf("events: message on %s carries event %s of type %s", subject, e.ID, e.Type)
	}
	if id := h.Get(HeaderCEID); id != "" && id != e.ID {
		return Envelope{}, fmt.Errorf("events: message on %s has ce-id %s but carries event %s", subject, id, e.ID)
	}
	return e, nil
}

// Publisher publishes events to JetStream and reports exactly which were
// stored, for the outbox relay.
type Publisher struct {
	js jetstream.JetStream
}

// NewPublisher returns a Publisher over js.
func NewPublisher(js jetstream.JetStream) *Publisher { return &Publisher{js: js} }

// defaultBatchTimeout bounds PublishBatch when ctx has no deadline, so a
// lost connection cannot leave it waiting for acks forever.
const defaultBatchTimeout = time.Minute

// batchWindow is how many async publishes PublishBatch keeps unacknowledged
// at once; it stays below nats.go's default limit of 4,000.
const batchWindow = 1024

// Publish publishes one event and waits for the stream's acknowledgement.
// A duplicate (an event id already stored inside the duplicate window)
// counts as published.
func (p *Publisher) Publish(ctx context.Context, e Envelope) error {
	m, err := NewMsg(e)
	if err != nil {
		return err
	}
	if _, err := p.js.PublishMsg(ctx, m); err != nil {
		return fmt.Errorf("events: publish %s (%s): %w", e.ID, e.Type, err)
	}
	return nil
}

// PublishBatch publishes es asynchronously and waits for every
// acknowledgement. The result has one entry per event: nil when the stream
// stored it (or already had it: duplicates count as acknowledged), else why
// not. An event whose entry is not nil may still have been stored (its ack
// was lost); publishing it again is safe, since the stream drops the
// duplicate. Without a deadline on ctx the batch waits at most a minute.
func (p *Publisher) PublishBatch(ctx context.Context, es []Envelope) []error {
	errs := make([]error, len(es))
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultBatchTimeout)
		defer cancel()
	}
	// nats.go leaves pending acks unresolved when the connection closes
	// for good; closed stops waiting for them.
	closed := make(chan struct{})
	if nc := p.js.Conn(); nc != nil {
		st := nc.StatusChanged(nats.CLOSED)
		defer nc.RemoveStatusListener(st)
		go func() {
			if _, ok := <-st; ok {
				close(closed)
			}
		}()
		if nc.IsClosed() {
			nc.RemoveStatusListener(st)
			return failAll(es, errs, nats.ErrConnectionClosed)
		}
	}
	futures := make([]jetstream.PubAckFuture, len(es))
	wait := func(i int) {
		f := futures[i]
		if f == nil {
			return
		}
		// An ack that already came wins over a deadline or a closed
		// connection.
		select {
		case <-f.Ok():
			return
		case err := <-f.Err():
			errs[i] = fmt.Errorf("events: publish %s (%s): %w", es[i].ID, es[i].Type, err)
			return
		default:
		}
		select {
		case <-f.Ok():
		case err := <-f.Err():
			errs[i] = fmt.Errorf("events: publish %s (%s): %w", es[i].ID, es[i].Type, err)
		case <-ctx.Done():
			errs[i] = fmt.Errorf("events: publish %s (%s): no ack: %w", es[i].ID, es[i].Type, ctx.Err())
		case <-closed:
			errs[i] = fmt.Errorf("events: publish %s (%s): no ack: %w", es[i].ID, es[i].Type, nats.ErrConnectionClosed)
		}
	}
	oldest := 0
	for i := range es {
		for ; i-oldest >= batchWindow; oldest++ {
			wait(oldest)
		}
		if err := ctx.Err(); err != nil {
			errs[i] = fmt.Errorf("events: publish %s (%s): %w", es[i].ID, es[i].Type, err)
			continue
		}
		m, err := NewMsg(es[i])
		if err != nil {
			errs[i] = err
			continue
		}
		f, err := p.js.PublishMsgAsync(m, jetstream.WithStallWait(stallWait(ctx)))
		if err != nil {
			errs[i] = fmt.Errorf("events: publish %s (%s): %w", es[i].ID, es[i].Type, err)
			continue
		}
		futures[i] = f
	}
	for ; oldest < len(es); oldest++ {
		wait(oldest)
	}
	return errs
}

// failAll sets every entry of errs to err.
func failAll(es []Envelope, errs []error, err error) []error {
	for i, e := range es {
		errs[i] = fmt.Errorf("events: publish %s (%s): %w", e.ID, e.Type, err)
	}
	return errs
}

// stallWait is how long an async publish may wait for room among the
// connection's unacknowledged publishes: until ctx's deadline.
func stallWait(ctx context.Context) time.Duration {
	d := time.Second
	if dl, ok := ctx.Deadline(); ok {
		d = time.Until(dl)
	}
	return max(d, time.Millisecond)
}
