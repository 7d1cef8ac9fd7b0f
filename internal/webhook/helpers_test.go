package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/sqlite"
	"github.com/natverk/natverk/internal/webhook"
)

func ctx() context.Context { return context.Background() }

// openStore opens a real SQLite store in the test's directory.
func openStore(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(ctx(), filepath.Join(t.TempDir(), "natverk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// request is one request an endpoint received.
type request struct {
	header http.Header
	body   []byte
	at     time.Time
}

// endpoint is a TLS webhook receiver on 127.0.0.1. Its answer to the n-th
// request (from 1) is status(n); by default 204.
type endpoint struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []request
	status func(n int) int
}

func newEndpoint(t testing.TB) *endpoint {
	t.Helper()
	e := &endpoint{status: func(int) int { return http.StatusNoContent }}
	e.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.reqs = append(e.reqs, request{header: r.Header.Clone(), body: body, at: time.Now()})
		n, status := len(e.reqs), e.status
		e.mu.Unlock()
		w.WriteHeader(status(n))
		fmt.Fprintf(w, "answer %d", n)
	}))
	t.Cleanup(e.Close)
	return e
}

// answer sets how the endpoint answers from now on.
func (e *endpoint) answer(status func(n int) int) {
	e.mu.Lock()
	e.status = status
	e.mu.Unlock()
}

func (e *endpoint) requests() []request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]request(nil), e.reqs...)
}

// ids returns the webhook-id of each request received, in order.
func (e *endpoint) ids() []string {
	var out []string
	for _, r := range e.requests() {
		out = append(out, r.header.Get("webhook-id"))
	}
	return out
}

// certPool trusts the endpoints' test certificates.
func certPool(eps ...*endpoint) *x509.CertPool {
	pool := x509.NewCertPool()
	for _, e := range eps {
		pool.AddCert(e.Certificate())
	}
	return pool
}

// newSender returns a sender allowed to reach 127.0.0.1 (where the test
// endpoints listen) and trusting their certificates.
func newSender(t testing.TB, eps ...*endpoint) *webhook.Sender {
	t.Helper()
	s, err := webhook.NewSender(webhook.Options{AllowHosts: []string{"127.0.0.1"}, RootCAs: certPool(eps...), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// verify checks a request's Standard Webhooks signature independently of
// the package: it recomputes HMAC-SHA256 over id.timestamp.body with each
// secret (the base64 after "whsec_") and returns, for each secret in
// order, whether one of the request's signatures matches it. It also
// checks the timestamp is within five minutes of now, as receivers do.
func verify(t testing.TB, r request, now time.Time, secrets ...string) []bool {
	t.Helper()
	id, ts, sigs := r.header.Get("webhook-id"), r.header.Get("webhook-timestamp"), r.header.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		t.Fatalf("request lacks a webhook header: id=%q timestamp=%q signature=%q", id, ts, sigs)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		t.Fatalf("webhook-timestamp %q is not Unix seconds", ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		t.Fatalf("webhook-timestamp %s is %v away from now", ts, d)
	}
	var got [][]byte
	for _, s := range strings.Split(sigs, " ") {
		v, b64, ok := strings.Cut(s, ",")
		if !ok || v != "v1" {
			t.Fatalf("signature %q is not v1,<base64>", s)
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatalf("signature %q: %v", s, err)
		}
		got = append(got, raw)
	}
	out := make([]bool, len(secrets))
	for i, secret := range secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		if err != nil {
			t.Fatal(err)
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id + "." + ts + "." + string(r.body)))
		want := mac.Sum(nil)
		for _, g := range got {
			if subtle.ConstantTimeCompare(g, want) == 1 {
				out[i] = true
			}
		}
	}
	return out
}

// decode reads a delivery's JSON body.
func decode(t testing.TB, r request) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

// mustWebhook registers an endpoint in the store.
func mustWebhook(t testing.TB, s natverk.WebhookStore, url string, types ...string) *natverk.Webhook {
	t.Helper()
	in, err := natverk.WebhookInput{URL: url, EventTypes: types}.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	h, err := s.CreateWebhook(ctx(), in, natverk.NewWebhookSecret())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
