package calendar

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSeriesValidate(t *testing.T) {
	tests := []struct {
		name      string
		mod       func(s *Series)
		wantField string // "" = valid
	}{
		{"OK", func(s *Series) {}, ""},
		{"OKOneOff", func(s *Series) { s.Rule = "" }, ""},
		{"OKWithoutOrganizer", func(s *Series) { s.Organizer = Person{} }, ""},
		{"OKCRLFInDescription", func(s *Series) { s.Description = "rad 1\r\nrad 2\rrad 3" }, ""},
		{"OKExceptions", func(s *Series) {
			s.ExDates = []time.Time{at(2025, 3, 11, 18, 0)}
			s.Overrides = []Override{{RecurrenceID: at(2025, 4, 8, 18, 0), Start: at(2025, 4, 9, 18, 0)}}
		}, ""},
		{"OKExDateInUTC", func(s *Series) { s.ExDates = []time.Time{at(2025, 3, 11, 18, 0).UTC()} }, ""},

		{"ErrUIDRequired", func(s *Series) { s.UID = "" }, "uid"},
		{"ErrUIDSpace", func(s *Series) { s.UID = "a b" }, "uid"},
		{"ErrUIDLong", func(s *Series) { s.UID = strings.Repeat("u", 256) }, "uid"},
		{"ErrSequence", func(s *Series) { s.Sequence = -1 }, "sequence"},
		{"ErrSummaryRequired", func(s *Series) { s.Summary = "  " }, "summary"},
		{"ErrSummaryLong", func(s *Series) { s.Summary = strings.Repeat("å", MaxSummary+1) }, "summary"},
		{"ErrSummaryNewline", func(s *Series) { s.Summary = "a\nb" }, "summary"},
		{"ErrSummaryControl", func(s *Series) { s.Summary = "a\x00b" }, "summary"},
		{"ErrSummaryUTF8", func(s *Series) { s.Summary = "a\xffb" }, "summary"},
		{"ErrLocationLong", func(s *Series) { s.Location = strings.Repeat("x", MaxLocation+1) }, "location"},
		{"ErrDescriptionLong", func(s *Series) { s.Description = strings.Repeat("x", MaxDescription+1) }, "description"},
		{"ErrDescriptionTab", func(s *Series) { s.Description = "a\tb" }, "description"},
		{"ErrURLScheme", func(s *Series) { s.URL = "javascript:alert(1)" }, "url"},
		{"ErrURLRelative", func(s *Series) { s.URL = "/n/goteborg" }, "url"},
		{"ErrURLSpace", func(s *Series) { s.URL = "https://x.se/a b" }, "url"},
		{"ErrZoneLocal", func(s *Series) { s.TimeZone = "Local" }, "time_zone"},
		{"ErrZoneEmpty", func(s *Series) { s.TimeZone = "" }, "time_zone"},
		{"ErrStartZero", func(s *Series) { s.Start = time.Time{} }, "start"},
		{"ErrStartSeconds", func(s *Series) { s.Start = s.Start.Add(30 * time.Second) }, "start"},
		{"ErrDurationZero", func(s *Series) { s.Duration = 0 }, "duration"},
		{"ErrDurationLong", func(s *Series) { s.Duration = 25 * time.Hour }, "duration"},
		{"ErrDurationSeconds", func(s *Series) { s.Duration = time.Hour + time.Second }, "duration"},
		{"ErrRule", func(s *Series) { s.Rule = "FREQ=MINUTELY" }, "rule"},
		{"ErrSpansDST", func(s *Series) {
			s.Rule, s.Start, s.Duration = "FREQ=WEEKLY;BYDAY=SA", at(2025, 1, 4, 22, 0), 8*time.Hour
		}, "rule"},
		{"ErrOneOffRepeatedHour", func(s *Series) { s.Rule, s.Start = "", at(2025, 10, 26, 2, 30) }, "start"},
		{"ErrOrganizerEmail", func(s *Series) { s.Organizer.Email = "Nätverk <n@x.se>" }, "organizer.email"},
		{"ErrOrganizerMailto", func(s *Series) { s.Organizer.Email = "mailto:n@x.se" }, "organizer.email"},
		{"ErrOrganizerName", func(s *Series) { s.Organizer.Name = "a\r\nATTACH:x" }, "organizer.name"},
		{"ErrModifiedBeforeCreated", func(s *Series) { s.Modified = s.Created.Add(-time.Hour) }, "modified"},
		{"ErrExDateNotOccurrence", func(s *Series) { s.ExDates = []time.Time{at(2025, 3, 12, 18, 0)} }, "ex_dates[0]"},
		{"ErrExDateTwice", func(s *Series) { s.ExDates = []time.Time{at(2025, 3, 11, 18, 0), at(2025, 3, 11, 18, 0)} }, "ex_dates[1]"},
		{"ErrExDateOneOff", func(s *Series) { s.Rule = ""; s.ExDates = []time.Time{s.Start} }, "ex_dates"},
		{"ErrOverrideNotOccurrence", func(s *Series) { s.Overrides = []Override{{RecurrenceID: at(2025, 4, 9, 18, 0)}} }, "overrides[0].recurrence_id"},
		{"ErrOverrideRequired", func(s *Series) { s.Overrides = []Override{{}} }, "overrides[0].recurrence_id"},
		{"ErrOverrideTwice", func(s *Series) {
			s.Overrides = []Override{{RecurrenceID: at(2025, 4, 8, 18, 0)}, {RecurrenceID: at(2025, 4, 8, 18, 0)}}
		}, "overrides[1].recurrence_id"},
		{"ErrOverrideAndExDate", func(s *Series) {
			s.ExDates = []time.Time{at(2025, 4, 8, 18, 0)}
			s.Overrides = []Override{{RecurrenceID: at(2025, 4, 8, 18, 0)}}
		}, "overrides[0].recurrence_id"},
		{"ErrOverrideDuration", func(s *Series) {
			s.Overrides = []Override{{RecurrenceID: at(2025, 4, 8, 18, 0), Duration: 30 * time.Second}}
		}, "overrides[0].duration"},
		{"ErrOverrideSummary", func(s *Series) {
			s.Overrides = []Override{{RecurrenceID: at(2025, 4, 8, 18, 0), Summary: "a\nb"}}
		}, "overrides[0].summary"},
		{"ErrOverrideMovedIntoRepeatedHour", func(s *Series) {
			s.Overrides = []Override{{RecurrenceID: at(2025, 10, 14, 18, 0), Start: at(2025, 10, 26, 2, 15)}}
		}, "overrides[0].start"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := networkSeries()
			tc.mod(s)
			err := s.Validate()
			if tc.wantField == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate() = %v, want a *FieldError for %s", err, tc.wantField)
			}
			if fe.Field != tc.wantField {
				t.Errorf("field %q (%v), want %q", fe.Field, err, tc.wantField)
			}
		})
	}
}

func TestFieldErrorMessage(t *testing.T) {
	err := error(&FieldError{Field: "rule", Reason: "FREQ is required"})
	if got := err.Error(); got != "calendar: rule: FREQ is required" {
		t.Errorf("Error() = %q", got)
	}
}
