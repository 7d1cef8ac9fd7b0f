package httpapi

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/sqlite"
	"github.com/natverk/natverk/internal/webhook"
)

// webhookEnv is the webhook API over a real SQLite store, served twice:
// through Handler (the routes as deployed, strict outbound policy) and
// through a mux whose sender may reach 127.0.0.1, where the test
// endpoint listens.
type webhookEnv struct {
	t      *testing.T
	store  *sqlite.DB
	strict *httptest.Server
	open   *httptest.Server
	// organizer is an organizer's API token.
	organizer string
	// endpoint receives pings.
	endpoint *httptest.Server
	mu       sync.Mutex
	received []*http.Request
	bodies   [][]byte
	status   int
}

func newWebhookEnv(t *testing.T) *webhookEnv {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "natverk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &webhookEnv{t: t, store: db, status: http.StatusNoContent}
	e.endpoint = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.received, e.bodies = append(e.received, r), append(e.bodies, b)
		status := e.status
		e.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(e.endpoint.Close)

	s := &Server{Store: db, AdminToken: testAdminToken, MaxBody: 64 << 10}
	e.strict = httptest.NewServer(s.Handler())
	t.Cleanup(e.strict.Close)
	pool := x509.NewCertPool()
	pool.AddCert(e.endpoint.Certificate())
	sender, err := webhook.NewSender(webhook.Options{AllowHosts: []string{"127.0.0.1"}, RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	s.mountWebhookRoutes(mux, sender)
	e.open = httptest.NewServer(mux)
	t.Cleanup(e.open.Close)

	in, _ := natverk.MemberInput{Email: "anna@example.org", Name: "Anna"}.Normalize()
	if _, err := db.ImportMembers(t.Context(), []natverk.ImportRow{{Row: 2, MemberInput: in}}); err != nil {
		t.Fatal(err)
	}
	m, err := db.FindMemberByEmail(t.Context(), "anna@example.org")
	if err != nil {
		t.Fatal(err)
	}
	tok, rec := natverk.NewAPIToken(natverk.RoleOrganizer, m.ID, "test", nil)
	if err := db.CreateAPIToken(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	e.organizer = tok
	return e
}

// do sends a request to srv with the bearer token and decodes a JSON
// answer into out (when not nil); it returns the status.
func (e *webhookEnv) do(srv *httptest.Server, method, path, bearer, body string, out any) int {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

// webhookJSON is an endpoint as the API shows it.
type webhookJSON struct {
	ID                  int64                      `json:"id"`
	URL                 string                     `json:"url"`
	EventTypes          []string                   `json:"event_types"`
	Description         string                     `json:"description"`
	Paused              bool                       `json:"paused"`
	Secret              string                     `json:"secret"`
	PreviousSecretUntil *time.Time                 `json:"previous_secret_until"`
	Deliveries          []*natverk.WebhookDelivery `json:"deliveries"`
}

func TestWebhookAPI(t *testing.T) {
	e := newWebhookEnv(t)
	// Register: the secret is shown once.
	var created webhookJSON
	body := `{"url": "` + e.endpoint.URL + `/hook", "event_types": ["natverk.rsvp.recorded", "natverk.member.joined"], "description": "CRM"}`
	if st := e.do(e.open, "POST", "/api/v1/webhooks", testAdminToken, body, &created); st != http.StatusCreated {
		t.Fatalf("create: %d", st)
	}
	if created.ID == 0 || created.URL != e.endpoint.URL+"/hook" || !strings.HasPrefix(created.Secret, "whsec_") || len(created.EventTypes) != 2 || created.Description != "CRM" {
		t.Fatalf("created = %+v", created)
	}
	if key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(created.Secret, "whsec_")); err != nil || len(key) != 32 {
		t.Fatalf("secret %q: %d bytes, %v", created.Secret, len(key), err)
	}
	path := "/api/v1/webhooks/" + itoa64(created.ID)

	// Listing and reading never show it.
	var list []webhookJSON
	if st := e.do(e.open, "GET", "/api/v1/webhooks", testAdminToken, "", &list); st != 200 || len(list) != 1 || list[0].Secret != "" || list[0].ID != created.ID {
		t.Fatalf("list: %d %+v", st, list)
	}

	// Test ping: the endpoint gets a signed natverk.webhook.test.
	var ping pingResult
	if st := e.do(e.open, "POST", path+"/test", testAdminToken, "", &ping); st != 200 || !ping.Delivered || ping.StatusCode != http.StatusNoContent || ping.EventID == "" {
		t.Fatalf("ping: %d %+v", st, ping)
	}
	e.mu.Lock()
	r, b := e.received[0], e.bodies[0]
	e.mu.Unlock()
	if !verifyStandardWebhook(r.Header, b, created.Secret) || r.Header.Get("webhook-id") != ping.EventID || !bytes.Contains(b, []byte(`"type":"natverk.webhook.test"`)) {
		t.Fatalf("ping request: %v %s", r.Header, b)
	}

	// A failing endpoint: the call succeeds and says what it answered.
	e.mu.Lock()
	e.status = http.StatusServiceUnavailable
	e.mu.Unlock()
	if st := e.do(e.open, "POST", path+"/test", testAdminToken, "", &ping); st != 200 || ping.Delivered || ping.StatusCode != 503 || !strings.Contains(ping.Error, "503") {
		t.Fatalf("failing ping: %d %+v", st, ping)
	}

	// The endpoint's page lists both pings, newest first.
	var got webhookJSON
	if st := e.do(e.open, "GET", path, testAdminToken, "", &got); st != 200 || got.Secret != "" || len(got.Deliveries) != 2 {
		t.Fatalf("get: %d %+v", st, got)
	}
	if d := got.Deliveries[0]; d.Status != natverk.WebhookFailed || d.Code != 503 || d.EventType != natverk.WebhookTestEvent {
		t.Fatalf("latest delivery = %+v", d)
	}
	if st := e.do(e.open, "GET", path+"?status=delivered&limit=1", testAdminToken, "", &got); st != 200 || len(got.Deliveries) != 1 || got.Deliveries[0].Status != natverk.WebhookDelivered {
		t.Fatalf("filtered: %d %+v", st, got.Deliveries)
	}

	// Pause, change the types.
	var up webhookJSON
	if st := e.do(e.open, "PATCH", path, testAdminToken, `{"paused": true, "event_types": ["*"]}`, &up); st != 200 || !up.Paused || len(up.EventTypes) != 1 || up.EventTypes[0] != "*" || up.URL != created.URL {
		t.Fatalf("patch: %d %+v", st, up)
	}

	// Rotate: a new secret, shown once, the old one valid for a day.
	var rot webhookJSON
	if st := e.do(e.open, "POST", path+"/rotate-secret", testAdminToken, "", &rot); st != 200 || !strings.HasPrefix(rot.Secret, "whsec_") || rot.Secret == created.Secret || rot.PreviousSecretUntil == nil {
		t.Fatalf("rotate: %d %+v", st, rot)
	}
	if d := time.Until(*rot.PreviousSecretUntil); d < 23*time.Hour || d > 25*time.Hour {
		t.Fatalf("grace ends in %v, want about 24h", d)
	}
	e.mu.Lock()
	e.status = http.StatusOK
	e.mu.Unlock()
	if st := e.do(e.open, "POST", path+"/test", testAdminToken, "", &ping); st != 200 || !ping.Delivered {
		t.Fatalf("ping after rotation: %d %+v", st, ping)
	}
	e.mu.Lock()
	r, b = e.received[2], e.bodies[2]
	e.mu.Unlock()
	if !verifyStandardWebhook(r.Header, b, rot.Secret) || !verifyStandardWebhook(r.Header, b, created.Secret) {
		t.Fatalf("after rotation the ping verifies with new %v, old %v; want both", verifyStandardWebhook(r.Header, b, rot.Secret), verifyStandardWebhook(r.Header, b, created.Secret))
	}

	// Delete.
	if st := e.do(e.open, "DELETE", path, testAdminToken, "", nil); st != http.StatusNoContent {
		t.Fatalf("delete: %d", st)
	}
	var p Problem
	for _, req := range []struct{ method, path string }{{"GET", path}, {"DELETE", path}, {"POST", path + "/test"}, {"POST", path + "/rotate-secret"}} {
		if st := e.do(e.open, req.method, req.path, testAdminToken, "", &p); st != 404 {
			t.Fatalf("%s %s after delete: %d", req.method, req.path, st)
		}
	}
}

// verifyStandardWebhook checks a request's signatures by the spec, on
// its own: HMAC-SHA256 over id.timestamp.body with the decoded secret,
// compared with each "v1," signature.
func verifyStandardWebhook(h http.Header, body []byte, secret string) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + "."))
	mac.Write(body)
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if v, s, _ := strings.Cut(sig, ","); v == "v1" && hmac.Equal([]byte(s), []byte(want)) {
			return true
		}
	}
	return false
}

