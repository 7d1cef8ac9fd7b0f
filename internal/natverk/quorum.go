package natverk

import (
	"strconv"
	"strings"
	"time"
)

// Period is a length of time given in days, hours and minutes, as the
// API reads and writes it: "48h", "2d", "1d12h", "90m".
type Period time.Duration

// ParsePeriod reads a period: Go's duration syntax ("48h", "1h30m") with
// whole days as "d" in front ("2d", "1d12h").
func ParsePeriod(s string) (Period, bool) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" || len(s) > 20 {
		return 0, false
	}
	var days int64
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.ParseInt(s[:i], 10, 32)
		if err != nil || n < 0 {
			return 0, false
		}
		days, s = n, s[i+1:]
	}
	var rest time.Duration
	if s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return 0, false
		}
		rest = d
	}
	return Period(time.Duration(days)*24*time.Hour + rest), true
}

// String writes the period as ParsePeriod reads it: "2d", "1d12h", "90m"
// is written "1h30m".
func (p Period) String() string {
	d := time.Duration(p)
	if d <= 0 {
		return "0m"
	}
	var b strings.Builder
	if days := d / (24 * time.Hour); days > 0 {
		b.WriteString(strconv.FormatInt(int64(days), 10) + "d")
		d -= days * 24 * time.Hour
	}
	if h := d / time.Hour; h > 0 {
		b.WriteString(strconv.FormatInt(int64(h), 10) + "h")
		d -= h * time.Hour
	}
	if m := d / time.Minute; m > 0 {
		b.WriteString(strconv.FormatInt(int64(m), 10) + "m")
	}
	if b.Len() == 0 {
		return "0m"
	}
	return b.String()
}

// MarshalText implements encoding.TextMarshaler.
func (p Period) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *Period) UnmarshalText(b []byte) error {
	v, ok := ParsePeriod(string(b))
	if !ok {
		return Invalid(FieldError{"quorum_before", `must be a period such as "48h" or "2d"`})
	}
	*p = v
	return nil
}

// Limits of the quorum rule.
const (
	MinQuorumBefore = time.Hour
	MaxQuorumBefore = 30 * 24 * time.Hour
)

// buildQuorum validates the quorum fields of in into s.
func (s *Series) buildQuorum(in SeriesInput) []FieldError {
	var fields []FieldError
	switch {
	case in.QuorumMin < 0 || in.QuorumMin > 100000:
		fields = append(fields, FieldError{"quorum_min", "must be between 0 (no quorum) and 100000"})
	case in.QuorumMin > 0 && in.Capacity > 0 && in.QuorumMin > in.Capacity:
		fields = append(fields, FieldError{"quorum_min", "cannot be larger than the capacity"})
	}
	before := strings.TrimSpace(in.QuorumBefore)
	switch {
	case in.QuorumMin > 0 && before == "":
		fields = append(fields, FieldError{"quorum_before", `is required with quorum_min, e.g. "48h"`})
	case in.QuorumMin == 0 && before != "":
		fields = append(fields, FieldError{"quorum_before", "needs quorum_min"})
	case before != "":
		p, ok := ParsePeriod(before)
		if !ok || time.Duration(p) < MinQuorumBefore || time.Duration(p) > MaxQuorumBefore {
			fields = append(fields, FieldError{"quorum_before", `must be a period between 1h and 30d, e.g. "48h" or "2d"`})
		} else {
			s.QuorumBefore = p
		}
	}
	return fields
}

// QuorumDecisionAt returns when the quorum of the occurrence starting at
// start is decided: QuorumBefore before it. ok is false when the series
// has no quorum rule.
func (s *Series) QuorumDecisionAt(start time.Time) (at time.Time, ok bool) {
	if s.QuorumMin <= 0 || s.QuorumBefore <= 0 {
		return time.Time{}, false
	}
	return start.Add(-time.Duration(s.QuorumBefore)), true
}

// Quorum outcomes.
const (
	// QuorumReached: enough said yes; the meeting is on and the invitees
	// who did not decline are told so.
	QuorumReached = "reached"
	// QuorumMissed: too few said yes; the occurrence is cancelled for
	// everyone.
	QuorumMissed = "missed"
	// QuorumMoot: the occurrence was already cancelled, or the series is
	// no longer active; nothing was done but the decision is recorded.
	QuorumMoot = "moot"
)

// QuorumDecision is the outcome of one occurrence's quorum rule.
type QuorumDecision struct {
	SeriesID   int64     `json:"series_id"`
	Occurrence time.Time `json:"occurrence"`
	// Done is false when the decision had been made before (by this or
	// another process); nothing was written then.
	Done    bool   `json:"done"`
	Outcome string `json:"outcome,omitempty"`
	Yes     int    `json:"yes"`
	Min     int    `json:"min"`
}

// QuorumJobKey is the job key (JobStore) under which an occurrence's
// quorum is decided, once.
func QuorumJobKey(seriesID int64, occurrence time.Time) string {
	return "quorum/s" + strconv.FormatInt(seriesID, 10) + "/o" + strconv.FormatInt(occurrence.Unix(), 10)
}

// QuorumNote is the mail note of a quorum cancellation, "quorum 3/5":
// the mailer words it in the member's language (see ParseQuorumNote).
func QuorumNote(yes, min int) string {
	return "quorum " + strconv.Itoa(yes) + "/" + strconv.Itoa(min)
}

// ParseQuorumNote reads a note written by QuorumNote.
func ParseQuorumNote(note string) (yes, min int, ok bool) {
	rest, found := strings.CutPrefix(note, "quorum ")
	if !found {
		return 0, 0, false
	}
	a, b, found := strings.Cut(rest, "/")
	y, err1 := strconv.Atoi(a)
	m, err2 := strconv.Atoi(b)
	if !found || err1 != nil || err2 != nil || y < 0 || m <= 0 {
		return 0, 0, false
	}
	return y, m, true
}

// CountYes counts the invitees whose answer for the occurrence is yes
// (their answer to it, else their answer to the series), waitlisted
// ones included: the quorum rule asks how many want to come.
func CountYes(invitees []*Membership, rsvps []*RSVP, occurrence time.Time) int {
	n := 0
	eff := effectiveAnswers(rsvps, occurrence)
	for _, m := range invitees {
		if a, ok := eff[m.MemberID]; ok && a.Answer == AnswerYes {
			n++
		}
	}
	return n
}
