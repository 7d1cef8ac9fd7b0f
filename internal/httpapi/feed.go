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
	"time"

	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/token"
)

// handleNetworkFeed serves a public network's feed: /feeds/<slug>.ics.
func (s *Server) handleNetworkFeed(w http.ResponseWriter, r *http.Request) error {
	slug, ok := strings.CutSuffix(r.PathValue("file"), ".ics")
	if !ok {
		return natverk.Errorf(natverk.ENOTFOUND, "No such feed.")
	}
	n, err := s.networks.bySlug(r.Context(), s.Store, slug)
	if err != nil || n.FeedVisibility != natverk.FeedPublic {
		return natverk.Errorf(natverk.ENOTFOUND, "No such feed.")
	}
	return s.serveFeed(w, r, natverk.NetworkFeedKey(n.ID))
}

// handlePrivateFeed serves a private network's feed behind its token:
// /feeds/p/<token>/<slug>.ics. A wrong token is a plain 404, no hint that
// the network exists.
func (s *Server) handlePrivateFeed(w http.ResponseWriter, r *http.Request) error {
	slug, ok := strings.CutSuffix(r.PathValue("file"), ".ics")
	notFound := natverk.Errorf(natverk.ENOTFOUND, "No such feed.")
	if !ok {
		return notFound
	}
	n, err := s.networks.bySlug(r.Context(), s.Store, slug)
	if err != nil {
		return notFound
	}
	tok := r.PathValue("token")
	if subtle.ConstantTimeCompare([]byte(tok), []byte(n.FeedToken)) != 1 || n.FeedToken == "" {
		return notFound
	}
	return s.serveFeed(w, r, natverk.NetworkFeedKey(n.ID))
}

// handleMemberFeed serves a member's personal feed: /feeds/m/<token>.ics.
func (s *Server) handleMemberFeed(w http.ResponseWriter, r *http.Request) error {
	tok, ok := strings.CutSuffix(r.PathValue("file"), ".ics")
	if !ok {
		return natverk.Errorf(natverk.ENOTFOUND, "No such feed.")
	}
	_, m, err := s.memberFromToken(r, tok, token.Feed)
	if err != nil {
		return natverk.Errorf(natverk.ENOTFOUND, "No such feed.")
	}
	return s.serveFeed(w, r, natverk.MemberFeedKey(m.ID))
}

// serveFeed writes a stored feed with a strong ETag and Last-Modified,
// answers conditional requests with 304, serves HEAD, and gzips only for
// clients that ask. The feed is rendered by the calendar worker; a feed
// never rendered yet is rendered now.
func (s *Server) serveFeed(w http.ResponseWriter, r *http.Request, key string) error {
	f, err := s.Feeds.Get(r.Context(), key)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/calendar; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=900")
	h.Set("Last-Modified", f.Modified.UTC().Format(http.TimeFormat))
	h.Set("Vary", "Accept-Encoding")
	// Each representation has its own strong ETag (RFC 9110 §8.8.3):
	// the gzip body is not byte-identical to the plain one.
	gz := acceptsGzip(r)
	etag := f.ETag
	if gz {
		etag = gzETag(f.ETag)
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("ETag", etag)
	if notModified(r, f) {
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	body := f.Body
	if gz {
		body = s.gz.get(f)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
	return nil
}

// notModified evaluates If-None-Match (preferred) and If-Modified-Since.
func notModified(r *http.Request, f *natverk.StoredFeed) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, tag := range strings.Split(inm, ",") {
			tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
			if tag == "*" || tag == f.ETag || tag == gzETag(f.ETag) {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil && !f.Modified.Truncate(time.Second).After(t) {
			return true
		}
	}
	return false
}

// gzETag is the ETag of the gzip representation.
func gzETag(etag string) string { return strings.TrimSuffix(etag, `"`) + `-gz"` }

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && !strings.Contains(strings.ReplaceAll(params, " ", ""), "q=0") {
			return true
		}
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
// (the store still refuses answers from members who left).
type networkCache struct {
	mu sync.Mutex
	m  map[string]networkEntry
}

type networkEntry struct {
	n  *natverk.Network
	at time.Time
}

func (c *networkCache) bySlug(ctx context.Context, store natverk.NetworkStore, slug string) (*natverk.Network, error) {
	return c.get(slug, func() (*natverk.Network, error) { return store.FindNetworkBySlug(ctx, slug) })
}

// byID is the same by id, for the member pages an RSVP link opens: a
// burst of answers to one network reads the network once a second.
func (c *networkCache) byID(ctx context.Context, store natverk.NetworkStore, id int64) (*natverk.Network, error) {
	return c.get("#"+strconv.FormatInt(id, 10), func() (*natverk.Network, error) { return store.FindNetworkByID(ctx, id) })
}

func (c *networkCache) get(key string, load func() (*natverk.Network, error)) (*natverk.Network, error) {
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok && time.Since(e.at) < time.Second {
		return e.n, nil
	}
	n, err := load()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) > 10000 {
		c.m = map[string]networkEntry{}
	}
	c.m[key] = networkEntry{n: n, at: time.Now()}
	c.mu.Unlock()
	return n, nil
}
