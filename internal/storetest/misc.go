package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

func testSupport(t *testing.T, open Opener) {
	s := open(t)
	ms := mustImport(t, s, natverk.MemberInput{Email: "org@example.org", Name: "Org"})
	n := mustNetwork(t, s, "Stöd", ms[0].ID)
	sr := mustSeries(t, s, n, "2027-01-12T18:00", "FREQ=WEEKLY")
	drain(t, s)
	occ := time.Date(2027, 1, 19, 17, 0, 0, 0, time.UTC)
	in := natverk.SupportInput{SeriesID: sr.ID, Occurrence: &occ, What: "Lokalhyra och fika", CostSEK: 1500}
	r, err := s.CreateSupportRequest(ctx(), n.ID, ms[0].ID, in, "styrelsen@example.org")
	if err != nil || r.Status != natverk.SupportRequested || r.CostSEK != 1500 || r.Occurrence == nil || !r.Occurrence.Equal(occ) {
		t.Fatalf("create = %+v %v", r, err)
	}
	evs := drain(t, s)
	var board string
	for _, e := range evs {
		if e.Type == events.MailQueued {
			var p events.MailPayload
			e.Decode(&p)
			board = p.To
		}
	}
	if countTypes(evs)[events.SupportRequested] != 1 || board != "styrelsen@example.org" {
		t.Fatalf("events = %v, board mail to %q", countTypes(evs), board)
	}
	bad := natverk.SupportInput{SeriesID: 9999, What: "x"}
	_, err = s.CreateSupportRequest(ctx(), n.ID, 0, bad, "b@example.org")
	wantCode(t, err, natverk.EINVALID)
	d, err := s.DecideSupportRequest(ctx(), r.ID, natverk.SupportDecision{Status: natverk.SupportGranted, Note: "Beviljas"})
	if err != nil || d.Status != natverk.SupportGranted || d.DecidedAt == nil {
		t.Fatalf("decide = %+v %v", d, err)
	}
	evs = drain(t, s)
	if countTypes(evs)[events.SupportDecided] != 1 || len(mailKinds(t, evs)[natverk.MailSupportDecided]) != 1 {
		t.Fatalf("events = %v", countTypes(evs))
	}
	_, err = s.DecideSupportRequest(ctx(), r.ID, natverk.SupportDecision{Status: natverk.SupportDeclined})
	wantCode(t, err, natverk.ECONFLICT)
	list, err := s.FindSupportRequests(ctx(), n.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("list = %v %v", list, err)
	}
	_, err = s.FindSupportRequestByID(ctx(), 424242)
	wantCode(t, err, natverk.ENOTFOUND)
}

