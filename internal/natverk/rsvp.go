package natverk

import "time"

// Answers, as iCalendar PARTSTAT values.
const (
	AnswerYes   = "ACCEPTED"
	AnswerMaybe = "TENTATIVE"
	AnswerNo    = "DECLINED"
)

// Answer sources.
const (
	SourceLink  = "link"
	SourceReply = "reply" // an iMIP REPLY from a calendar client
	SourceIMAP  = "imap"
	SourceAPI   = "api"
)

// ParseAnswer accepts yes/maybe/no (and sv ja/kanske/nej) or a PARTSTAT.
func ParseAnswer(s string) (string, bool) {
	switch s {
	case "yes", "ja", "accept", "accepted", AnswerYes:
		return AnswerYes, true
	case "maybe", "kanske", "tentative", AnswerMaybe:
		return AnswerMaybe, true
	case "no", "nej", "decline", "declined", AnswerNo:
		return AnswerNo, true
	}
	return "", false
}

// RSVP is one member's answer for a series, or for one occurrence of it.
type RSVP struct {
	SeriesID  int64 `json:"series_id"`
	NetworkID int64 `json:"network_id"`
	MemberID  int64 `json:"member_id"`
	// Occurrence is the original start (UTC) of the occurrence answered;
	// zero for an answer to the whole series.
	Occurrence time.Time `json:"occurrence,omitzero"`
	Answer     string    `json:"answer"`
	Source     string    `json:"source"`
	// AnsweredAt is when the member gave the answer (the DTSTAMP of a
	// calendar reply, the time of the POST): a later answer replaces an
	// earlier one, so redelivery and reordering cannot bring an old answer
	// back.
	AnsweredAt time.Time `json:"answered_at"`
	// Sequence is the series SEQUENCE the answer was given to.
	Sequence int `json:"sequence"`
	// Waitlist is the member's place on the waitlist of a meeting with a
	// capacity (0 = confirmed or not a yes), as the store last derived it
	// under its lock: for an answer to one occurrence, its place there;
	// for an answer to the series, its place at the series' next meeting
	// with a capacity. Roster derives the place for any occurrence.
	Waitlist int `json:"waitlist,omitempty"`
	// QueuedAt is when the member's current yes was first given; a yes
	// given again keeps it, so repeating an answer never costs a place.
	// Zero for other answers.
	QueuedAt time.Time `json:"queued_at,omitzero"`
	// Proposed is the start a COUNTER proposed.
	Proposed  *time.Time `json:"proposed,omitempty"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// Supersedes compares answer a (new) with b (stored, or nil). replace
// says whether a is newer and must be stored: the later AnsweredAt wins,
// and on a tie the higher Sequence, so redelivery and reordering never
// bring an old answer back. changed says whether the answer itself
// differs: only then is an rsvp.recorded event written, so the same answer
// twice counts once.
func (a *RSVP) Supersedes(b *RSVP) (replace, changed bool) {
	if b == nil {
		return true, true
	}
	switch {
	case a.AnsweredAt.After(b.AnsweredAt):
		replace = true
	case a.AnsweredAt.Equal(b.AnsweredAt):
		replace = a.Sequence > b.Sequence
	}
	return replace, replace && a.Answer != b.Answer
}

// EffectiveAnswer returns a member's answer for one occurrence: their
// answer to that occurrence if any, else their answer to the series, else
// "".
func EffectiveAnswer(series, occurrence string) string {
	if occurrence != "" {
		return occurrence
	}
	return series
}

// Counts are the answers for one occurrence.
type Counts struct {
	Yes      int `json:"yes"`
	Maybe    int `json:"maybe"`
	No       int `json:"no"`
	None     int `json:"no_answer"`
	Waitlist int `json:"waitlist,omitempty"`
}

// Add counts one answer.
func (c *Counts) Add(answer string) { c.AddN(answer, 1) }

// AddN counts n equal answers ("" or anything else: no answer).
func (c *Counts) AddN(answer string, n int) {
	switch answer {
	case AnswerYes:
		c.Yes += n
	case AnswerMaybe:
		c.Maybe += n
	case AnswerNo:
		c.No += n
	default:
		c.None += n
	}
}
