package worker

import (
	"sync"

	"github.com/natverk/natverk/calendar"
)

// preparedLimit bounds the series a mailer keeps prepared: a fan-out uses
// one, and a few run at once.
const preparedLimit = 64

// preparedSeries keeps the calendar series the mailer sends, validated and
// expanded once (calendar.Prepare) instead of once per message: during a
// fan-out every message is of the same series. An entry is used only while
// the series read for the message is still the same (calendar's
// Prepared.Same), so a change is never sent from a stale copy. The zero
// value is ready to use and safe for concurrent use.
type preparedSeries struct {
	mu sync.Mutex
	m  map[int64]*calendar.Prepared
}

// get returns cs prepared, from the cache when the series stored under id
// is still cs.
func (c *preparedSeries) get(id int64, cs *calendar.Series) (*calendar.Prepared, error) {
	c.mu.Lock()
	p := c.m[id]
	c.mu.Unlock()
	if p != nil && p.Same(cs) {
		return p, nil
	}
	p, err := calendar.Prepare(cs)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[int64]*calendar.Prepared)
	}
	if _, ok := c.m[id]; !ok && len(c.m) >= preparedLimit {
		for k := range c.m { // drop any one: a fan-out that needs it prepares it again
			delete(c.m, k)
			break
		}
	}
	c.m[id] = p
	return p, nil
}
