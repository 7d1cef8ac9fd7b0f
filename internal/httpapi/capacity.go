package httpapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/natverk/natverk/internal/natverk"
)

// capacityRequest sets the capacity of a series or of one occurrence.
type capacityRequest struct {
	// Occurrence is the original start of one meeting ("2026-03-10T18:00"
	// or RFC 3339); empty for the whole series.
	Occurrence string `json:"occurrence,omitempty"`
	// Capacity is the number of places (0 = unlimited; for one meeting:
	// the series' capacity again).
	Capacity *int `json:"capacity"`
}

// handleSetCapacity sets a capacity: PUT /api/v1/meetings/{id}/capacity.
// Members a larger capacity gives a place are promoted (mail and feed);
// the meeting's calendars do not change.
func (s *Server) handleSetCapacity(w http.ResponseWriter, r *http.Request) error {
	sr, err := s.series(r)
	if err != nil {
		return err
	}
	var req capacityRequest
	if err := decodeJSON(w, r, s.MaxBody, &req); err != nil {
		return err
	}
	if req.Capacity == nil {
		return natverk.Invalid(natverk.FieldError{Field: "capacity", Reason: "is required (0 = no limit)"})
	}
	var occ time.Time
	if req.Occurrence != "" {
		t, ok := parseInstant(req.Occurrence, sr.Start.Location())
		if !ok {
			return natverk.Invalid(natverk.FieldError{Field: "occurrence", Reason: `must be the meeting's original start, e.g. "2026-03-10T18:00"`})
		}
		occ = t
	}
	up, err := s.Store.SetCapacity(r.Context(), sr.ID, occ, *req.Capacity)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.viewSeries(up))
	return nil
}

// addRoster adds to an occurrence with a capacity who has a place and
// who waits, and marks each yes in its answers confirmed or waitlisted.
func addRoster(v *occurrenceView, sr *natverk.Series, invitees []*natverk.Membership, rsvps []*natverk.RSVP) {
	capacity := sr.CapacityAt(v.RecurrenceID)
	if capacity == 0 {
		return
	}
	ro := natverk.SeriesRoster(sr, invitees, rsvps, v.RecurrenceID)
	v.Capacity, v.Roster, v.Counts.Waitlist = capacity, &ro, len(ro.Waitlist)
	for i := range v.Answers {
		if place, yes := ro.Place(v.Answers[i].MemberID); yes {
			v.Answers[i].Place, v.Answers[i].Waitlist = "confirmed", place
			if place > 0 {
				v.Answers[i].Place = "waitlisted"
			}
		}
	}
}

// placeNotice says on the RSVP page, for a meeting with a capacity (the
// link's occurrence, or the next one), whether the member's yes has a
// place or waits, and at which place; "" otherwise.
func (s *Server) placeNotice(r *http.Request, rc *rsvpContext, lang string) (string, error) {
	rid := rc.occ
	if rid.IsZero() {
		next, ok := rc.cal.Next(s.now())
		if !ok {
			return "", nil
		}
		rid = next.RecurrenceID.UTC()
	}
	if rc.series.CapacityAt(rid) == 0 {
		return "", nil
	}
	rsvps, err := s.Store.FindRSVPs(r.Context(), natverk.RSVPFilter{SeriesID: rc.series.ID})
	if err != nil {
		return "", err
	}
	if natverk.AnswersFor(rsvps, rid)[rc.member.ID] != natverk.AnswerYes {
		return "", nil
	}
	invitees, err := s.Store.FindMemberships(r.Context(), natverk.MembershipFilter{NetworkID: rc.series.NetworkID, Statuses: natverk.InvitedStatuses})
	if err != nil {
		return "", err
	}
	place, _ := natverk.SeriesRoster(rc.series, invitees, rsvps, rid).Place(rc.member.ID)
	if place == 0 {
		return ft(lang, "waitlist.place"), nil
	}
	return fmt.Sprintf(ft(lang, "waitlist.full"), place), nil
}

// waitingNames returns, at an occurrence with a capacity, the names on
// its waiting list in order (nil without a capacity).
func waitingNames(series []*natverk.Series, seriesID int64, invitees []*natverk.Membership, names map[int64]string, rsvps []*natverk.RSVP, rid time.Time) []string {
	for _, sr := range series {
		if sr.ID != seriesID || sr.CapacityAt(rid) == 0 {
			continue
		}
		var out []string
		for _, id := range natverk.SeriesRoster(sr, invitees, rsvps, rid).Waitlist {
			out = append(out, names[id])
		}
		return out
	}
	return nil
}

// organizerTexts are the features' labels the organizer view shows.
func organizerTexts(lang string) map[string]string {
	return map[string]string{"report.title": ft(lang, "report.title"), "waitlist.waiting": ft(lang, "waitlist.waiting")}
}
