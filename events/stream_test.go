package events_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natverk/natverk/events"
)

func TestEnsureStreamDefaults(t *testing.T) {
	_, js := setupBare(t)
	s, err := events.EnsureStream(context.Background(), js, events.StreamConfig{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	got := struct {
		Name       string
		Subjects   []string
		Storage    jetstream.StorageType
		Retention  jetstream.RetentionPolicy
		Replicas   int
		MaxAge     time.Duration
		MaxBytes   int64
		Duplicates time.Duration
		Direct     bool
	}{cfg.Name, cfg.Subjects, cfg.Storage, cfg.Retention, cfg.Replicas, cfg.MaxAge, cfg.MaxBytes, cfg.Duplicates, cfg.AllowDirect}
	want := got
	want.Name, want.Subjects, want.Storage, want.Retention = "NATVERK", []string{"natverk.>"}, jetstream.FileStorage, jetstream.LimitsPolicy
	want.Replicas, want.MaxAge, want.MaxBytes, want.Duplicates, want.Direct = 1, 0, -1, 2*time.Minute, true
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stream config (-want +got):\n%s", diff)
	}
}

func TestEnsureStreamTwiceAndUpdate(t *testing.T) {
	_, js := setupBare(t)
	ctx := context.Background()
	cfg := events.StreamConfig{MaxAge: 24 * time.Hour, Duplicates: time.Minute}
	if _, err := events.EnsureStream(ctx, js, cfg); err != nil {
		t.Fatal(err)
	}
	publish(t, js, invited(t, 1))
	s, err := events.EnsureStream(ctx, js, cfg)
	if err != nil {
		t.Fatalf("second EnsureStream: %v", err)
	}
	if d := s.CachedInfo().Config.Duplicates; d != 2*time.Minute {
		t.Errorf("Duplicates = %s, want the 2m minimum", d)
	}
	cfg.MaxAge = 72 * time.Hour
	cfg.MaxBytes = 1 << 30
	cfg.Duplicates = 10 * time.Minute
	s, err = events.EnsureStream(ctx, js, cfg)
	if err != nil {
		t.Fatalf("EnsureStream with a new MaxAge: %v", err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.MaxAge != 72*time.Hour || info.Config.MaxBytes != 1<<30 || info.Config.Duplicates != 10*time.Minute {
		t.Errorf("after update MaxAge=%s MaxBytes=%d Duplicates=%s", info.Config.MaxAge, info.Config.MaxBytes, info.Config.Duplicates)
	}
	if info.State.Msgs != 1 {
		t.Errorf("update lost messages: %d left", info.State.Msgs)
	}
}

func TestEnsureStreamConcurrently(t *testing.T) {
	_, js := setupBare(t)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = events.EnsureStream(context.Background(), js, events.StreamConfig{MaxAge: time.Hour})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	names := js.StreamNames(context.Background())
	var all []string
	for n := range names.Name() {
		all = append(all, n)
	}
	if diff := cmp.Diff([]string{"NATVERK"}, all); diff != "" {
		t.Errorf("streams (-want +got):\n%s", diff)
	}
}

func TestEnsureStreamInvalid(t *testing.T) {
	_, js := setupBare(t)
	tests := []struct {
		name string
		cfg  events.StreamConfig
		want string
	}{
		{"NameWithDot", events.StreamConfig{Name: "a.b"}, "invalid stream name"},
		{"NameWithSpace", events.StreamConfig{Name: "a b"}, "invalid stream name"},
		{"NegativeReplicas", events.StreamConfig{Replicas: -1}, "replicas must be 1 to 5"},
		{"TooManyReplicas", events.StreamConfig{Replicas: 7}, "replicas must be 1 to 5"},
		{"NegativeMaxAge", events.StreamConfig{MaxAge: -time.Second}, "negative limit"},
		{"DuplicatesBeyondMaxAge", events.StreamConfig{MaxAge: time.Minute}, "longer than MaxAge"},
		{"ReplicasWithoutCluster", events.StreamConfig{Replicas: 3}, "ensure stream NATVERK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := events.EnsureStream(context.Background(), js, tt.cfg)
			if err == nil || !strings.HasPrefix(err.Error(), "events: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("EnsureStream error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
