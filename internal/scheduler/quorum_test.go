package scheduler_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/natverk/natverk/calendar"
	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/pgtest"
	"github.com/natverk/natverk/internal/postgres"
	"github.com/natverk/natverk/internal/scheduler"
	"github.com/natverk/natverk/internal/sqlite"
)

// clockStore is a store whose clock the test sets.
type clockStore interface {
	natverk.Store
	setNow(func() time.Time)
}

type sqliteStore struct{ *sqlite.DB }

func (s sqliteStore) setNow(f func() time.Time) { s.Now = f }

type postgresStore struct{ *postgres.DB }

func (s postgresStore) setNow(f func() time.Time) { s.Now = f }

// stores runs fn against SQLite and (when it answers) Postgres.
func stores(t *testing.T, fn func(t *testing.T, s clockStore)) {
	t.Run("SQLite", func(t *testing.T) {
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "natverk.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		fn(t, sqliteStore{db})
	})
	t.Run("Postgres", func(t *testing.T) {
		db, err := postgres.Open(context.Background(), pgtest.Fresh(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		fn(t, postgresStore{db})
	})
}

var checks = natverk.Checks{Zone: calendar.ValidateTimeZone, Rule: calendar.ValidateRule}

// pending returns the unpublished events and marks them published.
func pending(t *testing.T, s natverk.Store) []events.Envelope {
	t.Helper()
	evs, err := s.PendingOutbox(context.Background(), 100000)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	var out []events.Envelope
	for _, e := range evs {
		seqs = append(seqs, e.Seq)
		out = append(out, e.Event)
	}
	if err := s.MarkPublished(context.Background(), seqs, time.Now()); err != nil {
		t.Fatal(err)
	}
	return out
}

func mails(t *testing.T, evs []events.Envelope, kind string) int {
	t.Helper()
	n := 0
	for _, e := range evs {
		var p events.MailPayload
		if e.Type == events.MailQueued {
			if err := e.Decode(&p); err != nil {
				t.Fatal(err)
			}
			if p.Kind == kind {
				n++
			}
		}
	}
	return n
}

// TestQuorumOnceWithTwoSchedulers: two schedulers (as two processes
// would) tick at the same time, over and over, when a meeting's quorum is
// due. The meeting below its quorum is cancelled once, with one notice
// per invitee; the next, which reaches it, gets one "it's on" mail each.
func TestQuorumOnceWithTwoSchedulers(t *testing.T) {
	stores(t, func(t *testing.T, s clockStore) {
		ctx := context.Background()
		loc, _ := time.LoadLocation("Europe/Stockholm")
		t0 := time.Date(2027, 3, 1, 9, 0, 0, 0, loc)
		var mu sync.Mutex
		now := t0
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		setClock := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
		s.setNow(clock)

		var rows []natverk.ImportRow
		for i := range 6 {
			in, _ := natverk.MemberInput{Email: fmt.Sprintf("m%d@example.org", i), Name: fmt.Sprintf("Medlem %d", i)}.Normalize()
			rows = append(rows, natverk.ImportRow{Row: i + 2, MemberInput: in})
		}
		if _, err := s.ImportMembers(ctx, rows); err != nil {
			t.Fatal(err)
		}
		var ms []*natverk.Member
		for _, r := range rows {
			m, _ := s.FindMemberByEmail(ctx, r.Email)
			ms = append(ms, m)
		}
		nin, _ := natverk.NetworkInput{Name: "Kvorumnätet", Organizers: []int64{ms[0].ID}}.Normalize(checks.Zone)
		n, err := s.CreateNetwork(ctx, nin, "tok")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Invite(ctx, n.ID, natverk.InviteRequest{MemberIDs: []int64{ms[1].ID, ms[2].ID, ms[3].ID, ms[4].ID, ms[5].ID}}); err != nil {
			t.Fatal(err)
		}
		sr, err := natverk.SeriesInput{Start: "2027-03-09T18:00", RRule: "FREQ=WEEKLY;BYDAY=TU;COUNT=4", QuorumMin: 3, QuorumBefore: "2d"}.Build(n, checks)
		if err != nil {
			t.Fatal(err)
		}
		sr.UID = "kvorum@natverk.test"
		if sr, err = s.CreateSeries(ctx, sr); err != nil {
			t.Fatal(err)
		}
		first := time.Date(2027, 3, 9, 18, 0, 0, 0, loc).UTC()
		second := first.AddDate(0, 0, 7)
		for _, m := range ms[1:3] {
			if _, _, err := s.RecordRSVP(ctx, natverk.RSVP{SeriesID: sr.ID, MemberID: m.ID, Answer: natverk.AnswerYes, Source: natverk.SourceLink}); err != nil {
				t.Fatal(err)
			}
		}
		pending(t, s)

		tickTogether := func() {
			schedulers := []*scheduler.Scheduler{
				{Store: s, Now: clock, Holder: "a"},
				{Store: s, Now: clock, Holder: "b"},
			}
			var wg sync.WaitGroup
			for _, sch := range schedulers {
				wg.Add(1)
				go func() { // one process each, ticking again and again
					defer wg.Done()
					for range 3 {
						if err := sch.Tick(ctx); err != nil {
							t.Error(err)
						}
					}
				}()
			}
			wg.Wait()
		}

		// Before the decision time nothing is decided.
		setClock(first.Add(-49 * time.Hour))
		tickTogether()
		if evs := pending(t, s); countType(evs, events.MeetingQuorumDecided) != 0 {
			t.Fatal("decided before the decision time")
		}
		// Two yes of three needed: cancelled, once.
		setClock(first.Add(-47 * time.Hour))
		tickTogether()
		tickTogether()
		evs := pending(t, s)
		if got := countType(evs, events.MeetingQuorumDecided); got != 1 {
			t.Fatalf("%d quorum decisions, want 1", got)
		}
		if got := countType(evs, events.MeetingOccurrenceCancelled); got != 1 {
			t.Fatalf("%d cancellations, want 1", got)
		}
		if got := mails(t, evs, natverk.MailOccurrenceCancelled); got != 6 {
			t.Fatalf("%d cancellation mails, want one per invitee (6)", got)
		}
		cur, _ := s.FindSeriesByID(ctx, sr.ID)
		if ex := cur.Exception(first); ex == nil || !ex.Cancelled {
			t.Fatalf("first meeting not cancelled: %+v", cur.Exceptions)
		}
		// A third yes: the second meeting is on, and says so once.
		if _, _, err := s.RecordRSVP(ctx, natverk.RSVP{SeriesID: sr.ID, MemberID: ms[3].ID, Answer: natverk.AnswerYes, Source: natverk.SourceLink}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.RecordRSVP(ctx, natverk.RSVP{SeriesID: sr.ID, MemberID: ms[5].ID, Occurrence: second, Answer: natverk.AnswerNo, Source: natverk.SourceLink}); err != nil {
			t.Fatal(err)
		}
		pending(t, s)
		setClock(second.Add(-30 * time.Hour))
		tickTogether()
		tickTogether()
		evs = pending(t, s)
		if got := countType(evs, events.MeetingQuorumDecided); got != 1 {
			t.Fatalf("%d quorum decisions for the second meeting, want 1", got)
		}
		if got := mails(t, evs, natverk.MailConfirmed); got != 5 {
			t.Fatalf("%d it's-on mails, want 5 (all but the one who declined)", got)
		}
		if got := countType(evs, events.MeetingOccurrenceCancelled); got != 0 {
			t.Fatal("the second meeting was cancelled")
		}
	})
}

func countType(evs []events.Envelope, typ string) int {
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}
