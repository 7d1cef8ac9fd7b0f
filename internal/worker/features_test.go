package worker_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	gomail "github.com/emersion/go-message/mail"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/icaltest"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/scheduler"
	"github.com/natverk/natverk/internal/smtptest"
	"github.com/natverk/natverk/internal/token"
)

// parts returns a received message's subject, plain text and calendar.
func parts(t *testing.T, m smtptest.Message) (subject, text string, cal []byte) {
	t.Helper()
	r, err := gomail.CreateReader(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ = r.Header.Subject()
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		h, inline := p.Header.(*gomail.InlineHeader)
		if !inline {
			continue // the invite.ics copy
		}
		ct, params, _ := h.ContentType()
		body, _ := io.ReadAll(p.Body)
		switch {
		case ct == "text/plain":
			text = string(body)
		case ct == "text/calendar":
			if params["method"] == "" {
				t.Errorf("text/calendar without method")
			}
			cal = body
		}
	}
	return subject, text, cal
}

// sentTo returns the messages to an address among msgs.
func sentTo(msgs []smtptest.Message, addr string) []smtptest.Message {
	var out []smtptest.Message
	for _, m := range msgs {
		if m.To[0] == addr {
			out = append(out, m)
		}
	}
	return out
}

// TestWaitlistPromotionMail: a member waiting for a place gets it when a
// confirmed member cancels: one mail with a REQUEST showing them as
// attending, and the reminder before it says nothing of a waitlist.
func TestWaitlistPromotionMail(t *testing.T) {
	f := newFixture(t, smtptest.Faults{})
	ctx := context.Background()
	f.drain(events.MemberInvited)
	sent := f.sink.WaitFor(t, 3, 10*time.Second)
	if _, err := f.store.SetCapacity(ctx, f.series.ID, time.Time{}, 1); err != nil {
		t.Fatal(err)
	}
	yes := func(i int, a string) {
		if _, _, err := f.store.RecordRSVP(ctx, natverk.RSVP{SeriesID: f.series.ID, MemberID: f.ms[i].ID, Answer: a, Source: natverk.SourceLink}); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(time.Minute)
	}
	yes(1, natverk.AnswerYes)
	yes(2, natverk.AnswerYes) // waits
	f.drain()
	// A reminder for the first meeting tells "no@" their place.
	sch := &scheduler.Scheduler{Store: f.store, Now: func() time.Time { return f.now }}
	f.now = time.Date(2027, 1, 10, 12, 0, 0, 0, time.UTC)
	if err := sch.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	f.drain(events.MailQueued)
	msgs := f.sink.WaitFor(t, len(sent)+3, 10*time.Second)
	reminders := sentTo(msgs[len(sent):], "no@example.org")
	if len(reminders) != 1 {
		t.Fatalf("%d reminders to no@", len(reminders))
	}
	if _, text, _ := parts(t, reminders[0]); !strings.Contains(text, "Du står som nummer 1 på väntelistan") {
		t.Fatalf("reminder does not give the waitlist place:\n%s", text)
	}
	// "yes@" cancels: "no@" is promoted, with one mail.
	yes(1, natverk.AnswerNo)
	if n := f.drain(events.MailQueued); n != 1 {
		t.Fatalf("%d mails queued by the cancellation, want the one promotion", n)
	}
	msgs = f.sink.WaitFor(t, len(sent)+4, 10*time.Second)
	last := msgs[len(msgs)-1]
	subject, text, cal := parts(t, last)
	if last.To[0] != "no@example.org" || !strings.HasPrefix(subject, "Du har fått plats: ") {
		t.Fatalf("promotion mail to %v: %q", last.To, subject)
	}
	if !strings.Contains(text, "tisdag 12 januari 2027") || !strings.Contains(string(cal), "PARTSTAT=ACCEPTED") || !strings.Contains(string(cal), "METHOD:REQUEST") {
		t.Fatalf("promotion mail:\n%s\n%s", text, cal)
	}
	icaltest.Check(t, cal)
	// Redelivering the promotion sends nothing more.
	evs, _ := f.store.FindMail(ctx, natverk.MailFilter{MemberID: f.ms[2].ID})
	kinds := map[string]int{}
	for _, r := range evs {
		kinds[r.Kind]++
	}
	if kinds[natverk.MailWaitlistPromoted] != 1 {
		t.Fatalf("mail records %v", kinds)
	}
}

