package calendar

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

// events parses an iTIP message and returns its METHOD and VEVENTs.
func events(t *testing.T, b []byte) (string, []*ical.Component) {
	t.Helper()
	cal, err := Parse(bytes.NewReader(b), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	method := ""
	if p := cal.Props.Get(ical.PropMethod); p != nil {
		method = p.Value
	}
	var evs []*ical.Component
	for _, c := range cal.Children {
		if c.Name == ical.CompEvent {
			evs = append(evs, c)
		}
	}
	return method, evs
}

func value(ev *ical.Component, name string) string {
	if p := ev.Props.Get(name); p != nil {
		return p.Value
	}
	return ""
}

func TestITIPMessages(t *testing.T) {
	moved := networkSeries()
	moved.Sequence = 2
	moved.Overrides = []Override{{RecurrenceID: at(2025, 4, 8, 18, 0), Start: at(2025, 4, 9, 17, 0)}}
	tests := []struct {
		name   string
		build  func() ([]byte, error)
		method string
		events int
		status string // of the first VEVENT; "-" = none
		rsvp   bool
		check  func(t *testing.T, evs []*ical.Component)
	}{
		{"Request", func() ([]byte, error) { return Request(moved, asa, stamp) }, "REQUEST", 2, "CONFIRMED", true,
			func(t *testing.T, evs []*ical.Component) {
				if value(evs[1], ical.PropRecurrenceID) != "20250408T180000" || value(evs[1], ical.PropDateTimeStart) != "20250409T170000" {
					t.Errorf("override: %v", evs[1].Props)
				}
			}},
		{"CancelMovedOccurrence", func() ([]byte, error) { return CancelOccurrence(moved, at(2025, 4, 8, 18, 0), asa, stamp) }, "CANCEL", 1, "CANCELLED", false,
			func(t *testing.T, evs []*ical.Component) {
				// The recipient has the meeting at its moved time.
				if value(evs[0], ical.PropDateTimeStart) != "20250409T170000" || value(evs[0], ical.PropSequence) != "2" {
					t.Errorf("cancel: %v", evs[0].Props)
				}
			}},
		{"CancelSeries", func() ([]byte, error) { return CancelSeries(closedSeries(), asa, stamp) }, "CANCEL", 1, "CANCELLED", false,
			func(t *testing.T, evs []*ical.Component) {
				if value(evs[0], ical.PropRecurrenceRule) == "" || value(evs[0], ical.PropSummary) == "" {
					t.Error("cancel of the series lost its RRULE or SUMMARY")
				}
			}},
		{"RemoveAttendee", func() ([]byte, error) { return RemoveAttendee(networkSeries(), asa, stamp) }, "CANCEL", 1, "-", false, nil},
		{"RespondSeries", func() ([]byte, error) {
			return Respond(networkSeries(), Attendee{Person: asa.Person, PartStat: Declined}, nil, stamp)
		}, "REPLY", 1, "-", false,
			func(t *testing.T, evs []*ical.Component) {
				if evs[0].Props.Get(ical.PropAttendee).Params.Get(ical.ParamParticipationStatus) != "DECLINED" {
					t.Error("PARTSTAT not DECLINED")
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.build()
			if err != nil {
				t.Fatal(err)
			}
			method, evs := events(t, b)
			if method != tc.method || len(evs) != tc.events {
				t.Fatalf("METHOD %s with %d VEVENTs, want %s with %d", method, len(evs), tc.method, tc.events)
			}
			for _, ev := range evs {
				atts := ev.Props[ical.PropAttendee]
				if len(atts) != 1 || atts[0].Value != "mailto:asa@example.org" {
					t.Errorf("ATTENDEE %v, want only the recipient", atts)
				}
				if got := atts[0].Params.Get(ical.ParamRSVP) == "TRUE"; got != tc.rsvp {
					t.Errorf("RSVP=TRUE is %v", got)
				}
				if value(ev, ical.PropOrganizer) != "mailto:natverk-goteborg@kalender.example.se" {
					t.Errorf("ORGANIZER %q", value(ev, ical.PropOrganizer))
				}
				if ev.Props.Get(ical.PropDuration) != nil || len(ev.Children) > 0 || value(ev, ical.PropDateTimeStamp) != "20250102T093000Z" {
					t.Error("DURATION, a VALARM or a DTSTAMP other than the stamp")
				}
			}
			status := value(evs[0], ical.PropStatus)
			if status == "" {
				status = "-"
			}
			if status != tc.status {
				t.Errorf("STATUS %s, want %s", status, tc.status)
			}
			if tc.method == "REQUEST" && value(evs[0], "X-MICROSOFT-DISALLOW-COUNTER") != "TRUE" {
				t.Error("no X-MICROSOFT-DISALLOW-COUNTER")
			}
			if tc.check != nil {
				tc.check(t, evs)
			}
			checkICS(t, map[string][]byte{tc.name: b})
		})
	}
}

func TestITIPErrors(t *testing.T) {
	noOrganizer := networkSeries()
	noOrganizer.Organizer = Person{}
	tests := []struct {
		name      string
		build     func() ([]byte, error)
		wantField string // "" = not a FieldError
	}{
		{"NilSeries", func() ([]byte, error) { return Request(nil, asa, stamp) }, ""},
		{"InvalidSeries", func() ([]byte, error) { s := networkSeries(); s.Rule = "FREQ=SECONDLY"; return Request(s, asa, stamp) }, "rule"},
		{"NoOrganizer", func() ([]byte, error) { return Request(noOrganizer, asa, stamp) }, "organizer.email"},
		{"BadRecipient", func() ([]byte, error) { return Request(networkSeries(), Attendee{Person: Person{Email: "asa"}}, stamp) }, "to.email"},
		{"BadPartStat", func() ([]byte, error) {
			return Request(networkSeries(), Attendee{Person: asa.Person, PartStat: "MAYBE"}, stamp)
		}, "to.part_stat"},
		{"NoStamp", func() ([]byte, error) { return Request(networkSeries(), asa, time.Time{}) }, "stamp"},
		{"RequestCancelled", func() ([]byte, error) { return Request(closedSeries(), asa, stamp) }, ""},
		{"CancelNotOccurrence", func() ([]byte, error) { return CancelOccurrence(networkSeries(), at(2025, 3, 12, 18, 0), asa, stamp) }, "recurrence_id"},
		{"CancelOneOff", func() ([]byte, error) {
			s := networkSeries()
			s.Rule = ""
			return CancelOccurrence(s, s.Start, asa, stamp)
		}, "recurrence_id"},
		{"RespondNotOccurrence", func() ([]byte, error) {
			rid := at(2025, 3, 12, 18, 0)
			return Respond(networkSeries(), asa, &rid, stamp)
		}, "recurrence_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.build()
			if err == nil {
				t.Fatalf("no error; output:\n%s", b)
			}
			if !strings.HasPrefix(err.Error(), "calendar: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			var fe *FieldError
			if tc.wantField != "" && (!errors.As(err, &fe) || fe.Field != tc.wantField) {
				t.Errorf("err = %v, want a %s FieldError", err, tc.wantField)
			}
		})
	}
}

// TestRequestCoversUnboundedSeriesToday checks that a series started long
// ago still has a VTIMEZONE covering the years around the message.
func TestRequestCoversUnboundedSeriesToday(t *testing.T) {
	s := networkSeries()
	s.Start = at(2012, 1, 10, 18, 0)
	s.Rule = "FREQ=MONTHLY;BYDAY=2TU"
	b, err := Request(s, asa, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	cal, err := Parse(bytes.NewReader(b), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	vz, err := parseVTimezone(cal.Children[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, when := range []time.Time{at(2011, 6, 1, 12, 0), at(2030, 7, 1, 12, 0), at(2041, 1, 1, 12, 0)} {
		if _, want := when.Zone(); vz.offsetAt(when) != want {
			t.Errorf("offset at %s is %d, want %d", when, vz.offsetAt(when), want)
		}
	}
}
