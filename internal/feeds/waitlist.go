package feeds

import (
	"context"
	"fmt"
	"time"

	"github.com/natverk/natverk/calendar"
	"github.com/natverk/natverk/internal/natverk"
)

// waitlistNotes marks, in a member's feed, the coming occurrences of s
// (within natverk.CapacityHorizon) at which the member waits for a
// place: STATUS:TENTATIVE and "Reservlista, plats N" ("Waitlist, place
// N") in the description. A promotion changes the feed back.
func (r *Renderer) waitlistNotes(ctx context.Context, fs *calendar.FeedSeries, s *natverk.Series, memberID int64, locale string) error {
	occs := s.CapacityOccurrences(r.now())
	if len(occs) == 0 {
		return nil
	}
	rsvps, err := r.Store.FindRSVPs(ctx, natverk.RSVPFilter{SeriesID: s.ID})
	if err != nil {
		return err
	}
	var invitees []*natverk.Membership
	for _, t := range occs {
		if natverk.AnswersFor(rsvps, t)[memberID] != natverk.AnswerYes {
			continue
		}
		if invitees == nil {
			if invitees, err = r.Store.FindMemberships(ctx, natverk.MembershipFilter{NetworkID: s.NetworkID, Statuses: natverk.InvitedStatuses}); err != nil {
				return err
			}
		}
		place, _ := natverk.SeriesRoster(s, invitees, rsvps, t).Place(memberID)
		if place == 0 {
			continue
		}
		addNote(fs, t, waitlistText(locale, place))
	}
	return nil
}

// addNote marks the occurrence rid tentative with text, on the note it
// already has or a new one.
func addNote(fs *calendar.FeedSeries, rid time.Time, text string) {
	for i := range fs.Notes {
		if fs.Notes[i].RecurrenceID.Equal(rid) {
			fs.Notes[i].Tentative, fs.Notes[i].Text = true, text
			return
		}
	}
	fs.Notes = append(fs.Notes, calendar.OccurrenceNote{RecurrenceID: rid, Tentative: true, Text: text})
}

// waitlistText is "Reservlista, plats N" or "Waitlist, place N".
func waitlistText(locale string, place int) string {
	if locale == natverk.LocaleEN {
		return fmt.Sprintf("Waitlist, place %d.", place)
	}
	return fmt.Sprintf("Reservlista, plats %d.", place)
}

// waitlistCount is the network feed's word on a full meeting: " Fullt:
// N på reservlistan." when anyone waits.
func waitlistCount(s *natverk.Series, invitees []*natverk.Membership, rsvps []*natverk.RSVP, rid time.Time) string {
	if s.CapacityAt(rid) == 0 {
		return ""
	}
	if n := len(natverk.SeriesRoster(s, invitees, rsvps, rid).Waitlist); n > 0 {
		return fmt.Sprintf(" Fullt: %d på reservlistan.", n)
	}
	return ""
}
