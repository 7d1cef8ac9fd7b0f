package calendar

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidateRule(t *testing.T) {
	tue := at(2025, 1, 14, 18, 0) // the second Tuesday of January
	tests := []struct {
		name    string
		rule    string
		start   time.Time
		wantErr string // "" = valid; else a substring of the reason
	}{
		{"OneOff", "", tue, ""},
		{"Weekly", "FREQ=WEEKLY", tue, ""},
		{"WeeklyByDay", "FREQ=WEEKLY;BYDAY=TU", tue, ""},
		{"EverySecondWeekTwoDays", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH", tue, ""},
		{"SecondTuesday", "FREQ=MONTHLY;BYDAY=2TU", tue, ""},
		{"SecondTuesdayWithPlus", "FREQ=MONTHLY;BYDAY=+2TU", tue, ""},
		{"LastThursday", "FREQ=MONTHLY;BYDAY=-1TH", at(2025, 1, 30, 18, 0), ""},
		{"MonthlyOnDate", "FREQ=MONTHLY;BYMONTHDAY=15", at(2025, 1, 15, 18, 0), ""},
		{"Yearly", "FREQ=YEARLY", tue, ""},
		{"DailyCount", "FREQ=DAILY;COUNT=10", tue, ""},
		{"DailyForever", "FREQ=DAILY", tue, ""},
		{"Until", "FREQ=WEEKLY;UNTIL=20261208T170000Z", tue, ""},
		{"LowerCase", "freq=weekly;byday=tu", tue, ""},
		{"WithPrefix", "RRULE:FREQ=WEEKLY", tue, ""},
		{"TrailingSemicolon", "FREQ=WEEKLY;BYDAY=TU;", tue, ""},
		{"SetPos", "FREQ=MONTHLY;BYDAY=TU;BYSETPOS=2", tue, ""},

		{"Secondly", "FREQ=SECONDLY", tue, "FREQ=SECONDLY is not allowed"},
		{"Minutely", "FREQ=MINUTELY", tue, "not allowed"},
		{"Hourly", "FREQ=HOURLY", tue, "not allowed"},
		{"UnknownFreq", "FREQ=FORTNIGHTLY", tue, "unknown FREQ"},
		{"NoFreq", "BYDAY=TU", tue, "FREQ is required"},
		{"ByHour", "FREQ=WEEKLY;BYHOUR=18,19", tue, "BYHOUR is not supported"},
		{"ByMinute", "FREQ=DAILY;BYMINUTE=0,30", tue, "BYMINUTE is not supported"},
		{"BySecond", "FREQ=DAILY;BYSECOND=0", tue, "BYSECOND is not supported"},
		{"CountAndUntil", "FREQ=WEEKLY;COUNT=5;UNTIL=20250401T000000Z", tue, "COUNT and UNTIL"},
		{"UntilTooLate", "FREQ=WEEKLY;UNTIL=20400101T000000Z", tue, "more than 10 years"},
		{"CountTooFar", "FREQ=WEEKLY;COUNT=600", tue, "COUNT=600 reaches"},
		{"CountOne", "FREQ=YEARLY;COUNT=1", tue, "single occurrence"},
		{"UntilAtStart", "FREQ=WEEKLY;UNTIL=20250114T170000Z", tue, "single occurrence"},
		{"StartNotOccurrence", "FREQ=MONTHLY;BYDAY=3TU", tue, "not an occurrence"},
		{"NeverMatches", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", tue, "not an occurrence"},
		{"IntervalZero", "FREQ=WEEKLY;INTERVAL=0", tue, "INTERVAL=0"},
		{"IntervalHuge", "FREQ=WEEKLY;INTERVAL=100", tue, "INTERVAL=100"},
		{"NumberedWeekly", "FREQ=WEEKLY;BYDAY=2TU", tue, "needs FREQ=MONTHLY or YEARLY"},
		{"SixthTuesday", "FREQ=MONTHLY;BYDAY=6TU", tue, "at most five"},
		{"MonthDayWeekly", "FREQ=WEEKLY;BYMONTHDAY=1", tue, "not allowed with FREQ=WEEKLY"},
		{"BadWeekday", "FREQ=WEEKLY;WKST=XX", tue, "unknown weekday"},
		{"Twice", "FREQ=WEEKLY;FREQ=DAILY", tue, "given twice"},
		{"YearDay", "FREQ=YEARLY;BYYEARDAY=1", tue, "BYYEARDAY is not supported"},
		{"UnknownPart", "FREQ=WEEKLY;X-NAME=1", tue, "unknown part"},
		{"BadUntil", "FREQ=WEEKLY;UNTIL=2025", tue, "UNTIL=2025"},
		{"UntilBeforeStart", "FREQ=WEEKLY;UNTIL=20240101T000000Z", tue, "before the start"},
		{"SetPosAlone", "FREQ=MONTHLY;BYSETPOS=1", tue, "BYSETPOS needs"},
		{"NotNameValue", "FREQ", tue, "not NAME=VALUE"},
		{"TooLong", "FREQ=WEEKLY;BYDAY=" + strings.Repeat("TU,", 200) + "TU", tue, "longer than"},
		{"MonthDayOutOfRange", "FREQ=MONTHLY;BYMONTHDAY=32", tue, "out of range"},
		{"DSTGap", "FREQ=WEEKLY;BYDAY=SU", at(2025, 1, 5, 2, 30), "does not exist"},
		{"DSTRepeat", "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", at(2025, 10, 26, 2, 30), "happens twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateRule(tc.rule, tc.start)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("ValidateRule(%q) = %v", tc.rule, err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != "rule" {
				t.Fatalf("ValidateRule(%q) = %v, want a *FieldError for rule", tc.rule, err)
			}
			if !strings.Contains(fe.Reason, tc.wantErr) {
				t.Errorf("reason %q, want it to contain %q", fe.Reason, tc.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "calendar: rule: ") {
				t.Errorf("error %q lacks the calendar: rule: prefix", err)
			}
		})
	}
}

func TestRuleString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"FREQ=MONTHLY;BYDAY=+2TU", "FREQ=MONTHLY;BYDAY=2TU"},
		{"byday=tu;freq=weekly;interval=2", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"},
		{"FREQ=WEEKLY;INTERVAL=1", "FREQ=WEEKLY"},
		{"FREQ=WEEKLY;UNTIL=20261208T180000", "FREQ=WEEKLY;UNTIL=20261208T170000Z"}, // local time in the zone → UTC
		{"FREQ=WEEKLY;UNTIL=20260608", "FREQ=WEEKLY;UNTIL=20260608T215959Z"},        // a DATE includes its day
		{"FREQ=MONTHLY;BYDAY=TU,-1FR;BYSETPOS=1,-1;WKST=SU", "FREQ=MONTHLY;BYDAY=TU,-1FR;BYSETPOS=1,-1;WKST=SU"},
		{"FREQ=YEARLY;BYMONTH=6,7;BYMONTHDAY=1,-1;COUNT=4", "FREQ=YEARLY;COUNT=4;BYMONTH=6,7;BYMONTHDAY=1,-1"},
	}
	for _, tc := range tests {
		r, err := parseRecur(tc.in, stockholm)
		if err != nil {
			t.Fatalf("parseRecur(%q): %v", tc.in, err)
		}
		if got := r.String(); got != tc.want {
			t.Errorf("parseRecur(%q).String() = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestValidateTimeZone(t *testing.T) {
	for _, ok := range []string{"Europe/Stockholm", "America/New_York", "Australia/Lord_Howe", "America/Argentina/Buenos_Aires"} {
		if err := ValidateTimeZone(ok); err != nil {
			t.Errorf("ValidateTimeZone(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Local", "local", "UTC", "CET", "EST", "Etc/GMT-1", "Europe/Atlantis", "W. Europe Standard Time", "../../etc/passwd", strings.Repeat("A/", 40)} {
		err := ValidateTimeZone(bad)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != "time_zone" {
			t.Errorf("ValidateTimeZone(%q) = %v, want a time_zone error", bad, err)
		}
	}
}

// FuzzValidateRule checks that no rule makes ValidateRule panic, that
// every refusal is a *FieldError, and that an accepted rule expands over
// ten years within the caps, starting at its start.
func FuzzValidateRule(f *testing.F) {
	for _, r := range []string{"FREQ=WEEKLY", "FREQ=MONTHLY;BYDAY=2TU", "FREQ=DAILY;INTERVAL=3;COUNT=200",
		"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "FREQ=SECONDLY",
		"FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO", "FREQ=WEEKLY;INTERVAL=99;BYDAY=SU;WKST=SU"} {
		f.Add(r, int64(1736874000))
	}
	f.Fuzz(func(t *testing.T, rule string, unix int64) {
		// Any whole minute from 1970 to about 2100.
		start := time.Unix((unix%(130*366*86400)+130*366*86400)%(130*366*86400)/60*60, 0).In(stockholm)
		err := ValidateRule(rule, start)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("ValidateRule(%q) = %v, not a *FieldError", rule, err)
			}
			return
		}
		if rule == "" {
			return
		}
		s := &Series{UID: "fuzz", Summary: "x", TimeZone: "Europe/Stockholm", Start: start, Duration: time.Hour, Rule: rule}
		occs, err := s.Occurrences(start, start.AddDate(MaxYears, 0, 0), 0)
		if err != nil {
			t.Fatalf("accepted %q but Occurrences: %v", rule, err)
		}
		if len(occs) < 2 || len(occs) > MaxOccurrences || !occs[0].Start.Equal(start) {
			t.Fatalf("accepted %q: %d occurrences, first %v, start %v", rule, len(occs), occs[0].Start, start)
		}
		perYear := map[int]int{}
		for _, o := range occs {
			if perYear[o.Start.Year()]++; perYear[o.Start.Year()] > MaxPerYear {
				t.Fatalf("accepted %q: more than %d occurrences in %d", rule, MaxPerYear, o.Start.Year())
			}
		}
	})
}
