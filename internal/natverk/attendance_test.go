package natverk_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/natverk/natverk/internal/natverk"
)

func TestAttendanceInputValidate(t *testing.T) {
	occ := time.Date(2027, 1, 12, 17, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		in        natverk.AttendanceInput
		wantField string
	}{
		{"OK", natverk.AttendanceInput{Occurrence: occ, Attended: []int64{3, 1, 3}, Absent: []int64{2}}, ""},
		{"NoOccurrence", natverk.AttendanceInput{Attended: []int64{1}}, "occurrence"},
		{"Nobody", natverk.AttendanceInput{Occurrence: occ}, "attended"},
		{"BadID", natverk.AttendanceInput{Occurrence: occ, Attended: []int64{0}}, "attended"},
		{"Both", natverk.AttendanceInput{Occurrence: occ, Attended: []int64{1}, Absent: []int64{1}}, "absent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.in.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff([]int64{1, 3}, tt.in.Attended); diff != "" {
					t.Errorf("attended not deduplicated: %s", diff)
				}
				return
			}
			if f := natverk.ErrorFields(err); len(f) != 1 || f[0].Field != tt.wantField {
				t.Fatalf("err = %v, want one on %s", err, tt.wantField)
			}
		})
	}
}

func TestCheckAttendanceOccurrence(t *testing.T) {
	s := weekly(t, 0)
	first := time.Date(2027, 1, 12, 17, 0, 0, 0, time.UTC)
	now := time.Date(2027, 1, 20, 0, 0, 0, 0, time.UTC)
	if err := natverk.CheckAttendanceOccurrence(s, first, now); err != nil {
		t.Fatalf("a past meeting: %v", err)
	}
	if err := natverk.CheckAttendanceOccurrence(s, first.Add(time.Hour), now); natverk.ErrorCode(err) != natverk.EINVALID {
		t.Fatalf("not a meeting: %v", err)
	}
	if err := natverk.CheckAttendanceOccurrence(s, first.AddDate(0, 0, 14), now); natverk.ErrorCode(err) != natverk.EINVALID {
		t.Fatalf("a future meeting: %v", err)
	}
	s.Exceptions = []natverk.Exception{{RecurrenceID: first, Cancelled: true}}
	if err := natverk.CheckAttendanceOccurrence(s, first, now); natverk.ErrorCode(err) != natverk.EINVALID {
		t.Fatalf("a cancelled meeting: %v", err)
	}
}

// TestAttendanceReport walks five monthly meetings: member 1 comes to all,
// member 2 to the first two only (lapsed after three misses), member 3
// joined before the last meeting and missed only that one.
func TestAttendanceReport(t *testing.T) {
	n := &natverk.Network{ID: 4, Name: "Rapport"}
	meet := func(month time.Month) time.Time { return time.Date(2027, month, 9, 17, 0, 0, 0, time.UTC) }
	mark := func(month time.Month, id int64, came bool) *natverk.Attendance {
		return &natverk.Attendance{NetworkID: 4, SeriesID: 8, Occurrence: meet(month), MemberID: id, Attended: came}
	}
	var recs []*natverk.Attendance
	for m := time.January; m <= time.May; m++ {
		recs = append(recs, mark(m, 1, true))
		if m <= time.February {
			recs = append(recs, mark(m, 2, true))
		}
	}
	recs = append(recs, mark(time.March, 2, false)) // marked absent once, unmarked after
	recs = append(recs, &natverk.Attendance{SeriesID: 8, Occurrence: time.Date(2026, 12, 9, 17, 0, 0, 0, time.UTC), MemberID: 1, Attended: true})
	inv := []*natverk.Membership{
		{MemberID: 1, InvitedAt: meet(time.January).AddDate(0, -1, 0)},
		{MemberID: 2, InvitedAt: meet(time.January).AddDate(0, -1, 0)},
		{MemberID: 3, InvitedAt: meet(time.April).AddDate(0, 0, 1)},
	}
	rep := natverk.BuildAttendanceReport(natverk.ReportInput{
		Network: n, Year: 2027, Zone: stockholm, Series: []*natverk.Series{{ID: 8, Summary: "Möte"}},
		Invitees: inv, Records: recs, Names: map[int64]string{1: "Ett", 2: "Två", 3: "Tre"},
	})
	if len(rep.Meetings) != 5 || len(rep.Months) != 5 {
		t.Fatalf("%d meetings, %d months (the December 2026 one belongs to 2026)", len(rep.Meetings), len(rep.Months))
	}
	wantRates := []float64{1, 1, 0.5, 0.5, 0.333}
	for i, m := range rep.Meetings {
		if m.Rate != wantRates[i] || m.Summary != "Möte" {
			t.Errorf("meeting %d: %+v, want rate %v", i, m, wantRates[i])
		}
	}
	if rep.Meetings[4].Expected != 3 || rep.Meetings[2].Absent != 1 {
		t.Errorf("expected/absent: %+v %+v", rep.Meetings[4], rep.Meetings[2])
	}
	if rep.Active != 2 || rep.Members != 3 {
		t.Errorf("active %d of %d", rep.Active, rep.Members)
	}
	if diff := cmp.Diff([]natverk.LapsedMember{{MemberID: 2, Name: "Två", Missed: 3}}, rep.Lapsed); diff != "" {
		t.Errorf("lapsed (-want +got):\n%s", diff)
	}
	if rep.Rate != 0.636 { // 7 attended of 11 expected
		t.Errorf("rate %v", rep.Rate)
	}
	// IsLapsed agrees, from a member's own records.
	var meetings []natverk.AttendanceMeeting
	for m := time.January; m <= time.May; m++ {
		meetings = append(meetings, natverk.AttendanceMeeting{SeriesID: 8, Occurrence: meet(m)})
	}
	var own []*natverk.Attendance
	for _, r := range recs {
		if r.MemberID == 2 {
			own = append(own, r)
		}
	}
	if !natverk.IsLapsed(meetings, own, inv[1].InvitedAt) || natverk.IsLapsed(meetings, nil, inv[2].InvitedAt) {
		t.Error("IsLapsed disagrees with the report")
	}
}

