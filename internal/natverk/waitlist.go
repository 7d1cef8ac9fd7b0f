package natverk

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/natverk/natverk/calendar"
)

// Capacity and waitlist. A series (or one occurrence, through its
// exception) may limit the confirmed places per meeting. Who has a place
// is derived from the answers alone, so every reader agrees and no race
// can hand out a place twice: the invitees whose answer for the
// occurrence is yes, in the order they first said yes (RSVP.QueuedAt,
// then member id), fill the places; the rest wait, place 1 first.

// CapacityHorizon and CapacityMaxOccurrences bound the meetings a change
// of answers or capacity is worked out for (promotions, stored places,
// feed notes): the coming 90 days, at most 30 meetings. Later meetings
// are worked out when they come within the horizon.
const (
	CapacityHorizon        = 90 * 24 * time.Hour
	CapacityMaxOccurrences = 30
)

// CapacityAt returns the capacity of the occurrence that originally
// starts at rid: its exception's, else the series' (0 = unlimited).
func (s *Series) CapacityAt(rid time.Time) int {
	if ex := s.Exception(rid); ex != nil && ex.Capacity > 0 {
		return ex.Capacity
	}
	return s.Capacity
}

// HasCapacity reports whether any occurrence of the series has a
// capacity.
func (s *Series) HasCapacity() bool {
	if s.Capacity > 0 {
		return true
	}
	for _, ex := range s.Exceptions {
		if ex.Capacity > 0 {
			return true
		}
	}
	return false
}

// schedule returns the series as the calendar package models its
// occurrences: cancelled exceptions are excluded, moved ones overridden,
// capacity-only ones change nothing.
func (s *Series) schedule() *calendar.Series {
	cs := &calendar.Series{UID: cmp.Or(s.UID, "series"), Summary: cmp.Or(s.Summary, "-"), TimeZone: s.TimeZone, Start: s.Start, Duration: s.Duration, Rule: s.Rule}
	for _, ex := range s.Exceptions {
		switch {
		case ex.Cancelled:
			cs.ExDates = append(cs.ExDates, ex.RecurrenceID)
		case !ex.CapacityOnly():
			cs.Overrides = append(cs.Overrides, calendar.Override{RecurrenceID: ex.RecurrenceID, Start: ex.Start, Duration: ex.Duration})
		}
	}
	return cs
}

// Upcoming returns the original starts (RecurrenceIDs, UTC) of the
// occurrences not yet over at from and starting before to, in the order
// they take place, at most max of them. A series that cannot be expanded
// has none.
func (s *Series) Upcoming(from, to time.Time, max int) []time.Time {
	occs, err := s.schedule().Occurrences(from, to, max)
	if err != nil {
		return nil
	}
	out := make([]time.Time, 0, len(occs))
	for _, o := range occs {
		out = append(out, o.RecurrenceID.UTC())
	}
	return out
}

// IsOccurrence reports whether rid is the original start of an
// occurrence of the series that is not cancelled.
func (s *Series) IsOccurrence(rid time.Time) bool {
	if ex := s.Exception(rid); ex != nil {
		return !ex.Cancelled
	}
	for _, t := range s.Upcoming(rid.Add(-time.Second), rid.Add(time.Second), 4) {
		if t.Equal(rid) {
			return true
		}
	}
	return false
}

// CapacityOccurrences returns the coming occurrences with a capacity
// within CapacityHorizon of now.
func (s *Series) CapacityOccurrences(now time.Time) []time.Time {
	if !s.HasCapacity() || s.Status == SeriesCancelled {
		return nil
	}
	var out []time.Time
	for _, t := range s.Upcoming(now, now.Add(CapacityHorizon), CapacityMaxOccurrences) {
		if s.CapacityAt(t) > 0 {
			out = append(out, t)
		}
	}
	return out
}

// Roster says who has a place at one occurrence.
type Roster struct {
	// Capacity is the occurrence's capacity (0 = unlimited).
	Capacity int `json:"capacity"`
	// Confirmed are the members with a place, in the order they said yes.
	Confirmed []int64 `json:"confirmed"`
	// Waitlist are the members waiting, in order: Waitlist[0] has place 1.
	Waitlist []int64 `json:"waitlist"`
}

// Place returns the member's place: 0 when confirmed, n > 0 for place n
// on the waitlist; yes is false when the member's answer is not yes.
func (r Roster) Place(memberID int64) (place int, yes bool) {
	if slices.Contains(r.Confirmed, memberID) {
		return 0, true
	}
	if i := slices.Index(r.Waitlist, memberID); i >= 0 {
		return i + 1, true
	}
	return 0, false
}

