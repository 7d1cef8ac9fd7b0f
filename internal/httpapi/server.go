// Package httpapi is Nätverk's HTTP edge: the JSON API under /api/v1
// (bearer tokens), the pages members open from their mail (RSVP,
// unsubscribe), the public network pages, and the calendar feeds.
//
// Every route is declared in one place (routes.go). Errors are RFC 9457
// problem documents with the status their application code maps to
// (json.go); internal errors are logged once, here, and shown without
// detail.
package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/feeds"
	"github.com/natverk/natverk/internal/links"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/token"
	"github.com/natverk/natverk/internal/webhook"
)

// DeadLetters lists and re-drives dead letters (the events package over
// the service's JetStream connection).
type DeadLetters interface {
	List(ctx context.Context, consumer string) ([]events.DeadLetter, error)
	Retry(ctx context.Context, seq uint64) error
	RetryAll(ctx context.Context, consumer string) (int, error)
}

// Server holds the HTTP edge's dependencies.
type Server struct {
	Store  natverk.Store
	Links  *links.Builder
	Signer *token.Signer
	Feeds  *feeds.Renderer
	// AdminToken is the admin's bearer token (compared by hash, in
	// constant time).
	AdminToken string
	Checks     natverk.Checks
	BoardEmail string
	// MaxBody caps JSON bodies; MaxImport caps member imports.
	MaxBody   int64
	MaxImport int64
	// Ready reports the state of each dependency for /readyz: nil =
	// healthy.
	Ready func(ctx context.Context) map[string]error
	// Metrics serves /metrics (nil = not served).
	Metrics http.Handler
	// Observe records a request's duration by route pattern (nil = none).
	Observe func(route string, status int, d time.Duration)
	// DLQ lists and re-drives dead letters (nil = not offered).
	DLQ DeadLetters
	// MailDir, in the embedded mode, is the Maildir listed on /mail.
	MailDir string
	// Webhooks checks webhook URLs against the outbound policy and sends
	// test pings (nil = the strict policy, no allowed private hosts).
	Webhooks *webhook.Sender
	// CSRFKey keys the form tokens of the member pages.
	CSRFKey []byte
	// RateLimit is requests per second per client on public endpoints
	// (0 = unlimited).
	RateLimit float64
	Log       *slog.Logger
	Now       func() time.Time

	limiter     *limiter
	gz          gzCache
	networks    networkCache
	feedMetas   feedMetaCache
	memberFeeds memberFeedCache
	// feedsViaMux turns serveFeedFast off, for the test that compares
	// its answers with the mux's.
	feedsViaMux bool
}

func (s *Server) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// actor authenticates the request's bearer token. It returns nil when
// there is none.
func (s *Server) actor(r *http.Request) (*natverk.Actor, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, nil
	}
	tok, ok := strings.CutPrefix(h, "Bearer ")
	tok = strings.TrimSpace(tok)
	if !ok || tok == "" || len(tok) > 256 {
		return nil, natverk.Errorf(natverk.EUNAUTHORIZED, "Use Authorization: Bearer <token>.")
	}
	got := sha256.Sum256([]byte(tok))
	want := sha256.Sum256([]byte(s.AdminToken))
	if s.AdminToken != "" && subtle.ConstantTimeCompare(got[:], want[:]) == 1 {
		return &natverk.Actor{Role: natverk.RoleAdmin}, nil
	}
	t, err := s.Store.FindAPITokenByHash(r.Context(), hex.EncodeToString(got[:]), s.now())
	if natverk.ErrorCode(err) == natverk.ENOTFOUND {
		return nil, natverk.Errorf(natverk.EUNAUTHORIZED, "The token is not valid.")
	} else if err != nil {
		return nil, err
	}
	a := &natverk.Actor{Role: t.Role, MemberID: t.MemberID}
	if t.Role == natverk.RoleOrganizer {
		ns, _, err := s.Store.FindNetworks(r.Context(), natverk.NetworkFilter{OrganizerID: t.MemberID, Limit: natverk.MaxPageSize})
		if err != nil {
			return nil, err
		}
		for _, n := range ns {
			a.Networks = append(a.Networks, n.ID)
		}
	}
	return a, nil
}

// handlerFunc is an API handler that returns an error for the edge to
// write.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// roles wraps an API handler: it authenticates the bearer token and lets
// through only the listed roles (no token: 401; another role: 403).
func (s *Server) roles(allowed []string, h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := s.actor(r)
		if err == nil && a == nil {
			err = natverk.Errorf(natverk.EUNAUTHORIZED, "This needs a token: Authorization: Bearer <token>.")
		}
		if err == nil {
			ok := false
			for _, role := range allowed {
				ok = ok || a.Role == role
			}
			if !ok {
				err = natverk.Errorf(natverk.EFORBIDDEN, "Your token does not allow this.")
			}
		}
		if err != nil {
			if natverk.ErrorCode(err) == natverk.EUNAUTHORIZED {
				w.Header().Set("WWW-Authenticate", `Bearer realm="natverk"`)
			}
			s.writeProblem(w, r, err)
			return
		}
		r = r.WithContext(natverk.NewContextWithActor(r.Context(), a))
		if err := h(w, r); err != nil {
			s.writeProblem(w, r, err)
		}
	}
}

var (
	adminOnly  = []string{natverk.RoleAdmin}
	organizers = []string{natverk.RoleAdmin, natverk.RoleOrganizer}
)

// public wraps a public handler with the per-client rate limit.
func (s *Server) public(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.limited(w, r, s.now()) {
			return
		}
		if err := h(w, r); err != nil {
			s.writeProblem(w, r, err)
		}
	}
}

// limited applies the per-client rate limit at now: over it, it writes
// the 429 and reports true.
func (s *Server) limited(w http.ResponseWriter, r *http.Request, now time.Time) bool {
	if s.limiter == nil || s.limiter.allow(clientIP(r), now) {
		return false
	}
	w.Header().Set("Retry-After", "1")
	s.writeProblem(w, r, natverk.Errorf(natverk.ERATELIMIT, "Too many requests; try again in a second."))
	return true
}

// recoverer turns a panic into a 500 and a log line: no request brings
// the service down.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log().Error("panic in handler", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				s.writeProblem(w, r, natverk.Errorf(natverk.EINTERNAL, "internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// statusWriter records the status for metrics and logs.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// The security headers every answer carries. Header maps hold these
// slices as they are, one for all answers: nothing writes into a
// header's values in place (Set and Add replace or copy them).
var (
	headerNosniff    = []string{"nosniff"}
	headerNoReferrer = []string{"no-referrer"}
	headerDeny       = []string{"DENY"}
)

// observe records the request in metrics by route pattern, and sets the
// security headers every answer carries. Feed requests are answered by
// serveFeedFast, without the mux; the rest go through the mux.
func (s *Server) observe(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h := w.Header()
		h["X-Content-Type-Options"] = headerNosniff
		h["Referrer-Policy"] = headerNoReferrer
		h["X-Frame-Options"] = headerDeny
		status, ok := s.serveFeedFast(w, r, start)
		if !ok {
			sw := &statusWriter{ResponseWriter: w}
			mux.ServeHTTP(sw, r)
			status = sw.status
		}
		if s.Observe != nil {
			pattern := r.Pattern // set by the mux while routing
			if pattern == "" {
				pattern = "unmatched"
			}
			s.Observe(pattern, status, time.Since(start))
		}
	})
}
