package events_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natverk/natverk/events"
)

// BenchmarkPublishBatch publishes batches of 1,000 events over loopback
// TCP with file storage and reports events/s.
func BenchmarkPublishBatch(b *testing.B) {
	js := setup(b)
	p := events.NewPublisher(js)
	const batch = 1000
	es := manyEvents(b, batch)
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		// Fresh ids so the stream does not drop them as duplicates.
		for i := range es {
			es[i].ID = events.NewID(t0)
		}
		for i, err := range p.PublishBatch(ctx, es) {
			if err != nil {
				b.Fatalf("event %d: %v", i, err)
			}
		}
	}
	b.ReportMetric(float64(b.N*batch)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkConsume handles b.N published events with 8 concurrent no-op
// handlers and reports events/s.
func BenchmarkConsume(b *testing.B) {
	js := setup(b)
	es := manyEvents(b, b.N)
	for i, err := range events.NewPublisher(js).PublishBatch(context.Background(), es) {
		if err != nil {
			b.Fatalf("event %d: %v", i, err)
		}
	}
	var n atomic.Int64
	done := make(chan struct{})
	b.ResetTimer()
	start := time.Now()
	consume(b, js, events.ConsumerConfig{Name: "bench", Subjects: []string{events.MemberInvited}, Concurrency: 8},
		func(context.Context, events.Envelope) error {
			if n.Add(1) == int64(b.N) {
				close(done)
			}
			return nil
		})
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		b.Fatalf("handled %d of %d events", n.Load(), b.N)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}
