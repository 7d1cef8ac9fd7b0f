package events

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// DeadLetter is a message a consumer gave up on, as stored on
// natverk.dlq.<consumer>.
type DeadLetter struct {
	// Seq is the dead letter's own stream sequence; RetryDeadLetter takes it.
	Seq uint64
	// Consumer is the consumer that gave up.
	Consumer string
	// Subject is the subject the event was published on.
	Subject string
	// Reason is the error (or other cause) that ended the retries.
	Reason string
	// Deliveries is how many times the message had been delivered.
	Deliveries int
	// At is when the dead letter was written.
	At time.Time
	// StreamSeq is the stream sequence of the original message.
	StreamSeq uint64
	// Event is the original event; zero when the body is not an envelope
	// (then Data still holds it).
	Event Envelope
	// Data is the original message body.
	Data []byte
}

// dlqFilter matches every dead-letter subject.
const dlqFilter = DeadLetterPrefix + ">"

// ListDeadLetters returns the dead letters in stream, oldest first: those
// of consumer, or of every consumer when consumer is "". It reads them by
// sequence (direct get) without creating a consumer, so nothing else is
// disturbed.
func ListDeadLetters(ctx context.Context, js jetstream.JetStream, stream, consumer string) ([]DeadLetter, error) {
	if stream == "" {
		stream = DefaultStream
	}
	filter := dlqFilter
	if consumer != "" {
		if err := checkConsumerName(consumer); err != nil {
			return nil, err
		}
		filter = DeadLetterPrefix + consumer
	}
	str, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, fmt.Errorf("events: list dead letters: stream %s: %w", stream, err)
	}
	var out []DeadLetter
	for seq := uint64(1); ; {
		raw, err := str.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(filter))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("events: list dead letters in %s from %d: %w", stream, seq, err)
		}
		out = append(out, deadLetterOf(raw))
		seq = raw.Sequence + 1
	}
}

// deadLetterOf reads a stored dead letter.
func deadLetterOf(raw *jetstream.RawStreamMsg) DeadLetter {
	dl := DeadLetter{
		Seq:      raw.Sequence,
		Consumer: raw.Header.Get(HeaderDLQConsumer),
		Subject:  raw.Header.Get(HeaderDLQSubject),
		Reason:   raw.Header.Get(HeaderDLQReason),
		At:       raw.Time,
		Data:     raw.Data,
	}
	dl.Deliveries, _ = strconv.Atoi(raw.Header.Get(HeaderDLQDeliveries))
	dl.StreamSeq, _ = strconv.ParseUint(raw.Header.Get(HeaderDLQStreamSeq), 10, 64)
	if e, err := Unmarshal(raw.Data); err == nil {
		dl.Event = e
	}
	return dl
}

// RetryDeadLetter re-drives the dead letter at seq: it republishes the
// original event, unchanged (same id), on its original subject for the
// consumer that gave up on it, then deletes the dead letter. Other
// consumers of that subject acknowledge the copy without handling it (it
// carries Natverk-Retry-Consumer). The copy's Nats-Msg-Id is
// "<event id>-retry-<seq>", so the duplicate window does not swallow it.
func RetryDeadLetter(ctx context.Context, js jetstream.JetStream, stream string, seq uint64) error {
	if stream == "" {
		stream = DefaultStream
	}
	str, err := js.Stream(ctx, stream)
	if err != nil {
		return fmt.Errorf("events: retry dead letter %d: stream %s: %w", seq, stream, err)
	}
	raw, err := str.GetMsg(ctx, seq)
	if err != nil {
		return fmt.Errorf("events: retry dead letter %d in %s: %w", seq, stream, err)
	}
	return retry(ctx, js, str, raw)
}

func retry(ctx context.Context, js jetstream.JetStream, str jetstream.Stream, raw *jetstream.RawStreamMsg) error {
	seq := raw.Sequence
	dl := deadLetterOf(raw)
	if !strings.HasPrefix(raw.Subject, DeadLetterPrefix) {
		return fmt.Errorf("events: retry dead letter %d: message is on %s, not a dead-letter subject", seq, raw.Subject)
	}
	if err := checkEventSubject(dl.Subject); err != nil {
		return fmt.Errorf("events: retry dead letter %d: %w", seq, err)
	}
	m := nats.NewMsg(dl.Subject)
	m.Data = raw.Data
	for _, k := range []string{HeaderCESpecVersion, HeaderCEID, HeaderCEType, HeaderCESource, HeaderCETime, HeaderContentType} {
		if v := raw.Header.Get(k); v != "" {
			m.Header.Set(k, v)
		}
	}
	id := dl.Event.ID
	if id == "" {
		id = raw.Header.Get(HeaderDLQMsgID)
	}
	if id == "" {
		id = "seq-" + strconv.FormatUint(dl.StreamSeq, 10)
	}
	m.Header.Set(HeaderMsgID, id+"-retry-"+strconv.FormatUint(seq, 10))
	m.Header.Set(HeaderRetryOf, strconv.FormatUint(seq, 10))
	if dl.Consumer != "" {
		m.Header.Set(HeaderRetryConsumer, dl.Consumer)
	}
	if _, err := js.PublishMsg(ctx, m); err != nil {
		return fmt.Errorf("events: retry dead letter %d: republish on %s: %w", seq, dl.Subject, err)
	}
	if err := str.DeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("events: retry dead letter %d: republished, but delete failed: %w", seq, err)
	}
	return nil
}

// RetryAll re-drives every dead letter of consumer ("" = all consumers) in
// stream, oldest first, and returns how many it re-drove. It goes on past
// a failure and returns the failures joined.
func RetryAll(ctx context.Context, js jetstream.JetStream, stream, consumer string) (int, error) {
	dls, err := ListDeadLetters(ctx, js, stream, consumer)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, dl := range dls {
		if err := RetryDeadLetter(ctx, js, stream, dl.Seq); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