func testTokens(t *testing.T, open Opener) {
	s := open(t)
	ms := mustImport(t, s, natverk.MemberInput{Email: "org@example.org", Name: "Org"})
	now := time.Now()
	tok := &natverk.APIToken{Hash: "abc123", Role: natverk.RoleOrganizer, MemberID: ms[0].ID, Label: "test"}
	if err := s.CreateAPIToken(ctx(), tok); err != nil || tok.ID == 0 {
		t.Fatal(err)
	}
	got, err := s.FindAPITokenByHash(ctx(), "abc123", now)
	if err != nil || got.MemberID != ms[0].ID || got.Role != natverk.RoleOrganizer {
		t.Fatalf("find = %+v %v", got, err)
	}
	exp := now.Add(-time.Minute)
	if err := s.CreateAPIToken(ctx(), &natverk.APIToken{Hash: "expired", Role: natverk.RoleOrganizer, ExpiresAt: &exp}); err != nil {
		t.Fatal(err)
	}
	_, err = s.FindAPITokenByHash(ctx(), "expired", now)
	wantCode(t, err, natverk.ENOTFOUND)
	if err := s.RevokeAPIToken(ctx(), tok.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.FindAPITokenByHash(ctx(), "abc123", now)
	wantCode(t, err, natverk.ENOTFOUND)
	wantCode(t, s.CreateAPIToken(ctx(), &natverk.APIToken{Hash: "expired", Role: natverk.RoleOrganizer}), natverk.ECONFLICT)
	before, _ := s.FindMemberByID(ctx(), ms[0].ID)
	if err := s.RevokeMemberTokens(ctx(), ms[0].ID); err != nil {
		t.Fatal(err)
	}
	after, _ := s.FindMemberByID(ctx(), ms[0].ID)
	if after.TokenEpoch != before.TokenEpoch+1 {
		t.Fatalf("epoch %d → %d", before.TokenEpoch, after.TokenEpoch)
	}
}

func testOutbox(t *testing.T, open Opener) {
	s := open(t)
	drain(t, s)
	var notified bool
	select {
	case <-s.OutboxNotify():
	default:
	}
	ms := mustImport(t, s, natverk.MemberInput{Email: "a@example.org", Name: "A"})
	select {
	case <-s.OutboxNotify():
		notified = true
	case <-time.After(time.Second):
	}
	if !notified {
		t.Log("no in-process notification (acceptable for stores notified across processes only)")
	}
	n := mustNetwork(t, s, "Utkorg")
	mustSeries(t, s, n, "2027-01-12T18:00", "FREQ=WEEKLY")
	s.Invite(ctx(), n.ID, natverk.InviteRequest{MemberIDs: []int64{ms[0].ID}})
	pending, oldest, err := s.OutboxStats(ctx())
	if err != nil || pending != 4 || oldest.IsZero() {
		t.Fatalf("stats = %d %v %v", pending, oldest, err)
	}
	evs, err := s.PendingOutbox(ctx(), 100)
	if err != nil || len(evs) != 4 {
		t.Fatalf("pending = %d %v", len(evs), err)
	}
	want := []string{events.MemberImported, events.NetworkCreated, events.MeetingScheduled, events.MemberInvited}
	for i, e := range evs {
		if e.Event.Type != want[i] {
			t.Fatalf("event %d = %s, want %s (commit order)", i, e.Event.Type, want[i])
		}
		if i > 0 && e.Seq <= evs[i-1].Seq {
			t.Fatalf("seq not increasing")
		}
	}
	if err := s.MarkPublished(ctx(), []int64{evs[0].Seq, evs[1].Seq}, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	rest, _ := s.PendingOutbox(ctx(), 100)
	if len(rest) != 2 || rest[0].Event.ID != evs[2].Event.ID {
		t.Fatalf("rest = %v", rest)
	}
	limited, _ := s.PendingOutbox(ctx(), 1)
	if len(limited) != 1 {
		t.Fatalf("limit ignored")
	}
	n2, err := s.PruneOutbox(ctx(), time.Now().Add(-time.Minute))
	if err != nil || n2 != 2 {
		t.Fatalf("pruned %d %v", n2, err)
	}
	// The envelope comes back intact.
	var p events.MembershipPayload
	if err := rest[1].Event.Decode(&p); err != nil || p.MemberID != ms[0].ID || rest[1].Event.NetworkID != n.ID {
		t.Fatalf("payload = %+v %v", p, err)
	}
}

func testMail(t *testing.T, open Opener) {
	s := open(t)
	ms := mustImport(t, s, natverk.MemberInput{Email: "a@example.org", Name: "A"})
	now := time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC)
	rec := natverk.MailRecord{Key: "invitation/m1/s1/o0/q0", MessageID: "first@natverk.test", Kind: natverk.MailInvitation, NetworkID: 1, SeriesID: 1, MemberID: ms[0].ID, To: "a@example.org"}
	got, claimed, err := s.ClaimMail(ctx(), rec, now, time.Minute)
	if err != nil || !claimed || got.Attempts != 1 {
		t.Fatalf("claim = %+v %v %v", got, claimed, err)
	}
	// A second worker while the claim holds: refused.
	rec2 := rec
	rec2.MessageID = "second@natverk.test"
	if _, claimed, _ := s.ClaimMail(ctx(), rec2, now.Add(time.Second), time.Minute); claimed {
		t.Fatal("claimed twice")
	}
	// A temporary failure releases the claim; the retry keeps the Message-ID.
	if err := s.CompleteMail(ctx(), rec.Key, "retry", false, "451 try later", 451, now); err != nil {
		t.Fatal(err)
	}
	got, claimed, _ = s.ClaimMail(ctx(), rec2, now.Add(2*time.Second), time.Minute)
	if !claimed || got.MessageID != "first@natverk.test" || got.Attempts != 2 {
		t.Fatalf("retry claim = %+v %v", got, claimed)
	}
	// After a crash the claim lapses and another worker may take it.
	got, claimed, _ = s.ClaimMail(ctx(), rec2, now.Add(5*time.Minute), time.Minute)
	if !claimed || got.MessageID != "first@natverk.test" {
		t.Fatalf("lapsed claim = %+v %v", got, claimed)
	}
	if err := s.CompleteMail(ctx(), rec.Key, natverk.MailSent, false, "", 250, now); err != nil {
		t.Fatal(err)
	}
	got, claimed, _ = s.ClaimMail(ctx(), rec2, now.Add(time.Hour), time.Minute)
	if claimed || got.Status != natverk.MailSent {
		t.Fatalf("sent mail claimed again: %+v", got)
	}
	first, err := s.FirstMessageID(ctx(), ms[0].ID, 1)
	if err != nil || first != "first@natverk.test" {
		t.Fatalf("first message id = %q %v", first, err)
	}
	bounce := natverk.MailRecord{Key: "update/m1/s1/o0/q1", MessageID: "b@natverk.test", Kind: natverk.MailUpdate, MemberID: ms[0].ID, To: "a@example.org"}
	s.ClaimMail(ctx(), bounce, now, time.Minute)
	if err := s.CompleteMail(ctx(), bounce.Key, natverk.MailFailed, true, "550 5.1.1 unknown user", 550, now); err != nil {
		t.Fatal(err)
	}
	m, _ := s.FindMemberByID(ctx(), ms[0].ID)
	if !m.Bouncing {
		t.Fatal("a permanent failure did not mark the address bouncing")
	}
	evs := drain(t, s)
	if got := countTypes(evs); got[events.MailSent] != 1 || got[events.MailFailed] != 1 {
		t.Fatalf("events = %v", got)
	}
	list, err := s.FindMail(ctx(), natverk.MailFilter{MemberID: ms[0].ID})
	if err != nil || len(list) != 2 {
		t.Fatalf("find mail = %d %v", len(list), err)
	}
	// Concurrent claims of one key: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := natverk.MailRecord{Key: "race", MessageID: fmt.Sprintf("r%d@x", i), Kind: natverk.MailReminder, To: "x@example.org"}
			if _, ok, err := s.ClaimMail(ctx(), r, now, time.Minute); err == nil && ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d concurrent claims won", wins)
	}
}

