// Package feeds renders the iCalendar feeds Nätverk publishes — one per
// network and one personal feed per member — from the store, and keeps
// the rendered copies (with a strong ETag) in the store for serving.
//
// Feeds are rendered when an event changes them, not on each request:
// the calendar worker calls Refresh, which coalesces bursts. A refresh
// requested while a render is running waits for the next render, which
// starts after the request and so sees every change committed before it;
// any number of requests in between share that one render.
package feeds

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/natverk/natverk/calendar"
	"github.com/natverk/natverk/internal/links"
	"github.com/natverk/natverk/internal/natverk"
)

// Store is what rendering reads and writes.
type Store interface {
	natverk.NetworkStore
	natverk.SeriesStore
	natverk.MemberStore
	natverk.MembershipStore
	natverk.RSVPStore
	natverk.FeedStore
}

// Renderer renders and stores feeds.
type Renderer struct {
	Store Store
	Links *links.Builder
	// Past is how far back feeds keep meetings (default one year).
	Past time.Duration
	// Now returns the time (default time.Now).
	Now func() time.Time
	// Metrics counts renders (nil = none).
	Metrics Metrics
	// CacheTTL is how long a stored feed is served from memory before it
	// is read from the store again (default 1s): feeds rendered by this
	// process are written through at once, so the TTL bounds only how
	// late a render by another process shows.
	CacheTTL time.Duration

	mu     sync.Mutex
	states map[string]*flight
	cache  map[string]cachedFeed
	stale  map[string]bool // changed here: render on the next Get
}

// cachedFeed is a stored feed held in memory.
type cachedFeed struct {
	f  *natverk.StoredFeed
	at time.Time
}

func (r *Renderer) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Metrics is told about every render.
type Metrics interface {
	FeedRendered(feed string, changed bool)
}

// ETag returns the strong entity tag of a feed body.
func ETag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
}

// Render renders the feed named by key ("network:<id>" or "member:<id>")
// and stores it if it changed. It returns the stored feed.
func (r *Renderer) Render(ctx context.Context, key string) (*natverk.StoredFeed, bool, error) {
	kind, idStr, _ := strings.Cut(key, ":")
	id, err := strconv.ParseInt(idStr, 10, 64)
	if err != nil {
		return nil, false, fmt.Errorf("feeds: bad feed key %q", key)
	}
	var body []byte
	switch kind {
	case "network":
		body, err = r.network(ctx, id)
	case "member":
		body, err = r.member(ctx, id)
	default:
		return nil, false, fmt.Errorf("feeds: bad feed key %q", key)
	}
	if err != nil {
		return nil, false, err
	}
	f := &natverk.StoredFeed{Key: key, Body: body, ETag: ETag(body), Modified: r.now().UTC().Truncate(time.Second)}
	changed, err := r.Store.PutFeed(ctx, f)
	if err != nil {
		return nil, false, fmt.Errorf("feeds: store %s: %w", key, err)
	}
	if r.Metrics != nil {
		r.Metrics.FeedRendered(kind, changed)
	}
	if !changed {
		stored, err := r.Store.FindFeed(ctx, key)
		if err == nil {
			r.remember(stored)
		}
		return stored, false, err
	}
	r.remember(f)
	return f, true, nil
}

// Get returns the stored feed, rendering it first if it was never
// rendered (a member's personal feed is rendered on first use).
//
// Feeds are served from memory for up to CacheTTL, so a calendar app
// polling costs no store query.
func (r *Renderer) Get(ctx context.Context, key string) (*natverk.StoredFeed, error) {
	if f := r.cached(key); f != nil {
		return f, nil
	}
	if r.takeStale(key) {
		// Changed in this process since it was stored: render it now
		// rather than serve the stored copy until the calendar worker
		// drops it.
		if err := r.Refresh(ctx, key); err != nil {
			return nil, err
		}
	}
	f, err := r.Store.FindFeed(ctx, key)
	if natverk.ErrorCode(err) == natverk.ENOTFOUND {
		if err := r.Refresh(ctx, key); err != nil {
			return nil, err
		}
		f, err = r.Store.FindFeed(ctx, key)
	}
	if err != nil {
		return nil, err
	}
	r.remember(f)
	return f, nil
}

// Invalidate drops the stored copy of a feed: it is rendered again on its
// next request. Member feeds are kept this way — a change to a member's
// answers or networks costs one delete, not a render nobody may fetch.
func (r *Renderer) Invalidate(ctx context.Context, keys ...string) error {
	r.mu.Lock()
	for _, k := range keys {
		delete(r.cache, k)
	}
	r.mu.Unlock()
	return r.Store.DeleteFeeds(ctx, keys)
}

