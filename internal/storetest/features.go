package storetest

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

// The conformance tests of issue 12: capacity and waitlist, quorum,
// attendance and meeting-time polls. The stores take their time from the
// clock, so meetings are placed relative to now.

// soon returns the local start, at 18:00, of a day d days from now.
func soon(d int) string {
	return time.Now().AddDate(0, 0, d).Format("2006-01-02") + "T18:00"
}

func mustMembers(t testing.TB, s natverk.Store, prefix string, n int) []*natverk.Member {
	t.Helper()
	var rows []natverk.MemberInput
	for i := range n {
		rows = append(rows, natverk.MemberInput{Email: fmt.Sprintf("%s%03d@example.org", prefix, i), Name: fmt.Sprintf("%s %03d", prefix, i)})
	}
	return mustImport(t, s, rows...)
}

func ids(ms []*natverk.Member) []int64 {
	var out []int64
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

// capacitySeries makes a network with the members invited and a series
// with the capacity; rule "" makes a one-off meeting.
func capacitySeries(t testing.TB, s natverk.Store, name string, ms []*natverk.Member, capacity int, rule string) *natverk.Series {
	t.Helper()
	n := mustNetwork(t, s, name, ms[0].ID)
	if _, err := s.Invite(ctx(), n.ID, natverk.InviteRequest{MemberIDs: ids(ms[1:])}); err != nil {
		t.Fatal(err)
	}
	in := natverk.SeriesInput{Start: soon(14), RRule: rule, Capacity: capacity}
	sr, err := in.Build(n, checks)
	if err != nil {
		t.Fatal(err)
	}
	sr.UID = events.NewID(time.Now()) + "@test"
	out, err := s.CreateSeries(ctx(), sr)
	if err != nil {
		t.Fatal(err)
	}
	drain(t, s)
	return out
}

func answer(t testing.TB, s natverk.Store, sr *natverk.Series, m *natverk.Member, occ time.Time, a string) *natverk.RSVP {
	t.Helper()
	r, _, err := s.RecordRSVP(ctx(), natverk.RSVP{SeriesID: sr.ID, MemberID: m.ID, Occurrence: occ, Answer: a, Source: natverk.SourceAPI})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func roster(t testing.TB, s natverk.Store, sr *natverk.Series, occ time.Time) natverk.Roster {
	t.Helper()
	cur, err := s.FindSeriesByID(ctx(), sr.ID)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := s.FindMemberships(ctx(), natverk.MembershipFilter{NetworkID: sr.NetworkID, Statuses: natverk.InvitedStatuses})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := s.FindRSVPs(ctx(), natverk.RSVPFilter{SeriesID: sr.ID})
	if err != nil {
		t.Fatal(err)
	}
	return natverk.SeriesRoster(cur, inv, rs, occ)
}

func promotions(t testing.TB, evs []events.Envelope) []int64 {
	t.Helper()
	var out []int64
	for _, e := range evs {
		if e.Type == events.RSVPPromoted {
			var p events.PromotionPayload
			if err := e.Decode(&p); err != nil {
				t.Fatal(err)
			}
			out = append(out, p.MemberID)
		}
	}
	return out
}

// testCapacity: two places; the third yes waits; a cancellation promotes
// the first waiting, once; a repeated yes keeps its place; a capacity
// set on one occurrence, or raised, changes the places.
func testCapacity(t *testing.T, open Opener) {
	s := open(t)
	ms := mustMembers(t, s, "cap", 5) // ms[0] organizes
	sr := capacitySeries(t, s, "Kapacitet", ms, 2, "")
	occ := sr.Start.UTC()
	for _, m := range ms[1:4] {
		answer(t, s, sr, m, time.Time{}, natverk.AnswerYes)
	}
	if r := answer(t, s, sr, ms[3], time.Time{}, natverk.AnswerYes); r.Waitlist != 1 {
		t.Fatalf("third yes: waitlist %d, want place 1", r.Waitlist)
	}
	r := roster(t, s, sr, occ)
	if !slices.Equal(r.Confirmed, ids(ms[1:3])) || !slices.Equal(r.Waitlist, ids(ms[3:4])) {
		t.Fatalf("roster = %+v", r)
	}
	if got := mailKinds(t, drain(t, s))[natverk.MailWaitlistPromoted]; len(got) != 0 {
		t.Fatalf("promotion mail before anyone cancelled: %v", got)
	}
	// The first confirmed member cancels: the waiting one gets the place.
	answer(t, s, sr, ms[1], time.Time{}, natverk.AnswerNo)
	evs := drain(t, s)
	if got := promotions(t, evs); !slices.Equal(got, ids(ms[3:4])) {
		t.Fatalf("promoted %v, want %v", got, ids(ms[3:4]))
	}
	if got := mailKinds(t, evs)[natverk.MailWaitlistPromoted]; !slices.Equal(got, ids(ms[3:4])) {
		t.Fatalf("promotion mail to %v", got)
	}
	rs, _ := s.FindRSVPs(ctx(), natverk.RSVPFilter{SeriesID: sr.ID, MemberID: ms[3].ID})
	if len(rs) != 1 || rs[0].Waitlist != 0 {
		t.Fatalf("promoted member's stored place: %+v", rs)
	}
	// The canceller changes their mind: they queue at the end.
	if r := answer(t, s, sr, ms[1], time.Time{}, natverk.AnswerYes); r.Waitlist != 1 {
		t.Fatalf("yes again: place %d, want 1", r.Waitlist)
	}
	// Saying yes again keeps the place, and answers stay as they were.
	before := roster(t, s, sr, occ)
	answer(t, s, sr, ms[2], time.Time{}, natverk.AnswerYes)
	if after := roster(t, s, sr, occ); !slices.Equal(before.Confirmed, after.Confirmed) || !slices.Equal(before.Waitlist, after.Waitlist) {
		t.Fatalf("a repeated yes moved the roster: %+v → %+v", before, after)
	}
	drain(t, s)
	// Promoted, out, and promoted again for the same meeting: one mail.
	answer(t, s, sr, ms[3], time.Time{}, natverk.AnswerNo) // ms[1] promoted (first time for them)
	answer(t, s, sr, ms[3], time.Time{}, natverk.AnswerYes)
	answer(t, s, sr, ms[1], time.Time{}, natverk.AnswerMaybe) // ms[3] promoted a second time
	evs = drain(t, s)
	if got := promotions(t, evs); !slices.Equal(got, []int64{ms[1].ID, ms[3].ID}) {
		t.Fatalf("promotions %v", got)
	}
	if got := mailKinds(t, evs)[natverk.MailWaitlistPromoted]; !slices.Equal(got, ids(ms[1:2])) {
		t.Fatalf("promotion mails %v: a second promotion to the same meeting mails again", got)
	}
	// One more place for this meeting promotes the next in line.
	answer(t, s, sr, ms[4], time.Time{}, natverk.AnswerYes)
	answer(t, s, sr, ms[1], time.Time{}, natverk.AnswerYes)
	if r := roster(t, s, sr, occ); !slices.Equal(r.Waitlist, []int64{ms[4].ID, ms[1].ID}) {
		t.Fatalf("waitlist = %v", r.Waitlist)
	}
	drain(t, s)
	up, err := s.SetCapacity(ctx(), sr.ID, occ, 3)
	if err != nil || up.CapacityAt(occ) != 3 || up.Capacity != 2 {
		t.Fatalf("set occurrence capacity: %v %v", up, err)
	}
	if ex := up.Exception(occ); ex == nil || !ex.CapacityOnly() {
		t.Fatalf("occurrence capacity exception = %+v", ex)
	}
	evs = drain(t, s)
	if got := promotions(t, evs); !slices.Equal(got, ids(ms[4:5])) || countTypes(evs)[events.MeetingCapacityChanged] != 1 {
		t.Fatalf("capacity 3: promoted %v, events %v", got, countTypes(evs))
	}
	// Back to the series' capacity: the exception goes, nobody is promoted.
	up, err = s.SetCapacity(ctx(), sr.ID, occ, 0)
	if err != nil || up.Exception(occ) != nil || up.CapacityAt(occ) != 2 {
		t.Fatalf("reset occurrence capacity: %+v %v", up, err)
	}
	if got := promotions(t, drain(t, s)); len(got) != 0 {
		t.Fatalf("a smaller capacity promoted %v", got)
	}
	// Errors.
	_, err = s.SetCapacity(ctx(), sr.ID, occ.Add(time.Hour), 5)
	wantCode(t, err, natverk.EINVALID)
	_, err = s.SetCapacity(ctx(), sr.ID, time.Time{}, -1)
	wantCode(t, err, natverk.EINVALID)
	_, err = s.SetCapacity(ctx(), 987654, time.Time{}, 5)
	wantCode(t, err, natverk.ENOTFOUND)
	// The series capacity.
	up, err = s.SetCapacity(ctx(), sr.ID, time.Time{}, 10)
	if err != nil || up.Capacity != 10 {
		t.Fatalf("series capacity: %v %v", up, err)
	}
	if r := roster(t, s, sr, occ); len(r.Waitlist) != 0 || len(r.Confirmed) != 4 {
		t.Fatalf("roster with room for all: %+v", r)
	}
}

// testCapacityOccurrenceAnswers: in a weekly series, answers to one
// occurrence take places at that occurrence only, and a cancellation of
// a series answer promotes at every coming meeting, with one mail.
func testCapacityOccurrenceAnswers(t *testing.T, open Opener) {
	s := open(t)
	ms := mustMembers(t, s, "week", 4)
	sr := capacitySeries(t, s, "Veckomöte", ms, 1, "FREQ=WEEKLY;COUNT=4")
	occs := sr.Upcoming(time.Now(), time.Now().AddDate(0, 2, 0), 10)
	if len(occs) != 4 {
		t.Fatalf("%d occurrences", len(occs))
	}
	answer(t, s, sr, ms[1], time.Time{}, natverk.AnswerYes)
	if r := answer(t, s, sr, ms[2], occs[1], natverk.AnswerYes); r.Waitlist != 1 {
		t.Fatalf("yes to a full occurrence: place %d", r.Waitlist)
	}
	answer(t, s, sr, ms[3], time.Time{}, natverk.AnswerYes) // waits at every meeting
	if r := roster(t, s, sr, occs[0]); !slices.Equal(r.Waitlist, ids(ms[3:4])) {
		t.Fatalf("first meeting: %+v", r)
	}
	if r := roster(t, s, sr, occs[1]); !slices.Equal(r.Waitlist, []int64{ms[2].ID, ms[3].ID}) {
		t.Fatalf("second meeting: %+v", r)
	}
	drain(t, s)
	answer(t, s, sr, ms[1], time.Time{}, natverk.AnswerNo)
	evs := drain(t, s)
	got := promotions(t, evs)
	slices.Sort(got)
	want := []int64{ms[2].ID, ms[3].ID, ms[3].ID, ms[3].ID}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("promotions %v, want %v (ms[2] at the second meeting, ms[3] at the other three)", got, want)
	}
	if mails := mailKinds(t, evs)[natverk.MailWaitlistPromoted]; len(mails) != 2 {
		t.Fatalf("promotion mails %v, want one per member", mails)
	}
}

// testWaitlistRace: 100 members say yes at once to 20 places. Exactly 20
// get a place, the other 80 wait in the order they answered, and the
// places stored at answer time agree with the places derived.
func testWaitlistRace(t *testing.T, open Opener) {
	s := open(t)
	ms := mustMembers(t, s, "race", 101)
	sr := capacitySeries(t, s, "Rusning", ms, 20, "")
	occ := sr.Start.UTC()
	var wg sync.WaitGroup
	errs := make(chan error, len(ms))
	for _, m := range ms[1:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := s.RecordRSVP(ctx(), natverk.RSVP{SeriesID: sr.ID, MemberID: m.ID, Answer: natverk.AnswerYes, Source: natverk.SourceLink})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	r := roster(t, s, sr, occ)
	if len(r.Confirmed) != 20 || len(r.Waitlist) != 80 {
		t.Fatalf("%d confirmed, %d waiting; want 20 and 80", len(r.Confirmed), len(r.Waitlist))
	}
	rs, err := s.FindRSVPs(ctx(), natverk.RSVPFilter{SeriesID: sr.ID})
	if err != nil {
		t.Fatal(err)
	}
	byMember := map[int64]*natverk.RSVP{}
	for _, a := range rs {
		byMember[a.MemberID] = a
	}
	for i, id := range append(slices.Clone(r.Confirmed), r.Waitlist...) {
		a := byMember[id]
		want := max(0, i-19)
		if a.Waitlist != want {
			t.Fatalf("member %d, %d. to answer: stored place %d, want %d", id, i+1, a.Waitlist, want)
		}
		if i > 0 {
			prev := byMember[append(slices.Clone(r.Confirmed), r.Waitlist...)[i-1]]
			if a.QueuedAt.Before(prev.QueuedAt) {
				t.Fatalf("place %d queued at %v, before place %d at %v", i+1, a.QueuedAt, i, prev.QueuedAt)
			}
		}
	}
	if got := mailKinds(t, drain(t, s))[natverk.MailWaitlistPromoted]; len(got) != 0 {
		t.Fatalf("promotions without a cancellation: %v", got)
	}
	// Ten confirmed members cancel at once: the first ten waiting move up.
	var wg2 sync.WaitGroup
	for _, id := range r.Confirmed[:10] {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			if _, _, err := s.RecordRSVP(ctx(), natverk.RSVP{SeriesID: sr.ID, MemberID: id, Answer: natverk.AnswerNo, Source: natverk.SourceLink}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg2.Wait()
	after := roster(t, s, sr, occ)
	got := promotions(t, drain(t, s))
	slices.Sort(got)
	want := slices.Clone(r.Waitlist[:10])
	slices.Sort(want)
	if !slices.Equal(got, want) || len(after.Confirmed) != 20 || !slices.Equal(after.Waitlist, r.Waitlist[10:]) {
		t.Fatalf("after 10 cancellations: promoted %v, want %v; roster %d/%d", got, want, len(after.Confirmed), len(after.Waitlist))
	}
}

// quorumSeries makes a weekly series with a quorum of min, decided two
// days before each meeting.
func quorumSeries(t testing.TB, s natverk.Store, name string, ms []*natverk.Member, min int) *natverk.Series {
	t.Helper()
	n := mustNetwork(t, s, name, ms[0].ID)
	if _, err := s.Invite(ctx(), n.ID, natverk.InviteRequest{MemberIDs: ids(ms[1:])}); err != nil {
		t.Fatal(err)
	}
	sr, err := natverk.SeriesInput{Start: soon(3), RRule: "FREQ=WEEKLY;COUNT=5", QuorumMin: min, QuorumBefore: "2d"}.Build(n, checks)
	if err != nil {
		t.Fatal(err)
	}
	sr.UID = events.NewID(time.Now()) + "@test"
	out, err := s.CreateSeries(ctx(), sr)
	if err != nil {
		t.Fatal(err)
	}
	drain(t, s)
	return out
}

// testQuorum: too few yes cancels the meeting for everyone, with one
// notice each; enough yes sends "it's on" to all but those who declined;
// every decision is made once, however many ask at once.
func testQuorum(t *testing.T, open Opener) {
	s := open(t)
	ms := mustMembers(t, s, "kvorum", 5)
	sr := quorumSeries(t, s, "Kvorum", ms, 3)
	if sr.QuorumMin != 3 || time.Duration(sr.QuorumBefore) != 48*time.Hour {
		t.Fatalf("stored quorum rule: %d before %v", sr.QuorumMin, sr.QuorumBefore)
	}
	occs := sr.Upcoming(time.Now(), time.Now().AddDate(0, 2, 0), 10)
	first, second := occs[0], occs[1]
	answer(t, s, sr, ms[1], time.Time{}, natverk.AnswerYes)
	answer(t, s, sr, ms[2], first, natverk.AnswerYes)
	answer(t, s, sr, ms[3], time.Time{}, natverk.AnswerYes)
	answer(t, s, sr, ms[3], first, natverk.AnswerNo)
	drain(t, s)
	// Eight deciders at once: one decides, the others find it decided.
	var done atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := s.DecideQuorum(ctx(), sr.ID, first, time.Now())
			if err != nil {
				t.Error(err)
				return
			}
			if d.Done {
				done.Add(1)
				if d.Outcome != natverk.QuorumMissed || d.Yes != 2 || d.Min != 3 {
					t.Errorf("decision = %+v, want missed with 2 of 3", d)
				}
			}
		}()
	}
	wg.Wait()
	if done.Load() != 1 {
		t.Fatalf("%d deciders decided, want exactly 1", done.Load())
	}
	evs := drain(t, s)
	kinds := mailKinds(t, evs)
	if got := countTypes(evs); got[events.MeetingQuorumDecided] != 1 || got[events.MeetingOccurrenceCancelled] != 1 {
		t.Fatalf("events = %v", got)
	}
	if got := kinds[natverk.MailOccurrenceCancelled]; len(got) != 5 {
		t.Fatalf("cancellations to %v, want all five invitees once", got)
	}
	for _, e := range evs {
		var p events.MailPayload
		if e.Type == events.MailQueued && e.Decode(&p) == nil && p.Note != natverk.QuorumNote(2, 3) {
			t.Fatalf("cancellation note %q", p.Note)
		}
	}
	cur, _ := s.FindSeriesByID(ctx(), sr.ID)
	if ex := cur.Exception(first); ex == nil || !ex.Cancelled || ex.Reason != natverk.QuorumNote(2, 3) {
		t.Fatalf("exception = %+v", ex)
	}
	// Cancelling the cancelled meeting again writes nothing.
	again, err := s.ChangeOccurrence(ctx(), sr.ID, natverk.Exception{RecurrenceID: first, Cancelled: true, Reason: "igen"}, time.Now())
	if err != nil || again.Sequence != cur.Sequence {
		t.Fatalf("second cancel: %v, sequence %d → %d", err, cur.Sequence, again.Sequence)
	}
	if evs := drain(t, s); len(evs) != 0 {
		t.Fatalf("a second cancel wrote %v", countTypes(evs))
	}
	// The second meeting reaches its quorum: "it's on" to all but no.
	answer(t, s, sr, ms[2], time.Time{}, natverk.AnswerYes)
	answer(t, s, sr, ms[4], second, natverk.AnswerNo)
	drain(t, s)
	d, err := s.DecideQuorum(ctx(), sr.ID, second, time.Now())
	if err != nil || !d.Done || d.Outcome != natverk.QuorumReached || d.Yes != 3 {
		t.Fatalf("second meeting: %+v %v", d, err)
	}
	evs = drain(t, s)
	got := mailKinds(t, evs)[natverk.MailConfirmed]
	slices.Sort(got)
	if want := []int64{ms[0].ID, ms[1].ID, ms[2].ID, ms[3].ID}; !slices.Equal(got, want) {
		t.Fatalf("it's-on mail to %v, want %v", got, want)
	}
	if d, _ := s.DecideQuorum(ctx(), sr.ID, second, time.Now()); d.Done {
		t.Fatal("decided twice")
	}
	// A cancelled meeting is moot; a series without the rule is refused.
	third := occs[2]
	if _, err := s.ChangeOccurrence(ctx(), sr.ID, natverk.Exception{RecurrenceID: third, Cancelled: true}, time.Now()); err != nil {
		t.Fatal(err)
	}
	drain(t, s)
	if d, err := s.DecideQuorum(ctx(), sr.ID, third, time.Now()); err != nil || !d.Done || d.Outcome != natverk.QuorumMoot {
		t.Fatalf("cancelled meeting: %+v %v", d, err)
	}
	if got := countTypes(drain(t, s)); got[events.MailQueued] != 0 || got[events.MeetingQuorumDecided] != 1 {
		t.Fatalf("moot decision wrote %v", got)
	}
	plain := mustSeries(t, s, mustNetwork(t, s, "Utan kvorum"), soon(3), "")
	_, err = s.DecideQuorum(ctx(), plain.ID, plain.Start, time.Now())
	wantCode(t, err, natverk.EINVALID)
}

// testAttendance: marks are stored and replaced, counted per meeting,
// and refused for meetings still to come and for strangers.
func testAttendance(t *testing.T, open Opener) {
	s := open(t)
	ms := mustMembers(t, s, "narvaro", 4)
	stranger := mustMembers(t, s, "annan", 1)[0]
	n := mustNetwork(t, s, "Närvaro", ms[0].ID)
	if _, err := s.Invite(ctx(), n.ID, natverk.InviteRequest{MemberIDs: ids(ms[1:])}); err != nil {
		t.Fatal(err)
	}
	start := time.Now().AddDate(0, 0, -21).Format("2006-01-02") + "T18:00"
	sr := mustSeries(t, s, n, start, "FREQ=WEEKLY;COUNT=6")
	drain(t, s)
	past := sr.Upcoming(sr.Start.Add(-time.Hour), time.Now(), 10)
	if len(past) < 3 {
		t.Fatalf("%d past meetings", len(past))
	}
	res, err := s.RecordAttendance(ctx(), sr.ID, natverk.AttendanceInput{Occurrence: past[0], Attended: ids(ms[:3]), Absent: ids(ms[3:]), RecordedBy: ms[0].ID})
	if err != nil || res.Attended != 3 || res.Absent != 1 {
		t.Fatalf("record = %+v %v", res, err)
	}
	if got := countTypes(drain(t, s)); got[events.AttendanceRecorded] != 1 {
		t.Fatalf("events = %v", got)
	}
	// Correcting one mark replaces it; the others stay.
	res, err = s.RecordAttendance(ctx(), sr.ID, natverk.AttendanceInput{Occurrence: past[0], Absent: ids(ms[2:3])})
	if err != nil || res.Attended != 2 || res.Absent != 2 {
		t.Fatalf("correction = %+v %v", res, err)
	}
	if _, err := s.RecordAttendance(ctx(), sr.ID, natverk.AttendanceInput{Occurrence: past[1], Attended: ids(ms[:1])}); err != nil {
		t.Fatal(err)
	}
	recs, err := s.FindAttendance(ctx(), natverk.AttendanceFilter{NetworkID: n.ID})
	if err != nil || len(recs) != 5 {
		t.Fatalf("records = %d %v", len(recs), err)
	}
	if !recs[0].Occurrence.Equal(past[0]) || recs[0].NetworkID != n.ID || recs[0].RecordedAt.IsZero() {
		t.Fatalf("record = %+v", recs[0])
	}
	mine, _ := s.FindAttendance(ctx(), natverk.AttendanceFilter{NetworkID: n.ID, MemberID: ms[0].ID})
	if len(mine) != 2 || !mine[0].Attended || mine[0].RecordedBy != ms[0].ID {
		t.Fatalf("member's records = %+v", mine)
	}
	window, _ := s.FindAttendance(ctx(), natverk.AttendanceFilter{SeriesID: sr.ID, From: past[1], To: past[1].Add(time.Second)})
	if len(window) != 1 {
		t.Fatalf("window = %d records", len(window))
	}
	meetings, err := s.AttendanceMeetings(ctx(), n.ID)
	want := []natverk.AttendanceMeeting{{SeriesID: sr.ID, Occurrence: past[0], Attended: 2, Absent: 2}, {SeriesID: sr.ID, Occurrence: past[1], Attended: 1}}
	if err != nil || len(meetings) != 2 || meetings[0] != want[0] || meetings[1] != want[1] {
		t.Fatalf("meetings = %+v %v", meetings, err)
	}
	future := sr.Upcoming(time.Now().Add(time.Hour), time.Now().AddDate(0, 1, 0), 1)
	_, err = s.RecordAttendance(ctx(), sr.ID, natverk.AttendanceInput{Occurrence: future[0], Attended: ids(ms[:1])})
	wantCode(t, err, natverk.EINVALID)
	_, err = s.RecordAttendance(ctx(), sr.ID, natverk.AttendanceInput{Occurrence: past[2], Attended: []int64{stranger.ID}})
	wantCode(t, err, natverk.EINVALID)
	_, err = s.RecordAttendance(ctx(), sr.ID, natverk.AttendanceInput{Occurrence: past[2].Add(time.Minute), Attended: ids(ms[:1])})
	wantCode(t, err, natverk.EINVALID)
	_, err = s.RecordAttendance(ctx(), 424242, natverk.AttendanceInput{Occurrence: past[2], Attended: ids(ms[:1])})
	wantCode(t, err, natverk.ENOTFOUND)
}

// testPolls: a poll mails every invitee, takes their votes, and its
// decision creates the series and invites everyone in one step.
func testPolls(t *testing.T, open Opener) {
	s := open(t)
	ms := mustMembers(t, s, "poll", 4)
	n := mustNetwork(t, s, "Ny grupp", ms[0].ID)
	if _, err := s.Invite(ctx(), n.ID, natverk.InviteRequest{MemberIDs: ids(ms[1:3])}); err != nil {
		t.Fatal(err)
	}
	drain(t, s)
	in := natverk.PollInput{Title: "När ska vi ses?", Options: []natverk.PollOption{
		{Start: soon(20), RRule: "FREQ=WEEKLY", Location: "Biblioteket"},
		{Start: soon(21), RRule: "FREQ=WEEKLY", DurationMinutes: 90},
		{Start: soon(22), RRule: "FREQ=MONTHLY"},
	}}
	built, err := in.Build(n, checks)
	if err != nil {
		t.Fatal(err)
	}
	built.CreatedBy = ms[0].ID
	p, err := s.CreatePoll(ctx(), built)
	if err != nil || p.ID == 0 || len(p.Options) != 3 || p.Options[1].DurationMinutes != 90 || p.Status != natverk.PollOpen || p.CreatedBy != ms[0].ID {
		t.Fatalf("create = %+v %v", p, err)
	}
	evs := drain(t, s)
	if got := mailKinds(t, evs)[natverk.MailPoll]; len(got) != 3 || countTypes(evs)[events.PollOpened] != 1 {
		t.Fatalf("poll mail to %v, events %v", got, countTypes(evs))
	}
	_, err = s.CreatePoll(ctx(), built)
	wantCode(t, err, natverk.ECONFLICT)
	o1, o2, o3 := p.Options[0].ID, p.Options[1].ID, p.Options[2].ID
	vote := func(m *natverk.Member, v map[int64]string) error {
		return s.RecordVotes(ctx(), p.ID, m.ID, v, time.Time{})
	}
	if err := vote(ms[0], map[int64]string{o1: natverk.VoteYes, o2: natverk.VoteNo, o3: natverk.VoteIfNeedBe}); err != nil {
		t.Fatal(err)
	}
	if err := vote(ms[1], map[int64]string{o1: natverk.VoteNo, o2: natverk.VoteYes}); err != nil {
		t.Fatal(err)
	}
	if err := vote(ms[1], map[int64]string{o1: natverk.VoteIfNeedBe}); err != nil { // changes one vote
		t.Fatal(err)
	}
	if err := vote(ms[2], map[int64]string{o2: natverk.VoteYes, o3: natverk.VoteNo}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, vote(ms[3], map[int64]string{o1: natverk.VoteYes}), natverk.EFORBIDDEN)
	wantCode(t, vote(ms[1], map[int64]string{999999: natverk.VoteYes}), natverk.EINVALID)
	wantCode(t, s.RecordVotes(ctx(), 999999, ms[1].ID, map[int64]string{o1: natverk.VoteYes}, time.Time{}), natverk.ENOTFOUND)
	if got := countTypes(drain(t, s)); got[events.PollVoted] != 4 {
		t.Fatalf("events = %v", got)
	}
	votes, err := s.FindVotes(ctx(), p.ID)
	if err != nil || len(votes) != 7 {
		t.Fatalf("votes = %d %v", len(votes), err)
	}
	tally := natverk.Tally(p, votes)
	if tally.Suggested != o2 || tally.Voters != 3 || tally.Options[0].IfNeedBe != 1 {
		t.Fatalf("tally = %+v", tally)
	}
	list, err := s.FindPolls(ctx(), n.ID)
	if err != nil || len(list) != 1 || len(list[0].Options) != 3 {
		t.Fatalf("polls = %+v %v", list, err)
	}
	sr, err := p.Option(o2).SeriesInput().Build(n, checks)
	if err != nil {
		t.Fatal(err)
	}
	sr.UID = events.NewID(time.Now()) + "@test"
	_, _, err = s.DecidePoll(ctx(), p.ID, 123456, sr)
	wantCode(t, err, natverk.EINVALID)
	decided, series, err := s.DecidePoll(ctx(), p.ID, o2, sr)
	if err != nil || decided.Status != natverk.PollDecided || decided.DecidedOption != o2 || decided.SeriesID != series.ID || decided.DecidedAt == nil {
		t.Fatalf("decide = %+v %+v %v", decided, series, err)
	}
	if series.Duration != 90*time.Minute || series.NetworkID != n.ID {
		t.Fatalf("series = %+v", series)
	}
	evs = drain(t, s)
	if got := countTypes(evs); got[events.PollDecided] != 1 || got[events.MeetingScheduled] != 1 {
		t.Fatalf("events = %v", got)
	}
	if got := mailKinds(t, evs)[natverk.MailInvitation]; len(got) != 3 {
		t.Fatalf("invitations to %v, want every invitee", got)
	}
	sr2 := *sr
	sr2.UID += "-2"
	_, _, err = s.DecidePoll(ctx(), p.ID, o1, &sr2)
	wantCode(t, err, natverk.ECONFLICT)
	wantCode(t, vote(ms[1], map[int64]string{o1: natverk.VoteYes}), natverk.ECONFLICT)
	// The network has its meetings now: no new poll.
	again, _ := in.Build(n, checks)
	_, err = s.CreatePoll(ctx(), again)
	wantCode(t, err, natverk.ECONFLICT)
	_, err = s.FindPollByID(ctx(), 999999)
	wantCode(t, err, natverk.ENOTFOUND)
}

// testCapacityLeave: a member who leaves, or unsubscribes, frees their
// place, and the first waiting member is promoted with a mail, as when
// someone says no.
func testCapacityLeave(t *testing.T, open Opener) {
	s := open(t)
	ms := mustMembers(t, s, "leave", 5) // ms[0] organizes
	sr := capacitySeries(t, s, "Lämna", ms, 2, "")
	occ := sr.Start.UTC()
	for _, m := range ms[1:5] {
		answer(t, s, sr, m, time.Time{}, natverk.AnswerYes)
	}
	drain(t, s)
	if _, err := s.SetMembership(ctx(), sr.NetworkID, ms[1].ID, natverk.StatusLeft, "link"); err != nil {
		t.Fatal(err)
	}
	evs := drain(t, s)
	if got := mailKinds(t, evs)[natverk.MailWaitlistPromoted]; !slices.Equal(got, ids(ms[3:4])) {
		t.Fatalf("leaving promoted %v by mail, want %v", got, ids(ms[3:4]))
	}
	if r := roster(t, s, sr, occ); !slices.Equal(r.Confirmed, []int64{ms[2].ID, ms[3].ID}) || !slices.Equal(r.Waitlist, ids(ms[4:5])) {
		t.Fatalf("roster after leaving = %+v", r)
	}
	if _, err := s.SetMembership(ctx(), sr.NetworkID, ms[2].ID, natverk.StatusUnsubscribed, "link"); err != nil {
		t.Fatal(err)
	}
	if got := mailKinds(t, drain(t, s))[natverk.MailWaitlistPromoted]; !slices.Equal(got, ids(ms[4:5])) {
		t.Fatalf("unsubscribing promoted %v by mail, want %v", got, ids(ms[4:5]))
	}
}
