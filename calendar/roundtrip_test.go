package calendar

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// span is an occurrence reduced to instants, for comparing expansions.
type span struct{ RecurrenceID, Start, End string }

func spansOf(occs []Occurrence) []span {
	out := make([]span, len(occs))
	for i, o := range occs {
		out[i] = span{o.RecurrenceID.UTC().Format(time.RFC3339), o.Start.UTC().Format(time.RFC3339), o.End.UTC().Format(time.RFC3339)}
	}
	return out
}

// roundTripSeries are series whose iCalendar output is read back and
// expanded, each across ten years of DST changes.
func roundTripSeries() map[string]*Series {
	weekly := weeklySeries() // Tuesdays: the DST weeks of March and October
	sunday := networkSeries()
	sunday.UID, sunday.Rule = "sunday-0330@kalender.example.se", "FREQ=WEEKLY;BYDAY=SU"
	sunday.Start, sunday.Duration = at(2025, 1, 5, 3, 30), time.Hour // an hour after the changes
	exceptions := networkSeries()
	exceptions.ExDates = []time.Time{at(2025, 3, 11, 18, 0), at(2027, 10, 12, 18, 0)}
	exceptions.Overrides = []Override{
		{RecurrenceID: at(2025, 4, 8, 18, 0), Start: at(2025, 4, 9, 17, 30)},   // moved a day
		{RecurrenceID: at(2026, 10, 13, 18, 0), Start: at(2026, 11, 2, 18, 0)}, // moved past the next DST change
		{RecurrenceID: at(2028, 3, 14, 18, 0), Duration: 3 * time.Hour, Summary: "Årsmöte"},
		{RecurrenceID: at(2029, 5, 8, 18, 0), Cancelled: true},
	}
	lastThu := networkSeries()
	lastThu.UID, lastThu.Rule, lastThu.Start = "lastthu@kalender.example.se", "FREQ=MONTHLY;BYDAY=-1TH", at(2025, 1, 30, 18, 0)
	counted := networkSeries()
	counted.UID, counted.Rule = "counted@kalender.example.se", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;COUNT=40"
	yearly := networkSeries()
	yearly.UID, yearly.Rule, yearly.Start = "yearly@kalender.example.se", "FREQ=YEARLY;BYMONTH=6;BYDAY=1MO", at(2025, 6, 2, 10, 0)
	oneOff := networkSeries()
	oneOff.UID, oneOff.Rule, oneOff.Start = "oneoff@kalender.example.se", "", at(2025, 10, 26, 3, 0) // just after the repeated hour

	out := map[string]*Series{
		"weekly": weekly, "sunday-0330": sunday, "exceptions": exceptions, "last-thursday": lastThu,
		"counted": counted, "yearly": yearly, "one-off": oneOff,
	}
	for _, z := range []struct{ name, zone string }{
		{"new-york", "America/New_York"}, {"sydney", "Australia/Sydney"}, {"lord-howe", "Australia/Lord_Howe"},
		{"tokyo", "Asia/Tokyo"}, {"sao-paulo", "America/Sao_Paulo"},
	} {
		s := weeklySeries()
		loc := mustZone(z.zone)
		s.UID, s.TimeZone = z.name+"@kalender.example.se", z.zone
		// Sundays 03:00, the morning of most changes; São Paulo changed at
		// midnight, where rrule-go alone puts the meeting on the Saturday.
		s.Start = time.Date(2016, 1, 3, 3, 0, 0, 0, loc)
		s.Rule, s.Duration = "FREQ=WEEKLY", time.Hour
		out[z.name] = s
	}
	return out
}

