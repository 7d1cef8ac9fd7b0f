package httpapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/token"
)

// handleNetworkFeed serves a public network's feed: /feeds/<slug>.ics.
func (s *Server) handleNetworkFeed(w http.ResponseWriter, r *http.Request) error {
	_, err := s.networkFeed(w, r, r.PathValue("file"), time.Now())
	return err
}

// networkFeed serves the network feed named by file (<slug>.ics) and
// returns the status it wrote; at is the time now, for the caches.
func (s *Server) networkFeed(w http.ResponseWriter, r *http.Request, file string, at time.Time) (int, error) {
	slug, ok := strings.CutSuffix(file, ".ics")
	if !ok {
		return 0, natverk.Errorf(natverk.ENOTFOUND, "No such feed.")
	}
	e, err := s.networks.entry(r.Context(), s.Store, slug, at)
	if err != nil || e.n.FeedVisibility != natverk.FeedPublic {
		return 0, natverk.Errorf(natverk.ENOTFOUND, "No such feed.")
	}
	return s.serveFeed(w, r, e.feedKey)
}

// handlePrivateFeed serves a private network's feed behind its token:
// /feeds/p/<token>/<slug>.ics. A wrong token is a plain 404, no hint that
// the network exists.
func (s *Server) handlePrivateFeed(w http.ResponseWriter, r *http.Request) error {
	_, err := s.privateFeed(w, r, r.PathValue("token"), r.PathValue("file"), time.Now())
	return err
}

// privateFeed serves the private network feed named by tok and file
// (<slug>.ics) and returns the status it wrote; at is the time now, for
// the caches.
func (s *Server) privateFeed(w http.ResponseWriter, r *http.Request, tok, file string, at time.Time) (int, error) {
	slug, ok := strings.CutSuffix(file, ".ics")
	notFound := natverk.Errorf(natverk.ENOTFOUND, "No such feed.")
	if !ok {
		return 0, notFound
	}
	e, err := s.networks.entry(r.Context(), s.Store, slug, at)
	if err != nil {
		return 0, notFound
	}
	if subtle.ConstantTimeCompare([]byte(tok), []byte(e.n.FeedToken)) != 1 || e.n.FeedToken == "" {
		return 0, notFound
	}
	return s.serveFeed(w, r, e.feedKey)
}

// handleMemberFeed serves a member's personal feed: /feeds/m/<token>.ics.
func (s *Server) handleMemberFeed(w http.ResponseWriter, r *http.Request) error {
	_, err := s.memberFeed(w, r, r.PathValue("file"), time.Now(), s.now())
	return err
}

// memberFeed serves the personal feed named by file (<token>.ics) and
// returns the status it wrote. The member behind a token is remembered
// for a second (memberFeedCache). at is the time now, for the cache, and
// now the server's clock (Server.Now), for the token's expiry.
func (s *Server) memberFeed(w http.ResponseWriter, r *http.Request, file string, at, now time.Time) (int, error) {
	tok, ok := strings.CutSuffix(file, ".ics")
	if !ok {
		return 0, natverk.Errorf(natverk.ENOTFOUND, "No such feed.")
	}
	key, err := s.memberFeeds.key(tok, at, now, func() (token.Claims, *natverk.Member, error) {
		return s.memberFromToken(r, tok, token.Feed)
	})
	if err != nil {
		return 0, natverk.Errorf(natverk.ENOTFOUND, "No such feed.")
	}
	return s.serveFeed(w, r, key)
}

// Header values every feed answer shares; header maps hold them as they
// are (one slice for all answers: nothing writes into a header's values
// in place, Set and Add replace or copy them).
var (
	feedContentType  = []string{"text/calendar; charset=utf-8"}
	feedCacheControl = []string{"public, max-age=900"}
	feedVary         = []string{"Accept-Encoding"}
	feedGzip         = []string{"gzip"}
)

// serveFeed writes a stored feed with a strong ETag and Last-Modified,
// answers conditional requests with 304, serves HEAD, and gzips only for
// clients that ask. The feed is rendered by the calendar worker; a feed
// never rendered yet is rendered now. It returns the status it wrote.
//
// A 304 allocates nothing here: the header values of each version of a
// feed are made once (feedMeta).
func (s *Server) serveFeed(w http.ResponseWriter, r *http.Request, key string) (int, error) {
	f, err := s.Feeds.Get(r.Context(), key)
	if err != nil {
		return 0, err
	}
	m := s.feedMetas.get(f)
	h := w.Header()
	h["Content-Type"] = feedContentType
	h["Cache-Control"] = feedCacheControl
	h["Last-Modified"] = m.lastModified
	h["Vary"] = feedVary
	// Each representation has its own strong ETag (RFC 9110 §8.8.3):
	// the gzip body is not byte-identical to the plain one.
	gz := acceptsGzip(r)
	if gz {
		h["Etag"] = m.gzETag
	} else {
		h["Etag"] = m.etag
	}
	if notModified(r, m) {
		w.WriteHeader(http.StatusNotModified)
		return http.StatusNotModified, nil
	}
	body := f.Body
	length := m.length
	if gz {
		body = s.gz.get(f)
		h["Content-Encoding"] = feedGzip
		length = []string{strconv.Itoa(len(body))}
	}
	h["Content-Length"] = length
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
	return http.StatusOK, nil
}

