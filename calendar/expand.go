package calendar

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/teambition/rrule-go"
)

// expansion is a series prepared for expanding: its zone, its rule as
// rrule-go sees it, and its exceptions keyed by Unix second.
type expansion struct {
	s         *Series
	loc       *time.Location
	start     time.Time // s.Start in loc
	r         *recur    // nil for a one-off event
	rule      *rrule.RRule
	excluded  map[int64]bool      // ExDates and cancelled overrides
	overrides map[int64]*Override // the other overrides

	// lastEnd's result, computed once: an expansion shared by a Prepared
	// series is asked for it once per message.
	lastOnce    sync.Once
	last        time.Time
	lastBounded bool
	lastErr     error
}

// expansion checks what expanding needs (zone, start, rule) and prepares it.
// It does not check texts, caps over ten years, or that every exception
// names an occurrence: Validate does.
func (s *Series) expansion() (*expansion, error) {
	loc, err := loadZone(s.TimeZone)
	if err != nil {
		return nil, err
	}
	if s.Start.IsZero() {
		return nil, fieldErr("start", "required")
	}
	e := &expansion{
		s:         s,
		loc:       loc,
		start:     s.Start.In(loc).Truncate(time.Second),
		excluded:  make(map[int64]bool, len(s.ExDates)),
		overrides: make(map[int64]*Override, len(s.Overrides)),
	}
	if s.Rule != "" {
		if e.r, err = parseRecur(s.Rule, loc); err != nil {
			return nil, err
		}
		if err := e.r.startsAt(e.start); err != nil {
			return nil, err
		}
		if e.rule, err = rrule.NewRRule(e.r.roption(floating(e.start), loc)); err != nil {
			return nil, fieldErr("rule", "%v", err)
		}
	}
	for _, t := range s.ExDates {
		e.excluded[t.Unix()] = true
	}
	for i := range s.Overrides {
		o := &s.Overrides[i]
		if o.Cancelled {
			e.excluded[o.RecurrenceID.Unix()] = true
		} else {
			e.overrides[o.RecurrenceID.Unix()] = o
		}
	}
	return e, nil
}

// errScan is returned when an expansion would step through more than
// maxScan original starts.
var errScan = fmt.Errorf("calendar: expansion stepped through more than %d occurrences; narrow the window", maxScan)

// origIter walks the original starts the rule yields, in order, before
// any exception is applied; a one-off event yields its start once. It stops
// after maxScan starts and then reports errScan from err.
type origIter struct {
	next   rrule.Next
	loc    *time.Location
	steps  int
	capped bool
}

func (e *expansion) originals() *origIter {
	if e.rule != nil {
		return &origIter{next: e.rule.Iterator(), loc: e.loc}
	}
	done := false
	return &origIter{next: func() (time.Time, bool) {
		if done {
			return time.Time{}, false
		}
		done = true
		return e.start, true
	}}
}

// Next returns the next original start.
func (it *origIter) Next() (time.Time, bool) {
	if it.steps >= maxScan {
		it.capped = true
		return time.Time{}, false
	}
	it.steps++
	w, ok := it.next()
	if !ok || it.loc == nil {
		return w, ok
	}
	t, _ := inZone(w, it.loc)
	return t, true
}

// err reports whether the walk ended on the cap.
func (it *origIter) err() error {
	if it.capped {
		return errScan
	}
	return nil
}

// occurrence returns the occurrence whose original start is rid, with o
// applied when it is not nil.
func (e *expansion) occurrence(rid time.Time, o *Override) Occurrence {
	rid = rid.In(e.loc)
	occ := Occurrence{RecurrenceID: rid, Start: rid, End: rid.Add(e.s.Duration)}
	if o != nil {
		occ.Override = o
		if !o.Start.IsZero() {
			occ.Start = o.Start.In(e.loc)
		}
		d := e.s.Duration
		if o.Duration > 0 {
			d = o.Duration
		}
		occ.End = occ.Start.Add(d)
	}
	return occ
}

