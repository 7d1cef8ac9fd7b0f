package httpapi

import (
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// limiter is a token bucket per client address, for the public
// endpoints: a client may send burst requests at once and rate per
// second after that.
//
// Each bucket is one atomic word, its theoretical arrival time (GCRA,
// the token bucket's equivalent: the time at which the bucket would be
// full again), so a request costs a map read without locks and one
// compare-and-swap; clients do not wait for each other. Buckets of
// clients idle for a minute are full and are dropped, so memory stays
// bounded by the number of recent clients.
type limiter struct {
	interval  int64 // nanoseconds per token
	tolerance int64 // burst × interval
	base      time.Time
	buckets   sync.Map     // client → *bucket
	nextSweep atomic.Int64 // offset from base
}

// bucket holds the time (nanoseconds after the limiter's base) at which
// the client's bucket is full again; at or before now it is full.
type bucket struct {
	tat atomic.Int64
}

func newLimiter(rate float64) *limiter {
	interval := max(int64(float64(time.Second)/rate), 1)
	burst := max(rate*5, 10)
	return &limiter{interval: interval, tolerance: int64(burst * float64(interval)), base: time.Now()}
}

func (l *limiter) allow(key string, now time.Time) bool {
	t := int64(now.Sub(l.base))
	if next := l.nextSweep.Load(); t > next && l.nextSweep.CompareAndSwap(next, t+int64(time.Minute)) {
		l.sweep(t - int64(time.Minute))
	}
	v, ok := l.buckets.Load(key)
	if !ok {
		v, _ = l.buckets.LoadOrStore(key, &bucket{})
	}
	b := v.(*bucket)
	for {
		tat := b.tat.Load()
		next := max(tat, t) + l.interval
		if next-t > l.tolerance {
			return false // fewer than one token left
		}
		if b.tat.CompareAndSwap(tat, next) {
			return true
		}
	}
}

// sweep drops the buckets that were full before idle: they are the same
// as no bucket. A request racing with the sweep on a dropped bucket
// spends its token in the dropped copy, at most one token per client
// and sweep.
func (l *limiter) sweep(idle int64) {
	l.buckets.Range(func(k, v any) bool {
		if v.(*bucket).tat.Load() < idle {
			l.buckets.Delete(k)
		}
		return true
	})
}

// clientIP is the peer address of the request. X-Forwarded-For is not
// trusted: put the service behind a proxy that sets RemoteAddr, or raise
// the limit.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