// TestRoundTrip renders each series as a REQUEST and in a feed, reads the
// bytes back with Parse and DecodeSeries, and checks that ten years of
// occurrences equal the original's, and equal what ical.js (icalcheck
// --expand) expands from the same bytes.
func TestRoundTrip(t *testing.T) {
	for name, s := range roundTripSeries() {
		from, to := s.Start.AddDate(0, 0, -1), s.Start.AddDate(10, 0, 0)
		want, err := s.Occurrences(from, to, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		renders := map[string]func() ([]byte, error){
			"request": func() ([]byte, error) { return Request(s, asa, stamp) },
			"feed": func() ([]byte, error) {
				return RenderFeed(&Feed{Name: "N", TimeZone: s.TimeZone, Now: s.Start, Past: 20 * 365 * 24 * time.Hour,
					Series: []FeedSeries{{Series: s, Notes: []OccurrenceNote{{RecurrenceID: want[len(want)/2].RecurrenceID, Answer: Declined}}}}})
			},
		}
		for kind, render := range renders {
			t.Run(name+"/"+kind, func(t *testing.T) {
				b, err := render()
				if err != nil {
					t.Fatal(err)
				}
				cal, err := Parse(bytes.NewReader(b), ParseOptions{})
				if err != nil {
					t.Fatal(err)
				}
				back, err := DecodeSeries(cal, ParseOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if len(back) != 1 || back[0].UID != s.UID {
					t.Fatalf("decoded %d series", len(back))
				}
				got, err := back[0].Occurrences(from, to, 0)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(spansOf(want), spansOf(got)); diff != "" {
					t.Errorf("decoded series expands differently (-want +got):\n%s", diff)
				}

				var js []span
				for _, e := range icalExpand(t, b, from.UTC().Format("2006-01-02T15:04:05"), to.UTC().Format("2006-01-02T15:04:05")) {
					if e.Status != nil && *e.Status == "CANCELLED" {
						continue
					}
					rid := e.Start
					if e.RecurrenceID != nil {
						rid = *e.RecurrenceID
					}
					js = append(js, span{isoToRFC(t, rid), isoToRFC(t, e.Start), isoToRFC(t, e.End)})
				}
				slices.SortFunc(js, func(a, b span) int { return strings.Compare(a.Start+a.RecurrenceID, b.Start+b.RecurrenceID) })
				if diff := cmp.Diff(spansOf(want), js); diff != "" {
					t.Errorf("ical.js expands differently (-ours +ical.js):\n%s", diff)
				}
			})
		}
	}
}

// isoToRFC turns ical.js's "2025-01-14T17:00:00.000Z" into RFC 3339.
func isoToRFC(t *testing.T, s string) string {
	v, err := time.Parse("2006-01-02T15:04:05.000Z", s)
	if err != nil {
		t.Fatalf("bad time %q from icalcheck: %v", s, err)
	}
	return v.Format(time.RFC3339)
}

// TestRoundTripDSTWeeks spells out what the round trip checks across the
// changes: an 18:00 meeting stays at 18:00 local on both sides of them.
func TestRoundTripDSTWeeks(t *testing.T) {
	s := weeklySeries()
	occs, err := s.Occurrences(at(2025, 3, 20, 0, 0), at(2025, 4, 5, 0, 0), 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range occs {
		got = append(got, fmt.Sprintf("%s %s", o.Start.Format("2006-01-02 15:04 MST"), o.Start.UTC().Format("15:04Z")))
	}
	want := []string{"2025-03-25 18:00 CET 17:00Z", "2025-04-01 18:00 CEST 16:00Z"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("March change (-want +got):\n%s", diff)
	}
	occs, err = s.Occurrences(at(2025, 10, 20, 0, 0), at(2025, 11, 1, 0, 0), 0)
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, o := range occs {
		got = append(got, fmt.Sprintf("%s %s", o.Start.Format("2006-01-02 15:04 MST"), o.Start.UTC().Format("15:04Z")))
	}
	want = []string{"2025-10-21 18:00 CEST 16:00Z", "2025-10-28 18:00 CET 17:00Z"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("October change (-want +got):\n%s", diff)
	}
}
