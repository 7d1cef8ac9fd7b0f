package inbound

import (
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxTrackedSenders bounds the limiter table; when it is full, senders
// idle for the longest are forgotten first.
const maxTrackedSenders = 10000

// senderLimiter is a token bucket per envelope sender.
type senderLimiter struct {
	every rate.Limit
	burst int

	mu      sync.Mutex
	senders map[string]*senderBucket
}

type senderBucket struct {
	lim  *rate.Limiter
	last time.Time
}

func newSenderLimiter(perSecond float64, burst int) *senderLimiter {
	return &senderLimiter{every: rate.Limit(perSecond), burst: burst, senders: map[string]*senderBucket{}}
}

// allow takes one message from the sender's bucket, reporting false when
// the sender is over its rate.
func (l *senderLimiter) allow(sender string, now time.Time) bool {
	key := strings.ToLower(strings.TrimSpace(sender))
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.senders[key]
	if b == nil {
		if len(l.senders) >= maxTrackedSenders {
			l.prune(now)
		}
		b = &senderBucket{lim: rate.NewLimiter(l.every, l.burst)}
		l.senders[key] = b
	}
	b.last = now
	return b.lim.AllowN(now, 1)
}

// prune forgets senders whose bucket has refilled (they are as good as
// new), and if that frees nothing, the half that was idle longest.
func (l *senderLimiter) prune(now time.Time) {
	full := time.Duration(float64(l.burst) / float64(l.every) * float64(time.Second))
	for k, b := range l.senders {
		if now.Sub(b.last) > full {
			delete(l.senders, k)
		}
	}
	if len(l.senders) < maxTrackedSenders {
		return
	}
	lasts := make([]time.Time, 0, len(l.senders))
	for _, b := range l.senders {
		lasts = append(lasts, b.last)
	}
	cut := median(lasts)
	for k, b := range l.senders {
		if !b.last.After(cut) {
			delete(l.senders, k)
		}
	}
}

func median(ts []time.Time) time.Time {
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	return ts[len(ts)/2]
}
