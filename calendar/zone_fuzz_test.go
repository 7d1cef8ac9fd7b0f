package calendar

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// zoneSeeds are zone names of every kind ValidateTimeZone meets: regions
// with and without DST, both hemispheres, half-hour offsets, zones whose
// rules changed, legacy names, and names that must be refused.
var zoneSeeds = []string{
	"Europe/Stockholm", "America/New_York", "Australia/Sydney", "Asia/Tokyo",
	"Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe", "America/Sao_Paulo",
	"Africa/Casablanca", "Pacific/Chatham", "America/St_Johns", "Europe/Dublin",
	"Antarctica/Troll", "America/Argentina/Buenos_Aires", "Pacific/Apia",
	"", "Local", "UTC", "CET", "Etc/GMT+1", "Europe/Atlantis", "../../etc/passwd",
	"Europe/Stockholm\x00", "europe/stockholm", "Europe//Stockholm", "/Europe/Stockholm",
}

// FuzzValidateTimeZone checks that no name makes ValidateTimeZone panic,
// that every refusal is a time_zone *FieldError, and that for every
// accepted name the generated VTIMEZONE, written and parsed back, gives
// the offset Go's tz database gives, at every onset and at noon each day.
func FuzzValidateTimeZone(f *testing.F) {
	for _, z := range zoneSeeds {
		f.Add(z)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if err := ValidateTimeZone(name); err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != "time_zone" {
				t.Fatalf("ValidateTimeZone(%q) = %v, not a time_zone *FieldError", name, err)
			}
			return
		}
		checkGeneratedZone(t, name, 2025, 2028)
	})
}

// checkGeneratedZone compares the VTIMEZONE generated for the zone over
// the years with Go's database.
func checkGeneratedZone(t *testing.T, name string, from, to int) {
	t.Helper()
	loc, err := loadZone(name)
	if err != nil {
		t.Fatalf("%q: %v", name, err)
	}
	cal := newCalendar("")
	cal.Children = append(cal.Children, vtimezone(loc, from, to))
	b, err := encode(cal)
	if err != nil {
		t.Fatalf("%q: encode: %v", name, err)
	}
	parsed, err := Parse(bytes.NewReader(b), ParseOptions{})
	if err != nil {
		t.Fatalf("%q: the generated VTIMEZONE does not parse: %v\n%s", name, err, b)
	}
	vz, err := parseVTimezone(parsed.Children[0])
	if err != nil {
		t.Fatalf("%q: %v\n%s", name, err, b)
	}
	start := time.Date(from+1, 1, 1, 12, 0, 0, 0, time.UTC)
	end := time.Date(to+1, 1, 1, 0, 0, 0, 0, time.UTC)
	check := func(at time.Time) {
		if _, want := at.In(loc).Zone(); vz.offsetAt(at) != want {
			t.Fatalf("%q at %s: offset %d, want %d\n%s", name, at.Format(time.RFC3339), vz.offsetAt(at), want, b)
		}
	}
	for d := start; d.Before(end); d = d.AddDate(0, 0, 1) {
		check(d)
	}
	for _, tr := range zoneTransitions(loc, start, end) {
		check(tr.at)
		check(tr.at.Add(-time.Second))
	}
}

// TestVTimezoneEveryZone runs the comparison of FuzzValidateTimeZone for
// every region name in the seeds that the package accepts, so that the
// quick suite covers them even without fuzzing.
func TestVTimezoneEveryZone(t *testing.T) {
	accepted := 0
	for _, z := range zoneSeeds {
		if ValidateTimeZone(z) == nil {
			accepted++
			checkGeneratedZone(t, z, 2025, 2028)
		}
	}
	if accepted < 15 {
		t.Fatalf("only %d seed zones accepted", accepted)
	}
}
