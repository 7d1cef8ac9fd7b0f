package calendar

import (
	"testing"
	"time"
)

func TestDescribe(t *testing.T) {
	tests := []struct {
		name   string
		rule   string
		start  time.Time
		sv, en string
	}{
		{"OneOff", "", at(2025, 1, 14, 18, 0), "tisdag 14 januari 2025 kl. 18:00–20:00", "Tuesday 14 January 2025 at 18:00–20:00"},
		{"Weekly", "FREQ=WEEKLY", at(2025, 1, 14, 18, 0), "varje tisdag kl. 18:00–20:00", "every Tuesday at 18:00–20:00"},
		{"EverySecondWeek", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", at(2025, 1, 14, 18, 0), "varannan tisdag kl. 18:00–20:00", "every second Tuesday at 18:00–20:00"},
		{"EveryThirdWeekTwoDays", "FREQ=WEEKLY;INTERVAL=3;BYDAY=TH,MO", at(2025, 1, 13, 18, 0), "var tredje måndag och torsdag kl. 18:00–20:00", "every third Monday and Thursday at 18:00–20:00"},
		{"SecondTuesday", "FREQ=MONTHLY;BYDAY=2TU", at(2025, 1, 14, 18, 0), "andra tisdagen varje månad kl. 18:00–20:00", "the second Tuesday of every month at 18:00–20:00"},
		{"LastThursday", "FREQ=MONTHLY;BYDAY=-1TH", at(2025, 1, 30, 18, 0), "sista torsdagen varje månad kl. 18:00–20:00", "the last Thursday of every month at 18:00–20:00"},
		{"SecondTuesdayBySetPos", "FREQ=MONTHLY;BYDAY=TU;BYSETPOS=2", at(2025, 1, 14, 18, 0), "andra tisdagen varje månad kl. 18:00–20:00", "the second Tuesday of every month at 18:00–20:00"},
		{"EverySecondMonth", "FREQ=MONTHLY;INTERVAL=2;BYDAY=1MO", at(2025, 1, 6, 18, 0), "första måndagen varannan månad kl. 18:00–20:00", "the first Monday of every second month at 18:00–20:00"},
		{"MonthlyOnDate", "FREQ=MONTHLY;BYMONTHDAY=21", at(2025, 1, 21, 18, 0), "den 21:a varje månad kl. 18:00–20:00", "the 21st of every month at 18:00–20:00"},
		{"MonthlyDefaultDate", "FREQ=MONTHLY", at(2025, 1, 12, 18, 0), "den 12:e varje månad kl. 18:00–20:00", "the 12th of every month at 18:00–20:00"},
		{"LastDayOfMonth", "FREQ=MONTHLY;BYMONTHDAY=-1", at(2025, 1, 31, 18, 0), "sista dagen varje månad kl. 18:00–20:00", "the last day of every month at 18:00–20:00"},
		{"Yearly", "FREQ=YEARLY", at(2025, 1, 14, 18, 0), "den 14 januari varje år kl. 18:00–20:00", "every year on 14 January at 18:00–20:00"},
		{"YearlyNthWeekday", "FREQ=YEARLY;BYMONTH=6;BYDAY=1MO", at(2025, 6, 2, 18, 0), "första måndagen i juni varje år kl. 18:00–20:00", "the first Monday of June every year at 18:00–20:00"},
		{"Daily", "FREQ=DAILY", at(2025, 1, 14, 18, 0), "varje dag kl. 18:00–20:00", "every day at 18:00–20:00"},
		{"EverySecondDay", "FREQ=DAILY;INTERVAL=2", at(2025, 1, 14, 18, 0), "varannan dag kl. 18:00–20:00", "every second day at 18:00–20:00"},
		{"Weekdays", "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", at(2025, 1, 14, 18, 0), "varje måndag, tisdag, onsdag, torsdag och fredag kl. 18:00–20:00", "every Monday, Tuesday, Wednesday, Thursday and Friday at 18:00–20:00"},
		{"Count", "FREQ=WEEKLY;COUNT=10", at(2025, 1, 14, 18, 0), "varje tisdag kl. 18:00–20:00 (10 gånger)", "every Tuesday at 18:00–20:00 (10 times)"},
		{"Until", "FREQ=WEEKLY;UNTIL=20261208T170000Z", at(2025, 1, 14, 18, 0), "varje tisdag kl. 18:00–20:00 till och med 8 december 2026", "every Tuesday at 18:00–20:00 until 8 December 2026"},
		{"Unusual", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", at(2025, 1, 31, 18, 0),
			"enligt regeln FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1 kl. 18:00–20:00", "following the rule FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1 at 18:00–20:00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := networkSeries()
			s.Rule, s.Start = tc.rule, tc.start
			if err := s.Validate(); err != nil {
				t.Fatalf("the example series is invalid: %v", err)
			}
			if got := Describe(s, "sv"); got != tc.sv {
				t.Errorf("sv: %q, want %q", got, tc.sv)
			}
			if got := Describe(s, "en"); got != tc.en {
				t.Errorf("en: %q, want %q", got, tc.en)
			}
		})
	}
}

func TestDescribeLocaleAndZone(t *testing.T) {
	s := networkSeries()
	s.Start = s.Start.UTC() // the wall clock is read in the series zone
	if got := Describe(s, "sv-SE"); got != "andra tisdagen varje månad kl. 18:00–20:00" {
		t.Errorf("sv-SE: %q", got)
	}
	if got := Describe(s, "fr"); got != "the second Tuesday of every month at 18:00–20:00" {
		t.Errorf("an unknown locale should give English: %q", got)
	}
}
