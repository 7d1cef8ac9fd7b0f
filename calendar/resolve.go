package calendar

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/emersion/go-ical"
)

// resolver turns the date-time values of a parsed calendar into instants,
// resolving each TZID once.
type resolver struct {
	cal      *ical.Calendar
	fallback *time.Location
	zones    map[string]zoneRef
}

// zoneRef is a resolved TZID: a Go location or the file's own VTIMEZONE.
type zoneRef struct {
	loc *time.Location
	vz  *vzone
	err error
}

func newResolver(cal *ical.Calendar, fallback *time.Location) *resolver {
	return &resolver{cal: cal, fallback: fallback, zones: map[string]zoneRef{}}
}

// instant reads a DATE or DATE-TIME property as a UTC instant; date is set
// for a DATE, which becomes midnight in the fallback zone.
func (z *resolver) instant(p *ical.Prop) (t time.Time, date bool, err error) {
	v := strings.TrimSpace(p.Value)
	isDate := strings.EqualFold(p.Params.Get(ical.ParamValue), "DATE") || len(v) == len("20060102")
	if isDate {
		t, err = time.ParseInLocation("20060102", v, z.floating())
		return t.UTC(), true, err
	}
	if strings.HasSuffix(v, "Z") || strings.HasSuffix(v, "z") {
		t, err = time.Parse(utcFormat, strings.ToUpper(v))
		return t, false, err
	}
	w, err := time.Parse(localFormat, v)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("%q is not a date-time", v)
	}
	tzid := p.Params.Get(ical.PropTimezoneID)
	if tzid == "" {
		return localIn(w, z.floating()), false, nil
	}
	ref := z.zone(tzid)
	switch {
	case ref.err != nil:
		return time.Time{}, false, ref.err
	case ref.vz != nil:
		return ref.vz.toUTC(w), false, nil
	}
	return localIn(w, ref.loc), false, nil
}

// floating is the zone of floating times and dates.
func (z *resolver) floating() *time.Location {
	if z.fallback != nil {
		return z.fallback
	}
	return time.UTC
}

// localIn reads the wall clock w (UTC fields) in loc, as UTC.
func localIn(w time.Time, loc *time.Location) time.Time {
	y, m, d := w.Date()
	hh, mm, ss := w.Clock()
	return time.Date(y, m, d, hh, mm, ss, 0, loc).UTC()
}

var (
	displayPrefix = regexp.MustCompile(`^\((?:UTC|GMT)[^)]*\)\s*`)
	numberSuffix  = regexp.MustCompile(`\s+\d+$`)
)

// zone resolves a TZID, in this order: a tz database name; a Windows zone
// ID or display name (CLDR windowsZones), also with Outlook's " 1"-style
// suffix; a Mozilla-style path ending in a tz name; the file's VTIMEZONE;
// the fallback zone.
func (z *resolver) zone(tzid string) zoneRef {
	if ref, ok := z.zones[tzid]; ok {
		return ref
	}
	ref := z.lookup(tzid)
	z.zones[tzid] = ref
	return ref
}

func (z *resolver) lookup(tzid string) zoneRef {
	name := strings.TrimSpace(strings.Trim(tzid, `"`))
	if loc := loadAny(name); loc != nil {
		return zoneRef{loc: loc}
	}
	for _, n := range []string{name, numberSuffix.ReplaceAllString(name, "")} {
		if iana, ok := windowsZone(n); ok {
			if loc := loadAny(iana); loc != nil {
				return zoneRef{loc: loc}
			}
		}
		if iana, ok := windowsDisplayZone(displayPrefix.ReplaceAllString(n, "")); ok {
			if loc := loadAny(iana); loc != nil {
				return zoneRef{loc: loc}
			}
		}
	}
	if strings.Contains(name, "/") {
		parts := strings.Split(strings.Trim(name, "/"), "/")
		for i := 1; i < len(parts); i++ {
			if loc := loadAny(strings.Join(parts[i:], "/")); loc != nil {
				return zoneRef{loc: loc}
			}
		}
	}
	for _, c := range z.cal.Children {
		if c.Name != ical.CompTimezone {
			continue
		}
		if p := c.Props.Get(ical.PropTimezoneID); p == nil || strings.TrimSpace(p.Value) != strings.TrimSpace(tzid) {
			continue
		}
		if vz, err := parseVTimezone(c); err == nil {
			return zoneRef{vz: vz}
		}
	}
	if z.fallback != nil {
		return zoneRef{loc: z.fallback}
	}
	return zoneRef{err: fmt.Errorf("unknown time zone %q", tzid)}
}

// loadAny loads any tz database name except "" and "Local" (which
// time.LoadLocation maps to UTC and to the machine's zone).
func loadAny(name string) *time.Location {
	if name == "" || strings.EqualFold(name, "local") || len(name) > 64 {
		return nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil
	}
	return loc
}
