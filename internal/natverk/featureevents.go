package natverk

import (
	"time"

	"github.com/natverk/natverk/events"
)

// This file builds the events of capacity, quorum, attendance and polls,
// so both stores write the same documents (see eventlog.go).

// Mail kinds of these features (the mailer package names the same kinds).
const (
	// MailWaitlistPromoted tells a member they got a place: an iTIP
	// REQUEST with their PARTSTAT ACCEPTED and a short note.
	MailWaitlistPromoted = "waitlist_promoted"
	// MailConfirmed tells the invitees a meeting with a quorum rule is on.
	MailConfirmed = "confirmed"
	// MailPoll asks an invitee to vote on the meeting times of a poll.
	MailPoll = "poll"
)

// CapacityEvent builds a meeting.capacity_changed event.
func CapacityEvent(s *Series, occurrence time.Time, capacity, promoted int, at time.Time) events.Envelope {
	p := events.CapacityPayload{NetworkID: s.NetworkID, SeriesID: s.ID, Capacity: capacity, Promoted: promoted}
	if !occurrence.IsZero() {
		o := occurrence.UTC()
		p.Occurrence = &o
	}
	return events.MustNew(events.MeetingCapacityChanged, at, events.Refs{NetworkID: s.NetworkID, SeriesID: s.ID}, p)
}

// PromotionEvents builds what a promotion writes: rsvp.promoted, and
// when mail is true the member's mail (kind waitlist_promoted).
func PromotionEvents(s *Series, p Promotion, mail bool, at time.Time) []events.Envelope {
	occ := p.Occurrence.UTC()
	evs := []events.Envelope{events.MustNew(events.RSVPPromoted, at, events.Refs{NetworkID: s.NetworkID, SeriesID: s.ID, MemberID: p.MemberID},
		events.PromotionPayload{NetworkID: s.NetworkID, SeriesID: s.ID, MemberID: p.MemberID, Occurrence: occ})}
	if mail {
		evs = append(evs, MailEvent(MailWaitlistPromoted, s.NetworkID, s.ID, p.MemberID, &occ, s.Sequence, "", at))
	}
	return evs
}

// QuorumEvent builds a meeting.quorum_decided event.
func QuorumEvent(s *Series, d QuorumDecision, at time.Time) events.Envelope {
	return events.MustNew(events.MeetingQuorumDecided, at, events.Refs{NetworkID: s.NetworkID, SeriesID: s.ID}, events.QuorumPayload{
		NetworkID: s.NetworkID, SeriesID: s.ID, Occurrence: d.Occurrence.UTC(), Outcome: d.Outcome, Yes: d.Yes, Min: d.Min,
	})
}

// AttendanceEvent builds an attendance.recorded event.
func AttendanceEvent(s *Series, r AttendanceResult, at time.Time) events.Envelope {
	return events.MustNew(events.AttendanceRecorded, at, events.Refs{NetworkID: s.NetworkID, SeriesID: s.ID}, events.AttendancePayload{
		NetworkID: s.NetworkID, SeriesID: s.ID, Occurrence: r.Occurrence.UTC(), Attended: r.Attended, Absent: r.Absent,
	})
}

// PollEvent builds a poll.opened, poll.voted (memberID set) or
// poll.decided event.
func PollEvent(typ string, p *Poll, memberID int64, at time.Time) events.Envelope {
	return events.MustNew(typ, at, events.Refs{NetworkID: p.NetworkID, SeriesID: p.SeriesID, MemberID: memberID}, events.PollPayload{
		NetworkID: p.NetworkID, PollID: p.ID, Status: p.Status, Options: len(p.Options), MemberID: memberID,
		OptionID: p.DecidedOption, SeriesID: p.SeriesID,
	})
}

// PollMailEvent queues the poll mail to one invitee: the mailer finds the
// network's open poll.
func PollMailEvent(p *Poll, memberID int64, at time.Time) events.Envelope {
	return events.MustNew(events.MailQueued, at, events.Refs{NetworkID: p.NetworkID, MemberID: memberID}, events.MailPayload{
		Kind: MailPoll, NetworkID: p.NetworkID, MemberID: memberID,
	})
}
