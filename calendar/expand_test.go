package calendar

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// starts lists the actual starts of occurrences as local "2006-01-02 15:04".
func starts(occs []Occurrence) []string {
	out := make([]string, len(occs))
	for i, o := range occs {
		out[i] = o.Start.Format("2006-01-02 15:04")
	}
	return out
}

func TestOccurrences(t *testing.T) {
	base := networkSeries() // second Tuesday of every month, 18:00
	withExceptions := func() *Series {
		s := networkSeries()
		s.ExDates = []time.Time{at(2025, 3, 11, 18, 0)}
		s.Overrides = []Override{
			{RecurrenceID: at(2025, 4, 8, 18, 0), Start: at(2025, 4, 1, 17, 0)},                      // moved a week earlier
			{RecurrenceID: at(2025, 5, 13, 18, 0), Start: at(2025, 7, 1, 18, 0)},                     // moved out of the window
			{RecurrenceID: at(2025, 2, 11, 18, 0), Duration: 3 * time.Hour},                          // longer
			{RecurrenceID: at(2025, 6, 10, 18, 0), Cancelled: true},                                  // cancelled
			{RecurrenceID: at(2025, 8, 12, 18, 0), Start: at(2025, 6, 3, 18, 0)},                     // moved into the window
			{RecurrenceID: at(2025, 9, 9, 18, 0), Start: at(2025, 9, 9, 19, 0), Summary: "Höstmöte"}, // later the same day
		}
		return s
	}
	tests := []struct {
		name     string
		s        *Series
		from, to time.Time
		limit    int
		want     []string
	}{
		{"Monthly", base, at(2025, 1, 1, 0, 0), at(2025, 7, 1, 0, 0), 0,
			[]string{"2025-01-14 18:00", "2025-02-11 18:00", "2025-03-11 18:00", "2025-04-08 18:00", "2025-05-13 18:00", "2025-06-10 18:00"}},
		{"Limit", base, at(2025, 1, 1, 0, 0), at(2026, 1, 1, 0, 0), 2,
			[]string{"2025-01-14 18:00", "2025-02-11 18:00"}},
		{"OverlapAtWindowStart", base, at(2025, 1, 14, 19, 0), at(2025, 2, 1, 0, 0), 0,
			[]string{"2025-01-14 18:00"}},
		{"EndIsExclusive", base, at(2025, 1, 14, 20, 0), at(2025, 2, 11, 18, 0), 0,
			nil},
		{"Exceptions", withExceptions(), at(2025, 1, 1, 0, 0), at(2025, 7, 1, 0, 0), 0,
			[]string{"2025-01-14 18:00", "2025-02-11 18:00", "2025-04-01 17:00", "2025-06-03 18:00"}},
		{"MovedLaterSameDay", withExceptions(), at(2025, 9, 1, 0, 0), at(2025, 10, 1, 0, 0), 0,
			[]string{"2025-09-09 19:00"}},
		{"OneOff", func() *Series { s := networkSeries(); s.Rule = ""; return s }(), at(2025, 1, 1, 0, 0), at(2026, 1, 1, 0, 0), 0,
			[]string{"2025-01-14 18:00"}},
		{"BeforeStart", base, at(2024, 1, 1, 0, 0), at(2025, 1, 1, 0, 0), 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			occs, err := tc.s.Occurrences(tc.from, tc.to, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, starts(occs)); diff != "" && !(len(tc.want) == 0 && len(occs) == 0) {
				t.Errorf("(-want +got):\n%s", diff)
			}
			for _, o := range occs {
				if o.Start.Location().String() != "Europe/Stockholm" {
					t.Errorf("occurrence in %s, want the series zone", o.Start.Location())
				}
			}
		})
	}
}

