package inbound_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

// rsvpEvents counts the rsvp.recorded events in the outbox.
func (e *testEnv) rsvpEvents(t testing.TB, memberID int64) int {
	t.Helper()
	evs, err := e.store.PendingOutbox(ctxT(t), 100000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Event.Type != events.RSVPRecorded {
			continue
		}
		var p events.RSVPPayload
		if err := ev.Event.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if p.MemberID == memberID {
			n++
		}
	}
	return n
}

// process runs one message through the processor and fails the test on
// an infrastructure error.
func (e *testEnv) process(t testing.TB, from string, rcpts []string, raw []byte) (status, reason string) {
	t.Helper()
	res, err := e.proc.Process(ctxT(t), from, rcpts, raw)
	if err != nil {
		t.Fatalf("process: %v", err)
	}
	return res.Status, res.Reason
}

func TestDuplicateMessageID(t *testing.T) {
	e := newEnv(t, 1)
	m := e.members[0]
	_, addr := e.startServer(t, nil)
	d := e.reply(e.series, m, 1, "ACCEPTED")
	raw, _ := render(t, "exchange.reply", d)
	for i := 0; i < 3; i++ {
		if err := send(addr, m.Email, []string{d.To}, raw); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if got := e.answers(t, m.ID); len(got) != 1 || got[0].Answer != natverk.AnswerYes {
		t.Errorf("answers %+v; want one ACCEPTED", got)
	}
	if n := e.rsvpEvents(t, m.ID); n != 1 {
		t.Errorf("%d rsvp.recorded events, want 1", n)
	}
	stored := e.inbound(t, "")
	if len(stored) != 1 || stored[0].Status != natverk.InboundApplied {
		t.Fatalf("stored %d messages (%+v); want the first, applied", len(stored), stored)
	}
	// Processing it again directly reports the duplicate.
	if status, reason := e.process(t, m.Email, []string{d.To}, raw); status != natverk.InboundIgnored || !strings.Contains(reason, "duplicate") {
		t.Errorf("again: %s %q; want ignored as a duplicate", status, reason)
	}
}

// TestLaterAnswerWins delivers answers out of order: the one with the
// later DTSTAMP stays, whatever the order of arrival.
func TestLaterAnswerWins(t *testing.T) {
	e := newEnv(t, 1)
	m := e.members[0]
	at := func(day int) time.Time { return time.Date(2027, 1, day, 9, 0, 0, 0, time.UTC) }
	steps := []struct {
		partstat string
		stamp    time.Time
		status   string
		reason   string
		want     string
	}{
		{"DECLINED", at(6), natverk.InboundApplied, "recorded DECLINED", natverk.AnswerNo},
		{"ACCEPTED", at(4), natverk.InboundIgnored, "older than the answer on file", natverk.AnswerNo},
		{"ACCEPTED", at(7), natverk.InboundApplied, "recorded ACCEPTED", natverk.AnswerYes},
		{"ACCEPTED", at(8), natverk.InboundApplied, "already on file", natverk.AnswerYes},
	}
	for i, st := range steps {
		d := e.reply(e.series, m, -1, st.partstat)
		d.Stamp = st.stamp
		d.MessageID = strings.Repeat("x", i+1) + "@example.org"
		raw, _ := render(t, "google.reply", d)
		status, reason := e.process(t, "bounce@google.com", []string{d.To}, raw)
		if status != st.status || !strings.Contains(reason, st.reason) {
			t.Errorf("step %d: %s %q; want %s with %q", i, status, reason, st.status, st.reason)
		}
		got := e.answers(t, m.ID)
		if len(got) != 1 || got[0].Answer != st.want {
			t.Errorf("step %d: answers %+v; want %s", i, got, st.want)
		}
	}
}

func TestNoAnswer(t *testing.T) {
	e := newEnv(t, 1)
	m := e.members[0]
	for _, ps := range []string{"NEEDS-ACTION", "DELEGATED", "X-UNHEARD-OF"} {
		d := e.reply(e.series, m, 0, ps)
		d.MessageID = ps + "@example.org"
		raw, _ := render(t, "thunderbird.reply", d)
		if status, reason := e.process(t, m.Email, []string{d.To}, raw); status != natverk.InboundIgnored || !strings.Contains(reason, "not an answer") {
			t.Errorf("%s: %s %q; want ignored", ps, status, reason)
		}
	}
	if got := e.answers(t, m.ID); len(got) != 0 {
		t.Errorf("answers %+v", got)
	}
}

// TestChangedSeries answers a series whose SEQUENCE rose after the
// invitation: the answer counts, with a note; an answer to the cancelled
// occurrence is refused.
func TestChangedSeries(t *testing.T) {
	e := newEnv(t, 1)
	m := e.members[0]
	cancelled := e.occurrence(e.series, 6)
	s, err := e.store.ChangeOccurrence(ctxT(t), e.series.ID, natverk.Exception{RecurrenceID: cancelled, Cancelled: true, Reason: "Sportlov"}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if s.Sequence == 0 {
		t.Fatal("cancelling an occurrence did not raise SEQUENCE")
	}
	d := e.reply(e.series, m, -1, "ACCEPTED") // SEQUENCE of the first invitation
	raw, _ := render(t, "outlookmac.reply", d)
	if status, reason := e.process(t, m.Email, nil, raw); status != natverk.InboundApplied || !strings.Contains(reason, "answered an old version") {
		t.Errorf("old version: %s %q; want applied, noting the old version", status, reason)
	}
	d = e.reply(e.series, m, 6, "ACCEPTED")
	d.Sequence = s.Sequence
	raw, _ = render(t, "apple.reply", d)
	if status, reason := e.process(t, m.Email, nil, raw); status != natverk.InboundRefused || !strings.Contains(reason, "cancelled") {
		t.Errorf("cancelled occurrence: %s %q; want refused", status, reason)
	}
	if got := e.answers(t, m.ID); len(got) != 1 || !got[0].Occurrence.IsZero() {
		t.Errorf("answers %+v; want only the series answer", got)
	}
}

// TestStamps covers replies whose DTSTAMP cannot be trusted as it is.
func TestStamps(t *testing.T) {
	e := newEnv(t, 1)
	m := e.members[0]
	d := e.reply(e.series, m, -1, "DECLINED")
	d.Stamp = time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
	raw, _ := render(t, "google.reply", d)
	if status, reason := e.process(t, m.Email, nil, raw); status != natverk.InboundApplied || !strings.Contains(reason, "DTSTAMP in the future") {
		t.Errorf("future stamp: %s %q", status, reason)
	}
	got := e.answers(t, m.ID)
	if len(got) != 1 || !got[0].AnsweredAt.Equal(testNow) {
		t.Fatalf("answers %+v; want answered at the time of receipt %v", got, testNow)
	}
	// Without DTSTAMP the Date header dates the answer.
	d = e.reply(e.series, m, 2, "TENTATIVE")
	raw, _ = render(t, "thunderbird.reply", d)
	raw = regexp.MustCompile(`(?m)^DTSTAMP:[0-9TZ]+\r\n`).ReplaceAll(raw, nil)
	if status, reason := e.process(t, m.Email, nil, raw); status != natverk.InboundApplied || !strings.Contains(reason, "Date header") {
		t.Errorf("no stamp: %s %q", status, reason)
	}
	for _, r := range e.answers(t, m.ID) {
		if !r.Occurrence.IsZero() && !r.AnsweredAt.Equal(d.Date) {
			t.Errorf("answered at %v; want the Date header %v", r.AnsweredAt, d.Date)
		}
	}
}

// TestMissingMessageID names a message without Message-ID by its bytes:
// the same bytes twice are a duplicate.
func TestMissingMessageID(t *testing.T) {
	e := newEnv(t, 1)
	m := e.members[0]
	d := e.reply(e.series, m, 3, "ACCEPTED")
	raw, _ := render(t, "thunderbird.reply", d)
	raw = regexp.MustCompile(`(?m)^Message-ID: <[^>]*>\r\n`).ReplaceAll(raw, nil)
	if bytes.Contains(raw, []byte("Message-ID")) {
		t.Fatal("the Message-ID was not removed")
	}
	if status, _ := e.process(t, m.Email, nil, raw); status != natverk.InboundApplied {
		t.Errorf("first: %s", status)
	}
	if status, reason := e.process(t, m.Email, nil, raw); status != natverk.InboundIgnored || !strings.Contains(reason, "duplicate") {
		t.Errorf("second: %s %q", status, reason)
	}
	stored := e.inbound(t, "")
	if len(stored) != 1 || !strings.HasSuffix(stored[0].MessageID, "@inbound.invalid") {
		t.Errorf("stored %+v; want one message with a synthetic Message-ID", stored)
	}
}

// TestNotReplies keeps mail that is not a calendar reply, and passes it on
// to the organizers when a forwarder is set.
func TestNotReplies(t *testing.T) {
	for _, withForward := range []bool{true, false} {
		name := "KeptOnly"
		if withForward {
			name = "Forwarded"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, 1)
			m := e.members[0]
			fw := &forwards{}
			if withForward {
				e.proc.Forward = fw.forward
			}
			metrics := &counter{}
			e.proc.Metrics = metrics
			cases := []struct{ fixture, reason string }{
				{"outofoffice", "automatic reply"},
				{"human", "no calendar part"},
				{"forwarded.invite", "METHOD:REQUEST is not a reply"},
			}
			var cals = map[string][]byte{}
			for _, tc := range cases {
				d := e.reply(e.series, m, -1, "")
				d.MessageID = tc.fixture + "@example.org"
				raw, ics := render(t, tc.fixture, d)
				if ics != nil {
					cals[tc.fixture] = ics
				}
				status, reason := e.process(t, m.Email, []string{d.To}, raw)
				if status != natverk.InboundOther || !strings.Contains(reason, tc.reason) {
					t.Errorf("%s: %s %q; want other with %q", tc.fixture, status, reason, tc.reason)
				}
				if got := e.saved.saved(t, d.MessageID); !bytes.Equal(got.Raw, raw) || got.SeriesID != e.series.ID || got.MemberID != m.ID {
					t.Errorf("%s: stored series %d member %d with %d raw bytes; want the series, the member and the message", tc.fixture, got.SeriesID, got.MemberID, len(got.Raw))
				}
			}
			if withForward {
				if len(fw.networks) != len(cases) {
					t.Fatalf("forwarded %d messages, want %d", len(fw.networks), len(cases))
				}
				for _, id := range fw.networks {
					if id != e.network.ID {
						t.Errorf("forwarded to network %d, want %d", id, e.network.ID)
					}
				}
			}
			if got := metrics.get(natverk.InboundOther); got != len(cases) {
				t.Errorf("metrics counted %d other, want %d", got, len(cases))
			}
			if got := e.answers(t, m.ID); len(got) != 0 {
				t.Errorf("answers %+v", got)
			}
			icalcheck(t, cals)
		})
	}
}

