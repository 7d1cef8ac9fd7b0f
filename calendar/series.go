package calendar

import (
	"slices"
	"time"
)

// Person is an organizer or attendee: a display name and an address.
type Person struct {
	Name  string
	Email string // bare address, without "mailto:"
}

// PartStat is an attendee's participation status (RFC 5545 §3.2.12).
type PartStat string

// The participation statuses the package writes and reads.
const (
	NeedsAction PartStat = "NEEDS-ACTION"
	Accepted    PartStat = "ACCEPTED"
	Tentative   PartStat = "TENTATIVE"
	Declined    PartStat = "DECLINED"
)

// orDefault returns p, or NEEDS-ACTION when p is empty.
func (p PartStat) orDefault() PartStat {
	if p == "" {
		return NeedsAction
	}
	return p
}

// Attendee is a person invited to a series and their answer.
type Attendee struct {
	Person
	PartStat PartStat // "" means NEEDS-ACTION
}

// Series is a network's meeting: one UID for its whole life, a first
// occurrence, an optional recurrence rule, and the occurrences that were
// cancelled or changed.
//
// Start is an instant; its wall clock in TimeZone (Start.In(zone)) is the
// time that recurs, so an 18:00 meeting stays at 18:00 across DST changes.
// ExDates and Override.RecurrenceID are instants too and are matched to
// occurrences by instant.
type Series struct {
	UID         string
	Sequence    int
	Summary     string
	Description string
	Location    string
	URL         string        // online-meeting or network page URL (VEVENT URL)
	TimeZone    string        // IANA name, e.g. "Europe/Stockholm"
	Start       time.Time     // first occurrence
	Duration    time.Duration // of every occurrence not overridden
	Rule        string        // RRULE value without "RRULE:", e.g. "FREQ=MONTHLY;BYDAY=2TU"; "" = one-off event
	ExDates     []time.Time   // original starts of cancelled occurrences
	Overrides   []Override    // moved or changed occurrences
	Cancelled   bool          // whole series cancelled (network closed)
	Organizer   Person
	Created     time.Time // UTC
	Modified    time.Time // UTC: LAST-MODIFIED, and DTSTAMP in feeds
}

// Override changes one occurrence of a series.
type Override struct {
	RecurrenceID time.Time     // ORIGINAL start of the occurrence; never changes
	Start        time.Time     // new start; zero keeps the original start
	Duration     time.Duration // zero keeps the series' duration
	Summary      string        // "" = as the master
	Location     string        // "" = as the master
	Description  string        // "" = as the master
	// Cancelled drops the occurrence, like an entry in ExDates. Feeds and
	// REQUESTs write it as an EXDATE on the master, which every client
	// honours, rather than as a STATUS:CANCELLED instance, which some
	// subscription clients show as a normal meeting.
	Cancelled bool
	Modified  time.Time // UTC; LAST-MODIFIED of the instance when set
}

// Occurrence is one meeting of a series as it actually takes place.
type Occurrence struct {
	RecurrenceID time.Time // original start
	Start, End   time.Time // actual (after override), in the series zone
	Override     *Override // nil if unchanged
}

// clone returns a copy of s whose slices are its own.
func (s *Series) clone() *Series {
	c := *s
	c.ExDates = slices.Clone(s.ExDates)
	c.Overrides = slices.Clone(s.Overrides)
	return &c
}
