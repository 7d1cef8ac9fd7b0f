package calendar

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSwedishHolidays(t *testing.T) {
	got := map[string]string{}
	for _, h := range SwedishHolidays(2025) {
		name := h.Name
		if h.Eve {
			name += " (afton)"
		}
		got[h.Date.String()] = name
	}
	want := map[string]string{
		"2025-01-01": "Nyårsdagen",
		"2025-01-06": "Trettondedag jul",
		"2025-04-18": "Långfredagen",
		"2025-04-20": "Påskdagen",
		"2025-04-21": "Annandag påsk",
		"2025-05-01": "Första maj",
		"2025-05-29": "Kristi himmelsfärdsdag",
		"2025-06-06": "Sveriges nationaldag",
		"2025-06-08": "Pingstdagen",
		"2025-06-20": "Midsommarafton (afton)",
		"2025-06-21": "Midsommardagen",
		"2025-11-01": "Alla helgons dag",
		"2025-12-24": "Julafton (afton)",
		"2025-12-25": "Juldagen",
		"2025-12-26": "Annandag jul",
		"2025-12-31": "Nyårsafton (afton)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("2025 (-want +got):\n%s", diff)
	}
}

func TestSwedishHolidaysMovable(t *testing.T) {
	tests := []struct {
		year                         int
		easter, midsummer, allSaints string
	}{
		{2024, "2024-03-31", "2024-06-22", "2024-11-02"},
		{2026, "2026-04-05", "2026-06-20", "2026-10-31"},
		{2027, "2027-03-28", "2027-06-26", "2027-11-06"},
		{2038, "2038-04-25", "2038-06-26", "2038-11-06"}, // the latest Easter of the century
		{2285, "2285-03-22", "2285-06-20", "2285-10-31"}, // the earliest possible Easter
	}
	for _, tc := range tests {
		days := map[string]string{}
		for _, h := range SwedishHolidays(tc.year) {
			days[h.Name] = h.Date.String()
		}
		if days["Påskdagen"] != tc.easter || days["Midsommardagen"] != tc.midsummer || days["Alla helgons dag"] != tc.allSaints {
			t.Errorf("%d: påsk %s, midsommar %s, alla helgon %s", tc.year, days["Påskdagen"], days["Midsommardagen"], days["Alla helgons dag"])
		}
		if d := days["Midsommardagen"]; d != "" && mustDate(d).Weekday() != time.Saturday {
			t.Errorf("%d: midsommardagen %s is not a Saturday", tc.year, d)
		}
	}
	if h := SwedishHolidays(2004); !hasHoliday(h, "Annandag pingst") || hasHoliday(h, "Sveriges nationaldag") {
		t.Error("2004 should have annandag pingst and no nationaldag")
	}
	if SwedishHolidays(1500) != nil {
		t.Error("years before the Gregorian calendar should give nil")
	}
}

func mustDate(s string) Date {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return DateOf(t)
}

func hasHoliday(hs []Holiday, name string) bool {
	for _, h := range hs {
		if h.Name == name {
			return true
		}
	}
	return false
}

func TestSkips(t *testing.T) {
	weekly := networkSeries()
	weekly.Rule = "FREQ=WEEKLY;BYDAY=TU" // Tuesdays in 2025: 24 June and 30 December fall in the breaks below
	weekly.ExDates = []time.Time{at(2025, 7, 1, 18, 0)}
	weekly.Overrides = []Override{{RecurrenceID: at(2025, 7, 8, 18, 0), Start: at(2025, 7, 9, 18, 0)}}
	friday := networkSeries()
	friday.Rule, friday.Start = "FREQ=WEEKLY;BYDAY=FR", at(2025, 1, 3, 18, 0)
	dates := func(ts []time.Time) []string {
		var out []string
		for _, t := range ts {
			out = append(out, t.In(stockholm).Format(time.DateOnly))
		}
		return out
	}
	tests := []struct {
		name  string
		s     *Series
		rules SkipRules
		want  []string
	}{
		{"FridayHolidays", friday, SkipRules{Holidays: true}, []string{"2025-04-18", "2025-06-06", "2025-06-20", "2025-12-26"}},
		{"Summer", weekly, SkipRules{SummerFrom: MonthDay{6, 15}, SummerTo: MonthDay{8, 15}},
			[]string{"2025-06-17", "2025-06-24", "2025-07-15", "2025-07-22", "2025-07-29", "2025-08-05", "2025-08-12"}},
		{"ChristmasBreakWraps", weekly, SkipRules{SummerFrom: MonthDay{12, 20}, SummerTo: MonthDay{1, 10}},
			[]string{"2025-12-23", "2025-12-30"}},
		{"Nothing", weekly, SkipRules{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := dates(Skips(tc.s, tc.rules, at(2025, 1, 1, 0, 0), at(2026, 1, 1, 0, 0)))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	bad := networkSeries()
	bad.TimeZone = "Local"
	if got := Skips(bad, SkipRules{Holidays: true}, at(2025, 1, 1, 0, 0), at(2026, 1, 1, 0, 0)); got != nil {
		t.Errorf("an invalid series gave %v", got)
	}
}

func TestInBreak(t *testing.T) {
	summer := [2]MonthDay{{6, 15}, {8, 15}}
	christmas := [2]MonthDay{{12, 20}, {1, 6}}
	tests := []struct {
		md   MonthDay
		in   [2]MonthDay
		want bool
	}{
		{MonthDay{6, 15}, summer, true}, {MonthDay{8, 15}, summer, true}, {MonthDay{8, 16}, summer, false}, {MonthDay{6, 14}, summer, false},
		{MonthDay{12, 24}, christmas, true}, {MonthDay{1, 6}, christmas, true}, {MonthDay{1, 7}, christmas, false}, {MonthDay{12, 19}, christmas, false},
		{MonthDay{7, 1}, [2]MonthDay{}, false},
	}
	for _, tc := range tests {
		if got := inBreak(tc.md, tc.in[0], tc.in[1]); got != tc.want {
			t.Errorf("inBreak(%v, %v) = %v", tc.md, tc.in, got)
		}
	}
}
