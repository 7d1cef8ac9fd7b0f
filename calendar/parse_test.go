package calendar

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func utc(y int, m time.Month, d, hh, mm int) *time.Time {
	t := time.Date(y, m, d, hh, mm, 0, 0, time.UTC)
	return &t
}

// crlf turns a readable multi-line literal into CRLF lines.
func crlf(s string) string {
	s = strings.TrimPrefix(s, "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}

// The VTIMEZONE Exchange writes for W. Europe Standard Time: onsets in 1601.
const exchangeZone = `BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
`

func replyCal(method, zones, event string) string {
	return crlf("\nBEGIN:VCALENDAR\nMETHOD:" + method + "\nPRODID:Microsoft Exchange Server 2010\nVERSION:2.0\n" + zones +
		"BEGIN:VEVENT\n" + event + "END:VEVENT\nEND:VCALENDAR\n")
}

const replyUID = "01JH6XJ5T1G3Q3K2Y4W7Z8B9C0@kalender.example.se"

func TestParseReplies(t *testing.T) {
	fixture := func(name string) string {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	asaDeclined := []Attendee{{Person: Person{Name: "Åsa Öberg", Email: "asa@example.org"}, PartStat: Declined}}
	tests := []struct {
		name string
		in   string
		opt  ParseOptions
		want []Reply
	}{
		{"Google", fixture("reply-google-accept.ics"), ParseOptions{}, []Reply{{
			Method: "REPLY", UID: "14ef516ad2e6ce325d5c8efcf9d7ddbfa30f9d15", Stamp: time.Date(2012, 5, 30, 7, 56, 52, 0, time.UTC),
			Attendees: []Attendee{{Person: Person{Name: "Thomas Cataldo", Email: "tcataldo@gmail.com"}, PartStat: Accepted}},
			Organizer: "thomas.cataldo@blue-mind.net",
		}}},
		{"OutlookForMac", fixture("reply-outlookmac-accept.ics"), ParseOptions{}, []Reply{{
			Method: "REPLY", UID: "f1394aba7ca8b9474af204a4d88934b7c7aa2191", Stamp: time.Date(2012, 5, 25, 15, 41, 21, 0, time.UTC),
			Attendees: []Attendee{{Person: Person{Name: "Thomas Cataldo", Email: "admin@willow.vmw"}, PartStat: Accepted}},
			Organizer: "tom@willow.vmw",
		}}},
		{"IPhone", fixture("reply-iphone-accept.ics"), ParseOptions{}, []Reply{{
			Method: "REPLY", UID: "b84ce20", Stamp: time.Date(2012, 5, 25, 15, 41, 22, 0, time.UTC),
			Attendees: []Attendee{{Person: Person{Name: "admin SetupWizard", Email: "admin@willow.vmw"}, PartStat: Accepted}},
			Organizer: "tom@willow.vmw", Comment: "Annotation",
		}}},
		{"ExchangeWindowsZone", replyCal("REPLY", exchangeZone, `ATTENDEE;PARTSTAT=DECLINED;CN=Åsa Öberg:MAILTO:asa@EXAMPLE.org
COMMENT;LANGUAGE=sv-SE:Kan inte\, tyvärr. Tid: 18\:00
SUMMARY;LANGUAGE=sv-SE:Nekat: Nätverksmöte Göteborg
DTSTART;TZID=W. Europe Standard Time:20250311T180000
DTEND;TZID=W. Europe Standard Time:20250311T200000
UID:`+replyUID+`
RECURRENCE-ID;TZID=W. Europe Standard Time:20250311T180000
DTSTAMP:20250305T101500Z
SEQUENCE:1
ORGANIZER:MAILTO:natverk-goteborg@kalender.example.se
`), ParseOptions{}, []Reply{{
			Method: "REPLY", UID: replyUID, RecurrenceID: utc(2025, 3, 11, 17, 0), Sequence: 1,
			Stamp: *utc(2025, 3, 5, 10, 15), Attendees: asaDeclined,
			Organizer: "natverk-goteborg@kalender.example.se", Comment: "Kan inte, tyvärr. Tid: 18:00",
		}}},
		{"WindowsZoneQuotedWithSuffix", replyCal("REPLY", "", `UID:`+replyUID+`
RECURRENCE-ID;TZID="Eastern Standard Time 1":20250311T180000
DTSTAMP:20250305T101500Z
ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.com
`), ParseOptions{}, []Reply{{
			Method: "REPLY", UID: replyUID, RecurrenceID: utc(2025, 3, 11, 22, 0), Stamp: *utc(2025, 3, 5, 10, 15),
			Attendees: []Attendee{{Person: Person{Email: "bob@example.com"}, PartStat: Accepted}},
		}}},
		{"DisplayNameFromCLDR", replyCal("REPLY", "", `UID:`+replyUID+`
RECURRENCE-ID;TZID="Sarajevo, Skopje, Warsaw, Zagreb":20250708T180000
DTSTAMP:20250305T101500Z
ATTENDEE;PARTSTAT=TENTATIVE:mailto:bob@example.com
`), ParseOptions{}, []Reply{{
			Method: "REPLY", UID: replyUID, RecurrenceID: utc(2025, 7, 8, 16, 0), Stamp: *utc(2025, 3, 5, 10, 15),
			Attendees: []Attendee{{Person: Person{Email: "bob@example.com"}, PartStat: Tentative}},
		}}},
		{"DisplayNameOnlyInVTIMEZONE", replyCal("REPLY",
			strings.ReplaceAll(exchangeZone, "W. Europe Standard Time", "(GMT+01.00) Amsterdam / Berlin / Bern / Rome / Stockholm / Vienna"),
			`UID:`+replyUID+`
RECURRENCE-ID;TZID="(GMT+01.00) Amsterdam / Berlin / Bern / Rome / Stockholm / Vienna":20250708T180000
DTSTAMP:20250305T101500Z
ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.com
`), ParseOptions{}, []Reply{{
			Method: "REPLY", UID: replyUID, RecurrenceID: utc(2025, 7, 8, 16, 0), Stamp: *utc(2025, 3, 5, 10, 15),
			Attendees: []Attendee{{Person: Person{Email: "bob@example.com"}, PartStat: Accepted}},
		}}},
		{"MozillaPath", replyCal("REPLY", "", `UID:`+replyUID+`
RECURRENCE-ID;TZID=/mozilla.org/20050126_1/Europe/Stockholm:20250311T180000
DTSTAMP:20250305T101500Z
ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.com
`), ParseOptions{}, []Reply{{
			Method: "REPLY", UID: replyUID, RecurrenceID: utc(2025, 3, 11, 17, 0), Stamp: *utc(2025, 3, 5, 10, 15),
			Attendees: []Attendee{{Person: Person{Email: "bob@example.com"}, PartStat: Accepted}},
		}}},
		{"RecurrenceIDInUTC", replyCal("REPLY", "", `UID:`+replyUID+`
RECURRENCE-ID:20250311T170000Z
DTSTAMP:20250305T101500Z
ATTENDEE;CN=Åsa Öberg;PARTSTAT=DECLINED:mailto:asa@example.org
`), ParseOptions{}, []Reply{{
			Method: "REPLY", UID: replyUID, RecurrenceID: utc(2025, 3, 11, 17, 0), Stamp: *utc(2025, 3, 5, 10, 15), Attendees: asaDeclined,
		}}},
		{"RecurrenceIDDate", replyCal("REPLY", "", `UID:`+replyUID+`
RECURRENCE-ID;VALUE=DATE:20250311
DTSTAMP:20250305T101500Z
ATTENDEE;CN=Åsa Öberg;PARTSTAT=DECLINED:mailto:asa@example.org
`), ParseOptions{FallbackZone: stockholm}, []Reply{{
			Method: "REPLY", UID: replyUID, RecurrenceID: utc(2025, 3, 10, 23, 0), RecurrenceDate: true,
			Stamp: *utc(2025, 3, 5, 10, 15), Attendees: asaDeclined,
		}}},
		{"FloatingInFallbackZone", replyCal("REPLY", "", `UID:`+replyUID+`
RECURRENCE-ID:20250311T180000
DTSTAMP:20250305T101500Z
ATTENDEE;CN=Åsa Öberg;PARTSTAT=DECLINED:mailto:asa@example.org
`), ParseOptions{FallbackZone: stockholm}, []Reply{{
			Method: "REPLY", UID: replyUID, RecurrenceID: utc(2025, 3, 11, 17, 0), Stamp: *utc(2025, 3, 5, 10, 15), Attendees: asaDeclined,
		}}},
		{"UnknownZoneInFallbackZone", replyCal("REPLY", "", `UID:`+replyUID+`
RECURRENCE-ID;TZID=Customized Time Zone:20250311T180000
DTSTAMP:20250305T101500Z
ATTENDEE;CN=Åsa Öberg;PARTSTAT=DECLINED:mailto:asa@example.org
`), ParseOptions{FallbackZone: stockholm}, []Reply{{
			Method: "REPLY", UID: replyUID, RecurrenceID: utc(2025, 3, 11, 17, 0), Stamp: *utc(2025, 3, 5, 10, 15), Attendees: asaDeclined,
		}}},
		{"Counter", replyCal("COUNTER", "", `UID:`+replyUID+`
RECURRENCE-ID:20250311T170000Z
DTSTART:20250312T160000Z
DTEND:20250312T180000Z
DTSTAMP:20250305T101500Z
SEQUENCE:2
ORGANIZER;CN=Nätverk Göteborg:mailto:natverk-goteborg@kalender.example.se
ATTENDEE;PARTSTAT=TENTATIVE;CN=Bob:mailto:Bob@Example.COM
COMMENT:Onsdag passar bättre
`), ParseOptions{}, []Reply{{
			Method: "COUNTER", UID: replyUID, RecurrenceID: utc(2025, 3, 11, 17, 0), Sequence: 2, Stamp: *utc(2025, 3, 5, 10, 15),
			Attendees: []Attendee{{Person: Person{Name: "Bob", Email: "Bob@example.com"}, PartStat: Tentative}},
			Organizer: "natverk-goteborg@kalender.example.se", Proposed: utc(2025, 3, 12, 16, 0), Comment: "Onsdag passar bättre",
		}}},
		{"OwnRespond", func() string {
			rid := at(2025, 2, 11, 18, 0)
			b, err := Respond(networkSeries(), Attendee{Person: asa.Person, PartStat: Accepted}, &rid, stamp)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}(), ParseOptions{}, []Reply{{
			Method: "REPLY", UID: replyUID, RecurrenceID: utc(2025, 2, 11, 17, 0), Stamp: stamp,
			Attendees: []Attendee{{Person: asa.Person, PartStat: Accepted}}, Organizer: "natverk-goteborg@kalender.example.se",
		}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseReplies(strings.NewReader(tc.in), tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRepliesErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		opt     ParseOptions
		wantErr string
	}{
		{"Request", replyCal("REQUEST", "", "UID:x\nDTSTAMP:20250305T101500Z\n"), ParseOptions{}, "METHOD:REQUEST is not a REPLY or COUNTER"},
		{"NoMethod", strings.Replace(replyCal("REPLY", "", "UID:x\n"), "METHOD:REPLY\r\n", "", 1), ParseOptions{}, "METHOD: is not"},
		{"NoEvent", crlf("\nBEGIN:VCALENDAR\nMETHOD:REPLY\nVERSION:2.0\nPRODID:x\nBEGIN:VTODO\nUID:x\nEND:VTODO\nEND:VCALENDAR\n"), ParseOptions{}, "no VEVENT"},
		{"NoUID", replyCal("REPLY", "", "DTSTAMP:20250305T101500Z\n"), ParseOptions{}, "without UID"},
		{"UnknownZone", replyCal("REPLY", "", "UID:x\nRECURRENCE-ID;TZID=Customized Time Zone:20250311T180000\n"), ParseOptions{}, `unknown time zone "Customized Time Zone"`},
		{"BadDate", replyCal("REPLY", "", "UID:x\nRECURRENCE-ID:2025-03-11\n"), ParseOptions{}, "RECURRENCE-ID"},
		{"TooBig", replyCal("REPLY", "", "UID:x\nCOMMENT:"+strings.Repeat("x", 2000)+"\n"), ParseOptions{MaxBytes: 1000}, "larger than 1000 bytes"},
		{"TooManyComponents", replyCal("REPLY", strings.Repeat("BEGIN:X-A\nEND:X-A\n", maxComponents), "UID:x\n"), ParseOptions{}, "more than 1000 components"},
		{"TooDeep", replyCal("REPLY", strings.Repeat("BEGIN:X-A\n", 9)+strings.Repeat("END:X-A\n", 9), "UID:x\n"), ParseOptions{}, "nested deeper"},
		{"Truncated", crlf("\nBEGIN:VCALENDAR\nMETHOD:REPLY\nBEGIN:VEVENT\nUID:x\n"), ParseOptions{}, "truncated"},
		{"Empty", "", ParseOptions{}, "empty"},
		{"NotICalendar", "Hej!\r\n", ParseOptions{}, "calendar: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseReplies(strings.NewReader(tc.in), tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "calendar: ") {
				t.Errorf("err = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestParseReadError(t *testing.T) {
	_, err := Parse(errReader{}, ParseOptions{})
	if err == nil || !errors.Is(err, errBoom) {
		t.Errorf("err = %v", err)
	}
}

var errBoom = errors.New("boom")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBoom }

func TestNormalizeEmail(t *testing.T) {
	for in, want := range map[string]string{
		"mailto:asa@example.org":      "asa@example.org",
		"MAILTO:Asa@EXAMPLE.ORG":      "Asa@example.org",
		" mailto: asa@Example.org ":   "asa@example.org",
		"asa@example.org":             "asa@example.org",
		"MailTo:first.last@Sub.EX.se": "first.last@sub.ex.se",
	} {
		if got := NormalizeEmail(in); got != want {
			t.Errorf("NormalizeEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParse feeds arbitrary bytes to every parser: none may panic, input
// over MaxBytes is always refused, and what DecodeSeries accepts expands
// within the caps.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"reply-google-accept.ics", "reply-outlookmac-accept.ics", "reply-iphone-accept.ics", "request-moved-occurrence.ics", "feed-personal.ics"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(replyCal("REPLY", exchangeZone, "UID:x\nRECURRENCE-ID;TZID=W. Europe Standard Time:20250311T180000\n")))
	f.Add([]byte("BEGIN:VCALENDAR\r\nX;A=b\r\nEND:VCALENDAR\r\n"))
	const limit = 32 << 10
	f.Fuzz(func(t *testing.T, data []byte) {
		opt := ParseOptions{MaxBytes: limit, FallbackZone: stockholm}
		cal, err := Parse(bytes.NewReader(data), opt)
		if len(data) > limit && err == nil {
			t.Fatalf("%d bytes accepted with MaxBytes %d", len(data), limit)
		}
		_, _ = ParseReplies(bytes.NewReader(data), opt)
		if err != nil {
			return
		}
		list, err := DecodeSeries(cal, opt)
		if err != nil {
			return
		}
		for _, s := range list {
			occs, err := s.Occurrences(s.Start, s.Start.AddDate(MaxYears, 0, 0), 0)
			if err != nil || len(occs) > MaxOccurrences {
				t.Fatalf("decoded series %q: %d occurrences, %v", s.UID, len(occs), err)
			}
		}
	})
}

func TestParseRepliesLenientStamp(t *testing.T) {
	got, err := ParseReplies(strings.NewReader(replyCal("COUNTER", "", "UID:x\nDTSTAMP:yesterday\nDTSTART:soon\nATTENDEE;PARTSTAT=TENTATIVE:mailto:a@b.se\n")), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !got[0].Stamp.IsZero() || got[0].Proposed != nil || got[0].Attendees[0].PartStat != Tentative {
		t.Errorf("got %+v", got[0])
	}
}
