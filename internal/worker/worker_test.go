package worker_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/natverk/natverk/calendar"
	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/icaltest"
	"github.com/natverk/natverk/internal/links"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/scheduler"
	"github.com/natverk/natverk/internal/smtptest"
	"github.com/natverk/natverk/internal/sqlite"
	"github.com/natverk/natverk/internal/token"
	"github.com/natverk/natverk/internal/worker"
	"github.com/natverk/natverk/mailer"
)

// fixture is a real store, a real SMTP sink and the mailer worker over
// them; events are handed to Handle directly, as a consumer would.
type fixture struct {
	t      *testing.T
	store  *sqlite.DB
	sink   *smtptest.Sink
	w      *worker.Mailer
	now    time.Time
	net    *natverk.Network
	series *natverk.Series
	ms     []*natverk.Member
}

var checks = natverk.Checks{Zone: calendar.ValidateTimeZone, Rule: calendar.ValidateRule}

func newFixture(t *testing.T, faults smtptest.Faults) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "natverk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sink := smtptest.Start(t, faults)
	sender, err := mailer.NewSMTP(sink.URL(), mailer.SMTPOptions{Pool: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sender.Close() })
	comp, err := mailer.NewComposer(mailer.ComposerOptions{MessageIDDomain: "natverk.test"})
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := token.NewSigner(token.Key{ID: 1, Secret: bytes.Repeat([]byte("s"), 32)})
	f := &fixture{t: t, store: db, sink: sink, now: time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC)}
	db.Now = func() time.Time { return f.now }
	f.w = &worker.Mailer{Store: db, Composer: comp, Sender: sender, Links: &links.Builder{BaseURL: "https://natverk.test", MailDomain: "natverk.test", Signer: sig}, Now: func() time.Time { return f.now }}
	var rows []natverk.ImportRow
	for i, e := range []string{"org@example.org", "yes@example.org", "no@example.org", "bounce@example.org"} {
		in, _ := natverk.MemberInput{Email: e, Name: strings.Split(e, "@")[0]}.Normalize()
		rows = append(rows, natverk.ImportRow{Row: i + 2, MemberInput: in})
	}
	if _, err := db.ImportMembers(ctx, rows); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		m, _ := db.FindMemberByEmail(ctx, r.Email)
		f.ms = append(f.ms, m)
	}
	nin, _ := natverk.NetworkInput{Name: "Chefer i Lund", Organizers: []int64{f.ms[0].ID}}.Normalize(checks.Zone)
	if f.net, err = db.CreateNetwork(ctx, nin, "tok"); err != nil {
		t.Fatal(err)
	}
	sr, err := natverk.SeriesInput{Start: "2027-01-12T18:00", RRule: "FREQ=WEEKLY;BYDAY=TU", Location: "Stadsbiblioteket"}.Build(f.net, checks)
	if err != nil {
		t.Fatal(err)
	}
	sr.UID = "lund@natverk.test"
	if f.series, err = db.CreateSeries(ctx, sr); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Invite(ctx, f.net.ID, natverk.InviteRequest{MemberIDs: []int64{f.ms[1].ID, f.ms[2].ID, f.ms[3].ID}}); err != nil {
		t.Fatal(err)
	}
	return f
}

// drain hands every pending outbox event of a type to the worker.
func (f *fixture) drain(types ...string) (handled int) {
	f.t.Helper()
	evs, _ := f.store.PendingOutbox(context.Background(), 100000)
	var seqs []int64
	for _, e := range evs {
		seqs = append(seqs, e.Seq)
		for _, typ := range types {
			if e.Event.Type == typ {
				if err := f.w.Handle(context.Background(), e.Event); err != nil {
					f.t.Fatalf("handle %s: %v", e.Event.Type, err)
				}
				handled++
			}
		}
	}
	f.store.MarkPublished(context.Background(), seqs, f.now)
	return handled
}

func TestInvitationOnceUnderRedelivery(t *testing.T) {
	f := newFixture(t, smtptest.Faults{})
	evs, _ := f.store.PendingOutbox(context.Background(), 1000)
	var invited []events.Envelope
	for _, e := range evs {
		if e.Event.Type == events.MemberInvited {
			invited = append(invited, e.Event)
		}
	}
	if len(invited) != 3 {
		t.Fatalf("%d invitations queued", len(invited))
	}
	for round := 0; round < 3; round++ { // the same events, delivered three times
		for _, e := range invited {
			if err := f.w.Handle(context.Background(), e); err != nil {
				t.Fatal(err)
			}
		}
	}
	msgs := f.sink.WaitFor(t, 3, 10*time.Second)
	time.Sleep(100 * time.Millisecond)
	if got := f.sink.Count(); got != 3 {
		t.Fatalf("%d messages sent for 3 invitations delivered 3 times", got)
	}
	for _, m := range msgs {
		if !bytes.Contains(m.Data, []byte("method=REQUEST")) {
			t.Fatalf("not an iMIP REQUEST:\n%s", m.Data)
		}
	}
}

