package natverk

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/natverk/natverk/events"
)

// This file holds webhooks: endpoints of other systems that receive
// Nätverk's events as signed HTTP requests (the Standard Webhooks
// convention, https://www.standardwebhooks.com). internal/webhook sends
// them; the store keeps the endpoints and what was delivered to each.

// WebhookAllEvents subscribes an endpoint to every event type.
const WebhookAllEvents = "*"

// WebhookTestEvent is the type of the ping an admin sends to check an
// endpoint. It is not a stream event: it goes to one endpoint, on request.
const WebhookTestEvent = "natverk.webhook.test"

// WebhookSecretPrefix starts every signing secret; the rest is the
// base64 (standard alphabet, padded) of 32 random bytes.
const WebhookSecretPrefix = "whsec_"

// WebhookSecretGrace is how long the secret replaced by a rotation keeps
// signing deliveries beside the new one, so a receiver can switch over
// without rejecting anything.
const WebhookSecretGrace = 24 * time.Hour

// Limits of a webhook's fields.
const (
	MaxWebhookURL         = 2048
	MaxWebhookDescription = 500
	MaxWebhookEventTypes  = 100
)

// Webhook is an endpoint subscribed to event types.
type Webhook struct {
	ID  int64  `json:"id"`
	URL string `json:"url"`
	// EventTypes are catalogue event types, or WebhookAllEvents alone.
	EventTypes  []string `json:"event_types"`
	Description string   `json:"description,omitempty"`
	// Paused endpoints receive nothing; their deliveries are recorded as
	// skipped.
	Paused bool `json:"paused"`
	// Secret signs every delivery. It is shown once, when created or
	// rotated, and never serialized.
	Secret string `json:"-"`
	// PreviousSecret is the secret a rotation replaced; it signs too until
	// PreviousSecretUntil.
	PreviousSecret      string     `json:"-"`
	PreviousSecretUntil *time.Time `json:"previous_secret_until,omitempty"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
}

// Subscribes reports whether the endpoint receives events of type typ.
func (w *Webhook) Subscribes(typ string) bool {
	return slices.Contains(w.EventTypes, WebhookAllEvents) || slices.Contains(w.EventTypes, typ)
}

// Secrets returns the secrets that sign a delivery made at now: the
// current one first, then the replaced one during its grace period.
func (w *Webhook) Secrets(now time.Time) []string {
	out := []string{w.Secret}
	if w.PreviousSecret != "" && w.PreviousSecretUntil != nil && now.Before(*w.PreviousSecretUntil) {
		out = append(out, w.PreviousSecret)
	}
	return out
}

// NewWebhookSecret returns a new signing secret: "whsec_" and the base64
// of 32 random bytes.
func NewWebhookSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return WebhookSecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// WebhookInput registers an endpoint.
type WebhookInput struct {
	URL         string   `json:"url"`
	EventTypes  []string `json:"event_types"`
	Description string   `json:"description,omitempty"`
}

// Normalize validates the input: an absolute http or https URL without
// credentials or fragment, at least one known event type (or "*" alone),
// and a one-line description. It sorts and de-duplicates the event types.
// Whether the URL's host may be reached at all is the sender's outbound
// policy (internal/webhook), checked separately.
func (in WebhookInput) Normalize() (WebhookInput, error) {
	var fields []FieldError
	u, fe := NormalizeWebhookURL(in.URL)
	if fe != nil {
		fields = append(fields, *fe)
	}
	in.URL = u
	types, fe := NormalizeWebhookEventTypes(in.EventTypes)
	if fe != nil {
		fields = append(fields, *fe)
	}
	in.EventTypes = types
	in.Description = strings.TrimSpace(in.Description)
	if fe := checkText("description", in.Description, MaxWebhookDescription, false); fe != nil {
		fields = append(fields, *fe)
	}
	if len(fields) > 0 {
		return in, Invalid(fields...)
	}
	return in, nil
}

// NormalizeWebhookURL checks an endpoint URL's form and returns it
// normalized (scheme and host lower-cased).
func NormalizeWebhookURL(raw string) (string, *FieldError) {
	raw = strings.TrimSpace(raw)
	bad := func(reason string) (string, *FieldError) { return raw, &FieldError{"url", reason} }
	switch {
	case raw == "":
		return bad("is required")
	case len(raw) > MaxWebhookURL:
		return bad("is too long (at most " + itoa(MaxWebhookURL) + " characters)")
	case strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return bad("must not contain spaces or control characters")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad("is not a valid URL")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return bad("must be an https URL")
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return bad("must name a host (https://host/path)")
	case u.User != nil:
		return bad("must not carry a user name or password; authenticate the request by its signature")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return bad("must not have a fragment (#…)")
	}
	if p := u.Port(); p != "" {
		if n := atoiSmall(p); n < 1 || n > 65535 {
			return bad("has an invalid port")
		}
	}
	u.Host = strings.ToLower(u.Host)
	return u.String(), nil
}

// atoiSmall parses a port number; -1 if it is not one.
func atoiSmall(s string) int {
	if len(s) == 0 || len(s) > 5 {
		return -1
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// NormalizeWebhookEventTypes checks that each type is in the event
// catalogue (or is "*", which must then stand alone) and returns them
// sorted without duplicates.
func NormalizeWebhookEventTypes(types []string) ([]string, *FieldError) {
	if len(types) == 0 {
		return nil, &FieldError{"event_types", `is required: list event types, or ["*"] for all`}
	}
	if len(types) > MaxWebhookEventTypes {
		return nil, &FieldError{"event_types", "lists too many types (at most " + itoa(MaxWebhookEventTypes) + ")"}
	}
	out := make([]string, 0, len(types))
	for _, t := range types {
		t = strings.TrimSpace(t)
		if t == WebhookAllEvents {
			out = append(out, t)
			continue
		}
		if _, ok := events.Lookup(t); !ok {
			return nil, &FieldError{"event_types", "unknown event type " + quoteShort(t) + " (see docs/EVENTS.md)"}
		}
		out = append(out, t)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if slices.Contains(out, WebhookAllEvents) && len(out) > 1 {
		return nil, &FieldError{"event_types", `"*" already means every type; list it alone`}
	}
	return out, nil
}

// quoteShort quotes s for a message, cut to 80 bytes.
func quoteShort(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return `"` + strings.ToValidUTF8(s, "?") + `"`
}

// WebhookUpdate changes an endpoint. Nil fields are left alone.
type WebhookUpdate struct {
	URL         *string   `json:"url,omitempty"`
	EventTypes  *[]string `json:"event_types,omitempty"`
	Description *string   `json:"description,omitempty"`
	Paused      *bool     `json:"paused,omitempty"`
}

// Normalize validates the fields that are set.
func (u WebhookUpdate) Normalize() (WebhookUpdate, error) {
	var fields []FieldError
	if u.URL != nil {
		v, fe := NormalizeWebhookURL(*u.URL)
		if fe != nil {
			fields = append(fields, *fe)
		}
		u.URL = &v
	}
	if u.EventTypes != nil {
		v, fe := NormalizeWebhookEventTypes(*u.EventTypes)
		if fe != nil {
			fields = append(fields, *fe)
		}
		u.EventTypes = &v
	}
	if u.Description != nil {
		v := strings.TrimSpace(*u.Description)
		if fe := checkText("description", v, MaxWebhookDescription, false); fe != nil {
			fields = append(fields, *fe)
		}
		u.Description = &v
	}
	if len(fields) > 0 {
		return u, Invalid(fields...)
	}
	return u, nil
}

// Webhook delivery statuses.
const (
	// WebhookDelivered: the endpoint answered 2xx; it is not sent again.
	WebhookDelivered = "delivered"
	// WebhookFailed: the last attempt failed; the event is retried (only
	// to the endpoints that have not got it) until it is dead-lettered.
	WebhookFailed = "failed"
	// WebhookSkipped: the endpoint was paused when the event came; it is
	// not sent later.
	WebhookSkipped = "skipped"
)

// MaxWebhookError caps the stored error text of a delivery.
const MaxWebhookError = 1000

// WebhookDelivery is what happened to one event at one endpoint.
type WebhookDelivery struct {
	WebhookID int64  `json:"webhook_id"`
	EventID   string `json:"event_id"`
	EventType string `json:"event_type"`
	Status    string `json:"status"`
	// Attempts counts the requests made (none for a skipped delivery).
	Attempts int `json:"attempts"`
	// Code is the HTTP status of the last answer, 0 if there was none.
	Code int `json:"code,omitempty"`
	// Error says why the last attempt failed.
	Error     string    `json:"error,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Final reports whether nothing more is sent for this delivery.
func (d *WebhookDelivery) Final() bool {
	return d.Status == WebhookDelivered || d.Status == WebhookSkipped
}

// WebhookDeliveryFilter selects deliveries.
type WebhookDeliveryFilter struct {
	WebhookID int64
	EventID   string
	Status    string
	// Limit caps the result (default 100, at most MaxPageSize).
	Limit int
}

// WebhookStore keeps webhook endpoints and their deliveries.
type WebhookStore interface {
	// CreateWebhook stores a normalized endpoint with its secret.
	CreateWebhook(ctx context.Context, in WebhookInput, secret string) (*Webhook, error)
	// FindWebhookByID returns ENOTFOUND if there is no such endpoint.
	FindWebhookByID(ctx context.Context, id int64) (*Webhook, error)
	// FindWebhooks lists every endpoint, oldest first.
	FindWebhooks(ctx context.Context) ([]*Webhook, error)
	// UpdateWebhook applies a normalized update; ENOTFOUND.
	UpdateWebhook(ctx context.Context, id int64, u WebhookUpdate) (*Webhook, error)
	// RotateWebhookSecret makes secret the signing secret; the one it
	// replaces keeps signing until graceUntil (a secret replaced earlier
	// stops at once). ENOTFOUND.
	RotateWebhookSecret(ctx context.Context, id int64, secret string, graceUntil time.Time) (*Webhook, error)
	// DeleteWebhook removes an endpoint and its deliveries; ENOTFOUND.
	DeleteWebhook(ctx context.Context, id int64) error
	// RecordWebhookDelivery records an attempt (or a skip) for the
	// endpoint and event, counting one more attempt unless d.Status is
	// WebhookSkipped, and returns the stored record. A final record
	// (delivered or skipped) is never changed: the stored one is
	// returned. ENOTFOUND if the endpoint is gone; EINVALID for an
	// unknown status.
	RecordWebhookDelivery(ctx context.Context, d WebhookDelivery) (*WebhookDelivery, error)
	// FindWebhookDeliveries lists deliveries, most recently updated first.
	FindWebhookDeliveries(ctx context.Context, f WebhookDeliveryFilter) ([]*WebhookDelivery, error)
	// PruneWebhookDeliveries deletes deliveries last updated before t and
	// says how many.
	PruneWebhookDeliveries(ctx context.Context, before time.Time) (int, error)
}

// CheckWebhookDelivery validates a delivery to record and cuts its error
// text to MaxWebhookError bytes (on a rune boundary); the stores call it.
func CheckWebhookDelivery(d *WebhookDelivery) error {
	switch d.Status {
	case WebhookDelivered, WebhookFailed, WebhookSkipped:
	default:
		return Invalid(FieldError{"status", "must be delivered, failed or skipped"})
	}
	if d.WebhookID <= 0 || d.EventID == "" || d.EventType == "" {
		return Errorf(EINVALID, "A delivery needs the webhook, the event id and the event type.")
	}
	d.Error = strings.ToValidUTF8(d.Error, "?")
	if len(d.Error) > MaxWebhookError {
		cut := MaxWebhookError
		for cut > 0 && !isRuneStart(d.Error[cut]) {
			cut--
		}
		d.Error = d.Error[:cut]
	}
	return nil
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// Normalize caps the filter's limit.
func (f WebhookDeliveryFilter) Normalize() WebhookDeliveryFilter {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > MaxPageSize {
		f.Limit = MaxPageSize
	}
	return f
}
