package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

// Payload is the body of a delivery: a thin, versioned document that
// names the event and what it concerns, without personal data.
//
//	{"type": "natverk.rsvp.recorded", "version": 1, "id": "01K…",
//	 "occurred_at": "2027-01-12T17:00:00Z",
//	 "data": {"network_id": 7, "series_id": 3, "member_id": 42, "answer": "ACCEPTED", …}}
type Payload struct {
	// Type is the event type (natverk.webhook.test for a ping).
	Type string `json:"type"`
	// Version is the schema version of data for this type (the event
	// catalogue's version).
	Version int `json:"version"`
	// ID is the event id, also sent as webhook-id: the same event is
	// delivered with the same id, so a receiver can drop repeats.
	ID string `json:"id"`
	// OccurredAt is when the change was committed, UTC.
	OccurredAt time.Time `json:"occurred_at"`
	// Data holds network_id, series_id and member_id (when the event has
	// them) and the event's payload fields without personal data.
	Data map[string]any `json:"data"`
}

// MaxBody caps a delivery's body; the payloads are far smaller.
const MaxBody = 1 << 20

// personalFields are payload fields that may hold personal data: mail
// addresses, names, and free text someone typed (a note, a reason, what
// support was asked for) or a server wrote (an SMTP reply naming an
// address). They are never sent.
var personalFields = map[string]bool{
	"to": true, "from": true, "email": true, "name": true, "contact_name": true, "contact_email": true,
	"note": true, "reason": true, "what": true, "message_id": true, "comment": true, "address": true,
}

// publicName lists the event type prefixes whose "name" is not a
// person's: a network's name is public (its page /n/{slug}).
var publicName = []string{"natverk.network."}

// keepAt lists fields whose values contain "@" without being addresses:
// a series' iCalendar UID ("…@natverk.example").
var keepAt = map[string]bool{"uid": true}

// emailLike matches text that holds a mail address.
var emailLike = regexp.MustCompile(`[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+`)

// NewPayload builds the delivery payload of an event.
func NewPayload(e events.Envelope) (*Payload, error) {
	data := map[string]any{}
	if p := bytes.TrimSpace(e.Payload); len(p) > 0 && !bytes.Equal(p, []byte("null")) {
		dec := json.NewDecoder(bytes.NewReader(p))
		dec.UseNumber() // ids and counts stay exact
		if err := dec.Decode(&data); err != nil {
			return nil, fmt.Errorf("webhook: decode %s payload of %s: %w", e.Type, e.ID, err)
		}
	}
	keepName := false
	for _, pre := range publicName {
		keepName = keepName || strings.HasPrefix(e.Type, pre)
	}
	scrub(data, keepName)
	for k, v := range map[string]int64{"network_id": e.NetworkID, "series_id": e.SeriesID, "member_id": e.MemberID} {
		if v != 0 {
			data[k] = v
		}
	}
	return &Payload{Type: e.Type, Version: e.Version, ID: e.ID, OccurredAt: e.OccurredAt.UTC(), Data: data}, nil
}

// scrub removes personal fields and any text that holds a mail address,
// in nested objects and arrays too.
func scrub(m map[string]any, keepName bool) {
	for k, v := range m {
		if personalFields[k] && !(k == "name" && keepName) {
			delete(m, k)
			continue
		}
		switch v := v.(type) {
		case string:
			if !keepAt[k] && emailLike.MatchString(v) {
				delete(m, k)
			}
		case map[string]any:
			scrub(v, false)
		case []any:
			m[k] = scrubList(v)
		}
	}
}

func scrubList(list []any) []any {
	out := list[:0]
	for _, v := range list {
		switch x := v.(type) {
		case string:
			if emailLike.MatchString(x) {
				continue
			}
		case map[string]any:
			scrub(x, false)
		case []any:
			v = scrubList(x)
		}
		out = append(out, v)
	}
	return out
}

// PingPayload builds the payload of a test ping to an endpoint.
func PingPayload(webhookID int64, at time.Time) *Payload {
	return &Payload{
		Type:       natverk.WebhookTestEvent,
		Version:    1,
		ID:         events.NewID(at),
		OccurredAt: at.UTC(),
		Data:       map[string]any{"webhook_id": webhookID},
	}
}

// Marshal encodes the payload as the request body.
func (p *Payload) Marshal() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("webhook: encode payload of %s: %w", p.ID, err)
	}
	body := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	if len(body) > MaxBody {
		return nil, fmt.Errorf("webhook: payload of %s is %d bytes, over the %d-byte limit", p.ID, len(body), MaxBody)
	}
	return body, nil
}