// Stale tells the renderer that this process has just changed what the
// feeds show (a member's answer, through the API): they leave the memory
// cache and are rendered on their next Get, without waiting for the
// calendar worker's Invalidate, which follows through the event and
// reaches every process through the store.
func (r *Renderer) Stale(keys ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stale == nil || len(r.stale) > 50000 {
		// Bounded: a flag lost here only leaves the feed to the worker.
		r.stale = map[string]bool{}
	}
	for _, k := range keys {
		delete(r.cache, k)
		r.stale[k] = true
	}
}

// takeStale reports whether key was marked stale, clearing the mark.
func (r *Renderer) takeStale(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.stale[key] {
		return false
	}
	delete(r.stale, key)
	return true
}

func (r *Renderer) ttl() time.Duration {
	if r.CacheTTL > 0 {
		return r.CacheTTL
	}
	return time.Second
}

func (r *Renderer) cached(key string) *natverk.StoredFeed {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.cache[key]
	if !ok || time.Since(c.at) > r.ttl() {
		return nil
	}
	return c.f
}

func (r *Renderer) remember(f *natverk.StoredFeed) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cache == nil || len(r.cache) > 50000 {
		r.cache = map[string]cachedFeed{}
	}
	r.cache[f.Key] = cachedFeed{f: f, at: time.Now()}
}

// CalendarSeries converts a stored series to the calendar model. url is
// the VEVENT URL when the series has no meeting URL of its own.
func CalendarSeries(s *natverk.Series, organizer calendar.Person, url string) *calendar.Series {
	cs := &calendar.Series{
		UID: s.UID, Sequence: s.Sequence, Summary: s.Summary, Description: s.Description, Location: s.Location,
		URL: s.LocationURL, TimeZone: s.TimeZone, Start: s.Start, Duration: s.Duration, Rule: s.Rule,
		Cancelled: s.Status == natverk.SeriesCancelled, Organizer: organizer,
		Created: s.CreatedAt.UTC().Truncate(time.Second), Modified: s.UpdatedAt.UTC().Truncate(time.Second),
	}
	if cs.URL == "" {
		cs.URL = url
	}
	for _, ex := range s.Exceptions {
		if ex.Cancelled {
			cs.ExDates = append(cs.ExDates, ex.RecurrenceID)
			continue
		}
		if ex.CapacityOnly() {
			continue // a capacity is no change a calendar shows
		}
		cs.Overrides = append(cs.Overrides, calendar.Override{
			RecurrenceID: ex.RecurrenceID, Start: ex.Start, Duration: ex.Duration,
			Summary: ex.Summary, Location: ex.Location, Description: ex.Description,
			Modified: ex.UpdatedAt.UTC().Truncate(time.Second),
		})
	}
	return cs
}

// network renders a network's feed: its series, and for each the answer
// counts of the next meeting (counts only, never names or addresses).
func (r *Renderer) network(ctx context.Context, id int64) ([]byte, error) {
	n, err := r.Store.FindNetworkByID(ctx, id)
	if err != nil {
		return nil, err
	}
	series, err := r.Store.FindSeries(ctx, id)
	if err != nil {
		return nil, err
	}
	var invitees []*natverk.Membership // loaded for a meeting with a capacity
	now := r.now()
	page := r.Links.NetworkPage(n)
	f := &calendar.Feed{Name: n.Name, Description: n.Description, TimeZone: n.TimeZone, URL: r.Links.NetworkFeed(n).HTTPS, Past: r.Past, Now: now, Locale: natverk.LocaleSV}
	for _, s := range series {
		cs := CalendarSeries(s, calendar.Person{}, page)
		fs := calendar.FeedSeries{Series: cs}
		if next, ok := cs.Next(now); ok && !cs.Cancelled {
			var c natverk.Counts
			var full string
			if s.CapacityAt(next.RecurrenceID) == 0 {
				// One aggregate query, whatever the network's size.
				if c, err = r.Store.CountAnswers(ctx, s.ID, next.RecurrenceID); err != nil {
					return nil, err
				}
			} else {
				// Who has a place needs the roster: every answer, in order.
				if invitees == nil {
					if invitees, err = r.Store.FindMemberships(ctx, natverk.MembershipFilter{NetworkID: id, Statuses: natverk.InvitedStatuses}); err != nil {
						return nil, err
					}
				}
				rsvps, err := r.Store.FindRSVPs(ctx, natverk.RSVPFilter{SeriesID: s.ID})
				if err != nil {
					return nil, err
				}
				c = Count(invitees, rsvps, next.RecurrenceID)
				full = waitlistCount(s, invitees, rsvps, next.RecurrenceID)
			}
			fs.Note = fmt.Sprintf("Nästa möte %s: %d kommer, %d kanske, %d kan inte, %d har inte svarat.",
				next.Start.In(s.Start.Location()).Format("2006-01-02"), c.Yes, c.Maybe, c.No, c.None) + full
		}
		f.Series = append(f.Series, fs)
	}
	return calendar.RenderFeed(f)
}

