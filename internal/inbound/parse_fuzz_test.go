package inbound

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse fuzzes the parsing half of the processor alone (MIME walk,
// calendar reading, recipient classification), which runs thousands of
// times faster than FuzzProcess with its store. Parsing must hold its
// limits and return errors, not panic: a panic recovered by readMessage
// or readReplies is reported here as a failure, since it means a parser
// reached a state nobody planned for. The corpus in testdata/fuzz holds
// the rendered client fixtures.
func FuzzParse(f *testing.F) {
	f.Add([]byte("From: a@example.org\r\nContent-Type: text/calendar; method=REPLY\r\n\r\nBEGIN:VCALENDAR\r\nX;A=b\r\nEND:VCALENDAR\r\n"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: multipart/alternative; boundary=y\r\n\r\n--y\r\nContent-Type: application/ics\r\n\r\nBEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nEND:VCALENDAR\r\n--y--\r\n--x--\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := readMessage(raw)
		if m == nil {
			t.Fatal("readMessage returned no message")
		}
		if err != nil && strings.Contains(err.Error(), "panic while parsing") {
			t.Fatalf("the MIME parser panicked: %v", err)
		}
		if m.messageID == "" {
			t.Fatal("no Message-ID, not even a synthetic one")
		}
		if m.parts > maxParts+1 {
			t.Fatalf("walked %d parts", m.parts)
		}
		for _, c := range m.calendars {
			if len(c.data) > maxCalendarBytes {
				t.Fatalf("a calendar part of %d bytes", len(c.data))
			}
		}
		if s := printable(m.subject, 200); !utf8.ValidString(s) || len(s) > 200 {
			t.Fatalf("subject %q", s)
		}
		if err == nil && len(m.calendars) > 0 {
			if _, err := readReplies(m.calendars, defaultZone()); err != nil && strings.Contains(err.Error(), "panic while parsing the calendar") {
				t.Fatalf("the calendar reader panicked outside calendar.Parse: %v", err)
			}
		}
	})
}
