package calendar

import (
	"cmp"
	"time"
)

// Split changes a series from one occurrence on, the way INTEROP §1.4
// recommends instead of RANGE=THISANDFUTURE (poorly supported): the old
// series ends just before from (UNTIL, in UTC) and gets SEQUENCE+1, and a
// new series with newUID starts at from, with what is left of a COUNT.
// ExDates and Overrides are divided between the two by RecurrenceID. The
// caller then changes next as wanted, sends REQUESTs for both, and sets
// Modified on both.
//
// from must be an original start of the rule after the first. A part left
// with a single occurrence becomes a one-off event (a one-occurrence RRULE
// breaks Office 365 imports, INTEROP §3.2): with its override applied, or
// Cancelled when that occurrence was cancelled.
func Split(s *Series, from time.Time, newUID string) (ended, next *Series, err error) {
	e, err := s.check()
	if err != nil {
		return nil, nil, err
	}
	if e.r == nil {
		return nil, nil, fieldErr("rule", "a one-off event cannot be split; change the event")
	}
	if err := checkUID("new_uid", newUID); err != nil {
		return nil, nil, err
	}
	if newUID == s.UID {
		return nil, nil, fieldErr("new_uid", "must differ from the series UID")
	}
	from = from.In(e.loc)
	if ok, err := e.isOriginal(from); err != nil || !ok {
		if err != nil {
			return nil, nil, err
		}
		return nil, nil, fieldErr("from", "%s is not an occurrence of the series", from.Format(time.DateTime))
	}
	if !from.After(e.start) {
		return nil, nil, fieldErr("from", "is the first occurrence; change the series itself")
	}
	before := 0
	it := e.originals()
	for t, ok := it.Next(); ok && t.Before(from); t, ok = it.Next() {
		before++
	}

	ended, next = s.clone(), s.clone()
	er, nr := *e.r, *e.r
	er.count, er.until = 0, from.Add(-time.Second).UTC()
	ended.Rule = er.String()
	ended.Sequence++
	if nr.count > 0 {
		nr.count -= before
	}
	next.Rule = nr.String()
	next.UID, next.Sequence, next.Start = newUID, 0, from
	ended.ExDates, next.ExDates = nil, nil
	for _, t := range s.ExDates {
		if t.Before(from) {
			ended.ExDates = append(ended.ExDates, t)
		} else {
			next.ExDates = append(next.ExDates, t)
		}
	}
	ended.Overrides, next.Overrides = nil, nil
	for _, o := range s.Overrides {
		if o.RecurrenceID.Before(from) {
			ended.Overrides = append(ended.Overrides, o)
		} else {
			next.Overrides = append(next.Overrides, o)
		}
	}
	if before == 1 {
		oneOff(ended)
	}
	if nr.count == 1 || !nr.until.IsZero() && !nextAfter(e, from, nr.until) {
		oneOff(next)
	}
	if err := ended.Validate(); err != nil {
		return nil, nil, err
	}
	if err := next.Validate(); err != nil {
		return nil, nil, err
	}
	return ended, next, nil
}

// nextAfter reports whether the rule has an original start after from and
// not after until.
func nextAfter(e *expansion, from, until time.Time) bool {
	it := e.originals()
	for t, ok := it.Next(); ok && !t.After(until); t, ok = it.Next() {
		if t.After(from) {
			return true
		}
	}
	return false
}

// oneOff turns a series with a single occurrence, its start, into a one-off
// event with that occurrence's exception applied.
func oneOff(s *Series) {
	s.Rule = ""
	for _, t := range s.ExDates {
		if t.Equal(s.Start) {
			s.Cancelled = true
		}
	}
	for _, o := range s.Overrides {
		if !o.RecurrenceID.Equal(s.Start) {
			continue
		}
		if o.Cancelled {
			s.Cancelled = true
			continue
		}
		if !o.Start.IsZero() {
			s.Start = o.Start
		}
		if o.Duration > 0 {
			s.Duration = o.Duration
		}
		s.Summary = cmp.Or(o.Summary, s.Summary)
		s.Location = cmp.Or(o.Location, s.Location)
		s.Description = cmp.Or(o.Description, s.Description)
	}
	s.ExDates, s.Overrides = nil, nil
}

// Reschedule moves the series to a new first start and keeps its exceptions
// on the moved pattern: every ExDate and Override.RecurrenceID moves by the
// same number of days and to the same new time of day, in the series zone
// (so "18:00 on Tuesdays" becoming "17:30 on Wednesdays" moves each
// cancelled Tuesday to its Wednesday at 17:30). Overrides keep their own
// Start. The result is validated; on error s is left unchanged.
func (s *Series) Reschedule(start time.Time) error {
	loc, err := loadZone(s.TimeZone)
	if err != nil {
		return err
	}
	if err := checkInstant("start", start); err != nil {
		return err
	}
	old, nw := s.Start.In(loc), start.In(loc)
	days := int(DateOf(nw).time().Sub(DateOf(old).time()).Hours() / 24)
	move := func(t time.Time) time.Time {
		d := DateOf(t.In(loc)).addDays(days)
		return time.Date(d.Year, d.Month, d.Day, nw.Hour(), nw.Minute(), 0, 0, loc)
	}
	c := s.clone()
	c.Start = nw
	for i, t := range c.ExDates {
		c.ExDates[i] = move(t)
	}
	for i := range c.Overrides {
		c.Overrides[i].RecurrenceID = move(c.Overrides[i].RecurrenceID)
	}
	if err := c.Validate(); err != nil {
		return err
	}
	*s = *c
	return nil
}
