package calendar

import (
	"strings"
	"testing"
	"time"
)

func decodeString(t *testing.T, body string, opt ParseOptions) ([]*Series, error) {
	t.Helper()
	cal, err := Parse(strings.NewReader(crlf("\nBEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\n"+body+"END:VCALENDAR\n")), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return DecodeSeries(cal, opt)
}

const decodeEvent = "BEGIN:VEVENT\nUID:u1\nDTSTAMP:20250101T000000Z\nSUMMARY:Möte\n%s\nEND:VEVENT\n"

func TestDecodeSeries(t *testing.T) {
	list, err := decodeString(t, strings.Replace(decodeEvent, "%s",
		"DTSTART;TZID=\"W. Europe Standard Time\":20250114T180000\nDURATION:PT1H30M\nRRULE:FREQ=WEEKLY\nSTATUS:CANCELLED\nSEQUENCE:3\nORGANIZER;CN=\"N\":MAILTO:N@Example.SE", 1), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := list[0]
	if s.TimeZone != "Europe/Berlin" || s.Duration != 90*time.Minute || !s.Cancelled || s.Sequence != 3 || s.Organizer.Email != "N@example.se" {
		t.Errorf("decoded %+v", s)
	}
	list, err = decodeString(t, strings.Replace(decodeEvent, "%s", "DTSTART:20250114T170000Z\nDTEND:20250114T190000Z", 1), ParseOptions{FallbackZone: stockholm})
	if err != nil {
		t.Fatal(err)
	}
	if list[0].TimeZone != "Europe/Stockholm" || !list[0].Start.Equal(at(2025, 1, 14, 18, 0)) {
		t.Errorf("UTC start in the fallback zone: %s %s", list[0].TimeZone, list[0].Start)
	}
}

func TestDecodeSeriesErrors(t *testing.T) {
	zone := strings.ReplaceAll(exchangeZone, "W. Europe Standard Time", "Customized Time Zone")
	tests := []struct {
		name    string
		body    string
		wantErr string
	}{
		{"NoDTSTART", strings.Replace(decodeEvent, "%s", "DTEND:20250114T190000Z", 1), "no DTSTART"},
		{"AllDay", strings.Replace(decodeEvent, "%s", "DTSTART;VALUE=DATE:20250114", 1), "all-day"},
		{"UTCWithoutFallback", strings.Replace(decodeEvent, "%s", "DTSTART:20250114T170000Z\nDTEND:20250114T190000Z", 1), "no fallback zone"},
		{"ZoneOnlyInFile", zone + strings.Replace(decodeEvent, "%s", "DTSTART;TZID=Customized Time Zone:20250114T180000\nDTEND;TZID=Customized Time Zone:20250114T200000", 1), "no tz database name"},
		{"Twice", strings.Repeat(strings.Replace(decodeEvent, "%s", "DTSTART;TZID=Europe/Stockholm:20250114T180000\nDURATION:PT1H", 1), 2), "two events"},
		{"InstanceWithoutMaster", strings.Replace(decodeEvent, "%s", "RECURRENCE-ID;TZID=Europe/Stockholm:20250114T180000\nDTSTART;TZID=Europe/Stockholm:20250114T180000", 1), "without its master"},
		{"BadSequence", strings.Replace(decodeEvent, "%s", "DTSTART;TZID=Europe/Stockholm:20250114T180000\nDURATION:PT1H\nSEQUENCE:x", 1), "SEQUENCE"},
		{"RuleBomb", strings.Replace(decodeEvent, "%s", "DTSTART;TZID=Europe/Stockholm:20250114T180000\nDURATION:PT1H\nRRULE:FREQ=SECONDLY", 1), "FREQ=SECONDLY"},
		{"NoDuration", strings.Replace(decodeEvent, "%s", "DTSTART;TZID=Europe/Stockholm:20250114T180000", 1), "duration"},
		{"BadExDate", strings.Replace(decodeEvent, "%s", "DTSTART;TZID=Europe/Stockholm:20250114T180000\nDURATION:PT1H\nRRULE:FREQ=WEEKLY\nEXDATE;VALUE=DATE:20250121", 1), "EXDATE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeString(t, tc.body, ParseOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}
