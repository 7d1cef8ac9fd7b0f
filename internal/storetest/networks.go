package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

func testNetworks(t *testing.T, open Opener) {
	s := open(t)
	ms := mustImport(t, s, natverk.MemberInput{Email: "org@example.org", Name: "Olle Organisatör"})
	n := mustNetwork(t, s, "Chefer i Göteborg", ms[0].ID)
	if n.Slug != "chefer-i-goteborg" || n.Status != natverk.NetworkActive || n.TimeZone != "Europe/Stockholm" {
		t.Fatalf("network = %+v", n)
	}
	if d := cmp.Diff([]int64{ms[0].ID}, n.Organizers); d != "" {
		t.Fatalf("organizers: %s", d)
	}
	in, _ := natverk.NetworkInput{Name: "Chefer i Göteborg"}.Normalize(checks.Zone)
	_, err := s.CreateNetwork(ctx(), in, "x")
	wantCode(t, err, natverk.ECONFLICT)
	got, err := s.FindNetworkBySlug(ctx(), "chefer-i-goteborg")
	if err != nil || got.ID != n.ID {
		t.Fatalf("by slug: %+v %v", got, err)
	}
	_, err = s.FindNetworkBySlug(ctx(), "nope")
	wantCode(t, err, natverk.ENOTFOUND)
	m, err := s.FindMembership(ctx(), n.ID, ms[0].ID)
	if err != nil || !m.Organizer || m.Status != natverk.StatusJoined {
		t.Fatalf("organizer membership: %+v %v", m, err)
	}
	have := "Lokal och fika"
	up, err := s.UpdateNetwork(ctx(), n.ID, natverk.NetworkUpdate{Have: &have, RotateFeedToken: true}, "newtoken")
	if err != nil || up.Have != have || up.FeedToken != "newtoken" {
		t.Fatalf("update: %+v %v", up, err)
	}
	list, total, err := s.FindNetworks(ctx(), natverk.NetworkFilter{OrganizerID: ms[0].ID})
	if err != nil || total != 1 || len(list) != 1 {
		t.Fatalf("by organizer: %d %v", total, err)
	}
	if _, total, _ := s.FindNetworks(ctx(), natverk.NetworkFilter{OrganizerID: 424242}); total != 0 {
		t.Fatalf("other organizer sees %d networks", total)
	}
	if got := countTypes(drain(t, s)); got[events.NetworkCreated] != 1 || got[events.NetworkUpdated] != 1 {
		t.Fatalf("events = %v", got)
	}
}

