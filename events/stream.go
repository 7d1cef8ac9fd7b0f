package events

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// DefaultStream is the name of the stream that holds every Nätverk event.
const DefaultStream = "NATVERK"

// MinDuplicates is the shortest duplicate window EnsureStream accepts (and
// its default): the relay must be able to republish an event after a lost
// ack and have JetStream drop the copy.
const MinDuplicates = 2 * time.Minute

// StreamConfig configures the event stream.
type StreamConfig struct {
	// Name is the stream name; default DefaultStream.
	Name string
	// Replicas is the number of copies in a cluster; default 1.
	Replicas int
	// MaxAge drops events older than this; zero keeps them forever.
	MaxAge time.Duration
	// MaxBytes drops the oldest events beyond this size; zero is no limit.
	MaxBytes int64
	// Duplicates is the deduplication window for Nats-Msg-Id; default and
	// minimum MinDuplicates.
	Duplicates time.Duration
}

// ensureAttempts bounds the create/update race between processes.
const ensureAttempts = 5

// EnsureStream creates the event stream, or updates it to cfg if it
// exists: subjects natverk.> (events and dead letters), file storage,
// limits retention (every consumer reads independently), direct get
// enabled. Any number of processes may call it at once.
func EnsureStream(ctx context.Context, js jetstream.JetStream, cfg StreamConfig) (jetstream.Stream, error) {
	sc, err := cfg.streamConfig()
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		s, err := js.CreateOrUpdateStream(ctx, sc)
		if err == nil {
			return s, nil
		}
		// Another process created it between our update and create: the
		// next update applies our config.
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) && attempt < ensureAttempts {
			continue
		}
		return nil, fmt.Errorf("events: ensure stream %s: %w", sc.Name, err)
	}
}

// streamConfig validates cfg and fills in the defaults.
func (cfg StreamConfig) streamConfig() (jetstream.StreamConfig, error) {
	name := cfg.Name
	if name == "" {
		name = DefaultStream
	}
	if strings.ContainsAny(name, ".*> \t\r\n/\\") {
		return jetstream.StreamConfig{}, fmt.Errorf("events: invalid stream name %q", name)
	}
	replicas := cfg.Replicas
	switch {
	case replicas == 0:
		replicas = 1
	case replicas < 0 || replicas > 5:
		return jetstream.StreamConfig{}, fmt.Errorf("events: stream %s: replicas must be 1 to 5, got %d", name, replicas)
	}
	if cfg.MaxAge < 0 || cfg.MaxBytes < 0 || cfg.Duplicates < 0 {
		return jetstream.StreamConfig{}, fmt.Errorf("events: stream %s: negative limit", name)
	}
	dup := max(cfg.Duplicates, MinDuplicates)
	if cfg.MaxAge > 0 && dup > cfg.MaxAge {
		return jetstream.StreamConfig{}, fmt.Errorf("events: stream %s: duplicate window %s is longer than MaxAge %s", name, dup, cfg.MaxAge)
	}
	maxBytes := cfg.MaxBytes
	if maxBytes == 0 {
		maxBytes = -1
	}
	return jetstream.StreamConfig{
		Name:        name,
		Description: "Nätverk events (natverk.<entity>.<verb>) and dead letters (natverk.dlq.<consumer>)",
		Subjects:    []string{SubjectPrefix + ">"},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
		MaxAge:      cfg.MaxAge,
		MaxBytes:    maxBytes,
		Duplicates:  dup,
		Discard:     jetstream.DiscardOld,
		AllowDirect: true,
	}, nil
}
