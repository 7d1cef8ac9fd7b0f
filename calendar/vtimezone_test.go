package calendar

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

// generatedZone writes the VTIMEZONE of name for the years, encodes it in a
// calendar, parses that back and returns the component and its evaluator.
func generatedZone(t *testing.T, name string, from, to int) (*ical.Component, *vzone) {
	t.Helper()
	cal := newCalendar("")
	cal.Children = append(cal.Children, vtimezone(mustZone(name), from, to))
	b, err := encode(cal)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := Parse(bytes.NewReader(b), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tz := parsed.Children[0]
	vz, err := parseVTimezone(tz)
	if err != nil {
		t.Fatal(err)
	}
	return tz, vz
}

// TestVTimezoneHourByHour evaluates each generated VTIMEZONE at every hour
// of the years it covers and compares the offset with Go's tz database.
func TestVTimezoneHourByHour(t *testing.T) {
	tests := []struct {
		zone         string
		observances  int // STANDARD + DAYLIGHT components; -1: do not count
		wantRRULE    bool
		wantDaylight bool
	}{
		{"Europe/Stockholm", 2, true, true},
		{"America/New_York", 2, true, true},
		{"Australia/Sydney", 2, true, true}, // southern hemisphere: DST over the new year
		{"Asia/Tokyo", 1, false, false},     // no DST: one STANDARD
		{"Australia/Lord_Howe", 2, true, true},
		{"America/Sao_Paulo", 3, true, true},   // DST abolished in 2019: bounded RRULEs, then one change
		{"Africa/Casablanca", -1, false, true}, // irregular (Ramadan): explicit observances
	}
	for _, tc := range tests {
		t.Run(tc.zone, func(t *testing.T) {
			const from, to = 2016, 2028
			tz, vz := generatedZone(t, tc.zone, from, to)
			if tc.observances >= 0 && len(tz.Children) != tc.observances {
				t.Errorf("%d observances, want %d", len(tz.Children), tc.observances)
			}
			var rrules, daylight int
			for _, c := range tz.Children {
				if c.Props.Get(ical.PropRecurrenceRule) != nil {
					rrules++
				}
				if c.Name == ical.CompTimezoneDaylight {
					daylight++
				}
			}
			if (rrules > 0) != tc.wantRRULE || (daylight > 0) != tc.wantDaylight {
				t.Errorf("%d observances with RRULE and %d DAYLIGHT; want RRULE %v, DAYLIGHT %v", rrules, daylight, tc.wantRRULE, tc.wantDaylight)
			}
			loc := mustZone(tc.zone)
			// From the first onset the generator wrote (the year before the
			// first covered year is what events may need).
			start := time.Date(from+1, 1, 1, 0, 0, 0, 0, time.UTC)
			end := time.Date(to+1, 1, 1, 0, 0, 0, 0, time.UTC)
			bad := 0
			for h := start; h.Before(end); h = h.Add(time.Hour) {
				_, want := h.In(loc).Zone()
				if got := vz.offsetAt(h); got != want {
					if bad++; bad <= 5 {
						t.Errorf("%s: offset %d, want %d", h.Format(time.RFC3339), got, want)
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d hours wrong", bad)
			}
		})
	}
}

func TestVTimezoneStockholmMatchesInterop(t *testing.T) {
	// The observances INTEROP §1.2 shows, generated for 2025.
	cal := newCalendar("")
	cal.Children = append(cal.Children, vtimezone(stockholm, 2024, 2026))
	b, err := encode(cal)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"BEGIN:DAYLIGHT\r\nDTSTART:20240331T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nTZNAME:CEST\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT",
		"BEGIN:STANDARD\r\nDTSTART:20241027T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZNAME:CET\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("missing\n%s\nin\n%s", want, b)
		}
	}
}

func TestVTimezoneWallClockToUTC(t *testing.T) {
	_, vz := generatedZone(t, "Europe/Stockholm", 2024, 2026)
	tests := []struct {
		name string
		wall time.Time
		want time.Time
	}{
		{"winter", time.Date(2025, 1, 14, 18, 0, 0, 0, time.UTC), time.Date(2025, 1, 14, 17, 0, 0, 0, time.UTC)},
		{"summer", time.Date(2025, 6, 10, 18, 0, 0, 0, time.UTC), time.Date(2025, 6, 10, 16, 0, 0, 0, time.UTC)},
		{"gap reads the offset before", time.Date(2025, 3, 30, 2, 30, 0, 0, time.UTC), time.Date(2025, 3, 30, 1, 30, 0, 0, time.UTC)},
		{"overlap takes the first", time.Date(2025, 10, 26, 2, 30, 0, 0, time.UTC), time.Date(2025, 10, 26, 0, 30, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := vz.toUTC(tc.wall); !got.Equal(tc.want) {
				t.Errorf("toUTC(%s) = %s, want %s", tc.wall.Format(localFormat), got, tc.want)
			}
		})
	}
}

func TestFormatOffset(t *testing.T) {
	tests := []struct {
		sec  int
		want string
	}{
		{3600, "+0100"}, {-5 * 3600, "-0500"}, {10*3600 + 1800, "+1030"}, {0, "+0000"}, {3600 + 30*60 + 45, "+013045"},
	}
	for _, tc := range tests {
		if got := formatOffset(tc.sec); got != tc.want {
			t.Errorf("formatOffset(%d) = %q, want %q", tc.sec, got, tc.want)
		}
		if back, err := parseOffset(tc.want); err != nil || back != tc.sec {
			t.Errorf("parseOffset(%q) = %d, %v", tc.want, back, err)
		}
	}
	for _, bad := range []string{"", "0100", "+01", "+01:00", "+0160", "+ab00"} {
		if _, err := parseOffset(bad); err == nil {
			t.Errorf("parseOffset(%q) accepted", bad)
		}
	}
}