// TestLapsedMemberGetsWeMissYou: a member who missed three recorded
// meetings in a row is still reminded, with the "we miss you" line; one
// who came is not greeted so. A member never marked missed them too.
func TestLapsedMemberGetsWeMissYou(t *testing.T) {
	f := newFixture(t, smtptest.Faults{})
	ctx := context.Background()
	f.drain(events.MemberInvited)
	before := len(f.sink.WaitFor(t, 3, 10*time.Second))
	loc := f.series.Start.Location()
	f.now = time.Date(2027, 1, 28, 12, 0, 0, 0, time.UTC)
	for _, day := range []int{12, 19, 26} {
		occ := time.Date(2027, 1, day, 18, 0, 0, 0, loc)
		if _, err := f.store.RecordAttendance(ctx, f.series.ID, natverk.AttendanceInput{Occurrence: occ, Attended: []int64{f.ms[0].ID, f.ms[2].ID}, Absent: []int64{f.ms[1].ID}}); err != nil {
			t.Fatal(err)
		}
	}
	f.drain()
	sch := &scheduler.Scheduler{Store: f.store, Now: func() time.Time { return f.now }}
	f.now = time.Date(2027, 1, 31, 12, 0, 0, 0, time.UTC) // the reminder of 2 February
	if err := sch.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.drain(events.MailQueued); n != 4 {
		t.Fatalf("%d reminders, want 4: lapsed members are still reminded", n)
	}
	msgs := f.sink.WaitFor(t, before+4, 10*time.Second)[before:]
	for _, m := range msgs {
		_, text, _ := parts(t, m)
		lapsed := strings.Contains(text, "Vi saknar dig!")
		if want := m.To[0] == "yes@example.org" || m.To[0] == "bounce@example.org"; lapsed != want {
			t.Errorf("reminder to %s: we-miss-you line %v, want %v", m.To[0], lapsed, want)
		}
	}
}