func testSeries(t *testing.T, open Opener) {
	s := open(t)
	ms := mustImport(t, s, natverk.MemberInput{Email: "a@example.org", Name: "A"}, natverk.MemberInput{Email: "b@example.org", Name: "B"})
	n := mustNetwork(t, s, "Malmö")
	if _, err := s.Invite(ctx(), n.ID, natverk.InviteRequest{MemberIDs: []int64{ms[0].ID, ms[1].ID}}); err != nil {
		t.Fatal(err)
	}
	drain(t, s)
	sr := mustSeries(t, s, n, "2027-01-12T18:00", "FREQ=MONTHLY;BYDAY=2TU")
	if sr.ID == 0 || sr.Sequence != 0 || sr.Start.Hour() != 18 || sr.Start.Location().String() != "Europe/Stockholm" || sr.Duration != 2*time.Hour {
		t.Fatalf("series = %+v", sr)
	}
	evs := drain(t, s)
	if got := countTypes(evs); got[events.MeetingScheduled] != 1 {
		t.Fatalf("events = %v", got)
	}
	if got := mailKinds(t, evs)[natverk.MailInvitation]; len(got) != 2 {
		t.Fatalf("invitations queued for %v", got)
	}
	byUID, err := s.FindSeriesByUID(ctx(), sr.UID)
	if err != nil || byUID.ID != sr.ID {
		t.Fatal(err)
	}
	next := *sr
	next.Location = "Stortorget"
	up, err := s.UpdateSeries(ctx(), sr.ID, &next, true)
	if err != nil || up.Sequence != 1 || up.Location != "Stortorget" {
		t.Fatalf("update = %+v %v", up, err)
	}
	if got := mailKinds(t, drain(t, s))[natverk.MailUpdate]; len(got) != 2 {
		t.Fatalf("updates queued for %v", got)
	}
	loc := sr.Start.Location()
	rid := time.Date(2027, 3, 9, 18, 0, 0, 0, loc)
	past := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	up, err = s.ChangeOccurrence(ctx(), sr.ID, natverk.Exception{RecurrenceID: rid, Cancelled: true, Reason: "Sportlov"}, past)
	if err != nil || up.Sequence != 2 || len(up.Exceptions) != 1 || !up.Exceptions[0].Cancelled || !up.Exceptions[0].RecurrenceID.Equal(rid) {
		t.Fatalf("cancel = %+v %v", up, err)
	}
	evs = drain(t, s)
	if got := countTypes(evs); got[events.MeetingOccurrenceCancelled] != 1 {
		t.Fatalf("events = %v", got)
	}
	if got := mailKinds(t, evs)[natverk.MailOccurrenceCancelled]; len(got) != 2 {
		t.Fatalf("cancellations queued for %v", got)
	}
	rid2 := time.Date(2027, 4, 13, 18, 0, 0, 0, loc)
	moved := time.Date(2027, 4, 14, 18, 30, 0, 0, loc)
	up, err = s.ChangeOccurrence(ctx(), sr.ID, natverk.Exception{RecurrenceID: rid2, Start: moved, Duration: 90 * time.Minute, Location: "Biblioteket"}, past)
	if err != nil || up.Sequence != 3 || len(up.Exceptions) != 2 {
		t.Fatalf("move = %+v %v", up, err)
	}
	ex := up.Exception(rid2)
	if ex == nil || !ex.Start.Equal(moved) || ex.Duration != 90*time.Minute || ex.Location != "Biblioteket" {
		t.Fatalf("moved exception = %+v", ex)
	}
	// A change to a past occurrence is kept but mails nobody.
	_, err = s.ChangeOccurrence(ctx(), sr.ID, natverk.Exception{RecurrenceID: rid2, Cancelled: true}, time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	evs = drain(t, s)
	if got := mailKinds(t, evs); len(got[natverk.MailOccurrenceMoved]) != 2 || len(got[natverk.MailOccurrenceCancelled]) != 0 {
		t.Fatalf("mail after past change: %v", got)
	}
	// A RECURRENCE-ID with sub-second noise names the same occurrence.
	if _, err := s.ChangeOccurrence(ctx(), sr.ID, natverk.Exception{RecurrenceID: rid2.Add(123456789 * time.Nanosecond), Start: moved, Duration: 90 * time.Minute, Location: "Biblioteket"}, past); err != nil {
		t.Fatalf("sub-second RECURRENCE-ID: %v", err)
	}
	drain(t, s)
	if got, _ := s.FindSeriesByID(ctx(), sr.ID); len(got.Exceptions) != 2 {
		t.Fatalf("sub-second RECURRENCE-ID made a new exception: %+v", got.Exceptions)
	}
	// Split from June on.
	ended := *up
	ended.Rule = "FREQ=MONTHLY;BYDAY=2TU;UNTIL=20270608T160000Z"
	nxt := *up
	nxt.ID, nxt.UID, nxt.Sequence, nxt.Exceptions = 0, sr.UID+"-2", 0, nil
	nxt.Start = time.Date(2027, 6, 9, 18, 0, 0, 0, loc)
	nxt.Rule = "FREQ=MONTHLY;BYDAY=2WE"
	cont, err := s.SplitSeries(ctx(), sr.ID, &ended, &nxt)
	if err != nil || cont.UID != sr.UID+"-2" || cont.NetworkID != n.ID {
		t.Fatalf("split = %+v %v", cont, err)
	}
	old, _ := s.FindSeriesByID(ctx(), sr.ID)
	if old.Status != natverk.SeriesEnded || old.Rule != ended.Rule || old.Sequence != 6 {
		t.Fatalf("old series after split = %+v", old)
	}
	all, _ := s.FindSeries(ctx(), n.ID)
	if len(all) != 2 {
		t.Fatalf("series count = %d", len(all))
	}
	_, err = s.UpdateSeries(ctx(), sr.ID, &next, false)
	wantCode(t, err, natverk.ECONFLICT)
	_, err = s.FindSeriesByID(ctx(), 987654)
	wantCode(t, err, natverk.ENOTFOUND)
}
