package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/natverk/natverk/internal/natverk"
)

// Defaults of Options.
const (
	DefaultConnectTimeout = 5 * time.Second
	DefaultTimeout        = 10 * time.Second
	// MaxResponse is how much of an endpoint's answer is read; the rest
	// is discarded with the connection.
	MaxResponse = 64 << 10
	// UserAgent is sent with every request.
	UserAgent = "Natverk-Webhooks/1"
)

// Options configures a Sender.
type Options struct {
	// AllowHosts opens the outbound policy (see [Policy]).
	AllowHosts []string
	// RootCAs verifies endpoints' certificates; nil uses the system's.
	RootCAs *x509.CertPool
	// ConnectTimeout bounds connecting (TCP and TLS); default 5s.
	ConnectTimeout time.Duration
	// Timeout bounds a whole request, answer included; default 10s.
	Timeout time.Duration
	// Resolver resolves host names; nil is net.DefaultResolver.
	Resolver *net.Resolver
}

// Sender posts signed deliveries under an outbound [Policy]. It is safe
// for concurrent use and reuses connections.
type Sender struct {
	policy *Policy
	client *http.Client
	dialer net.Dialer
}

// NewSender makes a Sender; it fails for an allow-list entry it cannot
// read.
func NewSender(o Options) (*Sender, error) {
	p, err := NewPolicy(o.AllowHosts)
	if err != nil {
		return nil, err
	}
	p.Resolver = o.Resolver
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	s := &Sender{policy: p, dialer: net.Dialer{Timeout: o.ConnectTimeout, KeepAlive: 30 * time.Second, Resolver: o.Resolver}}
	tr := &http.Transport{
		Proxy:                  nil, // a proxy would hide the address dialled from the policy
		DialContext:            s.dial,
		TLSClientConfig:        &tls.Config{RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    o.ConnectTimeout,
		ResponseHeaderTimeout:  o.Timeout,
		ForceAttemptHTTP2:      true,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 32 << 10,
	}
	s.client = &http.Client{
		Transport: tr,
		Timeout:   o.Timeout,
		// Redirects are not followed: the answer is the 3xx itself.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return s, nil
}

// Policy returns the sender's outbound policy.
func (s *Sender) Policy() *Policy { return s.policy }

// CheckURL checks an endpoint URL against the policy (see
// [Policy.CheckURL]).
func (s *Sender) CheckURL(ctx context.Context, raw string) (string, error) {
	return s.policy.CheckURL(ctx, raw)
}

// dial connects, checking the resolved address unless the host is
// allowed by name.
func (s *Sender) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("webhook: dial %s: %w", addr, err)
	}
	d := s.dialer
	if !s.policy.hostAllowed(host) {
		d.Control = s.policy.control(host)
	}
	return d.DialContext(ctx, network, addr)
}

// Result is the outcome of one request.
type Result struct {
	// Code is the answer's HTTP status; 0 when there was no answer.
	Code int
	// Err is nil when the endpoint answered 2xx.
	Err error
	// Duration is how long the request took.
	Duration time.Duration
}

// OK reports whether the endpoint accepted the delivery.
func (r Result) OK() bool { return r.Err == nil }

// Send posts body to the endpoint, signed with each secret, with
// webhook-id id and the current time as webhook-timestamp. Only a 2xx
// answer is a success; a redirect is not followed and counts as a
// failure, like any other status or a transport error.
func (s *Sender) Send(ctx context.Context, endpoint string, secrets []string, id string, body []byte) Result {
	start := time.Now()
	res := s.send(ctx, endpoint, secrets, id, body, start)
	res.Duration = time.Since(start)
	return res
}

func (s *Sender) send(ctx context.Context, endpoint string, secrets []string, id string, body []byte, now time.Time) Result {
	if len(body) > MaxBody {
		return Result{Err: fmt.Errorf("webhook: body of %d bytes is over the %d-byte limit", len(body), MaxBody)}
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Result{Err: fmt.Errorf("webhook: %q is not an http(s) URL", endpoint)}
	}
	if err := s.policy.checkScheme(u); err != nil {
		return Result{Err: err}
	}
	sig, err := SignatureHeader(secrets, id, now, body)
	if err != nil {
		return Result{Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return Result{Err: fmt.Errorf("webhook: build request: %w", err)}
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", UserAgent)
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	h.Set(HeaderSignature, sig)
	resp, err := s.client.Do(req)
	if err != nil {
		return Result{Err: fmt.Errorf("webhook: POST %s: %w", redact(u), unwrapURLError(err))}
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, MaxResponse))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return Result{Code: resp.StatusCode}
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return Result{Code: resp.StatusCode, Err: fmt.Errorf("webhook: %s answered %d (a redirect to %q, not followed)", redact(u), resp.StatusCode, clip(resp.Header.Get("Location"), 200))}
	}
	msg := fmt.Sprintf("webhook: %s answered %d %s", redact(u), resp.StatusCode, http.StatusText(resp.StatusCode))
	if t := clip(string(head), 200); t != "" {
		msg += ": " + t
	}
	return Result{Code: resp.StatusCode, Err: errors.New(msg)}
}

// unwrapURLError drops the *url.Error wrapper, whose text repeats the
// full URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redact shows an endpoint without its query (which may carry a token).
func redact(u *url.URL) string {
	c := *u
	if c.RawQuery != "" {
		c.RawQuery = "…"
	}
	return c.String()
}

// clip keeps the first n bytes of s as one printable line.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "?")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		cut := n
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// Ping sends the test event natverk.webhook.test to the endpoint now,
// signed with its current secrets, and returns the ping's id and the
// outcome.
func (s *Sender) Ping(ctx context.Context, h *natverk.Webhook, now time.Time) (string, Result) {
	p := PingPayload(h.ID, now)
	body, err := p.Marshal()
	if err != nil {
		return p.ID, Result{Err: err}
	}
	return p.ID, s.Send(ctx, h.URL, h.Secrets(now), p.ID, body)
}
