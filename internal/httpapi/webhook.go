package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/webhook"
)

// This file is the webhook API (admin only): register endpoints, list
// them with their recent deliveries, change, pause, rotate the secret,
// send a test ping, delete. See docs/WEBHOOKS.md.

// webhookRoutes mounts the webhook API. Registration and test pings use
// the strict outbound policy (https to public addresses only): the
// Server has no field for NATVERK_WEBHOOK_ALLOW_HOSTS yet, so an endpoint
// the allow list opens cannot be registered through the API.
func (s *Server) webhookRoutes(mux *http.ServeMux) {
	sender := s.Webhooks
	if sender == nil {
		var err error
		if sender, err = webhook.NewSender(webhook.Options{}); err != nil {
			panic(err) // an empty allow list always parses
		}
	}
	s.mountWebhookRoutes(mux, sender)
}

// mountWebhookRoutes mounts the webhook API with the given sender, whose
// policy checks URLs and which sends the test pings.
func (s *Server) mountWebhookRoutes(mux *http.ServeMux, sender *webhook.Sender) {
	h := &webhookAPI{Server: s, sender: sender}
	mux.HandleFunc("POST /api/v1/webhooks", s.roles(adminOnly, h.create))
	mux.HandleFunc("GET /api/v1/webhooks", s.roles(adminOnly, h.list))
	mux.HandleFunc("GET /api/v1/webhooks/{id}", s.roles(adminOnly, h.get))
	mux.HandleFunc("PATCH /api/v1/webhooks/{id}", s.roles(adminOnly, h.update))
	mux.HandleFunc("DELETE /api/v1/webhooks/{id}", s.roles(adminOnly, h.delete))
	mux.HandleFunc("POST /api/v1/webhooks/{id}/rotate-secret", s.roles(adminOnly, h.rotate))
	mux.HandleFunc("POST /api/v1/webhooks/{id}/test", s.roles(adminOnly, h.test))
}

type webhookAPI struct {
	*Server
	sender *webhook.Sender
}

// webhookWithSecret is an endpoint as created or rotated: the only
// answers that show its secret.
type webhookWithSecret struct {
	*natverk.Webhook
	Secret string `json:"secret"`
}

// webhookDetail is an endpoint with its recent deliveries.
type webhookDetail struct {
	*natverk.Webhook
	Deliveries []*natverk.WebhookDelivery `json:"deliveries"`
}

// pingResult is the answer to a test ping.
type pingResult struct {
	// Delivered is true when the endpoint answered 2xx.
	Delivered bool `json:"delivered"`
	// StatusCode is the endpoint's HTTP status (0 if it did not answer).
	StatusCode int    `json:"status_code"`
	Error      string `json:"error,omitempty"`
	DurationMS int64  `json:"duration_ms"`
	// EventID is the ping's webhook-id.
	EventID string `json:"event_id"`
}

// create registers an endpoint and shows its secret once.
func (h *webhookAPI) create(w http.ResponseWriter, r *http.Request) error {
	var in natverk.WebhookInput
	if err := decodeJSON(w, r, h.MaxBody, &in); err != nil {
		return err
	}
	in, err := in.Normalize()
	if err != nil {
		return err
	}
	if in.URL, err = h.sender.CheckURL(r.Context(), in.URL); err != nil {
		return err
	}
	hook, err := h.Store.CreateWebhook(r.Context(), in, natverk.NewWebhookSecret())
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/webhooks/"+strconv.FormatInt(hook.ID, 10))
	writeJSON(w, http.StatusCreated, webhookWithSecret{Webhook: hook, Secret: hook.Secret})
	return nil
}

// list shows every endpoint (without secrets).
func (h *webhookAPI) list(w http.ResponseWriter, r *http.Request) error {
	hooks, err := h.Store.FindWebhooks(r.Context())
	if err != nil {
		return err
	}
	if hooks == nil {
		hooks = []*natverk.Webhook{}
	}
	writeJSON(w, http.StatusOK, hooks)
	return nil
}

// get shows one endpoint with its most recent deliveries (?limit=, at
// most 500, default 50; ?status=delivered|failed|skipped).
func (h *webhookAPI) get(w http.ResponseWriter, r *http.Request) error {
	hook, err := h.webhook(r)
	if err != nil {
		return err
	}
	f := natverk.WebhookDeliveryFilter{WebhookID: hook.ID, Limit: 50}
	q := r.URL.Query()
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return natverk.Invalid(natverk.FieldError{Field: "limit", Reason: "must be a positive whole number"})
		}
		f.Limit = n
	}
	switch st := q.Get("status"); st {
	case "", natverk.WebhookDelivered, natverk.WebhookFailed, natverk.WebhookSkipped:
		f.Status = st
	default:
		return natverk.Invalid(natverk.FieldError{Field: "status", Reason: "must be delivered, failed or skipped"})
	}
	ds, err := h.Store.FindWebhookDeliveries(r.Context(), f)
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []*natverk.WebhookDelivery{}
	}
	writeJSON(w, http.StatusOK, webhookDetail{Webhook: hook, Deliveries: ds})
	return nil
}

// update changes the URL, event types, description or paused state.
func (h *webhookAPI) update(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var u natverk.WebhookUpdate
	if err := decodeJSON(w, r, h.MaxBody, &u); err != nil {
		return err
	}
	if u.URL == nil && u.EventTypes == nil && u.Description == nil && u.Paused == nil {
		return natverk.Errorf(natverk.EINVALID, "Nothing to change: send url, event_types, description or paused.")
	}
	if u, err = u.Normalize(); err != nil {
		return err
	}
	if u.URL != nil {
		checked, err := h.sender.CheckURL(r.Context(), *u.URL)
		if err != nil {
			return err
		}
		u.URL = &checked
	}
	hook, err := h.Store.UpdateWebhook(r.Context(), id, u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hook)
	return nil
}

// delete removes an endpoint and its delivery records.
func (h *webhookAPI) delete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.Store.DeleteWebhook(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// rotate makes a new secret and shows it once; the old one keeps signing
// beside it for natverk.WebhookSecretGrace.
func (h *webhookAPI) rotate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	hook, err := h.Store.RotateWebhookSecret(r.Context(), id, natverk.NewWebhookSecret(), h.now().Add(natverk.WebhookSecretGrace))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, webhookWithSecret{Webhook: hook, Secret: hook.Secret})
	return nil
}

// test sends a natverk.webhook.test ping now, records it among the
// endpoint's deliveries, and answers with the endpoint's response. The
// call itself succeeds whatever the endpoint answered.
func (h *webhookAPI) test(w http.ResponseWriter, r *http.Request) error {
	hook, err := h.webhook(r)
	if err != nil {
		return err
	}
	id, res := h.sender.Ping(r.Context(), hook, h.now())
	d := natverk.WebhookDelivery{WebhookID: hook.ID, EventID: id, EventType: natverk.WebhookTestEvent, Status: natverk.WebhookDelivered, Code: res.Code}
	out := pingResult{Delivered: res.OK(), StatusCode: res.Code, DurationMS: res.Duration.Milliseconds(), EventID: id}
	if res.Err != nil {
		d.Status = natverk.WebhookFailed
		d.Error = strings.TrimPrefix(res.Err.Error(), "webhook: ")
		out.Error = d.Error
	}
	if _, err := h.Store.RecordWebhookDelivery(r.Context(), d); err != nil && natverk.ErrorCode(err) != natverk.ENOTFOUND {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// webhook loads the endpoint named in the path.
func (h *webhookAPI) webhook(r *http.Request) (*natverk.Webhook, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	return h.Store.FindWebhookByID(r.Context(), id)
}
