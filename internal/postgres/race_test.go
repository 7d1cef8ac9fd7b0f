package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

// TestRecordRSVPConcurrent sends the same yes from 20 goroutines with
// different answer times, the way redelivered replies and link clicks
// race: exactly one records a change, with one rsvp.recorded and one
// member.joined event, and the latest answer time is stored.
func TestRecordRSVPConcurrent(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	in, _ := natverk.MemberInput{Email: "a@example.org", Name: "A"}.Normalize()
	if _, err := db.ImportMembers(ctx, []natverk.ImportRow{{Row: 2, MemberInput: in}}); err != nil {
		t.Fatal(err)
	}
	m, _ := db.FindMemberByEmail(ctx, in.Email)
	nin, _ := natverk.NetworkInput{Name: "Samtidigt"}.Normalize(func(string) error { return nil })
	n, err := db.CreateNetwork(ctx, nin, "tok")
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Europe/Stockholm")
	s, err := db.CreateSeries(ctx, &natverk.Series{NetworkID: n.ID, UID: "race@test", Summary: "Möte", TimeZone: "Europe/Stockholm",
		Start: time.Date(2027, 1, 12, 18, 0, 0, 0, loc), Duration: time.Hour, Rule: "FREQ=WEEKLY"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Invite(ctx, n.ID, natverk.InviteRequest{MemberIDs: []int64{m.ID}}); err != nil {
		t.Fatal(err)
	}
	drainOutbox(t, db)

	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	const workers = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	changes := 0
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, changed, err := db.RecordRSVP(ctx, natverk.RSVP{SeriesID: s.ID, MemberID: m.ID, Answer: natverk.AnswerYes, Source: natverk.SourceLink,
				AnsweredAt: t0.Add(time.Duration(i) * time.Second)})
			if err != nil {
				t.Error(err)
				return
			}
			if changed {
				mu.Lock()
				changes++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if changes != 1 {
		t.Errorf("%d answers recorded as a change, want 1", changes)
	}
	got := map[string]int{}
	for _, e := range drainOutbox(t, db) {
		got[e.Type]++
	}
	if got[events.RSVPRecorded] != 1 || got[events.MemberJoined] != 1 || len(got) != 2 {
		t.Errorf("events = %v, want one rsvp.recorded and one member.joined", got)
	}
	list, err := db.FindRSVPs(ctx, natverk.RSVPFilter{SeriesID: s.ID})
	if err != nil || len(list) != 1 || !list[0].AnsweredAt.Equal(t0.Add((workers-1)*time.Second)) {
		t.Fatalf("stored answers = %+v %v, want the latest", list, err)
	}
}

// TestRecordRSVPConcurrentMembers answers one series for 40 members at
// once, twice each (a yes, then a no given later), as the RSVP burst
// does: answers that wait for one another are written together (one
// transaction per group), and each member's later answer is stored, with
// one rsvp.recorded per change and one member.joined per member; an
// answer of a member who left is refused on its own, without failing the
// others.
func TestRecordRSVPConcurrentMembers(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	const members = 40
	var rows []natverk.ImportRow
	for i := range members + 1 {
		in, _ := natverk.MemberInput{Email: fmt.Sprintf("m%d@example.org", i), Name: fmt.Sprint("M ", i)}.Normalize()
		rows = append(rows, natverk.ImportRow{Row: i + 2, MemberInput: in})
	}
	if _, err := db.ImportMembers(ctx, rows); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, r := range rows {
		m, err := db.FindMemberByEmail(ctx, r.Email)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	nin, _ := natverk.NetworkInput{Name: "Många"}.Normalize(func(string) error { return nil })
	n, err := db.CreateNetwork(ctx, nin, "tok")
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Europe/Stockholm")
	s, err := db.CreateSeries(ctx, &natverk.Series{NetworkID: n.ID, UID: "many@test", Summary: "Möte", TimeZone: "Europe/Stockholm",
		Start: time.Date(2027, 1, 12, 18, 0, 0, 0, loc), Duration: time.Hour, Rule: "FREQ=WEEKLY"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Invite(ctx, n.ID, natverk.InviteRequest{MemberIDs: ids}); err != nil {
		t.Fatal(err)
	}
	left := ids[members]
	if _, err := db.SetMembership(ctx, n.ID, left, natverk.StatusLeft, natverk.SourceLink); err != nil {
		t.Fatal(err)
	}
	drainOutbox(t, db)

	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for i, id := range ids {
		for k, answer := range []string{natverk.AnswerYes, natverk.AnswerNo} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := db.RecordRSVP(ctx, natverk.RSVP{SeriesID: s.ID, MemberID: id, Answer: answer, Source: natverk.SourceLink,
					AnsweredAt: t0.Add(time.Duration(k) * time.Minute)})
				if id == left {
					if natverk.ErrorCode(err) != natverk.EFORBIDDEN {
						t.Errorf("answer of a member who left: %v, want EFORBIDDEN", err)
					}
				} else if err != nil {
					t.Errorf("member %d: %v", i, err)
				}
			}()
		}
	}
	wg.Wait()
	list, err := db.FindRSVPs(ctx, natverk.RSVPFilter{SeriesID: s.ID})
	if err != nil || len(list) != members {
		t.Fatalf("stored %d answers (%v), want %d", len(list), err, members)
	}
	for _, r := range list {
		if r.Answer != natverk.AnswerNo || !r.AnsweredAt.Equal(t0.Add(time.Minute)) {
			t.Errorf("member %d: stored %s at %s, want the later no", r.MemberID, r.Answer, r.AnsweredAt)
		}
	}
	recorded, joined := 0, 0
	for _, e := range drainOutbox(t, db) {
		switch e.Type {
		case events.RSVPRecorded:
			recorded++
		case events.MemberJoined:
			joined++
		}
	}
	// Each member's no is a change; the yes is one too when it came
	// first (and then the member joined).
	if recorded < members || recorded > 2*members || joined != recorded-members {
		t.Errorf("%d rsvp.recorded and %d member.joined, want %d to %d and one join per yes recorded", recorded, joined, members, 2*members)
	}
}

// TestOutboxSeqFollowsCommitOrder runs concurrent changes to one network
// that lock no common row (support requests) and checks that the relay, reading the outbox while they commit, never
// sees an event of the network appear behind one it has read already.
func TestOutboxSeqFollowsCommitOrder(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	nin, _ := natverk.NetworkInput{Name: "Ordning"}.Normalize(func(string) error { return nil })
	n, err := db.CreateNetwork(ctx, nin, "tok")
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				in := natverk.SupportInput{What: fmt.Sprintf("Fika %d/%d", w, i)}
				if _, err := db.CreateSupportRequest(ctx, n.ID, 0, in, "styrelsen@example.org"); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	stopWorkers := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopWorkers()
	// The relay's view: the highest seq published so far. A pending event
	// with a lower seq would have committed after a later one.
	var high int64
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		evs, err := db.PendingOutbox(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		var seqs []int64
		for _, e := range evs {
			if e.Seq < high {
				t.Fatalf("event seq %d appeared after seq %d was published", e.Seq, high)
			}
			high = max(high, e.Seq)
			seqs = append(seqs, e.Seq)
		}
		if err := db.MarkPublished(ctx, seqs, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	stopWorkers()
	if high < 10 {
		t.Fatalf("only %d events written; the test did not exercise concurrency", high)
	}
}

func drainOutbox(t *testing.T, db natverk.Store) []events.Envelope {
	t.Helper()
	ctx := context.Background()
	evs, err := db.PendingOutbox(ctx, -1)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	var out []events.Envelope
	for _, e := range evs {
		seqs = append(seqs, e.Seq)
		out = append(out, e.Event)
	}
	if err := db.MarkPublished(ctx, seqs, time.Now()); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestChangeOccurrenceNanoseconds moves an occurrence named by a time with
// nanoseconds: occurrences start on whole seconds, and so does the key.
func TestChangeOccurrenceNanoseconds(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	nin, _ := natverk.NetworkInput{Name: "Nano"}.Normalize(func(string) error { return nil })
	n, err := db.CreateNetwork(ctx, nin, "tok")
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Europe/Stockholm")
	s, err := db.CreateSeries(ctx, &natverk.Series{NetworkID: n.ID, UID: "nano@test", Summary: "Möte", TimeZone: "Europe/Stockholm",
		Start: time.Date(2027, 1, 12, 18, 0, 0, 0, loc), Duration: time.Hour, Rule: "FREQ=WEEKLY"})
	if err != nil {
		t.Fatal(err)
	}
	rid := time.Date(2027, 1, 19, 18, 0, 0, 123456789, loc)
	out, err := db.ChangeOccurrence(ctx, s.ID, natverk.Exception{RecurrenceID: rid, Cancelled: true}, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Exceptions) != 1 || !out.Exceptions[0].RecurrenceID.Equal(rid.Truncate(time.Second)) {
		t.Fatalf("exceptions = %+v", out.Exceptions)
	}
}

// TestRecordRSVPGroupFailure has one answer among many concurrent ones
// that Postgres refuses (a NUL byte in its text): when it shares a group
// with others, the group is rolled back and each answer is written alone,
// so only that one fails, every other answer is stored once, with one
// event each.
func TestRecordRSVPGroupFailure(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	const members = 30
	var rows []natverk.ImportRow
	for i := range members {
		in, _ := natverk.MemberInput{Email: fmt.Sprintf("g%d@example.org", i), Name: fmt.Sprint("G ", i)}.Normalize()
		rows = append(rows, natverk.ImportRow{Row: i + 2, MemberInput: in})
	}
	if _, err := db.ImportMembers(ctx, rows); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, r := range rows {
		m, err := db.FindMemberByEmail(ctx, r.Email)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	nin, _ := natverk.NetworkInput{Name: "Grupp"}.Normalize(func(string) error { return nil })
	n, err := db.CreateNetwork(ctx, nin, "tok")
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Europe/Stockholm")
	s, err := db.CreateSeries(ctx, &natverk.Series{NetworkID: n.ID, UID: "group@test", Summary: "Möte", TimeZone: "Europe/Stockholm",
		Start: time.Date(2027, 1, 12, 18, 0, 0, 0, loc), Duration: time.Hour, Rule: "FREQ=WEEKLY"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Invite(ctx, n.ID, natverk.InviteRequest{MemberIDs: ids}); err != nil {
		t.Fatal(err)
	}
	drainOutbox(t, db)
	bad := ids[members/2]
	for round, answer := range []string{natverk.AnswerMaybe, natverk.AnswerNo, natverk.AnswerMaybe} {
		var wg sync.WaitGroup
		for _, id := range ids {
			wg.Go(func() {
				src := natverk.SourceLink
				if id == bad {
					src = "link\x00"
				}
				_, changed, err := db.RecordRSVP(ctx, natverk.RSVP{SeriesID: s.ID, MemberID: id, Answer: answer, Source: src})
				switch {
				case id == bad && err == nil:
					t.Errorf("round %d: the refused answer was stored", round)
				case id != bad && err != nil:
					t.Errorf("round %d: member %d: %v", round, id, err)
				case id != bad && !changed:
					t.Errorf("round %d: member %d: a new answer reported unchanged", round, id)
				}
			})
		}
		wg.Wait()
		list, err := db.FindRSVPs(ctx, natverk.RSVPFilter{SeriesID: s.ID})
		if err != nil || len(list) != members-1 {
			t.Fatalf("round %d: %d answers stored (%v), want %d", round, len(list), err, members-1)
		}
		for _, r := range list {
			if r.Answer != answer || r.MemberID == bad {
				t.Errorf("round %d: member %d stored %q, want %q", round, r.MemberID, r.Answer, answer)
			}
		}
		recorded := 0
		for _, e := range drainOutbox(t, db) {
			if e.Type == events.RSVPRecorded {
				recorded++
			}
		}
		if recorded != members-1 {
			t.Errorf("round %d: %d rsvp.recorded events, want one per stored answer (%d)", round, recorded, members-1)
		}
	}
}
