package harness

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natverk/natverk/events"
)

// StreamEvent is one message of the NATVERK stream.
type StreamEvent struct {
	// Seq is the stream sequence; Subject the subject it was stored on.
	Seq     uint64
	Subject string
	// MsgID is the Nats-Msg-Id header.
	MsgID string
	// Event is the envelope (zero when the body is not one: a poison
	// message, say).
	Event events.Envelope
}

// DeadLetter reports whether the message is a dead letter.
func (e StreamEvent) DeadLetter() bool { return strings.HasPrefix(e.Subject, "natverk.dlq.") }

// Connect opens a JetStream connection to the given comma-separated URLs.
// The caller closes the connection.
func Connect(urls string) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := nats.Connect(urls, nats.Name("reliability-test"), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		return nil, nil, fmt.Errorf("harness: connect to %s: %w", urls, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("harness: %w", err)
	}
	return nc, js, nil
}

// ReadStream reads every message stored in the NATVERK stream, in stream
// order, with an ordered consumer (it changes no durable consumer).
//
// A cluster that just lost or regained a node may answer "no responders"
// while it elects the stream's leader: the read is tried again for up to
// a minute.
func ReadStream(ctx context.Context, js jetstream.JetStream) ([]StreamEvent, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		out, err := readStream(ctx, js)
		if err == nil || !errors.Is(err, nats.ErrNoResponders) && !errors.Is(err, jetstream.ErrNoStreamResponse) || time.Now().After(deadline) {
			return out, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func readStream(ctx context.Context, js jetstream.JetStream) ([]StreamEvent, error) {
	s, err := js.Stream(ctx, events.DefaultStream)
	if err != nil {
		return nil, fmt.Errorf("harness: stream: %w", err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("harness: stream info: %w", err)
	}
	last := info.State.LastSeq
	if info.State.Msgs == 0 {
		return nil, nil
	}
	c, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return nil, fmt.Errorf("harness: ordered consumer: %w", err)
	}
	var out []StreamEvent
	for {
		batch, err := c.Fetch(500, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return nil, fmt.Errorf("harness: fetch: %w", err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			md, err := m.Metadata()
			if err != nil {
				return nil, fmt.Errorf("harness: metadata: %w", err)
			}
			e := StreamEvent{Seq: md.Sequence.Stream, Subject: m.Subject(), MsgID: m.Headers().Get(jetstream.MsgIDHeader)}
			if !e.DeadLetter() {
				e.Event, _ = events.Unmarshal(m.Data())
			}
			out = append(out, e)
			if e.Seq >= last {
				return out, nil
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return nil, fmt.Errorf("harness: fetch: %w", err)
		}
		if n == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("harness: read stream: %w (got %d messages, up to %d)", ctx.Err(), len(out), last)
		}
	}
}

// Events keeps the stream's events of one type (all types for "").
func Events(ms []StreamEvent, typ string) []StreamEvent {
	var out []StreamEvent
	for _, m := range ms {
		if !m.DeadLetter() && m.Event.ID != "" && (typ == "" || m.Event.Type == typ) {
			out = append(out, m)
		}
	}
	return out
}