// TestQuorumMails: a meeting below its quorum is cancelled with the
// reason in the member's words; one that reaches it says "it's on".
func TestQuorumMails(t *testing.T) {
	f := newFixture(t, smtptest.Faults{})
	ctx := context.Background()
	f.drain(events.MemberInvited)
	before := len(f.sink.WaitFor(t, 3, 10*time.Second))
	q := "2d"
	min := 2
	next, err := natverk.SeriesUpdate{QuorumMin: &min, QuorumBefore: &q}.Input(f.series).Build(f.net, checks)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.UpdateSeries(ctx, f.series.ID, next, false); err != nil {
		t.Fatal(err)
	}
	f.drain() // the update mails are not sent here
	loc := f.series.Start.Location()
	first, second := time.Date(2027, 1, 12, 18, 0, 0, 0, loc), time.Date(2027, 1, 19, 18, 0, 0, 0, loc)
	if _, _, err := f.store.RecordRSVP(ctx, natverk.RSVP{SeriesID: f.series.ID, MemberID: f.ms[1].ID, Answer: natverk.AnswerYes, Source: natverk.SourceLink}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.DecideQuorum(ctx, f.series.ID, first, first.Add(-47*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := f.drain(events.MailQueued); n != 4 {
		t.Fatalf("%d cancellations queued, want one per invitee (4)", n)
	}
	msgs := f.sink.WaitFor(t, before+4, 10*time.Second)[before:]
	var cals [][]byte
	for _, m := range msgs {
		subject, text, cal := parts(t, m)
		if !strings.HasPrefix(subject, "Inställt: ") || !strings.Contains(text, "För få anmälda: mötet behövde 2 ja-svar i förväg och fick 1.") {
			t.Fatalf("quorum cancellation to %s: %q\n%s", m.To[0], subject, text)
		}
		cals = append(cals, cal)
	}
	icaltest.Check(t, cals...)
	before += len(msgs)
	if _, _, err := f.store.RecordRSVP(ctx, natverk.RSVP{SeriesID: f.series.ID, MemberID: f.ms[2].ID, Answer: natverk.AnswerYes, Source: natverk.SourceLink}); err != nil {
		t.Fatal(err)
	}
	f.drain()
	if _, err := f.store.DecideQuorum(ctx, f.series.ID, second, second.Add(-47*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := f.drain(events.MailQueued); n != 4 {
		t.Fatalf("%d it's-on mails queued, want 4 (nobody declined)", n)
	}
	msgs = f.sink.WaitFor(t, before+4, 10*time.Second)[before:]
	for _, m := range msgs {
		subject, text, cal := parts(t, m)
		if !strings.HasPrefix(subject, "Det blir av: ") || !strings.Contains(text, "tisdag 19 januari 2027") || cal != nil {
			t.Fatalf("it's-on mail to %s: %q\n%s", m.To[0], subject, text)
		}
	}
}

// TestPollMail: every invitee of a network without meetings gets a link
// to vote on the times offered, signed for them and the poll.
func TestPollMail(t *testing.T) {
	f := newFixture(t, smtptest.Faults{})
	ctx := context.Background()
	f.drain(events.MemberInvited)
	before := len(f.sink.WaitFor(t, 3, 10*time.Second))
	nin, _ := natverk.NetworkInput{Name: "Nystart", Organizers: []int64{f.ms[0].ID}}.Normalize(checks.Zone)
	n, err := f.store.CreateNetwork(ctx, nin, "tok2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Invite(ctx, n.ID, natverk.InviteRequest{MemberIDs: []int64{f.ms[1].ID}}); err != nil {
		t.Fatal(err)
	}
	p, err := natverk.PollInput{Title: "När passar det?", Options: []natverk.PollOption{
		{Start: "2027-02-02T18:00", RRule: "FREQ=WEEKLY;BYDAY=TU", Location: "Biblioteket"},
		{Start: "2027-02-04T17:30", RRule: "FREQ=MONTHLY;BYDAY=1TH", DurationMinutes: 90},
	}}.Build(n, checks)
	if err != nil {
		t.Fatal(err)
	}
	if p, err = f.store.CreatePoll(ctx, p); err != nil {
		t.Fatal(err)
	}
	if got := f.drain(events.MailQueued); got != 2 {
		t.Fatalf("%d poll mails queued, want 2", got)
	}
	msgs := f.sink.WaitFor(t, before+2, 10*time.Second)[before:]
	for _, m := range msgs {
		subject, text, cal := parts(t, m)
		if subject != "Välj mötestid: Nystart" || cal != nil {
			t.Fatalf("poll subject %q", subject)
		}
		for _, want := range []string{"När passar det?", "1. varje tisdag kl. 18:00–20:00, första gången 2 februari 2027, Biblioteket", "2. första torsdagen varje månad kl. 17:30–19:00"} {
			if !strings.Contains(text, want) {
				t.Fatalf("poll mail lacks %q:\n%s", want, text)
			}
		}
		i := strings.Index(text, "https://natverk.test/vote/")
		tok := strings.Fields(text[i+len("https://natverk.test/vote/"):])[0]
		c, err := f.w.Links.Signer.Verify(tok, token.Vote, f.now)
		if err != nil || c.SeriesID != p.ID || c.NetworkID != n.ID {
			t.Fatalf("vote token %q: %+v %v", tok, c, err)
		}
	}
	// Once decided, a late redelivery of the poll mail sends nothing.
	sr, _ := p.Options[0].SeriesInput().Build(n, checks)
	sr.UID = "nystart@natverk.test"
	if _, _, err := f.store.DecidePoll(ctx, p.ID, p.Options[0].ID, sr); err != nil {
		t.Fatal(err)
	}
	late := natverk.PollMailEvent(p, f.ms[2].ID, f.now)
	if err := f.w.Handle(ctx, late); err != nil {
		t.Fatal(err)
	}
}