// TestReminderContinuity: a member who declined meeting 1 gets the
// reminder for meeting 2; one who declined meeting 2 does not.
func TestReminderContinuity(t *testing.T) {
	f := newFixture(t, smtptest.Faults{})
	ctx := context.Background()
	f.drain(events.MemberInvited)
	f.sink.WaitFor(t, 3, 10*time.Second)
	loc := f.series.Start.Location()
	occ1 := time.Date(2027, 1, 12, 18, 0, 0, 0, loc)
	occ2 := time.Date(2027, 1, 19, 18, 0, 0, 0, loc)
	answer := func(m *natverk.Member, occ time.Time, a string) {
		if _, _, err := f.store.RecordRSVP(ctx, natverk.RSVP{SeriesID: f.series.ID, MemberID: m.ID, Occurrence: occ.UTC(), Answer: a, Source: natverk.SourceLink, AnsweredAt: f.now}); err != nil {
			t.Fatal(err)
		}
	}
	answer(f.ms[1], occ1, natverk.AnswerNo) // "yes@" declined the first meeting only
	answer(f.ms[2], occ2, natverk.AnswerNo) // "no@" declined the second
	f.drain()
	sch := &scheduler.Scheduler{Store: f.store, ReminderBefore: 72 * time.Hour, Now: func() time.Time { return f.now }}
	f.now = occ2.Add(-48 * time.Hour).UTC()
	if err := sch.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sch.Tick(ctx); err != nil { // a second tick queues nothing new
		t.Fatal(err)
	}
	before := f.sink.Count()
	if n := f.drain(events.MailQueued); n != 3 { // org, yes@ (declined only meeting 1), bounce@
		t.Fatalf("%d reminders queued, want 3", n)
	}
	msgs := f.sink.WaitFor(t, before+3, 10*time.Second)
	var to []string
	for _, m := range msgs[before:] {
		to = append(to, m.To[0])
		if !bytes.Contains(m.Data, []byte("Auto-Submitted: auto-generated")) {
			t.Errorf("reminder without Auto-Submitted")
		}
	}
	joined := strings.Join(to, ",")
	if !strings.Contains(joined, "yes@example.org") || strings.Contains(joined, "no@example.org") {
		t.Fatalf("reminders went to %s", joined)
	}
}

func TestBounceMarksAndNotifies(t *testing.T) {
	f := newFixture(t, smtptest.Faults{Reject: []string{"bounce@example.org"}})
	f.drain(events.MemberInvited)
	f.sink.WaitFor(t, 2, 10*time.Second)
	m, _ := f.store.FindMemberByEmail(context.Background(), "bounce@example.org")
	if !m.Bouncing || !strings.Contains(m.BounceReason, "550") {
		t.Fatalf("not marked bouncing: %+v", m)
	}
	// The organizer hears of it, once.
	f.drain(events.MailQueued)
	msgs := f.sink.WaitFor(t, 3, 10*time.Second)
	last := msgs[len(msgs)-1]
	if last.To[0] != "org@example.org" || !bytes.Contains(last.Data, []byte("bounce@example.org")) {
		t.Fatalf("no bounce notice to the organizer: to %v", last.To)
	}
	recs, _ := f.store.FindMail(context.Background(), natverk.MailFilter{Status: natverk.MailFailed})
	if len(recs) != 1 {
		t.Fatalf("%d failed mails recorded", len(recs))
	}
}

func TestTemporaryFailureRetriedThenGivenUp(t *testing.T) {
	f := newFixture(t, smtptest.Faults{TempRate: 1})
	evs, _ := f.store.PendingOutbox(context.Background(), 1000)
	var inv events.Envelope
	for _, e := range evs {
		if e.Event.Type == events.MemberInvited {
			inv = e.Event
			break
		}
	}
	err := f.w.Handle(events.WithDelivery(context.Background(), events.Delivery{NumDelivered: 1, MaxDeliver: 3}), inv)
	if err == nil || events.IsPermanent(err) {
		t.Fatalf("a 451 must be retried: %v", err)
	}
	var se *mailer.SendError
	if !errors.As(err, &se) || se.Code != 451 {
		t.Fatalf("err = %v", err)
	}
	recs, _ := f.store.FindMail(context.Background(), natverk.MailFilter{})
	if len(recs) != 1 || recs[0].Status != natverk.MailSending || recs[0].Code != 451 {
		t.Fatalf("after a deferral: %+v", recs)
	}
	// The last delivery records the failure: nothing retries forever.
	f.w.Handle(events.WithDelivery(context.Background(), events.Delivery{NumDelivered: 3, MaxDeliver: 3}), inv)
	recs, _ = f.store.FindMail(context.Background(), natverk.MailFilter{})
	if recs[0].Status != natverk.MailFailed || recs[0].Attempts != 2 {
		t.Fatalf("after the last delivery: %+v", recs[0])
	}
}

