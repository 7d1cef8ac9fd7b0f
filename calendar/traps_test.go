package calendar

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// One test per go-ical trap of INTEROP §6, each written so that it fails if
// the package fell into the trap.

const trapEvent = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" +
	"BEGIN:VEVENT\r\nUID:trap@example.se\r\nDTSTAMP:20260101T000000Z\r\n" +
	"DTSTART;TZID=Europe/Stockholm:20260317T180000\r\nDTEND;TZID=Europe/Stockholm:20260317T200000\r\n" +
	"RRULE:FREQ=WEEKLY;COUNT=6\r\nSUMMARY:Möte\r\n%s" +
	"END:VEVENT\r\nEND:VCALENDAR\r\n"

func decodeOne(t *testing.T, extra string) (*Series, error) {
	t.Helper()
	cal, err := Parse(strings.NewReader(strings.Replace(trapEvent, "%s", extra, 1)), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	list, err := DecodeSeries(cal, ParseOptions{})
	if err != nil {
		return nil, err
	}
	return list[0], nil
}

// go-ical's RecurrenceSet reads EXDATE where it should read RDATE, so an
// RDATE silently disappears. DecodeSeries refuses it instead.
func TestTrapRDATEIgnored(t *testing.T) {
	_, err := decodeOne(t, "RDATE;TZID=Europe/Stockholm:20260402T180000\r\n")
	if err == nil || !strings.Contains(err.Error(), "RDATE") {
		t.Fatalf("an RDATE was not refused: %v", err)
	}
}

// go-ical cannot parse the comma lists Google and Outlook write.
func TestTrapCommaEXDATE(t *testing.T) {
	s, err := decodeOne(t, "EXDATE;TZID=Europe/Stockholm:20260324T180000,20260331T180000\r\n")
	if err != nil {
		t.Fatal(err)
	}
	occs, err := s.Occurrences(s.Start, s.Start.AddDate(1, 0, 0), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2026-03-17 18:00", "2026-04-07 18:00", "2026-04-14 18:00", "2026-04-21 18:00"}
	if got := starts(occs); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("occurrences %v, want %v", got, want)
	}
}

// go-ical's decoder panics on a parameter without a value's end.
func TestTrapDecoderPanics(t *testing.T) {
	for _, line := range []string{"X;A=b", `X;A="b"c:v`, "ATTENDEE;CN=", "DTSTART;TZID"} {
		in := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n" + line + "\r\nEND:VCALENDAR\r\n"
		if _, err := Parse(strings.NewReader(in), ParseOptions{}); err == nil {
			t.Errorf("%q: no error", line)
		}
		if _, err := ParseReplies(strings.NewReader(in), ParseOptions{}); err == nil {
			t.Errorf("%q: ParseReplies gave no error", line)
		}
	}
}

// go-ical refuses to encode a TEXT with CR; textareas submit CRLF.
func TestTrapCRInText(t *testing.T) {
	s := networkSeries()
	s.Description = "Rad 1\r\nRad 2\rRad 3"
	b, err := Request(s, asa, stamp)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`DESCRIPTION:Rad 1\nRad 2\nRad 3`)) {
		t.Errorf("description not normalised:\n%s", b)
	}
	checkICS(t, map[string][]byte{"cr-in-text": b})
}

// go-ical writes CR and LF inside parameter values unchecked, which injects
// content lines through a CN.
func TestTrapCRLFInCN(t *testing.T) {
	evil := Attendee{Person: Person{Name: "Eve\r\nATTACH:http://evil.example/x\r\nX:\"", Email: "eve@example.org"}}
	s := networkSeries()
	s.Organizer.Name = "Nätverk \"Göteborg\""
	if err := s.Validate(); err != nil {
		t.Fatalf("a quote in a name should be cleaned, not refused: %v", err)
	}
	b, err := Request(s, evil, stamp)
	if err != nil {
		t.Fatal(err)
	}
	unfolded := strings.ReplaceAll(string(b), "\r\n ", "")
	for _, line := range strings.Split(unfolded, "\r\n") {
		if strings.HasPrefix(line, "ATTACH") || strings.HasPrefix(line, "X:") {
			t.Errorf("injected line %q", line)
		}
	}
	if !strings.Contains(unfolded, `CN="EveATTACH:http://evil.example/xX:"`) || !strings.Contains(unfolded, "CN=Nätverk Göteborg") {
		t.Errorf("names not cleaned as expected:\n%s", unfolded)
	}
	checkICS(t, map[string][]byte{"crlf-cn": b})
}

// go-ical's SetDuration drops the VALUE=DURATION that RFC 7986 requires on
// REFRESH-INTERVAL, and writes PT21600S.
func TestTrapRefreshInterval(t *testing.T) {
	b, err := RenderFeed(&Feed{Name: "N", TimeZone: "Europe/Stockholm", Now: stamp, Refresh: 6 * time.Hour,
		Series: []FeedSeries{{Series: networkSeries()}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT6H\r\n", "\r\nX-PUBLISHED-TTL:PT6H\r\n"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("missing %q", strings.TrimSpace(want))
		}
	}
	checkICS(t, map[string][]byte{"refresh": b})
}

// go-ical writes TZID=Local for times in time.Local.
func TestTrapTZIDLocal(t *testing.T) {
	s := networkSeries()
	s.Start = s.Start.In(time.Local)
	s.Overrides = []Override{{RecurrenceID: at(2025, 4, 8, 18, 0).In(time.Local), Start: at(2025, 4, 9, 18, 0).In(time.Local)}}
	s.ExDates = []time.Time{at(2025, 3, 11, 18, 0).In(time.Local)}
	b, err := Request(s, asa, stamp)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("TZID=Local")) || bytes.Count(b, []byte("TZID=Europe/Stockholm:")) != 6 {
		t.Errorf("times not written in the series zone:\n%s", b)
	}
	checkICS(t, map[string][]byte{"tzid-local": b})
	s.TimeZone = "Local"
	if _, err := Request(s, asa, stamp); err == nil {
		t.Error("TimeZone Local accepted")
	}
}

// go-ical's Text() splits on unescaped commas and fails on unknown escapes.
func TestTrapTextDecoding(t *testing.T) {
	s, err := decodeOne(t, "LOCATION:Rum 1\\, plan 2\r\nDESCRIPTION:Tid: 18\\:00\r\n")
	if err != nil {
		t.Fatal(err)
	}
	if s.Location != "Rum 1, plan 2" || s.Description != "Tid: 18:00" {
		t.Errorf("location %q, description %q", s.Location, s.Description)
	}
}

// go-ical adds a TZID to DTSTART inside VTIMEZONE (go-ical#20); RRULE
// strings from rrule-go read "+2TU".
func TestTrapVTimezoneAndRRuleForm(t *testing.T) {
	b, err := Request(networkSeries(), asa, stamp)
	if err != nil {
		t.Fatal(err)
	}
	tz := b[bytes.Index(b, []byte("BEGIN:VTIMEZONE")):bytes.Index(b, []byte("END:VTIMEZONE"))]
	if bytes.Contains(tz, []byte("DTSTART;")) {
		t.Errorf("DTSTART with parameters inside VTIMEZONE:\n%s", tz)
	}
	if !bytes.Contains(b, []byte("\r\nRRULE:FREQ=MONTHLY;BYDAY=2TU\r\n")) {
		t.Errorf("RRULE not in the common form:\n%s", b)
	}
}