// NewRoster derives the roster of one occurrence from the answers: the
// invitees whose effective answer (to the occurrence, else to the series)
// is yes, ordered by when they first said yes and then by member id, fill
// capacity places (all of them when capacity is 0).
func NewRoster(capacity int, invitees []*Membership, rsvps []*RSVP, occurrence time.Time) Roster {
	eff := effectiveAnswers(rsvps, occurrence)
	var yes []*RSVP
	for _, m := range invitees {
		if a, ok := eff[m.MemberID]; ok && a.Answer == AnswerYes {
			yes = append(yes, a)
		}
	}
	slices.SortFunc(yes, func(a, b *RSVP) int {
		if c := a.queueTime().Compare(b.queueTime()); c != 0 {
			return c
		}
		return cmp.Compare(a.MemberID, b.MemberID)
	})
	r := Roster{Capacity: capacity, Confirmed: []int64{}, Waitlist: []int64{}}
	for i, a := range yes {
		if capacity > 0 && i >= capacity {
			r.Waitlist = append(r.Waitlist, a.MemberID)
		} else {
			r.Confirmed = append(r.Confirmed, a.MemberID)
		}
	}
	return r
}

// queueTime is when the answer joined the queue.
func (a *RSVP) queueTime() time.Time {
	if !a.QueuedAt.IsZero() {
		return a.QueuedAt
	}
	return a.AnsweredAt
}

// effectiveAnswers returns each member's answer row that counts for the
// occurrence: the answer to it, else the answer to the series.
func effectiveAnswers(rsvps []*RSVP, occurrence time.Time) map[int64]*RSVP {
	out := map[int64]*RSVP{}
	for _, a := range rsvps {
		switch {
		case a.Occurrence.IsZero():
			if _, ok := out[a.MemberID]; !ok {
				out[a.MemberID] = a
			}
		case a.Occurrence.Equal(occurrence):
			out[a.MemberID] = a
		}
	}
	return out
}

// SeriesRoster derives the roster of an occurrence of s.
func SeriesRoster(s *Series, invitees []*Membership, rsvps []*RSVP, occurrence time.Time) Roster {
	return NewRoster(s.CapacityAt(occurrence), invitees, rsvps, occurrence)
}

// WithAnswer returns rsvps with r stored in place of the member's row for
// the same occurrence (or added).
func WithAnswer(rsvps []*RSVP, r *RSVP) []*RSVP {
	out := make([]*RSVP, 0, len(rsvps)+1)
	for _, a := range rsvps {
		if a.MemberID == r.MemberID && a.Occurrence.Equal(r.Occurrence) {
			continue
		}
		out = append(out, a)
	}
	return append(out, r)
}

// QueueAnswer sets r.QueuedAt from the stored answer cur (nil if none): a
// yes keeps the time of the yes it repeats, a new yes queues at its
// answer time, and any other answer leaves the queue.
func QueueAnswer(r *RSVP, cur *RSVP) {
	switch {
	case r.Answer != AnswerYes:
		r.QueuedAt = time.Time{}
	case cur != nil && cur.Answer == AnswerYes && !cur.queueTime().IsZero():
		r.QueuedAt = cur.queueTime()
	default:
		r.QueuedAt = r.AnsweredAt
	}
}

// Promotion is a member who moved from an occurrence's waitlist to a
// confirmed place.
type Promotion struct {
	MemberID   int64
	Occurrence time.Time
}

// PlaceUpdate sets the stored Waitlist of one answer row (Occurrence zero:
// the member's answer to the series).
type PlaceUpdate struct {
	MemberID   int64
	Occurrence time.Time
	Waitlist   int
}

// CapacityChange is what a change of answers or capacity does to the
// places: who was promoted, and which stored places to update.
type CapacityChange struct {
	Promoted []Promotion
	Updates  []PlaceUpdate
}