func testFeeds(t *testing.T, open Opener) {
	s := open(t)
	_, err := s.FindFeed(ctx(), "network:1")
	wantCode(t, err, natverk.ENOTFOUND)
	f := &natverk.StoredFeed{Key: "network:1", Body: []byte("BEGIN:VCALENDAR\r\n"), ETag: `"a"`, Modified: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
	if ch, err := s.PutFeed(ctx(), f); err != nil || !ch {
		t.Fatalf("put = %v %v", ch, err)
	}
	if ch, _ := s.PutFeed(ctx(), f); ch {
		t.Fatal("same ETag stored as a change")
	}
	f2 := *f
	f2.ETag, f2.Body = `"b"`, []byte("BEGIN:VCALENDAR\r\nX\r\n")
	if ch, _ := s.PutFeed(ctx(), &f2); !ch {
		t.Fatal("new ETag not stored")
	}
	got, err := s.FindFeed(ctx(), "network:1")
	if err != nil || got.ETag != `"b"` || string(got.Body) != string(f2.Body) || !got.Modified.Equal(f.Modified) {
		t.Fatalf("find = %+v %v", got, err)
	}
	s.PutFeed(ctx(), &natverk.StoredFeed{Key: "member:7", Body: []byte("x"), ETag: `"m"`, Modified: time.Now()})
	if ch, err := s.PutFeed(ctx(), &natverk.StoredFeed{Key: "member:8", Body: []byte("y"), ETag: "", Modified: time.Now()}); err != nil || !ch {
		t.Fatalf("a new feed with an empty ETag was not stored: %v %v", ch, err)
	}
	s.DeleteFeed(ctx(), "member:8")
	s.PutFeed(ctx(), &natverk.StoredFeed{Key: "möte:1", Body: []byte("z"), ETag: `"z"`, Modified: time.Now()})
	if keys, _ := s.FeedKeys(ctx(), "möte:"); len(keys) != 1 {
		t.Fatalf("non-ASCII prefix: %v", keys)
	}
	keys, err := s.FeedKeys(ctx(), "member:")
	if err != nil || len(keys) != 1 || keys[0] != "member:7" {
		t.Fatalf("keys = %v %v", keys, err)
	}
	if err := s.DeleteFeed(ctx(), "member:7"); err != nil {
		t.Fatal(err)
	}
	_, err = s.FindFeed(ctx(), "member:7")
	wantCode(t, err, natverk.ENOTFOUND)
}

func testInbound(t *testing.T, open Opener) {
	s := open(t)
	m := &natverk.InboundMessage{MessageID: "<abc@mail.example>", From: "a@example.org", To: "rsvp+x@natverk.test", Status: natverk.InboundApplied, Size: 1234, Raw: []byte("raw")}
	if err := s.SaveInbound(ctx(), m); err != nil || m.ID == 0 {
		t.Fatal(err)
	}
	dup := *m
	wantCode(t, s.SaveInbound(ctx(), &dup), natverk.ECONFLICT)
	s.SaveInbound(ctx(), &natverk.InboundMessage{MessageID: "<def@mail.example>", Status: natverk.InboundRefused, Reason: "forged"})
	list, err := s.FindInbound(ctx(), natverk.InboundRefused, 10)
	if err != nil || len(list) != 1 || list[0].Reason != "forged" {
		t.Fatalf("refused = %+v %v", list, err)
	}
	all, _ := s.FindInbound(ctx(), "", 10)
	if len(all) != 2 {
		t.Fatalf("all = %d", len(all))
	}
}

func testLease(t *testing.T, open Opener) {
	s := open(t)
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	if ok, err := s.AcquireLease(ctx(), "relay", "a", now, time.Minute); err != nil || !ok {
		t.Fatalf("a: %v %v", ok, err)
	}
	if ok, _ := s.AcquireLease(ctx(), "relay", "b", now.Add(time.Second), time.Minute); ok {
		t.Fatal("b took a held lease")
	}
	if ok, _ := s.AcquireLease(ctx(), "relay", "a", now.Add(30*time.Second), time.Minute); !ok {
		t.Fatal("a could not renew")
	}
	if ok, _ := s.AcquireLease(ctx(), "relay", "b", now.Add(2*time.Minute), time.Minute); !ok {
		t.Fatal("b could not take a lapsed lease")
	}
	if err := s.ReleaseLease(ctx(), "relay", "b"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.AcquireLease(ctx(), "relay", "a", now.Add(2*time.Minute), time.Minute); !ok {
		t.Fatal("a could not take a released lease")
	}
}

func testJobs(t *testing.T, open Opener) {
	s := open(t)
	drain(t, s)
	ev := natverk.MailEvent(natverk.MailReminder, 1, 2, 3, nil, 0, "", time.Now())
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, err := s.ScheduleOnce(ctx(), "reminder/s2/o100", []events.Envelope{ev}); err == nil && ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d schedulers won the same job", wins)
	}
	if evs := drain(t, s); len(evs) != 1 {
		t.Fatalf("%d events written for one job", len(evs))
	}
	if ok, _ := s.ScheduleOnce(ctx(), "reminder/s2/o200", nil); !ok {
		t.Fatal("a new key was not done")
	}
}