// notModified evaluates If-None-Match (preferred) and If-Modified-Since.
func notModified(r *http.Request, m *feedMeta) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for inm != "" {
			var tag string
			tag, inm, _ = strings.Cut(inm, ",")
			tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
			if tag == "*" || tag == m.etag[0] || tag == m.gzETag[0] {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil && !m.modified.After(t) {
			return true
		}
	}
	return false
}

// gzETag is the ETag of the gzip representation.
func gzETag(etag string) string { return strings.TrimSuffix(etag, `"`) + `-gz"` }

func acceptsGzip(r *http.Request) bool {
	for ae := r.Header.Get("Accept-Encoding"); ae != ""; {
		var part string
		part, ae, _ = strings.Cut(ae, ",")
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && !refused(params) {
			return true
		}
	}
	return false
}

// refused reports whether the parameters of an Accept-Encoding entry give
// it a weight of zero ("q=0", "q=0.0", …; RFC 9110 §12.4.2): "q=0.5" is
// accepted.
func refused(params string) bool {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		name, value, _ := strings.Cut(strings.TrimSpace(p), "=")
		if !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		return err == nil && q == 0
	}
	return false
}

// gzCache keeps the compressed copy of the current version of each
// feed, so a gzip answer costs no compression after the first.
type gzCache struct {
	mu sync.Mutex
	m  map[string]gzEntry
}

type gzEntry struct {
	etag string
	body []byte
}

func (c *gzCache) get(f *natverk.StoredFeed) []byte {
	c.mu.Lock()
	e, ok := c.m[f.Key]
	c.mu.Unlock()
	if ok && e.etag == f.ETag {
		return e.body
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	zw.Write(f.Body)
	zw.Close()
	c.mu.Lock()
	if c.m == nil || len(c.m) > 10000 {
		c.m = map[string]gzEntry{}
	}
	c.m[f.Key] = gzEntry{etag: f.ETag, body: buf.Bytes()}
	c.mu.Unlock()
	return buf.Bytes()
}

// networkCache remembers networks by slug and by id for a second, so a
// feed request costs no store query; a changed visibility, a rotated
// private-feed token or a closed network takes effect within that second
// (the store still refuses answers from members who left). A hit takes
// no lock.
type networkCache struct {
	m sync.Map // "<slug>" or "#<id>" → *networkEntry
	n atomic.Int64
}

type networkEntry struct {
	n       *natverk.Network
	feedKey string // natverk.NetworkFeedKey(n.ID)
	at      time.Time
}

func (c *networkCache) bySlug(ctx context.Context, store natverk.NetworkStore, slug string) (*natverk.Network, error) {
	e, err := c.entry(ctx, store, slug, time.Now())
	if err != nil {
		return nil, err
	}
	return e.n, nil
}

// entry is bySlug with the network's feed key; at is the time now.
func (c *networkCache) entry(ctx context.Context, store natverk.NetworkStore, slug string, at time.Time) (*networkEntry, error) {
	return c.get(slug, at, func() (*natverk.Network, error) { return store.FindNetworkBySlug(ctx, slug) })
}

// byID is the same by id, for the member pages an RSVP link opens: a
// burst of answers to one network reads the network once a second.
func (c *networkCache) byID(ctx context.Context, store natverk.NetworkStore, id int64) (*natverk.Network, error) {
	e, err := c.get("#"+strconv.FormatInt(id, 10), time.Now(), func() (*natverk.Network, error) { return store.FindNetworkByID(ctx, id) })
	if err != nil {
		return nil, err
	}
	return e.n, nil
}

func (c *networkCache) get(key string, at time.Time, load func() (*natverk.Network, error)) (*networkEntry, error) {
	if v, ok := c.m.Load(key); ok {
		if e := v.(*networkEntry); at.Sub(e.at) < time.Second {
			return e, nil
		}
	}
	n, err := load()
	if err != nil {
		return nil, err
	}
	e := &networkEntry{n: n, feedKey: natverk.NetworkFeedKey(n.ID), at: at}
	if _, replaced := c.m.Swap(key, e); !replaced && c.n.Add(1) > 10000 {
		// Bounded: forget every network, as the map did before.
		c.m.Clear()
		c.n.Store(0)
	}
	return e, nil
}
