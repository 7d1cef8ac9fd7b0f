package calendar

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSplit(t *testing.T) {
	s := networkSeries()
	s.Sequence = 4
	s.ExDates = []time.Time{at(2025, 3, 11, 18, 0), at(2025, 10, 14, 18, 0)}
	s.Overrides = []Override{{RecurrenceID: at(2025, 2, 11, 18, 0), Location: "A"}, {RecurrenceID: at(2025, 9, 9, 18, 0), Location: "B"}}
	from := at(2025, 6, 10, 18, 0)
	ended, next, err := Split(s, from, "new-uid@kalender.example.se")
	if err != nil {
		t.Fatal(err)
	}
	if ended.UID != s.UID || ended.Sequence != 5 || ended.Rule != "FREQ=MONTHLY;UNTIL=20250610T155959Z;BYDAY=2TU" {
		t.Errorf("ended: uid %s, sequence %d, rule %s", ended.UID, ended.Sequence, ended.Rule)
	}
	if next.UID != "new-uid@kalender.example.se" || next.Sequence != 0 || !next.Start.Equal(from) || next.Rule != "FREQ=MONTHLY;BYDAY=2TU" {
		t.Errorf("next: uid %s, sequence %d, start %s, rule %s", next.UID, next.Sequence, next.Start, next.Rule)
	}
	if len(ended.ExDates) != 1 || len(next.ExDates) != 1 || len(ended.Overrides) != 1 || len(next.Overrides) != 1 ||
		ended.Overrides[0].Location != "A" || next.Overrides[0].Location != "B" {
		t.Errorf("exceptions not divided: %v %v %v %v", ended.ExDates, next.ExDates, ended.Overrides, next.Overrides)
	}
	if s.Sequence != 4 || len(s.ExDates) != 2 {
		t.Error("Split changed its input")
	}
	// Together the two series meet exactly when the original did.
	window := func(x *Series) []string {
		occs, err := x.Occurrences(at(2025, 1, 1, 0, 0), at(2027, 1, 1, 0, 0), 0)
		if err != nil {
			t.Fatal(err)
		}
		return starts(occs)
	}
	if diff := cmp.Diff(window(s), append(window(ended), window(next)...)); diff != "" {
		t.Errorf("split series differ from the original (-orig +split):\n%s", diff)
	}
}

func TestSplitCount(t *testing.T) {
	s := networkSeries()
	s.Rule = "FREQ=MONTHLY;BYDAY=2TU;COUNT=6"
	ended, next, err := Split(s, at(2025, 3, 11, 18, 0), "n")
	if err != nil {
		t.Fatal(err)
	}
	if next.Rule != "FREQ=MONTHLY;COUNT=4;BYDAY=2TU" || ended.Rule != "FREQ=MONTHLY;UNTIL=20250311T165959Z;BYDAY=2TU" {
		t.Errorf("ended %s, next %s", ended.Rule, next.Rule)
	}
	// A part left with one occurrence becomes a one-off event.
	ended, next, err = Split(s, at(2025, 2, 11, 18, 0), "n")
	if err != nil {
		t.Fatal(err)
	}
	if ended.Rule != "" || !ended.Start.Equal(s.Start) {
		t.Errorf("ended: rule %q, start %s", ended.Rule, ended.Start)
	}
	s.Overrides = []Override{{RecurrenceID: at(2025, 6, 10, 18, 0), Start: at(2025, 6, 11, 17, 0), Summary: "Sommarmöte"}}
	_, next, err = Split(s, at(2025, 6, 10, 18, 0), "n")
	if err != nil {
		t.Fatal(err)
	}
	if next.Rule != "" || !next.Start.Equal(at(2025, 6, 11, 17, 0)) || next.Summary != "Sommarmöte" || next.Overrides != nil {
		t.Errorf("last occurrence: rule %q, start %s, summary %q", next.Rule, next.Start, next.Summary)
	}
	s.Overrides = nil
	s.ExDates = []time.Time{at(2025, 6, 10, 18, 0)}
	if _, next, err = Split(s, at(2025, 6, 10, 18, 0), "n"); err != nil || !next.Cancelled {
		t.Errorf("a cancelled last occurrence: cancelled %v, %v", next.Cancelled, err)
	}
}

func TestSplitErrors(t *testing.T) {
	oneOff := networkSeries()
	oneOff.Rule = ""
	tests := []struct {
		name      string
		s         *Series
		from      time.Time
		uid       string
		wantField string
	}{
		{"OneOff", oneOff, oneOff.Start, "n", "rule"},
		{"NotAnOccurrence", networkSeries(), at(2025, 6, 11, 18, 0), "n", "from"},
		{"FirstOccurrence", networkSeries(), at(2025, 1, 14, 18, 0), "n", "from"},
		{"SameUID", networkSeries(), at(2025, 6, 10, 18, 0), replyUID, "new_uid"},
		{"EmptyUID", networkSeries(), at(2025, 6, 10, 18, 0), "", "new_uid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Split(tc.s, tc.from, tc.uid)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tc.wantField {
				t.Errorf("err = %v, want a %s error", err, tc.wantField)
			}
		})
	}
}

func TestReschedule(t *testing.T) {
	s := networkSeries()
	s.Rule = "FREQ=WEEKLY;BYDAY=TU"
	s.ExDates = []time.Time{at(2025, 3, 11, 18, 0)}
	s.Overrides = []Override{{RecurrenceID: at(2025, 4, 8, 18, 0), Start: at(2025, 4, 8, 19, 0)}}
	wed := *s
	wed.Rule = "FREQ=WEEKLY;BYDAY=WE"
	if err := wed.Reschedule(at(2025, 1, 15, 17, 30)); err != nil {
		t.Fatal(err)
	}
	if !wed.ExDates[0].Equal(at(2025, 3, 12, 17, 30)) || !wed.Overrides[0].RecurrenceID.Equal(at(2025, 4, 9, 17, 30)) || !wed.Overrides[0].Start.Equal(at(2025, 4, 8, 19, 0)) {
		t.Errorf("exceptions %v, %+v", wed.ExDates, wed.Overrides)
	}
	if !s.ExDates[0].Equal(at(2025, 3, 11, 18, 0)) {
		t.Error("Reschedule changed the series it was copied from")
	}
	// Moving to a day the rule does not allow fails and leaves s alone.
	before := s.Start
	if err := s.Reschedule(at(2025, 1, 15, 17, 30)); err == nil || !s.Start.Equal(before) {
		t.Errorf("err = %v, start %s", err, s.Start)
	}
}