// Occurrences returns the occurrences that overlap [from, to), ordered by
// actual start: ExDates and cancelled overrides are left out, and an
// overridden occurrence appears at its new time (so one moved into the
// window appears, and one moved out of it does not). Times are in the
// series zone, and a rule keeps its wall-clock time across DST changes.
//
// At most limit occurrences are returned (the earliest ones); limit <= 0
// or above MaxOccurrences means MaxOccurrences. The expansion steps through
// at most a bounded number of original starts from the series start, so a
// window decades after the start of a daily series is an error. Exceptions
// are taken as given: call Validate to check that each names an occurrence.
func (s *Series) Occurrences(from, to time.Time, limit int) ([]Occurrence, error) {
	if to.Before(from) {
		return nil, errors.New("calendar: occurrences: window ends before it starts")
	}
	if limit <= 0 || limit > MaxOccurrences {
		limit = MaxOccurrences
	}
	e, err := s.expansion()
	if err != nil {
		return nil, err
	}
	var out []Occurrence
	it := e.originals()
	for t, ok := it.Next(); ok && t.Before(to) && len(out) < limit; t, ok = it.Next() {
		key := t.Unix()
		if e.excluded[key] || e.overrides[key] != nil {
			continue
		}
		if t.Add(s.Duration).After(from) {
			out = append(out, e.occurrence(t, nil))
		}
	}
	if err := it.err(); err != nil {
		return nil, err
	}
	for key, o := range e.overrides {
		if e.excluded[key] {
			continue
		}
		occ := e.occurrence(o.RecurrenceID, o)
		if occ.Start.Before(to) && occ.End.After(from) {
			out = append(out, occ)
		}
	}
	slices.SortFunc(out, compareOccurrences)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func compareOccurrences(a, b Occurrence) int {
	if c := a.Start.Compare(b.Start); c != 0 {
		return c
	}
	return a.RecurrenceID.Compare(b.RecurrenceID)
}

// Next returns the first occurrence that starts after the instant after,
// and false when there is none (or the series cannot be expanded).
func (s *Series) Next(after time.Time) (Occurrence, bool) {
	e, err := s.expansion()
	if err != nil {
		return Occurrence{}, false
	}
	var best Occurrence
	found := false
	it := e.originals()
	for t, ok := it.Next(); ok; t, ok = it.Next() {
		key := t.Unix()
		if e.excluded[key] || e.overrides[key] != nil || !t.After(after) {
			continue
		}
		best, found = e.occurrence(t, nil), true
		break
	}
	for key, o := range e.overrides {
		if e.excluded[key] {
			continue
		}
		occ := e.occurrence(o.RecurrenceID, o)
		if occ.Start.After(after) && (!found || compareOccurrences(occ, best) < 0) {
			best, found = occ, true
		}
	}
	return best, found
}

// isOriginal reports whether t is an original start of the series' rule,
// whatever its exceptions say.
func (e *expansion) isOriginal(t time.Time) (bool, error) {
	set, err := e.originalSet([]time.Time{t})
	return set[t.Unix()] && t.Nanosecond() == 0, err
}

// originalSet tells which of the times are original starts of the rule,
// stepping through the rule up to the latest of them (errScan beyond the
// cap, with what was found up to it).
func (e *expansion) originalSet(ts []time.Time) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(ts) == 0 {
		return out, nil
	}
	last := slices.MaxFunc(ts, time.Time.Compare)
	it := e.originals()
	for t, ok := it.Next(); ok && !t.After(last); t, ok = it.Next() {
		out[t.Unix()] = true
	}
	return out, it.err()
}

// lastEnd returns the end of the last occurrence of a bounded series, and
// false for a rule without COUNT or UNTIL.
func (e *expansion) lastEnd() (time.Time, bool, error) {
	e.lastOnce.Do(func() { e.last, e.lastBounded, e.lastErr = e.scanLastEnd() })
	return e.last, e.lastBounded, e.lastErr
}

// scanLastEnd computes lastEnd by stepping through every occurrence.
func (e *expansion) scanLastEnd() (time.Time, bool, error) {
	if e.r != nil && e.r.count == 0 && e.r.until.IsZero() {
		return time.Time{}, false, nil
	}
	var last time.Time
	it := e.originals()
	for t, ok := it.Next(); ok; t, ok = it.Next() {
		if end := t.Add(e.s.Duration); !e.excluded[t.Unix()] && e.overrides[t.Unix()] == nil && end.After(last) {
			last = end
		}
	}
	if err := it.err(); err != nil {
		return time.Time{}, false, err
	}
	for key, o := range e.overrides {
		if end := e.occurrence(o.RecurrenceID, o).End; !e.excluded[key] && end.After(last) {
			last = end
		}
	}
	return last, true, nil
}
