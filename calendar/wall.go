package calendar

import "time"

// Recurrence is computed on wall-clock times ("floating": the fields of a
// time.Time in UTC) and each occurrence is then placed in the series zone
// by inZone. Two reasons: rrule-go steps through days with AddDate on
// midnights of the zone, which lands on the wrong day where DST starts at
// midnight (America/Sao_Paulo until 2019: Go normalises the missing
// 2016-10-16 00:00 to 2016-10-15 23:00), and time.Date does not promise
// which instant a skipped or repeated wall-clock time becomes.

// floating returns the wall clock of t, in t's location, as UTC fields.
func floating(t time.Time) time.Time {
	y, m, d := t.Date()
	hh, mm, ss := t.Clock()
	return time.Date(y, m, d, hh, mm, ss, 0, time.UTC)
}

// wallKind tells how a wall-clock time maps to instants in a zone.
type wallKind int

const (
	wallOK       wallKind = iota // exactly one instant
	wallSkipped                  // in the gap when DST starts: no instant
	wallRepeated                 // in the overlap when DST ends: two instants
)

// inZone returns the instant of the wall-clock time w (UTC fields) in loc,
// as RFC 5545 §3.3.5 reads a DATE-TIME with a TZID: a repeated time is its
// first instant, a skipped time is read in the offset before the gap.
func inZone(w time.Time, loc *time.Location) (time.Time, wallKind) {
	_, before := w.Add(-25 * time.Hour).In(loc).Zone()
	_, after := w.Add(25 * time.Hour).In(loc).Zone()
	at := func(off int) (time.Time, bool) {
		t := w.Add(-time.Duration(off) * time.Second).In(loc)
		_, o := t.Zone()
		return t, o == off
	}
	t1, ok1 := at(before)
	if before == after {
		if ok1 {
			return t1, wallOK
		}
		// Two changes within two days: rare enough to trust time.Date.
		y, m, d := w.Date()
		hh, mm, ss := w.Clock()
		return time.Date(y, m, d, hh, mm, ss, 0, loc), wallOK
	}
	t2, ok2 := at(after)
	switch {
	case ok1 && ok2:
		if t2.Before(t1) {
			t1 = t2
		}
		return t1, wallRepeated
	case ok2:
		return t2, wallOK
	case ok1:
		return t1, wallOK
	}
	return t1, wallSkipped
}

// spansChange reports whether the UTC offset of loc changes between the
// start t (included) and t+d (included).
func spansChange(t time.Time, d time.Duration, loc *time.Location) bool {
	_, a := t.In(loc).Zone()
	_, b := t.Add(d).In(loc).Zone()
	return a != b
}