func TestEveryKindIsValidICalendar(t *testing.T) {
	f := newFixture(t, smtptest.Faults{})
	ctx := context.Background()
	f.drain(events.MemberInvited)
	loc := f.series.Start.Location()
	past := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := f.store.ChangeOccurrence(ctx, f.series.ID, natverk.Exception{RecurrenceID: time.Date(2027, 1, 19, 18, 0, 0, 0, loc), Cancelled: true}, past); err != nil {
		t.Fatal(err)
	}
	f.drain(events.MailQueued) // 4 cancellations
	if _, err := f.store.ChangeOccurrence(ctx, f.series.ID, natverk.Exception{RecurrenceID: time.Date(2027, 1, 26, 18, 0, 0, 0, loc), Start: time.Date(2027, 1, 27, 18, 0, 0, 0, loc), Duration: time.Hour}, past); err != nil {
		t.Fatal(err)
	}
	f.drain(events.MailQueued) // 4 moves
	if _, err := f.store.SetMembership(ctx, f.net.ID, f.ms[2].ID, natverk.StatusLeft, "test"); err != nil {
		t.Fatal(err)
	}
	f.drain(events.MailQueued) // 1 removal
	if _, err := f.store.CloseNetwork(ctx, f.net.ID, "Tack för i år."); err != nil {
		t.Fatal(err)
	}
	f.drain(events.MailQueued) // 3 closings
	msgs := f.sink.WaitFor(t, 3+4+4+1+3, 20*time.Second)
	var cals [][]byte
	methods := map[string]int{}
	for _, m := range msgs {
		i := bytes.Index(m.Data, []byte("Content-Type: application/ics"))
		if i < 0 {
			continue
		}
		for _, meth := range []string{"REQUEST", "CANCEL"} {
			if bytes.Contains(m.Data, []byte("method="+meth)) {
				methods[meth]++
			}
		}
		body := m.Data[i:]
		body = body[bytes.Index(body, []byte("\r\n\r\n"))+4:]
		body = body[:bytes.Index(body, []byte("\r\n--"))]
		cals = append(cals, decodeB64(t, body))
	}
	if methods["CANCEL"] != 8 || methods["REQUEST"] != 7 {
		t.Fatalf("methods = %v", methods)
	}
	icaltest.Check(t, cals...)
}

func decodeB64(t *testing.T, b []byte) []byte {
	t.Helper()
	clean := bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r"), nil), []byte("\n"), nil)
	out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
	n, err := base64.StdEncoding.Decode(out, clean)
	if err != nil {
		t.Fatal(err)
	}
	return out[:n]
}

func TestOrganizerLinkMail(t *testing.T) {
	f := newFixture(t, smtptest.Faults{})
	f.drain()
	ev := events.MustNew(events.MailQueued, f.now, events.Refs{NetworkID: f.net.ID, MemberID: f.ms[0].ID}, events.MailPayload{
		Kind: natverk.MailOrganizerLink, NetworkID: f.net.ID, MemberID: f.ms[0].ID, Sequence: 7, Note: "request 1",
	})
	for i := 0; i < 2; i++ { // delivered twice, sent once
		if err := f.w.Handle(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	msgs := f.sink.WaitFor(t, 1, 10*time.Second)
	time.Sleep(50 * time.Millisecond)
	if f.sink.Count() != 1 || msgs[0].To[0] != "org@example.org" || !bytes.Contains(msgs[0].Data, []byte("/organize/")) {
		t.Fatalf("%d mails; first to %v", f.sink.Count(), msgs[0].To)
	}
	// Not to a member who does not organize the network.
	ev2 := events.MustNew(events.MailQueued, f.now, events.Refs{}, events.MailPayload{Kind: natverk.MailOrganizerLink, NetworkID: f.net.ID, MemberID: f.ms[1].ID, Note: "request 2"})
	if err := f.w.Handle(context.Background(), ev2); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if f.sink.Count() != 1 {
		t.Fatal("an organizer link went to a member who does not organize the network")
	}
}

// TestSupportMails: a support request mails the board; the decision mails
// the organizers.
func TestSupportMails(t *testing.T) {
	f := newFixture(t, smtptest.Faults{})
	ctx := context.Background()
	f.drain()
	req, err := f.store.CreateSupportRequest(ctx, f.net.ID, f.ms[0].ID, natverk.SupportInput{What: "Lokalhyra för höstens möten", CostSEK: 2400}, "styrelsen@example.org")
	if err != nil {
		t.Fatal(err)
	}
	f.drain(events.MailQueued)
	msgs := f.sink.WaitFor(t, 1, 10*time.Second)
	if msgs[0].To[0] != "styrelsen@example.org" || !bytes.Contains(msgs[0].Data, []byte("Lokalhyra")) {
		t.Fatalf("board mail to %v", msgs[0].To)
	}
	if _, err := f.store.DecideSupportRequest(ctx, req.ID, natverk.SupportDecision{Status: natverk.SupportGranted, Note: "Beviljas."}); err != nil {
		t.Fatal(err)
	}
	f.drain(events.MailQueued)
	msgs = f.sink.WaitFor(t, 2, 10*time.Second)
	if msgs[1].To[0] != "org@example.org" {
		t.Fatalf("decision mail to %v", msgs[1].To)
	}
}
