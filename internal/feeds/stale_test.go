package feeds_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/natverk/natverk/calendar"
	"github.com/natverk/natverk/internal/feeds"
	"github.com/natverk/natverk/internal/icaltest"
	"github.com/natverk/natverk/internal/links"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/sqlite"
	"github.com/natverk/natverk/internal/token"
)

// TestStale: a feed served from memory keeps its copy until it is marked
// stale; then the next Get renders it again from the store, without the
// calendar worker's Invalidate.
func TestStale(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "natverk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sig, _ := token.NewSigner(token.Key{ID: 1, Secret: bytes.Repeat([]byte("k"), 32)})
	// A long cache lifetime: only Stale can make the change show.
	r := &feeds.Renderer{Store: db, Links: &links.Builder{BaseURL: "https://natverk.test", MailDomain: "natverk.test", Signer: sig}, CacheTTL: time.Hour}
	checks := natverk.Checks{Zone: calendar.ValidateTimeZone, Rule: calendar.ValidateRule}
	in, _ := natverk.MemberInput{Email: "a@example.org", Name: "Anna"}.Normalize()
	if _, err := db.ImportMembers(ctx, []natverk.ImportRow{{Row: 2, MemberInput: in}}); err != nil {
		t.Fatal(err)
	}
	m, _ := db.FindMemberByEmail(ctx, "a@example.org")
	nin, _ := natverk.NetworkInput{Name: "Färskt", Organizers: []int64{m.ID}}.Normalize(checks.Zone)
	n, err := db.CreateNetwork(ctx, nin, "tok")
	if err != nil {
		t.Fatal(err)
	}
	sr, err := natverk.SeriesInput{Start: time.Now().AddDate(0, 1, 0).Format("2006-01-02") + "T18:00", RRule: "FREQ=WEEKLY;COUNT=3"}.Build(n, checks)
	if err != nil {
		t.Fatal(err)
	}
	sr.UID = "farskt@natverk.test"
	if sr, err = db.CreateSeries(ctx, sr); err != nil {
		t.Fatal(err)
	}
	answer := func(a string) {
		t.Helper()
		if _, _, err := db.RecordRSVP(ctx, natverk.RSVP{SeriesID: sr.ID, MemberID: m.ID, Answer: a, Source: natverk.SourceLink, AnsweredAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	get := func() string {
		t.Helper()
		f, err := r.Get(ctx, natverk.MemberFeedKey(m.ID))
		if err != nil {
			t.Fatal(err)
		}
		icaltest.Check(t, f.Body)
		return unfold(f.Body)
	}
	answer(natverk.AnswerYes)
	if !strings.Contains(get(), "Ditt svar: Ja") {
		t.Fatal("the first render does not show the answer")
	}
	answer(natverk.AnswerNo)
	if !strings.Contains(get(), "Ditt svar: Ja") {
		t.Fatal("the cached copy changed without Stale (the test would prove nothing)")
	}
	r.Stale(natverk.MemberFeedKey(m.ID))
	if got := get(); !strings.Contains(got, "Ditt svar: Nej") {
		t.Fatalf("after Stale the feed still shows the old answer:\n%s", got)
	}
}
