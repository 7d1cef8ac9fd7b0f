package natverk

import (
	"strings"
	"time"
)

// Series statuses.
const (
	SeriesActive    = "active"
	SeriesEnded     = "ended"     // ended by a split: a later series continues it
	SeriesCancelled = "cancelled" // the network closed, or the organizer cancelled it
)

// Series is a network's recurring meeting (or a one-off event: a series
// with no rule). Its UID is stable for its whole life; Sequence rises on
// every change that attendees must see.
type Series struct {
	ID          int64  `json:"id"`
	NetworkID   int64  `json:"network_id"`
	UID         string `json:"uid"`
	Summary     string `json:"summary"`
	Description string `json:"description,omitempty"`
	Location    string `json:"location,omitempty"`
	LocationURL string `json:"location_url,omitempty"`
	TimeZone    string `json:"time_zone"`
	// Start is the first occurrence, in TimeZone.
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"-"`
	// Rule is the RRULE value ("FREQ=MONTHLY;BYDAY=2TU"); "" for a one-off.
	Rule     string `json:"rrule,omitempty"`
	Sequence int    `json:"sequence"`
	Status   string `json:"status"`
	// Capacity limits confirmed places per occurrence (0 = unlimited).
	Capacity int `json:"capacity,omitempty"`
	// SkipHolidays drops Swedish public holidays from the series.
	SkipHolidays bool `json:"skip_holidays,omitempty"`
	// SummerBreak, as "MM-DD/MM-DD", drops occurrences in that span.
	SummerBreak string `json:"summer_break,omitempty"`
	// QuorumMin and QuorumBefore: an occurrence with fewer than QuorumMin
	// yes answers QuorumBefore before its start is cancelled (0 = no
	// quorum rule); see quorum.go.
	QuorumMin    int         `json:"quorum_min,omitempty"`
	QuorumBefore Period      `json:"quorum_before,omitzero"`
	Exceptions   []Exception `json:"exceptions,omitempty"`
	CreatedAt    time.Time   `json:"created_at"`
	UpdatedAt    time.Time   `json:"updated_at"`
}

// DurationMinutes is the meeting length for JSON.
func (s *Series) DurationMinutes() int { return int(s.Duration / time.Minute) }

// Exception changes one occurrence of a series: cancelled, or moved and
// changed. RecurrenceID is the occurrence's original start and never
// changes.
type Exception struct {
	RecurrenceID time.Time     `json:"recurrence_id"`
	Cancelled    bool          `json:"cancelled"`
	Start        time.Time     `json:"start,omitzero"`
	Duration     time.Duration `json:"-"`
	Summary      string        `json:"summary,omitempty"`
	Location     string        `json:"location,omitempty"`
	Description  string        `json:"description,omitempty"`
	Reason       string        `json:"reason,omitempty"`
	// Capacity limits this occurrence's confirmed places, over the
	// series' Capacity (0 = the series' capacity). An exception that only
	// sets a capacity is neither cancelled nor moved (see CapacityOnly).
	Capacity  int       `json:"capacity,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CapacityOnly reports whether the exception changes nothing but the
// occurrence's capacity: it is not cancelled and has no new start, so
// calendars see the occurrence as the series has it.
func (ex *Exception) CapacityOnly() bool { return !ex.Cancelled && ex.Start.IsZero() }

// Exception returns the exception for the occurrence that originally
// started at rid, or nil.
func (s *Series) Exception(rid time.Time) *Exception {
	for i := range s.Exceptions {
		if s.Exceptions[i].RecurrenceID.Equal(rid) {
			return &s.Exceptions[i]
		}
	}
	return nil
}

// Checks are the calendar rules the domain validates input with; the
// calendar package provides them (calendar.ValidateTimeZone,
// calendar.ValidateRule). They are passed in so the domain stays free of
// iCalendar details.
type Checks struct {
	Zone func(name string) error
	// Rule validates an RRULE against its first occurrence.
	Rule func(rule string, start time.Time) error
}

// SeriesInput schedules a meeting series.
type SeriesInput struct {
	Summary     string `json:"summary,omitempty"`
	Description string `json:"description,omitempty"`
	// Start is the local date and time of the first meeting,
	// "2026-01-13T18:00" (seconds optional), in TimeZone.
	Start    string `json:"start"`
	TimeZone string `json:"time_zone,omitempty"`
	// DurationMinutes defaults to 120.
	DurationMinutes int    `json:"duration_minutes,omitempty"`
	RRule           string `json:"rrule,omitempty"`
	Location        string `json:"location,omitempty"`
	LocationURL     string `json:"location_url,omitempty"`
	Capacity        int    `json:"capacity,omitempty"`
	SkipHolidays    bool   `json:"skip_holidays,omitempty"`
	SummerBreak     string `json:"summer_break,omitempty"`
	// QuorumMin is the number of yes answers an occurrence needs
	// QuorumBefore ("48h", "2d") before it starts, or it is cancelled.
	QuorumMin    int    `json:"quorum_min,omitempty"`
	QuorumBefore string `json:"quorum_before,omitempty"`
}

// localLayouts are the accepted forms of a local start.
var localLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"}

// ParseLocal parses a local date-time in loc.
func ParseLocal(s string, loc *time.Location) (time.Time, bool) {
	for _, l := range localLayouts {
		if t, err := time.ParseInLocation(l, strings.TrimSpace(s), loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// Build validates the input and returns the series it describes for the
// network (not yet stored: no ID, UID or times).
func (in SeriesInput) Build(n *Network, c Checks) (*Series, error) {
	var fields []FieldError
	s := &Series{
		NetworkID:    n.ID,
		Summary:      strings.TrimSpace(in.Summary),
		Description:  normalizeNewlines(strings.TrimSpace(in.Description)),
		Location:     strings.TrimSpace(in.Location),
		LocationURL:  strings.TrimSpace(in.LocationURL),
		TimeZone:     in.TimeZone,
		Rule:         strings.ToUpper(strings.TrimPrefix(strings.TrimSpace(in.RRule), "RRULE:")),
		Capacity:     in.Capacity,
		SkipHolidays: in.SkipHolidays,
		SummerBreak:  strings.TrimSpace(in.SummerBreak),
		QuorumMin:    in.QuorumMin,
		Status:       SeriesActive,
	}
	if s.Summary == "" {
		s.Summary = n.Name
	}
	if s.TimeZone == "" {
		s.TimeZone = n.TimeZone
	}
	for _, f := range []struct {
		name, v string
		max     int
		multi   bool
	}{{"summary", s.Summary, 200, false}, {"description", s.Description, 5000, true}, {"location", s.Location, 500, false}} {
		if fe := checkText(f.name, f.v, f.max, f.multi); fe != nil {
			fields = append(fields, *fe)
		}
	}
	if s.LocationURL != "" && !ValidHTTPURL(s.LocationURL) {
		fields = append(fields, FieldError{"location_url", "must be an http or https URL"})
	}
	var loc *time.Location
	if err := c.Zone(s.TimeZone); err != nil {
		fields = append(fields, FieldError{"time_zone", "is not a time zone of the tz database"})
	} else if l, err := time.LoadLocation(s.TimeZone); err == nil {
		loc = l
	}
	switch d := in.DurationMinutes; {
	case d == 0:
		s.Duration = 2 * time.Hour
	case d < 5 || d > 24*60:
		fields = append(fields, FieldError{"duration_minutes", "must be between 5 and 1440"})
	default:
		s.Duration = time.Duration(d) * time.Minute
	}
	if in.Capacity < 0 || in.Capacity > 100000 {
		fields = append(fields, FieldError{"capacity", "must be between 0 (no limit) and 100000"})
	}
	fields = append(fields, s.buildQuorum(in)...)
	if s.SummerBreak != "" {
		if _, _, ok := ParseSummerBreak(s.SummerBreak); !ok {
			fields = append(fields, FieldError{"summer_break", `must be "MM-DD/MM-DD", e.g. "06-15/08-15"`})
		}
	}
	if loc != nil {
		start, ok := ParseLocal(in.Start, loc)
		switch {
		case strings.TrimSpace(in.Start) == "":
			fields = append(fields, FieldError{"start", "is required"})
		case !ok:
			fields = append(fields, FieldError{"start", `must be a local date and time such as "2026-01-13T18:00"`})
		default:
			s.Start = start
			if s.Rule != "" {
				if err := c.Rule(s.Rule, start); err != nil {
					fields = append(fields, FieldError{"rrule", ruleReason(err)})
				}
			}
		}
	}
	if len(fields) > 0 {
		return nil, Invalid(fields...)
	}
	return s, nil
}

// ruleReason returns the reason part of a calendar check error.
func ruleReason(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "calendar: ")
	msg = strings.TrimPrefix(msg, "rrule: ")
	return msg
}

// ParseSummerBreak parses "MM-DD/MM-DD".
func ParseSummerBreak(s string) (from, to [2]int, ok bool) {
	a, b, found := strings.Cut(s, "/")
	if !found {
		return from, to, false
	}
	p := func(x string) ([2]int, bool) {
		t, err := time.Parse("01-02", strings.TrimSpace(x))
		if err != nil {
			return [2]int{}, false
		}
		return [2]int{int(t.Month()), t.Day()}, true
	}
	from, ok1 := p(a)
	to, ok2 := p(b)
	return from, to, ok1 && ok2
}

// SeriesUpdate changes a series; every change raises SEQUENCE. Nil fields
// are left alone.
type SeriesUpdate struct {
	Summary         *string `json:"summary,omitempty"`
	Description     *string `json:"description,omitempty"`
	Start           *string `json:"start,omitempty"`
	DurationMinutes *int    `json:"duration_minutes,omitempty"`
	RRule           *string `json:"rrule,omitempty"`
	Location        *string `json:"location,omitempty"`
	LocationURL     *string `json:"location_url,omitempty"`
	Capacity        *int    `json:"capacity,omitempty"`
	QuorumMin       *int    `json:"quorum_min,omitempty"`
	QuorumBefore    *string `json:"quorum_before,omitempty"`
}

// Input returns the series as input with the update applied, for
// validation through Build.
func (u SeriesUpdate) Input(s *Series) SeriesInput {
	in := SeriesInput{
		Summary: s.Summary, Description: s.Description, Start: s.Start.Format("2006-01-02T15:04:05"),
		TimeZone: s.TimeZone, DurationMinutes: s.DurationMinutes(), RRule: s.Rule, Location: s.Location,
		LocationURL: s.LocationURL, Capacity: s.Capacity, SkipHolidays: s.SkipHolidays, SummerBreak: s.SummerBreak,
		QuorumMin: s.QuorumMin,
	}
	if s.QuorumBefore > 0 {
		in.QuorumBefore = s.QuorumBefore.String()
	}
	str := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	str(&in.Summary, u.Summary)
	str(&in.Description, u.Description)
	str(&in.Start, u.Start)
	str(&in.RRule, u.RRule)
	str(&in.Location, u.Location)
	str(&in.LocationURL, u.LocationURL)
	if u.DurationMinutes != nil {
		in.DurationMinutes = *u.DurationMinutes
	}
	if u.Capacity != nil {
		in.Capacity = *u.Capacity
	}
	if u.QuorumMin != nil {
		in.QuorumMin = *u.QuorumMin
	}
	str(&in.QuorumBefore, u.QuorumBefore)
	return in
}

// Significant reports whether changing from a to b moves the meeting in
// time or place (RFC 5546 §2.1.4's significant properties plus LOCATION),
// which resets answers on the clients.
func Significant(a, b *Series) bool {
	return !a.Start.Equal(b.Start) || a.Duration != b.Duration || a.Rule != b.Rule || a.Location != b.Location || a.TimeZone != b.TimeZone
}

// OccurrenceChange cancels or moves one occurrence.
type OccurrenceChange struct {
	// RecurrenceID is the original start of the occurrence (any zone).
	RecurrenceID time.Time
	Cancel       bool
	// Start is the new local start for a move ("2026-03-11T18:00"), in the
	// series zone.
	Start           string
	DurationMinutes int
	Location        *string
	Reason          string
}
