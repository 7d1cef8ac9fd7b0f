package calendar

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"
)

// vzone evaluates a VTIMEZONE as found in a file: it answers which UTC
// offset applies at an instant or to a wall-clock time. It serves replies
// whose TZID names no zone the package knows (Outlook's display names), and
// the tests of the generator. It caches the onsets it has expanded, so it
// belongs to one goroutine.
type vzone struct {
	tzid    string
	obs     []vobservance
	changes []change // onsets expanded so far, by instant
	through time.Time
}

// change is one onset: from the instant at, offset to applies.
type change struct {
	at       time.Time
	from, to int
}

// vobservance is one STANDARD or DAYLIGHT: onsets are wall-clock times (as
// UTC fields) in the offset `from`; after each, `to` applies.
type vobservance struct {
	from, to int
	start    time.Time
	rule     *rrule.RRule // nil: start and rdates only
	rdates   []time.Time
}

// maxObservanceYears bounds how far a VTIMEZONE rule is followed.
const maxObservanceYears = 1000

// parseVTimezone reads a VTIMEZONE component. Only yearly rules are
// followed; an observance with another rule counts by its DTSTART alone.
func parseVTimezone(c *ical.Component) (*vzone, error) {
	z := &vzone{}
	if p := c.Props.Get(ical.PropTimezoneID); p != nil {
		z.tzid = p.Value
	}
	for _, child := range c.Children {
		if child.Name != ical.CompTimezoneStandard && child.Name != ical.CompTimezoneDaylight {
			continue
		}
		var o vobservance
		var err error
		get := func(name string) string {
			if p := child.Props.Get(name); p != nil {
				return strings.TrimSpace(p.Value)
			}
			return ""
		}
		if o.from, err = parseOffset(get(ical.PropTimezoneOffsetFrom)); err != nil {
			return nil, err
		}
		if o.to, err = parseOffset(get(ical.PropTimezoneOffsetTo)); err != nil {
			return nil, err
		}
		if o.start, err = time.Parse(localFormat, get(ical.PropDateTimeStart)); err != nil {
			return nil, fmt.Errorf("calendar: VTIMEZONE %s: bad DTSTART: %w", z.tzid, err)
		}
		if v := get(ical.PropRecurrenceRule); v != "" {
			o.rule = observanceRule(v, o.start, o.from)
		}
		for _, p := range child.Props[ical.PropRecurrenceDates] {
			for f := range strings.SplitSeq(p.Value, ",") {
				if t, err := time.Parse(localFormat, strings.TrimSpace(f)); err == nil {
					o.rdates = append(o.rdates, t)
				}
			}
		}
		z.obs = append(z.obs, o)
	}
	if len(z.obs) == 0 {
		return nil, fmt.Errorf("calendar: VTIMEZONE %s has no STANDARD or DAYLIGHT", z.tzid)
	}
	return z, nil
}

// observanceRule builds the yearly rule of an observance on wall-clock
// times, or nil for a rule that is not yearly. A UTC UNTIL is moved to wall
// clock in the observance's TZOFFSETFROM, so that the onset it names counts.
func observanceRule(v string, start time.Time, from int) *rrule.RRule {
	opt, err := rrule.StrToROptionInLocation(v, time.UTC)
	if err != nil || opt.Freq != rrule.YEARLY || len(opt.Byhour)+len(opt.Byminute)+len(opt.Bysecond) > 0 {
		return nil
	}
	opt.Dtstart = start
	if !opt.Until.IsZero() && strings.Contains(strings.ToUpper(v), "Z") {
		opt.Until = opt.Until.Add(time.Duration(from) * time.Second)
	}
	r, err := rrule.NewRRule(*opt)
	if err != nil {
		return nil
	}
	return r
}

// expandThrough makes sure every onset up to the instant t is in changes.
func (z *vzone) expandThrough(t time.Time) {
	if !z.through.IsZero() && t.Before(z.through) {
		return
	}
	// Expand a few years beyond what was asked, so that walking through
	// the hours of a range does not expand again and again.
	limit := time.Date(t.Year()+4, 1, 1, 0, 0, 0, 0, time.UTC)
	z.changes = z.changes[:0]
	for _, o := range z.obs {
		shift := time.Duration(o.from) * time.Second
		add := func(w time.Time) { z.changes = append(z.changes, change{at: w.Add(-shift), from: o.from, to: o.to}) }
		add(o.start)
		for _, w := range o.rdates {
			add(w)
		}
		if o.rule == nil {
			continue
		}
		next := o.rule.Iterator()
		for i := 0; i < maxObservanceYears; i++ {
			w, ok := next()
			if !ok || w.After(limit) {
				break
			}
			if !w.Equal(o.start) {
				add(w)
			}
		}
	}
	slices.SortStableFunc(z.changes, func(a, b change) int { return a.at.Compare(b.at) })
	z.through = limit.Add(-48 * time.Hour)
}

// offsetAt returns the UTC offset in seconds at instant t. Before every
// onset, the TZOFFSETFROM of the earliest one applies.
func (z *vzone) offsetAt(t time.Time) int {
	z.expandThrough(t)
	i, _ := slices.BinarySearchFunc(z.changes, t, func(c change, t time.Time) int {
		if c.at.After(t) {
			return 1
		}
		return -1
	})
	if i == 0 {
		return z.changes[0].from
	}
	return z.changes[i-1].to
}

// toUTC returns the instant of a wall-clock time (given as UTC fields). An
// ambiguous time takes its first instant; a time skipped by a gap is read
// in the offset before the gap (RFC 5545 §3.3.5).
func (z *vzone) toUTC(w time.Time) time.Time {
	var best time.Time
	found := false
	for _, o := range z.obs {
		for _, off := range [2]int{o.from, o.to} {
			t := w.Add(-time.Duration(off) * time.Second)
			if z.offsetAt(t) == off && (!found || t.Before(best)) {
				best, found = t, true
			}
		}
	}
	if found {
		return best
	}
	before := z.offsetAt(w.Add(-36 * time.Hour))
	return w.Add(-time.Duration(before) * time.Second)
}
