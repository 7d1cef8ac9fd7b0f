package webhook_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/webhook"
)

func TestPayload(t *testing.T) {
	at := time.Date(2027, 1, 12, 17, 0, 0, 0, time.UTC)
	occ := time.Date(2027, 1, 12, 17, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		typ  string
		refs events.Refs
		body any
		want map[string]any
	}{
		{
			"RSVPKeepsEverything", events.RSVPRecorded, events.Refs{NetworkID: 7, SeriesID: 3, MemberID: 42},
			events.RSVPPayload{NetworkID: 7, SeriesID: 3, MemberID: 42, Occurrence: &occ, Answer: "ACCEPTED", Previous: "DECLINED", Source: "link", AnsweredAt: at},
			map[string]any{"network_id": 7.0, "series_id": 3.0, "member_id": 42.0, "occurrence": "2027-01-12T17:00:00Z", "answer": "ACCEPTED",
				"previous": "DECLINED", "source": "link", "answered_at": "2027-01-12T17:00:00Z"},
		},
		{
			"NetworkNameIsPublic", events.NetworkCreated, events.Refs{NetworkID: 7},
			events.NetworkPayload{NetworkID: 7, Slug: "chefer-i-goteborg", Name: "Chefer i Göteborg", Kind: "geographic", Status: "active"},
			map[string]any{"network_id": 7.0, "slug": "chefer-i-goteborg", "name": "Chefer i Göteborg", "kind": "geographic", "status": "active"},
		},
		{
			"MailToTheBoardDropsAddressAndNote", events.MailQueued, events.Refs{NetworkID: 7},
			events.MailPayload{Kind: "support_request", NetworkID: 7, To: "styrelsen@example.org", RequestID: 5, Note: "Hälsningar från Åsa Öberg"},
			map[string]any{"network_id": 7.0, "kind": "support_request", "request_id": 5.0, "sequence": 0.0},
		},
		{
			"MailFailedDropsReasonAndMessageID", events.MailFailed, events.Refs{NetworkID: 7, MemberID: 42},
			events.MailResultPayload{Kind: "invitation", MessageID: "inv-1@natverk.example", NetworkID: 7, MemberID: 42, Permanent: true,
				Reason: "550 5.1.1 <asa.oberg@example.org>: no such user", Code: 550},
			map[string]any{"network_id": 7.0, "member_id": 42.0, "kind": "invitation", "permanent": true, "code": 550.0},
		},
		{
			"SupportDropsFreeText", events.SupportRequested, events.Refs{NetworkID: 7, SeriesID: 3},
			events.SupportPayload{NetworkID: 7, RequestID: 5, SeriesID: 3, Status: "requested", What: "Lokal för Bo Medlems föredrag", CostSEK: 1500, Note: "Ring Bo"},
			map[string]any{"network_id": 7.0, "series_id": 3.0, "request_id": 5.0, "status": "requested", "cost_sek": 1500.0},
		},
		{
			"MeetingKeepsUID", events.MeetingScheduled, events.Refs{NetworkID: 7, SeriesID: 3},
			events.MeetingPayload{NetworkID: 7, SeriesID: 3, UID: "01KBC5ZQ3M8W9X1Y2Z3A4B5C6D@natverk.example", Sequence: 2},
			map[string]any{"network_id": 7.0, "series_id": 3.0, "uid": "01KBC5ZQ3M8W9X1Y2Z3A4B5C6D@natverk.example", "sequence": 2.0},
		},
		{
			"ImportHasNoRefs", events.MemberImported, events.Refs{},
			events.ImportPayload{Created: 3, Updated: 1},
			map[string]any{"created": 3.0, "updated": 1.0, "unchanged": 0.0, "rejected": 0.0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := events.MustNew(tc.typ, at, tc.refs, tc.body)
			p, err := webhook.NewPayload(e)
			if err != nil {
				t.Fatal(err)
			}
			body, err := p.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				Type       string         `json:"type"`
				Version    int            `json:"version"`
				ID         string         `json:"id"`
				OccurredAt string         `json:"occurred_at"`
				Data       map[string]any `json:"data"`
			}
			dec := json.NewDecoder(strings.NewReader(string(body)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("%s: %v", body, err)
			}
			if got.Type != tc.typ || got.Version != 1 || got.ID != e.ID || got.OccurredAt != "2027-01-12T17:00:00Z" {
				t.Errorf("head = %s %d %s %s", got.Type, got.Version, got.ID, got.OccurredAt)
			}
			if diff := cmp.Diff(tc.want, got.Data); diff != "" {
				t.Errorf("data (-want +got):\n%s", diff)
			}
			if strings.Contains(string(body), "example.org") || strings.Contains(string(body), "Åsa") || strings.Contains(string(body), "Bo ") {
				t.Errorf("body carries personal data: %s", body)
			}
		})
	}
}

