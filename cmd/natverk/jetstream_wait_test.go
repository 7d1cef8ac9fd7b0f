package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestUntilJetStream: start-up requests are repeated while JetStream is
// not ready (no answer, no responders, a cluster not available) and
// given up on at once when it refuses them, or when the process stops.
func TestUntilJetStream(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	notReady := []error{
		fmt.Errorf("events: consumer mailer on NATVERK: %w", context.DeadlineExceeded),
		nats.ErrTimeout, nats.ErrNoResponders,
		&jetstream.APIError{Code: 503, Description: "JetStream system temporarily unavailable"},
	}
	for _, e := range notReady {
		calls := 0
		err := untilJetStream(context.Background(), log, "start", func() error {
			if calls++; calls < 2 {
				return e
			}
			return nil
		})
		if err != nil || calls != 2 {
			t.Errorf("%v: %d calls, %v; want a second attempt that succeeds", e, calls, err)
		}
	}
	refused := &jetstream.APIError{Code: 400, Description: "consumer config invalid"}
	calls := 0
	err := untilJetStream(context.Background(), log, "start the mailer consumer", func() error { calls++; return refused })
	if calls != 1 || !errors.Is(err, refused) {
		t.Errorf("a refusal: %d calls, %v; want one call and the error", calls, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = untilJetStream(ctx, log, "start", func() error { return nats.ErrTimeout })
	if !errors.Is(err, nats.ErrTimeout) {
		t.Errorf("stopped while waiting: %v", err)
	}
}