// TestUnsubscribeByMail sends mail to the List-Unsubscribe mailto address.
func TestUnsubscribeByMail(t *testing.T) {
	e := newEnv(t, 3)
	_, addr := e.startServer(t, nil)
	mailto := func(m *natverk.Member) string {
		u := e.links.UnsubscribeMailto(e.links.UnsubscribeToken(m, e.network.ID))
		u = strings.TrimPrefix(u, "mailto:")
		u, _, _ = strings.Cut(u, "?")
		return u
	}
	unsub := func(t *testing.T, m *natverk.Member, to, id string) natverk.InboundMessage {
		t.Helper()
		d := mailData{MessageID: id, From: m.Email, FromName: m.Name, To: to, Date: testNow}
		raw, _ := render(t, "unsubscribe", d)
		if err := send(addr, m.Email, []string{to}, raw); err != nil {
			t.Fatalf("send: %v", err)
		}
		return e.saved.saved(t, id)
	}
	status := func(m *natverk.Member) string {
		ms, err := e.store.FindMembership(ctxT(t), e.network.ID, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		return ms.Status
	}
	t.Run("OK", func(t *testing.T) {
		m := e.members[0]
		if got := unsub(t, m, mailto(m), "unsub-1@example.org"); got.Status != natverk.InboundApplied {
			t.Errorf("stored %s %q", got.Status, got.Reason)
		}
		if got := status(m); got != natverk.StatusUnsubscribed {
			t.Errorf("membership %s, want unsubscribed", got)
		}
		if got := unsub(t, m, strings.ToUpper(mailto(m)), "unsub-2@example.org"); got.Status != natverk.InboundIgnored {
			t.Errorf("again (upper-cased by a mail system): %s %q; want ignored", got.Status, got.Reason)
		}
		// A calendar reply from an unsubscribed member is not recorded.
		raw, _ := render(t, "google.reply", e.reply(e.series, m, -1, "ACCEPTED"))
		if st, reason := e.process(t, m.Email, nil, raw); st != natverk.InboundRefused || !strings.Contains(reason, "unsubscribed") {
			t.Errorf("reply after unsubscribing: %s %q", st, reason)
		}
	})
	t.Run("BadToken", func(t *testing.T) {
		m := e.members[1]
		if got := unsub(t, m, tamperUnsubscribe(mailto(m)), "unsub-3@example.org"); got.Status != natverk.InboundRefused {
			t.Errorf("stored %s %q; want refused", got.Status, got.Reason)
		}
		if got := status(m); got != natverk.StatusInvited {
			t.Errorf("membership %s, want invited", got)
		}
	})
	t.Run("Revoked", func(t *testing.T) {
		m := e.members[2]
		to := mailto(m)
		if err := e.store.RevokeMemberTokens(ctxT(t), m.ID); err != nil {
			t.Fatal(err)
		}
		if got := unsub(t, m, to, "unsub-4@example.org"); got.Status != natverk.InboundRefused || !strings.Contains(got.Reason, "revoked") {
			t.Errorf("stored %s %q; want refused as revoked", got.Status, got.Reason)
		}
		if got := status(m); got != natverk.StatusInvited {
			t.Errorf("membership %s, want invited", got)
		}
	})
}

func tamperUnsubscribe(addr string) string {
	b := []byte(addr)
	i := len("unsubscribe+") + 12
	if b[i] == 'a' {
		b[i] = 'b'
	} else {
		b[i] = 'a'
	}
	return string(b)
}

// TestAutomaticAcceptance applies a REPLY that a client sent by itself
// (a resource or delegate set to accept invitations): Auto-Submitted
// marks it as automatic, but its calendar part is a real answer.
func TestAutomaticAcceptance(t *testing.T) {
	e := newEnv(t, 1)
	m := e.members[0]
	d := e.reply(e.series, m, -1, "ACCEPTED")
	raw, _ := render(t, "exchange.reply", d)
	raw = append([]byte("Auto-Submitted: auto-replied\r\n"), raw...)
	if status, reason := e.process(t, m.Email, []string{d.To}, raw); status != natverk.InboundApplied {
		t.Errorf("%s %q; want applied", status, reason)
	}
}