func TestOccurrencesDetails(t *testing.T) {
	s := networkSeries()
	s.Overrides = []Override{{RecurrenceID: at(2025, 2, 11, 18, 0), Start: at(2025, 2, 12, 17, 0), Duration: 90 * time.Minute}}
	occs, err := s.Occurrences(at(2025, 2, 1, 0, 0), at(2025, 3, 1, 0, 0), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(occs) != 1 {
		t.Fatalf("%d occurrences", len(occs))
	}
	o := occs[0]
	if !o.RecurrenceID.Equal(at(2025, 2, 11, 18, 0)) || !o.Start.Equal(at(2025, 2, 12, 17, 0)) || !o.End.Equal(at(2025, 2, 12, 18, 30)) || o.Override == nil {
		t.Errorf("got %+v", o)
	}
}

func TestOccurrencesErrors(t *testing.T) {
	daily := networkSeries()
	daily.Rule = "FREQ=DAILY"
	if _, err := daily.Occurrences(at(2200, 1, 1, 0, 0), at(2200, 2, 1, 0, 0), 0); !errors.Is(err, errScan) {
		t.Errorf("a window 175 years after a daily start: %v, want the scan cap", err)
	}
	if _, err := daily.Occurrences(at(2025, 2, 1, 0, 0), at(2025, 1, 1, 0, 0), 0); err == nil {
		t.Error("a window that ends before it starts was accepted")
	}
	bad := networkSeries()
	bad.TimeZone = "Local"
	var fe *FieldError
	if _, err := bad.Occurrences(at(2025, 1, 1, 0, 0), at(2026, 1, 1, 0, 0), 0); !errors.As(err, &fe) || fe.Field != "time_zone" {
		t.Errorf("TimeZone Local: %v", err)
	}
	// The cap on results: a daily series over ten years has more than
	// MaxOccurrences when asked for everything.
	all, err := daily.Occurrences(daily.Start, daily.Start.AddDate(11, 0, 0), 0)
	if err != nil || len(all) != MaxOccurrences {
		t.Errorf("daily over eleven years: %d occurrences, %v; want the cap %d", len(all), err, MaxOccurrences)
	}
}

func TestNext(t *testing.T) {
	s := networkSeries()
	s.ExDates = []time.Time{at(2025, 2, 11, 18, 0)}
	s.Overrides = []Override{{RecurrenceID: at(2025, 4, 8, 18, 0), Start: at(2025, 3, 5, 18, 0)}}
	tests := []struct {
		name  string
		after time.Time
		want  string
		ok    bool
	}{
		{"BeforeStart", at(2024, 6, 1, 0, 0), "2025-01-14 18:00", true},
		{"AtAStartIsExclusive", at(2025, 1, 14, 18, 0), "2025-03-05 18:00", true}, // February is cancelled, April moved to 5 March
		{"MovedEarlier", at(2025, 3, 6, 0, 0), "2025-03-11 18:00", true},
		{"SkipsTheMovedOriginal", at(2025, 3, 12, 0, 0), "2025-05-13 18:00", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, ok := s.Next(tc.after)
			if ok != tc.ok || o.Start.Format("2006-01-02 15:04") != tc.want {
				t.Errorf("Next(%s) = %s, %v; want %s, %v", tc.after, o.Start.Format("2006-01-02 15:04"), ok, tc.want, tc.ok)
			}
		})
	}
	bounded := networkSeries()
	bounded.Rule = "FREQ=MONTHLY;BYDAY=2TU;COUNT=3"
	if o, ok := bounded.Next(at(2025, 3, 11, 18, 0)); ok {
		t.Errorf("after the last occurrence: %v", o.Start)
	}
	oneOff := networkSeries()
	oneOff.Rule = ""
	if o, ok := oneOff.Next(at(2025, 1, 1, 0, 0)); !ok || !o.Start.Equal(oneOff.Start) {
		t.Errorf("one-off: %v %v", o.Start, ok)
	}
}

// TestOccurrencesMidnightDST covers a zone whose DST began at midnight: the
// occurrence stays on its weekday (rrule-go alone moves it to the day
// before, see wall.go).
func TestOccurrencesMidnightDST(t *testing.T) {
	sp := mustZone("America/Sao_Paulo")
	s := &Series{UID: "sp", Summary: "x", TimeZone: "America/Sao_Paulo", Start: time.Date(2016, 1, 3, 3, 0, 0, 0, sp), Duration: time.Hour, Rule: "FREQ=WEEKLY"}
	occs, err := s.Occurrences(time.Date(2016, 10, 9, 12, 0, 0, 0, sp), time.Date(2016, 10, 20, 0, 0, 0, 0, sp), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := starts(occs); len(got) != 1 || got[0] != "2016-10-16 03:00" {
		t.Errorf("got %v, want the Sunday 2016-10-16 03:00", got)
	}
}
