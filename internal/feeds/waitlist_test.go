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

// unfold joins folded iCalendar lines.
func unfold(b []byte) string { return strings.ReplaceAll(string(b), "\r\n ", "") }

// TestWaitlistInFeeds: a member waiting for a place sees the meeting as
// tentative with their place in their own feed, until a cancellation
// gives them the place; the network feed says the meeting is full; a
// capacity set on one occurrence adds no instance to any calendar.
func TestWaitlistInFeeds(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "natverk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	sig, _ := token.NewSigner(token.Key{ID: 1, Secret: bytes.Repeat([]byte("k"), 32)})
	r := &feeds.Renderer{Store: db, Links: &links.Builder{BaseURL: "https://natverk.test", MailDomain: "natverk.test", Signer: sig}, Now: func() time.Time { return now }}
	checks := natverk.Checks{Zone: calendar.ValidateTimeZone, Rule: calendar.ValidateRule}

	var rows []natverk.ImportRow
	for i, e := range []string{"a@example.org", "b@example.org", "c@example.org"} {
		in, _ := natverk.MemberInput{Email: e, Name: strings.ToUpper(e[:1]), Locale: []string{"sv", "sv", "en"}[i]}.Normalize()
		rows = append(rows, natverk.ImportRow{Row: i + 2, MemberInput: in})
	}
	if _, err := db.ImportMembers(ctx, rows); err != nil {
		t.Fatal(err)
	}
	var ms []*natverk.Member
	for _, row := range rows {
		m, _ := db.FindMemberByEmail(ctx, row.Email)
		ms = append(ms, m)
	}
	nin, _ := natverk.NetworkInput{Name: "Fullsatt", Organizers: []int64{ms[0].ID}}.Normalize(checks.Zone)
	n, err := db.CreateNetwork(ctx, nin, "tok")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Invite(ctx, n.ID, natverk.InviteRequest{MemberIDs: []int64{ms[1].ID, ms[2].ID}}); err != nil {
		t.Fatal(err)
	}
	sr, err := natverk.SeriesInput{Start: "2027-01-12T18:00", RRule: "FREQ=WEEKLY;COUNT=3", Capacity: 1}.Build(n, checks)
	if err != nil {
		t.Fatal(err)
	}
	sr.UID = "fullsatt@natverk.test"
	if sr, err = db.CreateSeries(ctx, sr); err != nil {
		t.Fatal(err)
	}
	say := func(m *natverk.Member, a string) {
		t.Helper()
		now = now.Add(time.Minute)
		if _, _, err := db.RecordRSVP(ctx, natverk.RSVP{SeriesID: sr.ID, MemberID: m.ID, Answer: a, Source: natverk.SourceLink}); err != nil {
			t.Fatal(err)
		}
	}
	render := func(key string) []byte {
		t.Helper()
		f, _, err := r.Render(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return f.Body
	}
	say(ms[0], natverk.AnswerYes)
	say(ms[1], natverk.AnswerYes)
	say(ms[2], natverk.AnswerYes)

	b := render(natverk.MemberFeedKey(ms[1].ID))
	c := render(natverk.MemberFeedKey(ms[2].ID))
	a := render(natverk.MemberFeedKey(ms[0].ID))
	network := render(natverk.NetworkFeedKey(n.ID))
	icaltest.Check(t, a, b, c, network)
	if got := strings.Count(unfold(b), "STATUS:TENTATIVE"); got != 3 {
		t.Fatalf("B waits at 3 meetings; the feed has %d tentative events:\n%s", got, b)
	}
	if !strings.Contains(unfold(b), `Reservlista\, plats 1.`) || !strings.Contains(unfold(c), `Waitlist\, place 2.`) {
		t.Fatalf("places missing:\n%s\n%s", b, c)
	}
	if strings.Contains(unfold(a), "TENTATIVE") {
		t.Fatalf("A has a place but the feed says tentative:\n%s", a)
	}
	if !strings.Contains(unfold(network), "Fullt: 2 på reservlistan.") {
		t.Fatalf("network feed does not say the meeting is full:\n%s", network)
	}
	// A cancels: B gets the place and C moves up.
	say(ms[0], natverk.AnswerNo)
	b, c = render(natverk.MemberFeedKey(ms[1].ID)), render(natverk.MemberFeedKey(ms[2].ID))
	icaltest.Check(t, b, c)
	if strings.Contains(unfold(b), "TENTATIVE") || !strings.Contains(unfold(b), "Ditt svar: Ja") {
		t.Fatalf("B promoted, feed:\n%s", b)
	}
	if !strings.Contains(unfold(c), `Waitlist\, place 1.`) {
		t.Fatalf("C moved up, feed:\n%s", c)
	}
	// A capacity of 5 on the second meeting: no instance in any calendar,
	// and C has a place there.
	second := time.Date(2027, 1, 19, 17, 0, 0, 0, time.UTC)
	if _, err := db.SetCapacity(ctx, sr.ID, second, 5); err != nil {
		t.Fatal(err)
	}
	network, c = render(natverk.NetworkFeedKey(n.ID)), render(natverk.MemberFeedKey(ms[2].ID))
	icaltest.Check(t, network, c)
	if strings.Contains(unfold(network), "RECURRENCE-ID") {
		t.Fatalf("a capacity became an instance:\n%s", network)
	}
	if got := strings.Count(unfold(c), "STATUS:TENTATIVE"); got != 2 {
		t.Fatalf("C waits at 2 meetings now; %d tentative:\n%s", got, c)
	}
}