// TestPayloadEveryType builds a payload for every catalogue type from its
// zero payload: none fails, and each names its type and version.
func TestPayloadEveryType(t *testing.T) {
	for _, ty := range events.Catalogue() {
		e := events.MustNew(ty.Name, time.Now(), events.Refs{NetworkID: 1}, map[string]any{})
		p, err := webhook.NewPayload(e)
		if err != nil {
			t.Fatalf("%s: %v", ty.Name, err)
		}
		if p.Type != ty.Name || p.Version != ty.Version || p.Data["network_id"] != int64(1) {
			t.Errorf("%s: payload %+v", ty.Name, p)
		}
	}
}

func TestPayloadMalformed(t *testing.T) {
	e := events.MustNew(events.RSVPRecorded, time.Now(), events.Refs{}, events.RSVPPayload{})
	e.Payload = json.RawMessage(`[1, 2]`)
	if _, err := webhook.NewPayload(e); err == nil || !strings.HasPrefix(err.Error(), "webhook: ") {
		t.Fatalf("error = %v, want a webhook: error for a payload that is not an object", err)
	}
}

// TestWebhooksReceiveEveryType keeps the catalogue honest: webhooks may
// subscribe to every type, so the "webhooks" consumer must receive each
// (a new type without it would never reach an endpoint).
func TestWebhooksReceiveEveryType(t *testing.T) {
	for _, ty := range events.Catalogue() {
		found := false
		for _, c := range ty.Consumers {
			found = found || c == events.ConsumerWebhooks
		}
		if !found {
			t.Errorf("%s does not list the %q consumer in events/catalogue.go (add it, and the receive operation in docs/asyncapi.yaml)", ty.Name, events.ConsumerWebhooks)
		}
	}
}

// TestDocsExample keeps the delivery shown in docs/WEBHOOKS.md true: the
// body is what NewPayload makes of that event, and the signature shown
// (computed outside Go for the example secret) is what Sign makes.
func TestDocsExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/WEBHOOKS.md")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2027, 1, 12, 17, 0, 0, 0, time.UTC)
	e := events.MustNew(events.RSVPRecorded, at, events.Refs{NetworkID: 7, SeriesID: 3, MemberID: 42},
		events.RSVPPayload{NetworkID: 7, SeriesID: 3, MemberID: 42, Answer: "ACCEPTED", Previous: "DECLINED", Source: "link", AnsweredAt: at})
	e.ID = "01KBC5ZQ3M8W9X1Y2Z3A4B5C6D"
	p, err := webhook.NewPayload(e)
	if err != nil {
		t.Fatal(err)
	}
	body, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "\n"+string(body)+"\n") {
		t.Errorf("docs/WEBHOOKS.md does not show the body as sent:\n%s", body)
	}
	sig, err := webhook.Sign("whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", e.ID, time.Unix(1799780400, 0), body)
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,h2HT8Sso3a2M5unpykfOUabxf6eZtkl8q+SdAr1dAlk="; sig != want || !strings.Contains(string(doc), "webhook-signature: "+want) {
		t.Errorf("signature %s, want %s (and shown in the docs)", sig, want)
	}
}
