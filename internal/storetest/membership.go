package storetest

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

func testInvite(t *testing.T, open Opener) {
	s := open(t)
	ms := mustImport(t, s,
		natverk.MemberInput{Email: "a@example.org", Name: "Anna", Town: "Göteborg"},
		natverk.MemberInput{Email: "b@example.org", Name: "Bertil", Town: "Göteborg"},
		natverk.MemberInput{Email: "c@example.org", Name: "Cilla", Town: "Göteborg"},
		natverk.MemberInput{Email: "d@example.org", Name: "Doris", Town: "Göteborg"},
		natverk.MemberInput{Email: "e@example.org", Name: "Erik", Town: "Göteborg"},
		natverk.MemberInput{Email: "f@example.org", Name: "Frida", Town: "Borås"},
	)
	n := mustNetwork(t, s, "Göteborg")
	sr := mustSeries(t, s, n, "2027-01-12T18:00", "FREQ=WEEKLY")
	yes := true
	s.UpdateMember(ctx(), ms[2].ID, natverk.MemberUpdate{Hidden: &yes})
	s.SetBouncing(ctx(), ms[3].ID, "550")
	if _, err := s.SetMembership(ctx(), n.ID, ms[4].ID, natverk.StatusUnsubscribed, "link"); err != nil {
		t.Fatal(err)
	}
	drain(t, s)

	search := natverk.MemberFilter{Town: "goteborg"}
	dry, err := s.Invite(ctx(), n.ID, natverk.InviteRequest{Search: &search, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	want := natverk.InviteResult{Invited: 2, Skipped: map[string]int{natverk.SkipHidden: 1, natverk.SkipBouncing: 1, natverk.SkipUnsubscribed: 1}, DryRun: true}
	if d := cmp.Diff(want, dry); d != "" {
		t.Fatalf("dry run (-want +got):\n%s", d)
	}
	if evs := drain(t, s); len(evs) != 0 {
		t.Fatalf("dry run wrote %d events", len(evs))
	}
	if _, err := s.FindMembership(ctx(), n.ID, ms[0].ID); natverk.ErrorCode(err) != natverk.ENOTFOUND {
		t.Fatalf("dry run stored a membership: %v", err)
	}
	res, err := s.Invite(ctx(), n.ID, natverk.InviteRequest{Search: &search, Emails: []string{"F@example.org", "nobody@example.org"}, Via: "search"})
	if err != nil {
		t.Fatal(err)
	}
	want = natverk.InviteResult{Invited: 3, Skipped: map[string]int{natverk.SkipHidden: 1, natverk.SkipBouncing: 1, natverk.SkipUnsubscribed: 1, natverk.SkipUnknown: 1},
		Unknown: []string{"nobody@example.org"}}
	if d := cmp.Diff(want, res); d != "" {
		t.Fatalf("invite (-want +got):\n%s", d)
	}
	evs := drain(t, s)
	var invited []int64
	for _, e := range evs {
		if e.Type != events.MemberInvited {
			continue
		}
		var p events.MembershipPayload
		e.Decode(&p)
		if d := cmp.Diff([]int64{sr.ID}, p.SeriesIDs); d != "" || p.Via != "search" {
			t.Fatalf("payload %+v", p)
		}
		invited = append(invited, p.MemberID)
	}
	sort.Slice(invited, func(i, j int) bool { return invited[i] < invited[j] })
	if d := cmp.Diff([]int64{ms[0].ID, ms[1].ID, ms[5].ID}, invited); d != "" {
		t.Fatalf("invited: %s", d)
	}
	// A hidden member can still be invited by address.
	res, err = s.Invite(ctx(), n.ID, natverk.InviteRequest{MemberIDs: []int64{ms[2].ID, ms[0].ID}})
	if err != nil || res.Invited != 1 || res.Skipped[natverk.SkipAlreadyInvited] != 1 {
		t.Fatalf("by id: %+v %v", res, err)
	}
	closed := mustNetwork(t, s, "Stängt")
	s.CloseNetwork(ctx(), closed.ID, "")
	_, err = s.Invite(ctx(), closed.ID, natverk.InviteRequest{MemberIDs: []int64{ms[0].ID}})
	wantCode(t, err, natverk.ECONFLICT)
}

// testContinuity checks the rule of ARCHITECTURE.md: a member who said no
// or did not answer keeps receiving every mail of the network; only
// leaving or unsubscribing stops it.
func testContinuity(t *testing.T, open Opener) {
	s := open(t)
	ms := mustImport(t, s,
		natverk.MemberInput{Email: "yes@example.org", Name: "Ja"},
		natverk.MemberInput{Email: "no@example.org", Name: "Nej"},
		natverk.MemberInput{Email: "silent@example.org", Name: "Tyst"},
		natverk.MemberInput{Email: "leaver@example.org", Name: "Går"},
		natverk.MemberInput{Email: "unsub@example.org", Name: "Avreg"},
	)
	n := mustNetwork(t, s, "Kontinuitet")
	sr := mustSeries(t, s, n, "2027-01-12T18:00", "FREQ=WEEKLY")
	var ids []int64
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	if _, err := s.Invite(ctx(), n.ID, natverk.InviteRequest{MemberIDs: ids}); err != nil {
		t.Fatal(err)
	}
	loc := sr.Start.Location()
	occ := func(week int) time.Time { return time.Date(2027, 1, 12+7*week, 18, 0, 0, 0, loc) }
	answer := func(m *natverk.Member, week int, a string) {
		t.Helper()
		if _, _, err := s.RecordRSVP(ctx(), natverk.RSVP{SeriesID: sr.ID, MemberID: m.ID, Occurrence: occ(week).UTC(), Answer: a, Source: natverk.SourceLink}); err != nil {
			t.Fatal(err)
		}
	}
	answer(ms[0], 0, natverk.AnswerYes)
	answer(ms[1], 0, natverk.AnswerNo)
	s.SetMembership(ctx(), n.ID, ms[3].ID, natverk.StatusLeft, "api")
	s.SetMembership(ctx(), n.ID, ms[4].ID, natverk.StatusUnsubscribed, "link")
	drain(t, s)
	past := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for week := 1; week <= 3; week++ {
		if _, err := s.ChangeOccurrence(ctx(), sr.ID, natverk.Exception{RecurrenceID: occ(week), Start: occ(week).Add(time.Hour), Duration: time.Hour}, past); err != nil {
			t.Fatal(err)
		}
		got := mailKinds(t, drain(t, s))[natverk.MailOccurrenceMoved]
		sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
		if d := cmp.Diff([]int64{ms[0].ID, ms[1].ID, ms[2].ID}, got); d != "" {
			t.Fatalf("week %d recipients (-want +got):\n%s", week, d)
		}
		answer(ms[1], week, natverk.AnswerNo) // keeps saying no, keeps being asked
	}
	for _, tc := range []struct {
		status string
		want   bool
	}{{natverk.StatusInvited, true}, {natverk.StatusJoined, true}, {natverk.StatusLeft, false}, {natverk.StatusUnsubscribed, false}} {
		if got := natverk.ReceivesInvitations(tc.status); got != tc.want {
			t.Errorf("ReceivesInvitations(%s) = %v", tc.status, got)
		}
	}
}

func testRSVP(t *testing.T, open Opener) {
	s := open(t)
	ms := mustImport(t, s, natverk.MemberInput{Email: "a@example.org", Name: "A"}, natverk.MemberInput{Email: "out@example.org", Name: "Out"})
	n := mustNetwork(t, s, "Svar")
	sr := mustSeries(t, s, n, "2027-01-12T18:00", "FREQ=WEEKLY")
	s.Invite(ctx(), n.ID, natverk.InviteRequest{MemberIDs: []int64{ms[0].ID}})
	drain(t, s)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	rec := func(a string, at time.Time, occ time.Time) (*natverk.RSVP, bool) {
		t.Helper()
		r, ch, err := s.RecordRSVP(ctx(), natverk.RSVP{SeriesID: sr.ID, MemberID: ms[0].ID, Answer: a, Source: natverk.SourceLink, AnsweredAt: at, Occurrence: occ})
		if err != nil {
			t.Fatal(err)
		}
		return r, ch
	}
	if r, ch := rec(natverk.AnswerMaybe, t0, time.Time{}); !ch || r.Answer != natverk.AnswerMaybe {
		t.Fatalf("first answer: %+v %v", r, ch)
	}
	if _, ch := rec(natverk.AnswerMaybe, t0.Add(time.Minute), time.Time{}); ch {
		t.Fatal("the same answer again counted as a change")
	}
	if r, ch := rec(natverk.AnswerYes, t0.Add(2*time.Minute), time.Time{}); !ch || r.Answer != natverk.AnswerYes {
		t.Fatalf("newer answer: %+v %v", r, ch)
	}
	// An older answer, delivered late, never wins.
	if r, ch := rec(natverk.AnswerNo, t0.Add(90*time.Second), time.Time{}); ch || r.Answer != natverk.AnswerYes {
		t.Fatalf("older answer won: %+v %v", r, ch)
	}
	occ := time.Date(2027, 1, 19, 17, 0, 0, 0, time.UTC)
	if r, ch := rec(natverk.AnswerNo, t0.Add(time.Hour), occ); !ch || !r.Occurrence.Equal(occ) {
		t.Fatalf("occurrence answer: %+v %v", r, ch)
	}
	evs := drain(t, s)
	got := countTypes(evs)
	if got[events.RSVPRecorded] != 3 || got[events.MemberJoined] != 1 {
		t.Fatalf("events = %v", got)
	}
	m, _ := s.FindMembership(ctx(), n.ID, ms[0].ID)
	if m.Status != natverk.StatusJoined {
		t.Fatalf("a yes did not make the member join: %s", m.Status)
	}
	list, _ := s.FindRSVPs(ctx(), natverk.RSVPFilter{SeriesID: sr.ID})
	if len(list) != 2 || list[0].Answer != natverk.AnswerYes || list[1].Answer != natverk.AnswerNo {
		t.Fatalf("answers = %+v", list)
	}
	_, _, err := s.RecordRSVP(ctx(), natverk.RSVP{SeriesID: sr.ID, MemberID: ms[1].ID, Answer: natverk.AnswerYes, Source: natverk.SourceLink})
	wantCode(t, err, natverk.EFORBIDDEN)
	s.SetMembership(ctx(), n.ID, ms[0].ID, natverk.StatusLeft, "link")
	_, _, err = s.RecordRSVP(ctx(), natverk.RSVP{SeriesID: sr.ID, MemberID: ms[0].ID, Answer: natverk.AnswerYes, Source: natverk.SourceLink, AnsweredAt: t0.Add(5 * time.Hour)})
	wantCode(t, err, natverk.EFORBIDDEN)
	_, _, err = s.RecordRSVP(ctx(), natverk.RSVP{SeriesID: 99999, MemberID: ms[0].ID, Answer: natverk.AnswerYes})
	wantCode(t, err, natverk.ENOTFOUND)
}

func testClose(t *testing.T, open Opener) {
	s := open(t)
	ms := mustImport(t, s, natverk.MemberInput{Email: "a@example.org", Name: "A"}, natverk.MemberInput{Email: "b@example.org", Name: "B"}, natverk.MemberInput{Email: "c@example.org", Name: "C"})
	n := mustNetwork(t, s, "Slut", ms[0].ID)
	mustSeries(t, s, n, "2027-01-12T18:00", "FREQ=WEEKLY")
	mustSeries(t, s, n, "2027-02-01T12:00", "")
	s.Invite(ctx(), n.ID, natverk.InviteRequest{MemberIDs: []int64{ms[1].ID, ms[2].ID}})
	s.SetMembership(ctx(), n.ID, ms[2].ID, natverk.StatusLeft, "api")
	drain(t, s)
	closed, err := s.CloseNetwork(ctx(), n.ID, "Vi tackar för oss.")
	if err != nil || closed.Status != natverk.NetworkClosed || closed.ClosedAt == nil {
		t.Fatalf("close = %+v %v", closed, err)
	}
	evs := drain(t, s)
	got := countTypes(evs)
	if got[events.NetworkClosed] != 1 || got[events.MeetingEnded] != 2 {
		t.Fatalf("events = %v", got)
	}
	cancels := mailKinds(t, evs)[natverk.MailNetworkClosed]
	sort.Slice(cancels, func(i, j int) bool { return cancels[i] < cancels[j] })
	if d := cmp.Diff([]int64{ms[0].ID, ms[0].ID, ms[1].ID, ms[1].ID}, cancels); d != "" {
		t.Fatalf("cancellations (-want +got):\n%s", d)
	}
	ss, _ := s.FindSeries(ctx(), n.ID)
	for _, sr := range ss {
		if sr.Status != natverk.SeriesCancelled || sr.Sequence != 1 {
			t.Fatalf("series after close: %+v", sr)
		}
	}
	again, err := s.CloseNetwork(ctx(), n.ID, "")
	if err != nil || again.Status != natverk.NetworkClosed || len(drain(t, s)) != 0 {
		t.Fatalf("closing twice: %v", err)
	}
	_, err = s.CreateSeries(ctx(), &natverk.Series{NetworkID: n.ID, UID: "x@y", Summary: "x", TimeZone: "UTC", Start: time.Now(), Duration: time.Hour})
	wantCode(t, err, natverk.ECONFLICT)
	_ = fmt.Sprint
}

// testCountAnswers checks the aggregate count against the answers and
// memberships it summarises: an answer to the occurrence wins over one to
// the series, members who left and other networks' answers do not count.
func testCountAnswers(t *testing.T, open Opener) {
	s := open(t)
	ms := mustMembers(t, s, "count", 10)
	sr := capacitySeries(t, s, "Räkna", ms, 0, "FREQ=WEEKLY")
	first := sr.Start
	second := sr.Start.AddDate(0, 0, 7)
	// Series answers: 1, 2, 3 yes; 4 maybe; 5 no. Occurrence answers for
	// the second meeting: 1 no, 6 yes. Member 7 answers yes, then leaves.
	for i, a := range map[int]string{1: natverk.AnswerYes, 2: natverk.AnswerYes, 3: natverk.AnswerYes, 4: natverk.AnswerMaybe, 5: natverk.AnswerNo, 7: natverk.AnswerYes} {
		answer(t, s, sr, ms[i], time.Time{}, a)
	}
	answer(t, s, sr, ms[1], second, natverk.AnswerNo)
	answer(t, s, sr, ms[6], second, natverk.AnswerYes)
	if _, err := s.SetMembership(ctx(), sr.NetworkID, ms[7].ID, natverk.StatusLeft, "link"); err != nil {
		t.Fatal(err)
	}
	// Another network's answers do not count here.
	other := capacitySeries(t, s, "Annat", []*natverk.Member{ms[0], ms[8], ms[9]}, 0, "FREQ=WEEKLY")
	answer(t, s, other, ms[8], time.Time{}, natverk.AnswerYes)

	invitees, err := s.FindMemberships(ctx(), natverk.MembershipFilter{NetworkID: sr.NetworkID, Statuses: natverk.InvitedStatuses})
	if err != nil {
		t.Fatal(err)
	}
	rsvps, err := s.FindRSVPs(ctx(), natverk.RSVPFilter{SeriesID: sr.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		occ  time.Time
		want natverk.Counts
	}{
		// Invitees: members 1–9 and the organizer, less member 7.
		{first, natverk.Counts{Yes: 3, Maybe: 1, No: 1, None: 4}},
		{second, natverk.Counts{Yes: 3, Maybe: 1, No: 2, None: 3}},
	} {
		got, err := s.CountAnswers(ctx(), sr.ID, tc.occ)
		if err != nil {
			t.Fatal(err)
		}
		// The same rule, computed from the rows (as the feeds did).
		series, occ := map[int64]string{}, map[int64]string{}
		for _, r := range rsvps {
			switch {
			case r.Occurrence.IsZero():
				series[r.MemberID] = r.Answer
			case r.Occurrence.Equal(tc.occ):
				occ[r.MemberID] = r.Answer
			}
		}
		var fromRows natverk.Counts
		for _, m := range invitees {
			fromRows.Add(natverk.EffectiveAnswer(series[m.MemberID], occ[m.MemberID]))
		}
		if got != tc.want || got != fromRows {
			t.Errorf("CountAnswers at %s = %+v; want %+v (from the rows: %+v)", tc.occ.UTC().Format(time.RFC3339), got, tc.want, fromRows)
		}
	}
	if got, err := s.CountAnswers(ctx(), 999999, first); err != nil || got != (natverk.Counts{}) {
		t.Errorf("an unknown series: %+v %v, want no counts", got, err)
	}
}
