package httpapi

import (
	"github.com/natverk/natverk/events"
	"net/http"
	"time"

	"github.com/natverk/natverk/internal/natverk"
)

// organizerLinkDays is how long an organizer link works unless the admin
// says otherwise, and organizerLinkMaxDays the longest it may.
const (
	organizerLinkDays    = 30
	organizerLinkMaxDays = 365
)

// organizerLinkResponse is the answer of POST …/organizer-link.
type organizerLinkResponse struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// handleOrganizerLink issues an organizer's magic link to the network's
// organizer view (admin): body {"member_id": 7, "days": 30}. The member
// must be an organizer of the network. The link stops working when it
// expires or when the member's links are revoked.
func (s *Server) handleOrganizerLink(w http.ResponseWriter, r *http.Request) error {
	n, err := s.network(r)
	if err != nil {
		return err
	}
	var req struct {
		MemberID int64 `json:"member_id"`
		Days     int   `json:"days,omitempty"`
		// Send mails the link to the organizer instead of returning it.
		Send bool `json:"send,omitempty"`
	}
	if err := decodeJSON(w, r, s.MaxBody, &req); err != nil {
		return err
	}
	if req.Days == 0 {
		req.Days = organizerLinkDays
	}
	if req.Days < 1 || req.Days > organizerLinkMaxDays {
		return natverk.Invalid(natverk.FieldError{Field: "days", Reason: "must be between 1 and 365"})
	}
	notOrganizer := natverk.Invalid(natverk.FieldError{Field: "member_id", Reason: "is not an organizer of this network"})
	ms, err := s.Store.FindMembership(r.Context(), n.ID, req.MemberID)
	if natverk.ErrorCode(err) == natverk.ENOTFOUND || err == nil && !ms.Organizer {
		return notOrganizer
	} else if err != nil {
		return err
	}
	m, err := s.Store.FindMemberByID(r.Context(), req.MemberID)
	if natverk.ErrorCode(err) == natverk.ENOTFOUND || err == nil && m.Erased {
		return notOrganizer
	} else if err != nil {
		return err
	}
	now := s.now()
	ttl := time.Duration(req.Days) * 24 * time.Hour
	if req.Send {
		// The mailer makes the link when it sends: no secret travels
		// through the event stream.
		ev := events.MustNew(events.MailQueued, now, events.Refs{NetworkID: n.ID, MemberID: m.ID}, events.MailPayload{
			Kind: natverk.MailOrganizerLink, NetworkID: n.ID, MemberID: m.ID, Sequence: req.Days,
			Note: "request " + itoa(now.UnixNano()), // names this request: one mail per request
		})
		key := "orglink/n" + itoa(n.ID) + "/m" + itoa(m.ID) + "/" + itoa(now.UnixNano())
		if _, err := s.Store.ScheduleOnce(r.Context(), key, []events.Envelope{ev}); err != nil {
			return err
		}
		writeJSON(w, http.StatusAccepted, map[string]any{"sent_to": m.Email, "days": req.Days})
		return nil
	}
	tok := s.Links.OrganizerToken(m, n.ID, now, ttl)
	writeJSON(w, http.StatusOK, organizerLinkResponse{URL: s.Links.OrganizerView(tok), ExpiresAt: time.Unix(now.Add(ttl).Unix(), 0).UTC()})
	return nil
}
