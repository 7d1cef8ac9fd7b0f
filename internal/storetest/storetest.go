// Package storetest is the conformance suite every natverk.Store must
// pass: internal/sqlite and internal/postgres run the same tests, so the
// two dialects behave alike (the same search finds the same members, the
// same change writes the same events).
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

// Opener returns a new, empty, migrated store for one test; the store is
// closed by the opener's cleanup.
type Opener func(tb testing.TB) natverk.Store

// Run runs the whole suite against stores made by open.
func Run(t *testing.T, open Opener) {
	t.Run("Members", func(t *testing.T) { testMembers(t, open) })
	t.Run("Search", func(t *testing.T) { testSearch(t, open) })
	t.Run("ImportLarge", func(t *testing.T) { testImportLarge(t, open) })
	t.Run("Networks", func(t *testing.T) { testNetworks(t, open) })
	t.Run("Series", func(t *testing.T) { testSeries(t, open) })
	t.Run("Invite", func(t *testing.T) { testInvite(t, open) })
	t.Run("Continuity", func(t *testing.T) { testContinuity(t, open) })
	t.Run("RSVP", func(t *testing.T) { testRSVP(t, open) })
	t.Run("CountAnswers", func(t *testing.T) { testCountAnswers(t, open) })
	t.Run("Close", func(t *testing.T) { testClose(t, open) })
	t.Run("Support", func(t *testing.T) { testSupport(t, open) })
	t.Run("Tokens", func(t *testing.T) { testTokens(t, open) })
	t.Run("Outbox", func(t *testing.T) { testOutbox(t, open) })
	t.Run("Mail", func(t *testing.T) { testMail(t, open) })
	t.Run("Feeds", func(t *testing.T) { testFeeds(t, open) })
	t.Run("Inbound", func(t *testing.T) { testInbound(t, open) })
	t.Run("Lease", func(t *testing.T) { testLease(t, open) })
	t.Run("Erase", func(t *testing.T) { testErase(t, open) })
	t.Run("Jobs", func(t *testing.T) { testJobs(t, open) })
	t.Run("Capacity", func(t *testing.T) { testCapacity(t, open) })
	t.Run("CapacityLeave", func(t *testing.T) { testCapacityLeave(t, open) })
	t.Run("CapacityOccurrenceAnswers", func(t *testing.T) { testCapacityOccurrenceAnswers(t, open) })
	t.Run("WaitlistRace", func(t *testing.T) { testWaitlistRace(t, open) })
	t.Run("Quorum", func(t *testing.T) { testQuorum(t, open) })
	t.Run("Attendance", func(t *testing.T) { testAttendance(t, open) })
	t.Run("Polls", func(t *testing.T) { testPolls(t, open) })
	t.Run("Webhooks", func(t *testing.T) { testWebhooks(t, open) })
}

// checks are permissive calendar checks: the suite tests the store, not
// RRULE validation.
var checks = natverk.Checks{
	Zone: func(name string) error { _, err := time.LoadLocation(name); return err },
	Rule: func(string, time.Time) error { return nil },
}

func ctx() context.Context { return context.Background() }

func mustImport(t testing.TB, s natverk.Store, rows ...natverk.MemberInput) []*natverk.Member {
	t.Helper()
	var irows []natverk.ImportRow
	for i, r := range rows {
		n, err := r.Normalize()
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		irows = append(irows, natverk.ImportRow{Row: i + 2, MemberInput: n})
	}
	if _, err := s.ImportMembers(ctx(), irows); err != nil {
		t.Fatal(err)
	}
	var out []*natverk.Member
	for _, r := range rows {
		m, err := s.FindMemberByEmail(ctx(), r.Email)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func mustNetwork(t testing.TB, s natverk.Store, name string, organizers ...int64) *natverk.Network {
	t.Helper()
	in, err := natverk.NetworkInput{Name: name, Kind: natverk.KindGeographic, Organizers: organizers}.Normalize(checks.Zone)
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.CreateNetwork(ctx(), in, "feedtoken-"+in.Slug)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func mustSeries(t testing.TB, s natverk.Store, n *natverk.Network, start, rule string) *natverk.Series {
	t.Helper()
	sr, err := natverk.SeriesInput{Start: start, RRule: rule, Location: "Järntorget 1, Göteborg"}.Build(n, checks)
	if err != nil {
		t.Fatal(err)
	}
	sr.UID = events.NewID(time.Now()) + "@test"
	out, err := s.CreateSeries(ctx(), sr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// pending returns the types of unpublished outbox events, and marks them
// published so the next call sees only new ones.
func drain(t testing.TB, s natverk.Store) []events.Envelope {
	t.Helper()
	evs, err := s.PendingOutbox(ctx(), 100000)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	var out []events.Envelope
	for _, e := range evs {
		seqs = append(seqs, e.Seq)
		out = append(out, e.Event)
	}
	if err := s.MarkPublished(ctx(), seqs, time.Now()); err != nil {
		t.Fatal(err)
	}
	return out
}

func countTypes(evs []events.Envelope) map[string]int {
	m := map[string]int{}
	for _, e := range evs {
		m[e.Type]++
	}
	return m
}

func mailKinds(t testing.TB, evs []events.Envelope) map[string][]int64 {
	t.Helper()
	m := map[string][]int64{}
	for _, e := range evs {
		if e.Type != events.MailQueued {
			continue
		}
		var p events.MailPayload
		if err := e.Decode(&p); err != nil {
			t.Fatal(err)
		}
		m[p.Kind] = append(m[p.Kind], p.MemberID)
	}
	return m
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := natverk.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}