func TestPollBuildAndTally(t *testing.T) {
	n := &natverk.Network{ID: 1, Name: "Ny grupp", TimeZone: "Europe/Stockholm"}
	checks := natverk.Checks{Zone: func(string) error { return nil }, Rule: func(string, time.Time) error { return nil }}
	opts := []natverk.PollOption{
		{Start: "2027-02-02T18:00", RRule: "FREQ=WEEKLY;BYDAY=TU", Location: "Biblioteket"},
		{Start: "2027-02-04 17:30", RRule: "freq=weekly;byday=th", DurationMinutes: 90},
	}
	p, err := natverk.PollInput{Options: opts}.Build(n, checks)
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != "Ny grupp" || p.Options[1].Start != "2027-02-04T17:30" || p.Options[1].RRule != "FREQ=WEEKLY;BYDAY=TH" || p.Options[0].DurationMinutes != 120 {
		t.Fatalf("normalized poll: %+v", p)
	}
	bad := []struct {
		name  string
		in    natverk.PollInput
		field string
	}{
		{"OneOption", natverk.PollInput{Options: opts[:1]}, "options"},
		{"SixOptions", natverk.PollInput{Options: append(append(append([]natverk.PollOption{}, opts...), opts...), opts[0], opts[1])}, "options"},
		{"BadStart", natverk.PollInput{Options: []natverk.PollOption{opts[0], {Start: "tisdag"}}}, "options[1].start"},
		{"Duplicate", natverk.PollInput{Options: []natverk.PollOption{opts[0], opts[0]}}, "options[1].start"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.in.Build(n, checks)
			found := false
			for _, f := range natverk.ErrorFields(err) {
				found = found || f.Field == tt.field
			}
			if !found {
				t.Fatalf("err = %v, want one on %s", err, tt.field)
			}
		})
	}
	p.Options[0].ID, p.Options[1].ID = 10, 11
	vote := func(member, option int64, v string) *natverk.PollVote {
		return &natverk.PollVote{MemberID: member, OptionID: option, Vote: v}
	}
	tally := natverk.Tally(p, []*natverk.PollVote{
		vote(1, 10, natverk.VoteYes), vote(1, 11, natverk.VoteYes),
		vote(2, 10, natverk.VoteNo), vote(2, 11, natverk.VoteIfNeedBe),
		vote(3, 10, natverk.VoteYes), vote(3, 11, natverk.VoteYes),
	})
	if tally.Voters != 3 || tally.Suggested != 11 || tally.Options[1].IfNeedBe != 1 {
		t.Fatalf("tally = %+v (equal yes: the one with more if-need-be wins)", tally)
	}
	if natverk.Tally(p, nil).Suggested != 10 {
		t.Fatal("no votes: the first option is suggested")
	}
	if err := natverk.CheckVotes(p, map[int64]string{10: natverk.VoteYes, 99: natverk.VoteNo}); natverk.ErrorCode(err) != natverk.EINVALID {
		t.Fatalf("unknown option: %v", err)
	}
	if got := p.Options[0].Describe("sv"); got != "varje tisdag kl. 18:00–20:00, första gången 2 februari 2027, Biblioteket" {
		t.Errorf("Describe sv = %q", got)
	}
	if got := p.Options[1].Describe("en"); got != "every Thursday at 17:30–19:00, first on 4 February 2027" {
		t.Errorf("Describe en = %q", got)
	}
	if v, ok := natverk.ParseVote("om det behövs"); !ok || v != natverk.VoteIfNeedBe {
		t.Fatal("Swedish if-need-be not read")
	}
}
