package calendar

import (
	"strings"
	"sync"
	"time"
)

// zones memoizes time.LoadLocation, which reads and parses the zone's file
// on every call (a fan-out loads the same zone for every message). A
// *time.Location is immutable, and the tz database does not change while
// the process runs, so one cache for the process is as safe as the time
// package's own cache of the local zone; only accepted names are kept, so
// it holds at most the few hundred zones of the database.
var zones sync.Map // name → *time.Location

// ValidateTimeZone accepts only names from the tz database, such as
// "Europe/Stockholm". It refuses "" and "Local" (both mean the machine's
// zone, which go-ical would write as TZID=Local), and fixed offsets or
// abbreviations ("UTC", "CET", "Etc/GMT-1"), which are not places and do not
// follow a place's DST rules.
func ValidateTimeZone(name string) error {
	_, err := loadZone(name)
	return err
}

// loadZone loads a tz database zone, refusing what ValidateTimeZone refuses.
func loadZone(name string) (*time.Location, error) {
	switch {
	case name == "":
		return nil, fieldErr("time_zone", "required (an IANA name such as Europe/Stockholm)")
	case name == "Local" || strings.EqualFold(name, "local"):
		return nil, fieldErr("time_zone", "%q is the machine's zone, not a tz database name", name)
	case len(name) > 64:
		return nil, fieldErr("time_zone", "too long")
	case !strings.Contains(name, "/"):
		// Abbreviations and fixed offsets ("CET", "EST", "GMT+1") exist in
		// the tz database as legacy links, but no client maps them reliably.
		return nil, fieldErr("time_zone", "%q is not a region name such as Europe/Stockholm", name)
	case strings.HasPrefix(name, "Etc/"):
		return nil, fieldErr("time_zone", "%q is a fixed offset; use a region name such as Europe/Stockholm", name)
	}
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fieldErr("time_zone", "unknown time zone %q", name)
	}
	zones.Store(name, loc)
	return loc, nil
}
