package calendar

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/emersion/go-ical"
)

// go-ical neither generates VTIMEZONE nor requires one, but RFC 5545
// §3.6.5 requires one per TZID, and Outlook shows events an hour off or
// refuses them without it (INTEROP §3.2). The generator below reads the
// transitions of a zone from Go's tz database with ZoneBounds, and writes
// each run of regular yearly transitions (same month, weekday, week of the
// month and local time) as one observance with an RRULE, falling back to one
// observance per transition where a zone's rules change irregularly.

// transition is one change of a zone's offset or name.
type transition struct {
	at       time.Time // the instant, UTC
	from, to int       // offsets east of UTC, seconds
	name     string    // abbreviation after the change
	dst      bool      // daylight time after the change
}

// zoneTransitions lists the transitions of loc in [from, to).
func zoneTransitions(loc *time.Location, from, to time.Time) []transition {
	var out []transition
	t := from
	for {
		_, end := t.In(loc).ZoneBounds()
		if end.IsZero() || !end.After(t) || !end.Before(to) {
			return out
		}
		before, fromOff := end.Add(-time.Second).In(loc).Zone()
		after := end.In(loc)
		name, toOff := after.Zone()
		if fromOff != toOff || before != name {
			out = append(out, transition{at: end.UTC(), from: fromOff, to: toOff, name: name, dst: after.IsDST()})
		}
		t = end
	}
}

// observance is one STANDARD or DAYLIGHT sub-component being built.
type observance struct {
	dst      bool
	from, to int
	name     string
	onsets   []time.Time // local wall clock of each onset (in TZOFFSETFROM), as UTC fields
	rrule    string      // "" for a single onset
}

// vtimezone builds the VTIMEZONE of loc valid for the years fromYear to
// toYear inclusive.
func vtimezone(loc *time.Location, fromYear, toYear int) *ical.Component {
	start := time.Date(fromYear, 1, 1, 0, 0, 0, 0, loc)
	end := time.Date(toYear+1, 1, 1, 0, 0, 0, 0, loc)
	tz := ical.NewComponent(ical.CompTimezone)
	tz.Props.SetText(ical.PropTimezoneID, loc.String())
	trs := zoneTransitions(loc, start, end)
	if len(trs) == 0 {
		name, off := start.Zone()
		tz.Children = append(tz.Children, observanceComponent(observance{
			dst: start.IsDST(), from: off, to: off, name: name,
			onsets: []time.Time{wall(start, off)},
		}))
		return tz
	}
	for _, o := range observances(trs, toYear) {
		tz.Children = append(tz.Children, observanceComponent(o))
	}
	return tz
}

// wall returns the wall clock of instant t at offset off, with UTC fields.
func wall(t time.Time, off int) time.Time {
	return t.UTC().Add(time.Duration(off) * time.Second)
}

// observances groups transitions by kind (DST flag, offsets, name) and
// splits each kind into runs of regular yearly onsets.
func observances(trs []transition, lastYear int) []observance {
	type kind struct {
		dst      bool
		from, to int
		name     string
	}
	var kinds []kind
	onsets := map[kind][]time.Time{}
	for _, tr := range trs {
		k := kind{tr.dst, tr.from, tr.to, tr.name}
		if _, ok := onsets[k]; !ok {
			kinds = append(kinds, k)
		}
		onsets[k] = append(onsets[k], wall(tr.at, tr.from))
	}
	var out []observance
	for _, k := range kinds {
		ws := onsets[k]
		for i := 0; i < len(ws); {
			j, rule := regularRun(ws[i:])
			o := observance{dst: k.dst, from: k.from, to: k.to, name: k.name, onsets: ws[i : i+j]}
			if j > 1 {
				o.rrule = rule
				if last := o.onsets[j-1]; last.Year() < lastYear {
					// The run stops inside the window: bound it, in UTC
					// (RFC 5545 §3.3.10).
					o.rrule += ";UNTIL=" + last.Add(-time.Duration(k.from)*time.Second).Format(utcFormat)
				}
			}
			out = append(out, o)
			i += j
		}
	}
	slices.SortStableFunc(out, func(a, b observance) int { return a.onsets[0].Compare(b.onsets[0]) })
	return out
}

