package natverk_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/natverk/natverk/internal/natverk"
)

var stockholm, _ = time.LoadLocation("Europe/Stockholm")

func invitees(ids ...int64) []*natverk.Membership {
	var out []*natverk.Membership
	for _, id := range ids {
		out = append(out, &natverk.Membership{MemberID: id, Status: natverk.StatusJoined})
	}
	return out
}

func at(min int) time.Time { return time.Date(2027, 1, 5, 9, min, 0, 0, time.UTC) }

func TestNewRoster(t *testing.T) {
	occ := time.Date(2027, 1, 12, 17, 0, 0, 0, time.UTC)
	yes := func(id int64, min int) *natverk.RSVP {
		return &natverk.RSVP{MemberID: id, Answer: natverk.AnswerYes, AnsweredAt: at(min)}
	}
	tests := []struct {
		name     string
		capacity int
		invited  []int64
		rsvps    []*natverk.RSVP
		want     natverk.Roster
	}{
		{"Unlimited", 0, []int64{1, 2, 3}, []*natverk.RSVP{yes(2, 5), yes(1, 9)},
			natverk.Roster{Capacity: 0, Confirmed: []int64{2, 1}, Waitlist: []int64{}}},
		{"ArrivalOrder", 2, []int64{1, 2, 3, 4}, []*natverk.RSVP{yes(4, 1), yes(1, 3), yes(3, 2), yes(2, 4)},
			natverk.Roster{Capacity: 2, Confirmed: []int64{4, 3}, Waitlist: []int64{1, 2}}},
		{"TieByMemberID", 1, []int64{1, 2, 3}, []*natverk.RSVP{yes(3, 1), yes(2, 1), yes(1, 2)},
			natverk.Roster{Capacity: 1, Confirmed: []int64{2}, Waitlist: []int64{3, 1}}},
		{"QueuedAtWins", 1, []int64{1, 2}, []*natverk.RSVP{
			{MemberID: 1, Answer: natverk.AnswerYes, AnsweredAt: at(30), QueuedAt: at(1)}, yes(2, 5)},
			natverk.Roster{Capacity: 1, Confirmed: []int64{1}, Waitlist: []int64{2}}},
		{"OccurrenceAnswerOverSeries", 1, []int64{1, 2}, []*natverk.RSVP{
			yes(1, 1), {MemberID: 1, Occurrence: occ, Answer: natverk.AnswerNo, AnsweredAt: at(2)}, yes(2, 3)},
			natverk.Roster{Capacity: 1, Confirmed: []int64{2}, Waitlist: []int64{}}},
		{"OnlyInvitees", 1, []int64{2}, []*natverk.RSVP{yes(1, 1), yes(2, 2)},
			natverk.Roster{Capacity: 1, Confirmed: []int64{2}, Waitlist: []int64{}}},
		{"MaybeAndNoTakeNoPlace", 1, []int64{1, 2, 3}, []*natverk.RSVP{
			{MemberID: 1, Answer: natverk.AnswerMaybe, AnsweredAt: at(1)}, {MemberID: 2, Answer: natverk.AnswerNo, AnsweredAt: at(1)}, yes(3, 9)},
			natverk.Roster{Capacity: 1, Confirmed: []int64{3}, Waitlist: []int64{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := natverk.NewRoster(tt.capacity, invitees(tt.invited...), tt.rsvps, occ)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("roster (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRosterPlace(t *testing.T) {
	r := natverk.Roster{Capacity: 1, Confirmed: []int64{7}, Waitlist: []int64{3, 9}}
	for _, tt := range []struct {
		id        int64
		place     int
		yes       bool
		situation string
	}{{7, 0, true, "confirmed"}, {3, 1, true, "first waiting"}, {9, 2, true, "second waiting"}, {4, 0, false, "no yes"}} {
		if p, y := r.Place(tt.id); p != tt.place || y != tt.yes {
			t.Errorf("%s: Place(%d) = %d, %v; want %d, %v", tt.situation, tt.id, p, y, tt.place, tt.yes)
		}
	}
}

func TestQueueAnswer(t *testing.T) {
	first := &natverk.RSVP{Answer: natverk.AnswerYes, AnsweredAt: at(1), QueuedAt: at(1)}
	tests := []struct {
		name string
		r    natverk.RSVP
		cur  *natverk.RSVP
		want time.Time
	}{
		{"NewYes", natverk.RSVP{Answer: natverk.AnswerYes, AnsweredAt: at(5)}, nil, at(5)},
		{"RepeatedYesKeepsPlace", natverk.RSVP{Answer: natverk.AnswerYes, AnsweredAt: at(5)}, first, at(1)},
		{"NoLeavesQueue", natverk.RSVP{Answer: natverk.AnswerNo, AnsweredAt: at(5)}, first, time.Time{}},
		{"YesAfterNoQueuesAgain", natverk.RSVP{Answer: natverk.AnswerYes, AnsweredAt: at(9)}, &natverk.RSVP{Answer: natverk.AnswerNo, AnsweredAt: at(5)}, at(9)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r
			natverk.QueueAnswer(&r, tt.cur)
			if !r.QueuedAt.Equal(tt.want) {
				t.Fatalf("QueuedAt = %v, want %v", r.QueuedAt, tt.want)
			}
		})
	}
}

func weekly(t *testing.T, capacity int) *natverk.Series {
	t.Helper()
	return &natverk.Series{ID: 1, NetworkID: 1, TimeZone: "Europe/Stockholm", Start: time.Date(2027, 1, 12, 18, 0, 0, 0, stockholm),
		Duration: 2 * time.Hour, Rule: "FREQ=WEEKLY;COUNT=10", Capacity: capacity, Status: natverk.SeriesActive}
}

func TestCapacityOccurrences(t *testing.T) {
	s := weekly(t, 0)
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := s.CapacityOccurrences(now); len(got) != 0 {
		t.Fatalf("a series without capacity has capacity occurrences: %v", got)
	}
	second := time.Date(2027, 1, 19, 17, 0, 0, 0, time.UTC)
	s.Exceptions = []natverk.Exception{{RecurrenceID: second, Capacity: 12}}
	if !s.Exceptions[0].CapacityOnly() {
		t.Fatal("a capacity exception must be capacity-only")
	}
	got := s.CapacityOccurrences(now)
	if len(got) != 1 || !got[0].Equal(second) || s.CapacityAt(second) != 12 {
		t.Fatalf("occurrence capacity: %v, %d", got, s.CapacityAt(second))
	}
	s.Capacity = 20
	if got := s.CapacityOccurrences(now); len(got) != 10 || s.CapacityAt(got[0]) != 20 || s.CapacityAt(second) != 12 {
		t.Fatalf("series capacity: %d occurrences", len(got))
	}
	s.Exceptions = append(s.Exceptions, natverk.Exception{RecurrenceID: time.Date(2027, 1, 26, 17, 0, 0, 0, time.UTC), Cancelled: true})
	if got := s.CapacityOccurrences(now); len(got) != 9 {
		t.Fatalf("a cancelled occurrence has a capacity: %d occurrences", len(got))
	}
	if got := s.CapacityOccurrences(time.Date(2027, 2, 3, 0, 0, 0, 0, time.UTC)); len(got) != 6 {
		t.Fatalf("from February: %d occurrences, want 6", len(got))
	}
	s.Status = natverk.SeriesCancelled
	if got := s.CapacityOccurrences(now); len(got) != 0 {
		t.Fatalf("a cancelled series has capacity occurrences")
	}
}

// TestCapacityEffectsPromotion: a confirmed member cancels; the first on
// the waitlist is promoted and the stored places are brought in line.
func TestCapacityEffectsPromotion(t *testing.T) {
	s := weekly(t, 2)
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	occ := time.Date(2027, 1, 12, 17, 0, 0, 0, time.UTC)
	row := func(id int64, min, place int) *natverk.RSVP {
		return &natverk.RSVP{MemberID: id, Occurrence: occ, Answer: natverk.AnswerYes, AnsweredAt: at(min), QueuedAt: at(min), Waitlist: place}
	}
	before := []*natverk.RSVP{row(1, 1, 0), row(2, 2, 0), row(3, 3, 1), row(4, 4, 2)}
	cancel := &natverk.RSVP{MemberID: 1, Occurrence: occ, Answer: natverk.AnswerNo, AnsweredAt: at(9)}
	after := natverk.WithAnswer(before, cancel)
	occs := natverk.AffectedOccurrences(s, occ, now)
	if len(occs) != 1 || !occs[0].Equal(occ) {
		t.Fatalf("affected = %v", occs)
	}
	ch := natverk.CapacityEffects(s, s, invitees(1, 2, 3, 4), before, after, occs, s.CapacityOccurrences(now)[0])
	if diff := cmp.Diff([]natverk.Promotion{{MemberID: 3, Occurrence: occ}}, ch.Promoted); diff != "" {
		t.Errorf("promoted (-want +got):\n%s", diff)
	}
	want := []natverk.PlaceUpdate{{MemberID: 3, Occurrence: occ, Waitlist: 0}, {MemberID: 4, Occurrence: occ, Waitlist: 1}}
	if diff := cmp.Diff(want, ch.Updates); diff != "" {
		t.Errorf("updates (-want +got):\n%s", diff)
	}
	// A waitlisted member leaving promotes no one.
	ch = natverk.CapacityEffects(s, s, invitees(1, 2, 3, 4), before, natverk.WithAnswer(before, &natverk.RSVP{MemberID: 3, Occurrence: occ, Answer: natverk.AnswerMaybe, AnsweredAt: at(9)}), occs, occs[0])
	if len(ch.Promoted) != 0 {
		t.Errorf("promoted %v when a waiting member left", ch.Promoted)
	}
	// A larger capacity promotes the whole waitlist.
	bigger := *s
	bigger.Capacity = 4
	ch = natverk.CapacityEffects(s, &bigger, invitees(1, 2, 3, 4), before, before, occs, occs[0])
	if len(ch.Promoted) != 2 {
		t.Errorf("capacity 2 → 4 promoted %v", ch.Promoted)
	}
}

func TestQuorumInput(t *testing.T) {
	n := &natverk.Network{ID: 1, Name: "Kvorum", TimeZone: "Europe/Stockholm"}
	checks := natverk.Checks{Zone: func(string) error { return nil }, Rule: func(string, time.Time) error { return nil }}
	tests := []struct {
		name      string
		in        natverk.SeriesInput
		wantField string
		want      time.Duration
	}{
		{"Hours", natverk.SeriesInput{QuorumMin: 5, QuorumBefore: "48h"}, "", 48 * time.Hour},
		{"Days", natverk.SeriesInput{QuorumMin: 5, QuorumBefore: "2d"}, "", 48 * time.Hour},
		{"DaysAndHours", natverk.SeriesInput{QuorumMin: 5, QuorumBefore: "1d12h"}, "", 36 * time.Hour},
		{"MissingBefore", natverk.SeriesInput{QuorumMin: 5}, "quorum_before", 0},
		{"BeforeWithoutMin", natverk.SeriesInput{QuorumBefore: "48h"}, "quorum_before", 0},
		{"TooShort", natverk.SeriesInput{QuorumMin: 5, QuorumBefore: "30m"}, "quorum_before", 0},
		{"TooLong", natverk.SeriesInput{QuorumMin: 5, QuorumBefore: "31d"}, "quorum_before", 0},
		{"Garbage", natverk.SeriesInput{QuorumMin: 5, QuorumBefore: "soon"}, "quorum_before", 0},
		{"Negative", natverk.SeriesInput{QuorumMin: -1}, "quorum_min", 0},
		{"AboveCapacity", natverk.SeriesInput{QuorumMin: 30, QuorumBefore: "1d", Capacity: 20}, "quorum_min", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Start = "2027-01-12T18:00"
			s, err := in.Build(n, checks)
			if tt.wantField != "" {
				fields := natverk.ErrorFields(err)
				if len(fields) != 1 || fields[0].Field != tt.wantField {
					t.Fatalf("err = %v, want one error on %s", err, tt.wantField)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if time.Duration(s.QuorumBefore) != tt.want || s.QuorumMin != tt.in.QuorumMin {
				t.Fatalf("quorum = %d before %v", s.QuorumMin, time.Duration(s.QuorumBefore))
			}
			if at, ok := s.QuorumDecisionAt(s.Start); !ok || !at.Equal(s.Start.Add(-tt.want)) {
				t.Fatalf("decision at %v, %v", at, ok)
			}
			// The update path keeps the rule.
			if back, err := (natverk.SeriesUpdate{}).Input(s).Build(n, checks); err != nil || back.QuorumBefore != s.QuorumBefore {
				t.Fatalf("round trip through SeriesUpdate: %v, %v", back, err)
			}
		})
	}
}

func TestPeriodText(t *testing.T) {
	for _, tt := range []struct {
		in, out string
	}{{"48h", "2d"}, {"90m", "1h30m"}, {"1d12h", "1d12h"}, {"36h", "1d12h"}, {"2d", "2d"}} {
		p, ok := natverk.ParsePeriod(tt.in)
		if !ok || p.String() != tt.out {
			t.Errorf("ParsePeriod(%q) = %v, %v; want %s", tt.in, p, ok, tt.out)
		}
	}
	for _, bad := range []string{"", "x", "-2h", "2dd", "d", "1d-3h"} {
		if _, ok := natverk.ParsePeriod(bad); ok {
			t.Errorf("ParsePeriod(%q) accepted", bad)
		}
	}
	if n, m, ok := natverk.ParseQuorumNote(natverk.QuorumNote(3, 5)); !ok || n != 3 || m != 5 {
		t.Errorf("quorum note round trip: %d %d %v", n, m, ok)
	}
}

func TestCountYes(t *testing.T) {
	occ := time.Date(2027, 1, 12, 17, 0, 0, 0, time.UTC)
	rsvps := []*natverk.RSVP{
		{MemberID: 1, Answer: natverk.AnswerYes},
		{MemberID: 2, Answer: natverk.AnswerYes},
		{MemberID: 2, Occurrence: occ, Answer: natverk.AnswerNo},
		{MemberID: 3, Occurrence: occ, Answer: natverk.AnswerYes},
		{MemberID: 9, Answer: natverk.AnswerYes}, // not an invitee
	}
	if n := natverk.CountYes(invitees(1, 2, 3, 4), rsvps, occ); n != 2 {
		t.Fatalf("CountYes = %d, want 2", n)
	}
}
