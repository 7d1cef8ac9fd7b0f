package natverk

import (
	"fmt"
	"time"

	"github.com/natverk/natverk/events"
)

// This file builds the events each state change writes to the outbox, so
// both stores write exactly the same documents.

// NetworkEvent builds a network.* event.
func NetworkEvent(typ string, n *Network, at time.Time, changed ...string) events.Envelope {
	return events.MustNew(typ, at, events.Refs{NetworkID: n.ID}, events.NetworkPayload{
		NetworkID: n.ID, Slug: n.Slug, Name: n.Name, Kind: n.Kind, Status: n.Status, Changed: changed,
	})
}

// MeetingEvent builds a meeting.scheduled, updated or ended event.
func MeetingEvent(typ string, s *Series, at time.Time, significant bool) events.Envelope {
	p := events.MeetingPayload{NetworkID: s.NetworkID, SeriesID: s.ID, UID: s.UID, Sequence: s.Sequence, Significant: significant}
	return events.MustNew(typ, at, events.Refs{NetworkID: s.NetworkID, SeriesID: s.ID}, p)
}

// OccurrenceEvent builds a meeting.occurrence_cancelled or _moved event.
func OccurrenceEvent(s *Series, ex *Exception, at time.Time) events.Envelope {
	typ := events.MeetingOccurrenceMoved
	p := events.OccurrencePayload{NetworkID: s.NetworkID, SeriesID: s.ID, RecurrenceID: ex.RecurrenceID.UTC(), Sequence: s.Sequence, Reason: ex.Reason}
	if ex.Cancelled {
		typ = events.MeetingOccurrenceCancelled
	} else {
		start, end := ex.Start.UTC(), ex.Start.Add(ex.Duration).UTC()
		p.Start, p.End = &start, &end
	}
	return events.MustNew(typ, at, events.Refs{NetworkID: s.NetworkID, SeriesID: s.ID}, p)
}

// MembershipEvent builds a member.invited, joined, left or unsubscribed
// event.
func MembershipEvent(typ string, networkID, memberID int64, seriesIDs []int64, status, via string, at time.Time) events.Envelope {
	return events.MustNew(typ, at, events.Refs{NetworkID: networkID, MemberID: memberID}, events.MembershipPayload{
		NetworkID: networkID, MemberID: memberID, SeriesIDs: seriesIDs, Status: status, Via: via,
	})
}

// MembershipEventType returns the event type for a new membership status.
func MembershipEventType(status string) string {
	switch status {
	case StatusJoined:
		return events.MemberJoined
	case StatusLeft:
		return events.MemberLeft
	case StatusUnsubscribed:
		return events.MemberUnsubscribed
	}
	return events.MemberInvited
}

// RSVPEvent builds an rsvp.recorded event.
func RSVPEvent(r *RSVP, previous string) events.Envelope {
	p := events.RSVPPayload{
		NetworkID: r.NetworkID, SeriesID: r.SeriesID, MemberID: r.MemberID, Answer: r.Answer, Previous: previous,
		Source: r.Source, AnsweredAt: r.AnsweredAt.UTC(), Proposed: r.Proposed,
	}
	if !r.Occurrence.IsZero() {
		o := r.Occurrence.UTC()
		p.Occurrence = &o
	}
	return events.MustNew(events.RSVPRecorded, r.UpdatedAt, events.Refs{NetworkID: r.NetworkID, SeriesID: r.SeriesID, MemberID: r.MemberID}, p)
}

// MailEvent builds a mail.queued event: one message to one member.
func MailEvent(kind string, networkID, seriesID, memberID int64, occurrence *time.Time, seq int, note string, at time.Time) events.Envelope {
	return events.MustNew(events.MailQueued, at, events.Refs{NetworkID: networkID, SeriesID: seriesID, MemberID: memberID}, events.MailPayload{
		Kind: kind, NetworkID: networkID, SeriesID: seriesID, MemberID: memberID, Occurrence: occurrence, Sequence: seq, Note: note,
	})
}

// SupportEvent builds a support.requested or support.decided event.
func SupportEvent(typ string, r *SupportRequest, at time.Time) events.Envelope {
	return events.MustNew(typ, at, events.Refs{NetworkID: r.NetworkID, SeriesID: r.SeriesID}, events.SupportPayload{
		NetworkID: r.NetworkID, RequestID: r.ID, SeriesID: r.SeriesID, Status: r.Status, Occurrence: r.Occurrence,
		What: r.What, CostSEK: r.CostSEK, Note: r.Note,
	})
}

// Mail kinds queued by the stores (the mailer package names the same
// kinds).
const (
	MailInvitation          = "invitation"
	MailUpdate              = "update"
	MailOccurrenceCancelled = "occurrence_cancelled"
	MailOccurrenceMoved     = "occurrence_moved"
	MailNetworkClosed       = "network_closed"
	MailRemoved             = "removed"
	MailReminder            = "reminder"
	MailDigest              = "digest"
	MailBounceNotice        = "bounce_notice"
	MailSupportRequest      = "support_request"
	MailSupportDecided      = "support_decided"
	MailOrganizerLink       = "organizer_link"
	MailNotice              = "notice"
)

// MailKey is the dedup key of one message: recipient × kind × series (or
// occurrence) × SEQUENCE. A redelivered event maps to the same key and is
// never sent twice.
func MailKey(kind string, memberID, seriesID int64, occurrence *time.Time, seq int, extra string) string {
	occ := int64(0)
	if occurrence != nil {
		occ = occurrence.Unix()
	}
	k := fmt.Sprintf("%s/m%d/s%d/o%d/q%d", kind, memberID, seriesID, occ, seq)
	if extra != "" {
		k += "/" + extra
	}
	return k
}
