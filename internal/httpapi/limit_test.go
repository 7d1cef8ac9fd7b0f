package httpapi

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	t0 := time.Date(2027, 1, 12, 18, 0, 0, 0, time.UTC)
	t.Run("BurstThenRate", func(t *testing.T) {
		l := newLimiter(2) // burst 10, one token every 500 ms
		for i := range 10 {
			if !l.allow("a", t0) {
				t.Fatalf("request %d of the burst refused", i+1)
			}
		}
		if l.allow("a", t0) {
			t.Fatal("the 11th request at once was allowed")
		}
		if !l.allow("b", t0) {
			t.Fatal("another client was refused")
		}
		if l.allow("a", t0.Add(400*time.Millisecond)) {
			t.Fatal("allowed before a token came back")
		}
		if !l.allow("a", t0.Add(500*time.Millisecond)) || l.allow("a", t0.Add(500*time.Millisecond)) {
			t.Fatal("not exactly one token after 500 ms")
		}
		// Idle long enough, the bucket is full again, and no fuller.
		at := t0.Add(time.Hour)
		n := 0
		for l.allow("a", at) {
			n++
		}
		if n != 10 {
			t.Fatalf("%d requests after an idle hour, want the burst of 10", n)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		l := newLimiter(100) // burst 500
		var allowed atomic.Int64
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 200 {
					if l.allow("a", t0) {
						allowed.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		if allowed.Load() != 500 {
			t.Fatalf("%d of 1,600 requests at once allowed, want the burst of 500", allowed.Load())
		}
	})
	t.Run("IdleBucketsDropped", func(t *testing.T) {
		l := newLimiter(1)
		l.allow("a", t0)
		l.allow("b", t0.Add(90*time.Second))
		l.allow("c", t0.Add(121*time.Second)) // sweeps: a idle two minutes, b half a minute
		var left []string
		l.buckets.Range(func(k, _ any) bool { left = append(left, k.(string)); return true })
		if len(left) != 2 {
			t.Fatalf("buckets left %v, want b and c", left)
		}
		if _, ok := l.buckets.Load("a"); ok {
			t.Fatal("the idle bucket was kept")
		}
	})
}

func BenchmarkLimiter(b *testing.B) {
	l := newLimiter(1e9) // never refuses: the bookkeeping alone
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if !l.allow("127.0.0.1", time.Now()) {
				b.Error("refused")
				return
			}
		}
	})
}