func itoa64(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestWebhookAPIAuthorization: only the admin manages webhooks.
func TestWebhookAPIAuthorization(t *testing.T) {
	e := newWebhookEnv(t)
	h := mustCreateWebhook(t, e)
	path := "/api/v1/webhooks/" + itoa64(h.ID)
	for _, req := range []struct{ method, path, body string }{
		{"POST", "/api/v1/webhooks", `{"url": "https://93.184.216.34/hook", "event_types": ["*"]}`},
		{"GET", "/api/v1/webhooks", ""},
		{"GET", path, ""},
		{"PATCH", path, `{"paused": true}`},
		{"DELETE", path, ""},
		{"POST", path + "/rotate-secret", ""},
		{"POST", path + "/test", ""},
	} {
		var p Problem
		if st := e.do(e.strict, req.method, req.path, e.organizer, req.body, &p); st != http.StatusForbidden || p.Code != natverk.EFORBIDDEN {
			t.Errorf("organizer %s %s: %d %+v", req.method, req.path, st, p)
		}
		if st := e.do(e.strict, req.method, req.path, "", req.body, &p); st != http.StatusUnauthorized {
			t.Errorf("anonymous %s %s: %d", req.method, req.path, st)
		}
	}
	// Nothing changed, nothing was sent.
	if got, err := e.store.FindWebhookByID(t.Context(), h.ID); err != nil || got.Paused || got.Secret != h.Secret {
		t.Fatalf("webhook after refused calls = %+v %v", got, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.received) != 0 {
		t.Fatalf("the endpoint got %d requests", len(e.received))
	}
}

func mustCreateWebhook(t *testing.T, e *webhookEnv) *natverk.Webhook {
	t.Helper()
	in, err := natverk.WebhookInput{URL: e.endpoint.URL, EventTypes: []string{events.RSVPRecorded}}.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	h, err := e.store.CreateWebhook(t.Context(), in, natverk.NewWebhookSecret())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestWebhookAPIRefusesBadInput: the deployed routes refuse private and
// loopback targets and plain http, and the input is validated.
func TestWebhookAPIRefusesBadInput(t *testing.T) {
	e := newWebhookEnv(t)
	tests := []struct {
		name, body, field, reason string
		status                    int
	}{
		{"Loopback", `{"url": "https://127.0.0.1/hook", "event_types": ["*"]}`, "url", "loopback", 422},
		{"TenNet", `{"url": "https://10.0.0.1/hook", "event_types": ["*"]}`, "url", "private", 422},
		{"OneNineTwo", `{"url": "https://192.168.0.10/hook", "event_types": ["*"]}`, "url", "private", 422},
		{"Metadata", `{"url": "https://169.254.169.254/latest", "event_types": ["*"]}`, "url", "link-local", 422},
		{"IPv6Loopback", `{"url": "https://[::1]/hook", "event_types": ["*"]}`, "url", "loopback", 422},
		{"Localhost", `{"url": "https://localhost/hook", "event_types": ["*"]}`, "url", "loopback", 422},
		{"TestEndpoint", `{"url": "` + e.endpoint.URL + `", "event_types": ["*"]}`, "url", "loopback", 422},
		{"PlainHTTP", `{"url": "http://93.184.216.34/hook", "event_types": ["*"]}`, "url", "https", 422},
		{"NoTypes", `{"url": "https://93.184.216.34/hook", "event_types": []}`, "event_types", "required", 422},
		{"UnknownType", `{"url": "https://93.184.216.34/hook", "event_types": ["natverk.nothing.happened"]}`, "event_types", "unknown", 422},
		{"StarWithOthers", `{"url": "https://93.184.216.34/hook", "event_types": ["*", "natverk.rsvp.recorded"]}`, "event_types", "alone", 422},
		{"UnknownField", `{"url": "https://93.184.216.34/hook", "event_types": ["*"], "secret": "mine"}`, "secret", "not a known field", 422},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p Problem
			st := e.do(e.strict, "POST", "/api/v1/webhooks", testAdminToken, tc.body, &p)
			if st != tc.status || len(p.Errors) != 1 || p.Errors[0].Field != tc.field || !strings.Contains(p.Errors[0].Reason, tc.reason) {
				t.Fatalf("%d %+v, want %d with %s: …%s…", st, p, tc.status, tc.field, tc.reason)
			}
		})
	}
	// A public address is accepted by the deployed routes.
	var created webhookJSON
	if st := e.do(e.strict, "POST", "/api/v1/webhooks", testAdminToken, `{"url": "https://93.184.216.34/hook", "event_types": ["*"]}`, &created); st != 201 {
		t.Fatalf("public address: %d", st)
	}
	path := "/api/v1/webhooks/" + itoa64(created.ID)
	var p Problem
	if st := e.do(e.strict, "PATCH", path, testAdminToken, `{"url": "https://127.0.0.1/x"}`, &p); st != 422 || len(p.Errors) != 1 || p.Errors[0].Field != "url" {
		t.Fatalf("patch to loopback: %d %+v", st, p)
	}
	if st := e.do(e.strict, "PATCH", path, testAdminToken, `{}`, &p); st != 422 {
		t.Fatalf("empty patch: %d", st)
	}
	if st := e.do(e.strict, "GET", path+"?status=lost", testAdminToken, "", &p); st != 422 {
		t.Fatalf("bad status filter: %d", st)
	}
	if st := e.do(e.strict, "GET", "/api/v1/webhooks/abc", testAdminToken, "", &p); st != 404 {
		t.Fatalf("bad id: %d", st)
	}
}
