package calendar

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"
)

// DecodeSeries reads the VEVENTs of a parsed calendar back into series: a
// master per UID, with the instances that share its UID as overrides. It
// reads what the package writes, and simple imports: DTSTART with an IANA
// or Windows TZID (with opt.FallbackZone, also UTC, floating times and
// unknown zones, read in that zone), DTEND or
// DURATION, RRULE, EXDATE (also comma lists, which go-ical cannot read),
// RECURRENCE-ID, STATUS:CANCELLED and the texts (read leniently, so
// "Room 1\, Floor 2" stays whole where go-ical's Text keeps "Room 1").
//
// What the model cannot hold is refused rather than dropped: RDATE (go-ical
// silently ignores it, INTEROP §6), all-day events, and zones known only
// from the file's VTIMEZONE. Every series is checked with Validate, so its
// rule is held to the package's caps before anything expands it.
func DecodeSeries(cal *ical.Calendar, opt ParseOptions) ([]*Series, error) {
	if cal == nil {
		return nil, errors.New("calendar: nil calendar")
	}
	z := newResolver(cal, opt.FallbackZone)
	masters := map[string]*Series{}
	var order []string
	var instances []*ical.Component
	for _, ev := range cal.Children {
		if ev.Name != ical.CompEvent {
			continue
		}
		if ev.Props.Get(ical.PropRecurrenceID) != nil {
			instances = append(instances, ev)
			continue
		}
		s, err := z.series(ev)
		if err != nil {
			return nil, err
		}
		if masters[s.UID] != nil {
			return nil, fmt.Errorf("calendar: two events with UID %q", s.UID)
		}
		masters[s.UID] = s
		order = append(order, s.UID)
	}
	for _, ev := range instances {
		uid := textValue(ev, ical.PropUID)
		s := masters[uid]
		if s == nil {
			return nil, fmt.Errorf("calendar: instance of %q without its master event", uid)
		}
		o, err := z.override(ev, s)
		if err != nil {
			return nil, fmt.Errorf("calendar: instance of %q: %w", uid, err)
		}
		s.Overrides = append(s.Overrides, o)
	}
	out := make([]*Series, 0, len(order))
	for _, uid := range order {
		s := masters[uid]
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("calendar: event %q: %w", uid, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// textValue reads a TEXT property leniently, "" when absent.
func textValue(ev *ical.Component, name string) string {
	if p := ev.Props.Get(name); p != nil {
		return unescapeText(p.Value)
	}
	return ""
}

// series reads a master VEVENT.
func (z *resolver) series(ev *ical.Component) (*Series, error) {
	s := &Series{
		UID:         strings.TrimSpace(textValue(ev, ical.PropUID)),
		Summary:     textValue(ev, ical.PropSummary),
		Description: textValue(ev, ical.PropDescription),
		Location:    textValue(ev, ical.PropLocation),
	}
	if s.UID == "" {
		return nil, errors.New("calendar: event without UID")
	}
	fail := func(format string, args ...any) (*Series, error) {
		return nil, fmt.Errorf("calendar: event %q: "+format, append([]any{s.UID}, args...)...)
	}
	if ev.Props.Get(ical.PropRecurrenceDates) != nil {
		return fail("RDATE is not supported")
	}
	start := ev.Props.Get(ical.PropDateTimeStart)
	if start == nil {
		return fail("no DTSTART")
	}
	loc, err := z.seriesZone(start)
	if err != nil {
		return fail("DTSTART: %v", err)
	}
	s.TimeZone = loc.String()
	if s.Start, s.Duration, err = z.times(ev); err != nil {
		return fail("%v", err)
	}
	s.Start = s.Start.In(loc)
	if p := ev.Props.Get(ical.PropRecurrenceRule); p != nil {
		s.Rule = strings.TrimSpace(p.Value)
	}
	for _, p := range ev.Props[ical.PropExceptionDates] {
		for v := range strings.SplitSeq(p.Value, ",") {
			one := ical.Prop{Name: p.Name, Params: p.Params, Value: v}
			t, date, err := z.instant(&one)
			if err != nil || date {
				return fail("EXDATE %q: not a date-time", v)
			}
			s.ExDates = append(s.ExDates, t.In(loc))
		}
	}
	if p := ev.Props.Get(ical.PropURL); p != nil {
		s.URL = strings.TrimSpace(p.Value)
	}
	if p := ev.Props.Get(ical.PropSequence); p != nil {
		if s.Sequence, err = strconv.Atoi(strings.TrimSpace(p.Value)); err != nil {
			return fail("SEQUENCE %q is not a number", p.Value)
		}
	}
	s.Cancelled = strings.EqualFold(textValue(ev, ical.PropStatus), "CANCELLED")
	if p := ev.Props.Get(ical.PropOrganizer); p != nil {
		s.Organizer = Person{Name: cleanParam(p.Params.Get(ical.ParamCommonName)), Email: NormalizeEmail(p.Value)}
	}
	for name, dst := range map[string]*time.Time{ical.PropCreated: &s.Created, ical.PropLastModified: &s.Modified} {
		if p := ev.Props.Get(name); p != nil {
			if *dst, _, err = z.instant(p); err != nil {
				return fail("%s: %v", name, err)
			}
		}
	}
	return s, nil
}

// seriesZone returns the IANA zone of a DTSTART.
func (z *resolver) seriesZone(p *ical.Prop) (*time.Location, error) {
	if strings.EqualFold(p.Params.Get(ical.ParamValue), "DATE") || len(strings.TrimSpace(p.Value)) == len("20060102") {
		return nil, errors.New("all-day events are not supported")
	}
	tzid := p.Params.Get(ical.PropTimezoneID)
	if tzid == "" {
		if z.fallback == nil {
			return nil, errors.New("UTC or floating time and no fallback zone")
		}
		return z.fallback, nil
	}
	ref := z.zone(tzid)
	switch {
	case ref.err != nil:
		return nil, ref.err
	case ref.vz != nil:
		return nil, fmt.Errorf("time zone %q has no tz database name", tzid)
	}
	return ref.loc, nil
}

// times reads DTSTART and DTEND or DURATION.
func (z *resolver) times(ev *ical.Component) (start time.Time, d time.Duration, err error) {
	start, _, err = z.instant(ev.Props.Get(ical.PropDateTimeStart))
	if err != nil {
		return start, 0, fmt.Errorf("DTSTART: %w", err)
	}
	if p := ev.Props.Get(ical.PropDateTimeEnd); p != nil {
		end, _, err := z.instant(p)
		if err != nil {
			return start, 0, fmt.Errorf("DTEND: %w", err)
		}
		return start, end.Sub(start), nil
	}
	if p := ev.Props.Get(ical.PropDuration); p != nil {
		if d, err = p.Duration(); err != nil {
			return start, 0, fmt.Errorf("DURATION: %w", err)
		}
	}
	return start, d, nil
}

// override reads an instance VEVENT of s; fields equal to the master's are
// left empty, as an Override writes them.
func (z *resolver) override(ev *ical.Component, s *Series) (Override, error) {
	var o Override
	rid, date, err := z.instant(ev.Props.Get(ical.PropRecurrenceID))
	if err != nil || date {
		return o, errors.New("RECURRENCE-ID is not a date-time")
	}
	loc, _ := loadZone(s.TimeZone)
	o.RecurrenceID = rid.In(loc)
	if strings.EqualFold(textValue(ev, ical.PropStatus), "CANCELLED") {
		o.Cancelled = true
	}
	if ev.Props.Get(ical.PropDateTimeStart) != nil {
		start, d, err := z.times(ev)
		if err != nil {
			return o, err
		}
		if !start.Equal(rid) {
			o.Start = start.In(loc)
		}
		if d != s.Duration && d != 0 {
			o.Duration = d
		}
	}
	for _, f := range []struct {
		name   string
		master string
		dst    *string
	}{
		{ical.PropSummary, s.Summary, &o.Summary},
		{ical.PropLocation, s.Location, &o.Location},
		{ical.PropDescription, s.Description, &o.Description},
	} {
		if v := textValue(ev, f.name); v != f.master {
			*f.dst = v
		}
	}
	if p := ev.Props.Get(ical.PropLastModified); p != nil {
		if o.Modified, _, err = z.instant(p); err != nil {
			return o, fmt.Errorf("LAST-MODIFIED: %w", err)
		}
	}
	return o, nil
}