// regularRun returns how many leading onsets of ws fall in consecutive
// years on the same rule, and that rule ("FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU").
func regularRun(ws []time.Time) (int, string) {
	first := ws[0]
	nth := func(t time.Time) int { return (t.Day()-1)/7 + 1 }
	isLast := func(t time.Time) bool { return t.AddDate(0, 0, 7).Month() != t.Month() }
	lastOK, nthOK := isLast(first), true
	n := 1
	for ; n < len(ws); n++ {
		t := ws[n]
		same := t.Year() == ws[n-1].Year()+1 && t.Month() == first.Month() && t.Weekday() == first.Weekday() &&
			t.Hour() == first.Hour() && t.Minute() == first.Minute() && t.Second() == first.Second()
		l, m := lastOK && isLast(t), nthOK && nth(t) == nth(first)
		if !same || !l && !m {
			break
		}
		lastOK, nthOK = l, m
	}
	week := nth(first)
	if lastOK {
		week = -1
	}
	return n, fmt.Sprintf("FREQ=YEARLY;BYMONTH=%d;BYDAY=%d%s", int(first.Month()), week, dayCodes[first.Weekday()])
}

// observanceComponent writes an observance. Values are written raw: go-ical's
// SetDateTime would add a TZID inside the VTIMEZONE (go-ical#20).
func observanceComponent(o observance) *ical.Component {
	name := ical.CompTimezoneStandard
	if o.dst {
		name = ical.CompTimezoneDaylight
	}
	c := ical.NewComponent(name)
	setRaw(c.Props, ical.PropDateTimeStart, o.onsets[0].Format(localFormat))
	setRaw(c.Props, ical.PropTimezoneOffsetFrom, formatOffset(o.from))
	setRaw(c.Props, ical.PropTimezoneOffsetTo, formatOffset(o.to))
	if o.name != "" {
		c.Props.SetText(ical.PropTimezoneName, o.name)
	}
	if o.rrule != "" {
		setRaw(c.Props, ical.PropRecurrenceRule, o.rrule)
	}
	return c
}

// formatOffset writes a UTC offset as "+0100", or "+013045" with seconds.
func formatOffset(sec int) string {
	sign := "+"
	if sec < 0 {
		sign, sec = "-", -sec
	}
	s := fmt.Sprintf("%s%02d%02d", sign, sec/3600, sec/60%60)
	if sec%60 != 0 {
		s += fmt.Sprintf("%02d", sec%60)
	}
	return s
}

// parseOffset reads "+0100", "-0500" or "+013045".
func parseOffset(s string) (int, error) {
	if len(s) != 5 && len(s) != 7 || (s[0] != '+' && s[0] != '-') {
		return 0, fmt.Errorf("calendar: bad UTC offset %q", s)
	}
	n := 0
	for i := 1; i < len(s); i += 2 {
		v, err := strconv.Atoi(s[i : i+2])
		if err != nil || v < 0 || v > 59 {
			return 0, fmt.Errorf("calendar: bad UTC offset %q", s)
		}
		n = n*60 + v
	}
	if len(s) == 5 {
		n *= 60
	}
	if s[0] == '-' {
		n = -n
	}
	return n, nil
}

// zoneSet collects, per time zone, the range of years a calendar uses, and
// adds one VTIMEZONE per zone before the events.
type zoneSet struct {
	locs  map[string]*time.Location
	years map[string][2]int
}

// use records that times in loc from first to last appear.
func (z *zoneSet) use(loc *time.Location, first, last time.Time) {
	if z.locs == nil {
		z.locs, z.years = map[string]*time.Location{}, map[string][2]int{}
	}
	name := loc.String()
	y0, y1 := first.In(loc).Year()-1, last.In(loc).Year()+1
	if r, ok := z.years[name]; ok {
		y0, y1 = min(y0, r[0]), max(y1, r[1])
	}
	z.locs[name], z.years[name] = loc, [2]int{y0, y1}
}

// components returns the VTIMEZONEs, ordered by TZID.
func (z *zoneSet) components() []*ical.Component {
	names := make([]string, 0, len(z.locs))
	for n := range z.locs {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]*ical.Component, 0, len(names))
	for _, n := range names {
		r := z.years[n]
		out = append(out, vtimezone(z.locs[n], r[0], r[1]))
	}
	return out
}