// CapacityEffects compares the places before and after a change (of the
// series, its capacities, or the answers) at each occurrence in occs
// (original starts, UTC). next is the occurrence the stored places of
// series answers refer to (after.CapacityOccurrences(now)[0], or zero).
func CapacityEffects(before, after *Series, invitees []*Membership, rsvpsBefore, rsvpsAfter []*RSVP, occs []time.Time, next time.Time) CapacityChange {
	var ch CapacityChange
	done := map[PlaceUpdate]bool{}
	for _, t := range occs {
		rb := SeriesRoster(before, invitees, rsvpsBefore, t)
		ra := SeriesRoster(after, invitees, rsvpsAfter, t)
		for _, id := range ra.Confirmed {
			if p, yes := rb.Place(id); yes && p > 0 {
				ch.Promoted = append(ch.Promoted, Promotion{MemberID: id, Occurrence: t})
			}
		}
		eff := effectiveAnswers(rsvpsAfter, t)
		for _, a := range rsvpsAfter {
			isSeries := a.Occurrence.IsZero()
			if !a.Occurrence.Equal(t) && !(isSeries && !next.IsZero() && t.Equal(next)) {
				continue
			}
			want := 0
			if eff[a.MemberID] == a {
				want, _ = ra.Place(a.MemberID)
			} else if !isSeries {
				continue
			}
			key := PlaceUpdate{MemberID: a.MemberID, Occurrence: a.Occurrence}
			if done[key] {
				continue
			}
			done[key] = true
			if want != a.Waitlist {
				key.Waitlist = want
				ch.Updates = append(ch.Updates, key)
			}
		}
	}
	return ch
}

// AffectedOccurrences returns the occurrences whose places an answer
// (or a capacity change) for occurrence may change: that occurrence if
// it is still to come, or every coming occurrence with a capacity when
// occurrence is zero (the whole series).
func AffectedOccurrences(s *Series, occurrence, now time.Time) []time.Time {
	upcoming := s.CapacityOccurrences(now)
	if occurrence.IsZero() {
		return upcoming
	}
	for _, t := range upcoming {
		if t.Equal(occurrence) {
			return []time.Time{t}
		}
	}
	return nil
}

// WaitlistJobKey is the job key under which a promotion's mail is queued,
// once per series, occurrence and member.
func WaitlistJobKey(seriesID int64, occurrence time.Time, memberID int64) string {
	return "waitlist/s" + itoa(int(seriesID)) + "/o" + itoa(int(occurrence.Unix())) + "/m" + itoa(int(memberID))
}

// CapacityStore changes capacities and decides quorums: the two changes
// to a series that are about who comes rather than when.
type CapacityStore interface {
	// SetCapacity sets the capacity of the series (occurrence zero) or of
	// one occurrence (through its exception; 0 = the series' again),
	// writes meeting.capacity_changed, and promotes the members the new
	// capacity gives a place (rsvp.promoted and their mail, once each).
	// ENOTFOUND for no series; ECONFLICT if it is not active; EINVALID
	// for a capacity out of 0–100000 or an occurrence not of the series.
	SetCapacity(ctx context.Context, seriesID int64, occurrence time.Time, capacity int) (*Series, error)
	// DecideQuorum applies the series' quorum rule to one occurrence,
	// exactly once: under the job key QuorumJobKey it counts the yes
	// answers and, below QuorumMin, cancels the occurrence for everyone
	// (as ChangeOccurrence does, the mail carrying QuorumNote), else
	// queues the "it's on" mail (MailConfirmed) to the invitees who did
	// not decline it; meeting.quorum_decided records the outcome. A
	// second call, from any process, returns Done false and writes
	// nothing. ENOTFOUND for no series; EINVALID if it has no quorum rule.
	DecideQuorum(ctx context.Context, seriesID int64, occurrence time.Time, now time.Time) (QuorumDecision, error)
}

// CapacityChangeOccurrences returns the occurrences a change of capacity
// affects: occurrence, if it is still to come, or (occurrence zero) every
// coming occurrence with a capacity before or after the change.
func CapacityChangeOccurrences(before, after *Series, occurrence, now time.Time) []time.Time {
	seen := map[int64]bool{}
	var out []time.Time
	for _, s := range []*Series{before, after} {
		for _, t := range s.Upcoming(now, now.Add(CapacityHorizon), CapacityMaxOccurrences) {
			if seen[t.Unix()] || !occurrence.IsZero() && !t.Equal(occurrence) {
				continue
			}
			if s.CapacityAt(t) > 0 || !occurrence.IsZero() {
				seen[t.Unix()] = true
				out = append(out, t)
			}
		}
	}
	slices.SortFunc(out, time.Time.Compare)
	return out
}

// AnswersFor returns each member's answer for the occurrence: their
// answer to it, else their answer to the series.
func AnswersFor(rsvps []*RSVP, occurrence time.Time) map[int64]string {
	out := map[int64]string{}
	for id, a := range effectiveAnswers(rsvps, occurrence) {
		out[id] = a.Answer
	}
	return out
}
