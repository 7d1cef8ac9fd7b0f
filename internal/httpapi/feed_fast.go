package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/token"
)

// The feed routes' patterns, as routes.go registers them and as metrics
// see them (r.Pattern) whichever way a request reached its handler
// (TestFeedFastMatchesMux checks that both ways answer alike).
const (
	patternNetworkFeed = "GET /feeds/{file}"
	patternPrivateFeed = "GET /feeds/p/{token}/{file}"
	patternMemberFeed  = "GET /feeds/m/{file}"
)

// serveFeedFast answers a feed request (GET or HEAD of one of the three
// feed routes) without the mux: calendar apps poll feeds, so they are
// most of the traffic, and the mux's matching over every route was a
// tenth of a 304's time in the edge. It does what the mux and public do
// on these routes — sets r.Pattern, applies the rate limit, writes an
// error as a problem document — and returns the status it wrote. It
// answers only paths the mux would route the same way (clean, no
// escapes); for anything else it returns ok false and the mux decides.
// start is when the request began (time.Now), which the caches reuse.
func (s *Server) serveFeedFast(w http.ResponseWriter, r *http.Request, start time.Time) (status int, ok bool) {
	if s.feedsViaMux || r.Method != http.MethodGet && r.Method != http.MethodHead || r.URL.RawPath != "" {
		return 0, false
	}
	rest, isFeed := strings.CutPrefix(r.URL.Path, "/feeds/")
	if !isFeed {
		return 0, false
	}
	pattern, tok, file := "", "", ""
	first, rest, more := strings.Cut(rest, "/")
	switch {
	case !more:
		pattern, file = patternNetworkFeed, first
	case first == "m" && !strings.Contains(rest, "/"):
		pattern, file = patternMemberFeed, rest
	case first == "p":
		tok, file, more = strings.Cut(rest, "/")
		if !more || strings.Contains(file, "/") || !pathSegment(tok) {
			return 0, false
		}
		pattern = patternPrivateFeed
	default:
		return 0, false
	}
	if !pathSegment(file) {
		return 0, false
	}
	r.Pattern = pattern
	now := start
	if s.Now != nil {
		now = s.Now()
	}
	if s.limited(w, r, now) {
		return http.StatusTooManyRequests, true
	}
	var err error
	switch pattern {
	case patternNetworkFeed:
		status, err = s.networkFeed(w, r, file, start)
	case patternMemberFeed:
		status, err = s.memberFeed(w, r, file, start, now)
	default:
		status, err = s.privateFeed(w, r, tok, file, start)
	}
	if err != nil {
		s.writeProblem(w, r, err)
		status = StatusOf(err)
	}
	return status, true
}

// pathSegment reports whether seg is a segment the mux matches to a
// wildcard as it is: not empty, and not one that cleaning the path
// would remove.
func pathSegment(seg string) bool {
	return seg != "" && seg != "." && seg != ".."
}

// feedMeta is the header values of one version of a feed, made once so
// that answering it — a 304 above all — allocates nothing.
type feedMeta struct {
	// The version is known by its ETag, time and size, not by the feed
	// itself, so that a body the renderer has replaced is not kept here.
	size         int
	etag, gzETag []string // {ETag}, {the gzip representation's ETag}
	lastModified []string
	length       []string // of the plain body
	modified     time.Time
}

// feedMetaCache holds the feedMeta of the current version of each feed
// served, by feed key. A hit takes no lock.
type feedMetaCache struct {
	m sync.Map // feed key → *feedMeta
	n atomic.Int64
}

func (c *feedMetaCache) get(f *natverk.StoredFeed) *feedMeta {
	if v, ok := c.m.Load(f.Key); ok {
		m := v.(*feedMeta)
		if m.etag[0] == f.ETag && m.modified.Equal(f.Modified.Truncate(time.Second)) && m.size == len(f.Body) {
			return m
		}
	}
	m := &feedMeta{
		size:         len(f.Body),
		etag:         []string{f.ETag},
		gzETag:       []string{gzETag(f.ETag)},
		lastModified: []string{f.Modified.UTC().Format(http.TimeFormat)},
		length:       []string{strconv.Itoa(len(f.Body))},
		modified:     f.Modified.Truncate(time.Second),
	}
	if _, replaced := c.m.Swap(f.Key, m); !replaced && c.n.Add(1) > 50000 {
		// Bounded as the renderer's memory cache is.
		c.m.Clear()
		c.n.Store(0)
	}
	return m
}

// memberFeedCache remembers for a second which member's feed a feed
// token opens, so a calendar app polling a personal feed costs no store
// query and no signature check. An erased member or revoked links take
// effect within that second in other processes; in this one at once,
// since the routes that erase a member or revoke links call forget when
// they are done.
type memberFeedCache struct {
	m  sync.Map // token → *memberFeedEntry
	n  atomic.Int64
	mu sync.Mutex // orders stores after a load against forget
	// gen counts forgets: a lookup that began before one does not
	// store what it read.
	gen atomic.Uint64
}

type memberFeedEntry struct {
	key     string // natverk.MemberFeedKey(member id)
	expires int64  // the token's expiry (Unix seconds, 0 = none)
	at      time.Time
}

// key returns the feed key of the member tok opens: from memory if it
// was looked up less than a second before at (time.Now) and the token
// has not expired by now (the server's clock), else by load (the
// signature check and the member's state).
func (c *memberFeedCache) key(tok string, at, now time.Time, load func() (token.Claims, *natverk.Member, error)) (string, error) {
	if v, ok := c.m.Load(tok); ok {
		e := v.(*memberFeedEntry)
		if at.Sub(e.at) < time.Second && (e.expires == 0 || now.Unix() < e.expires) {
			return e.key, nil
		}
	}
	gen := c.gen.Load()
	claims, m, err := load()
	if err != nil {
		return "", err
	}
	e := &memberFeedEntry{key: natverk.MemberFeedKey(m.ID), expires: claims.Expires, at: at}
	c.mu.Lock()
	if c.gen.Load() == gen {
		if _, replaced := c.m.Swap(tok, e); !replaced && c.n.Add(1) > 10000 {
			c.m.Clear()
			c.n.Store(0)
		}
	}
	c.mu.Unlock()
	return e.key, nil
}

// forget drops every remembered member: the next request for each feed
// checks its token and member again.
func (c *memberFeedCache) forget() {
	c.mu.Lock()
	c.gen.Add(1)
	c.m.Clear()
	c.n.Store(0)
	c.mu.Unlock()
}

// forgettingMembers wraps the API handlers that erase members or revoke
// their links: when one is done, this process forgets which member each
// feed token opens.
func (s *Server) forgettingMembers(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		defer s.memberFeeds.forget()
		return h(w, r)
	}
}