// Count counts the answers of the invitees for one occurrence: an answer
// to that occurrence wins over an answer to the whole series.
func Count(invitees []*natverk.Membership, rsvps []*natverk.RSVP, occurrence time.Time) natverk.Counts {
	series := map[int64]string{}
	occ := map[int64]string{}
	for _, a := range rsvps {
		switch {
		case a.Occurrence.IsZero():
			series[a.MemberID] = a.Answer
		case a.Occurrence.Equal(occurrence):
			occ[a.MemberID] = a.Answer
		}
	}
	var c natverk.Counts
	for _, m := range invitees {
		c.Add(natverk.EffectiveAnswer(series[m.MemberID], occ[m.MemberID]))
	}
	return c
}

// member renders a member's personal feed: every series of every network
// the member receives, each occurrence showing the member's own answer.
func (r *Renderer) member(ctx context.Context, id int64) ([]byte, error) {
	m, err := r.Store.FindMemberByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if m.Erased {
		return nil, natverk.Errorf(natverk.ENOTFOUND, "Member not found.")
	}
	ms, err := r.Store.FindMemberships(ctx, natverk.MembershipFilter{MemberID: id, Statuses: natverk.InvitedStatuses})
	if err != nil {
		return nil, err
	}
	rsvps, err := r.Store.FindRSVPs(ctx, natverk.RSVPFilter{MemberID: id})
	if err != nil {
		return nil, err
	}
	bySeries := map[int64][]*natverk.RSVP{}
	for _, a := range rsvps {
		bySeries[a.SeriesID] = append(bySeries[a.SeriesID], a)
	}
	name := "Mina nätverk"
	if m.Locale == natverk.LocaleEN {
		name = "My networks"
	}
	f := &calendar.Feed{Name: name, TimeZone: natverk.DefaultTimeZone, Past: r.Past, Now: r.now(), Locale: m.Locale}
	for _, mb := range ms {
		n, err := r.Store.FindNetworkByID(ctx, mb.NetworkID)
		if err != nil {
			return nil, err
		}
		series, err := r.Store.FindSeries(ctx, n.ID)
		if err != nil {
			return nil, err
		}
		for _, s := range series {
			fs := calendar.FeedSeries{Series: CalendarSeries(s, calendar.Person{}, r.Links.NetworkPage(n))}
			for _, a := range bySeries[s.ID] {
				if a.Occurrence.IsZero() {
					fs.Answer = calendar.PartStat(a.Answer)
					continue
				}
				fs.Notes = append(fs.Notes, calendar.OccurrenceNote{RecurrenceID: a.Occurrence, Answer: calendar.PartStat(a.Answer)})
			}
			if err := r.waitlistNotes(ctx, &fs, s, id, m.Locale); err != nil {
				return nil, err
			}
			f.Series = append(f.Series, fs)
		}
	}
	return calendar.RenderFeed(f)
}

// flight tracks the renders of one feed for Refresh.
type flight struct {
	running  bool
	want     uint64 // requests so far
	finished uint64 // requests covered by the last good render
	failedAt uint64 // requests covered by the last failed render
	err      error
	wake     chan struct{} // closed when a render ends
}

// Refresh makes sure the stored feed reflects every change committed
// before the call: it waits for a render that started after it.
func (r *Renderer) Refresh(ctx context.Context, key string) error {
	r.mu.Lock()
	if r.states == nil {
		r.states = map[string]*flight{}
	}
	st := r.states[key]
	if st == nil {
		st = &flight{wake: make(chan struct{})}
		r.states[key] = st
	}
	st.want++
	my := st.want
	if !st.running {
		st.running = true
		go r.renderLoop(key, st)
	}
	for {
		if st.finished >= my {
			r.mu.Unlock()
			return nil
		}
		if st.failedAt >= my {
			err := st.err
			r.mu.Unlock()
			return err
		}
		wake := st.wake
		r.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		}
		r.mu.Lock()
	}
}

func (r *Renderer) renderLoop(key string, st *flight) {
	for {
		r.mu.Lock()
		if st.finished >= st.want || st.failedAt >= st.want {
			st.running = false
			if st.finished >= st.want {
				delete(r.states, key)
			}
			r.mu.Unlock()
			return
		}
		target := st.want
		r.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_, _, err := r.Render(ctx, key)
		cancel()

		r.mu.Lock()
		if err == nil {
			st.finished = target
		} else {
			st.failedAt, st.err = target, err
		}
		close(st.wake)
		st.wake = make(chan struct{})
		r.mu.Unlock()
	}
}
