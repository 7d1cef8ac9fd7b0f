package inbound_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/natverk/natverk/internal/natverk"
)

// TestClientReplies sends each client's reply, shaped as the client
// shapes it, through the SMTP endpoint, for the whole series and for one
// occurrence, and checks the answer recorded.
func TestClientReplies(t *testing.T) {
	cases := []struct {
		name     string
		fixture  string
		envFrom  string // "" = the member's address
		occ      int    // -1 = the whole series
		partstat string
		want     string
		counter  bool
	}{
		{name: "GoogleSeriesAccept", fixture: "google.reply", envFrom: "3aBcDe-calendar-server@calendar-server.bounces.google.com", occ: -1, partstat: "ACCEPTED", want: natverk.AnswerYes},
		{name: "GoogleOccurrenceDecline", fixture: "google.reply", envFrom: "3aBcDe-calendar-server@calendar-server.bounces.google.com", occ: 3, partstat: "DECLINED", want: natverk.AnswerNo},
		{name: "OutlookMacSeriesTentative", fixture: "outlookmac.reply", occ: -1, partstat: "TENTATIVE", want: natverk.AnswerMaybe},
		// 30 March 2027 is after the change to summer time: 18:00 is 16:00Z.
		{name: "OutlookMacOccurrenceAfterDST", fixture: "outlookmac.reply", occ: 11, partstat: "ACCEPTED", want: natverk.AnswerYes},
		{name: "ExchangeSeriesDecline", fixture: "exchange.reply", occ: -1, partstat: "DECLINED", want: natverk.AnswerNo},
		{name: "ExchangeOccurrenceAccept", fixture: "exchange.reply", occ: 2, partstat: "ACCEPTED", want: natverk.AnswerYes},
		{name: "AppleSeriesAccept", fixture: "apple.reply", occ: -1, partstat: "ACCEPTED", want: natverk.AnswerYes},
		{name: "AppleOccurrenceAfterDST", fixture: "apple.reply", occ: 11, partstat: "TENTATIVE", want: natverk.AnswerMaybe},
		{name: "ThunderbirdSeriesAccept", fixture: "thunderbird.reply", occ: -1, partstat: "ACCEPTED", want: natverk.AnswerYes},
		{name: "ThunderbirdOccurrenceDecline", fixture: "thunderbird.reply", occ: 5, partstat: "DECLINED", want: natverk.AnswerNo},
		{name: "GoogleCounterSeries", fixture: "google.counter", envFrom: "3qRsTu-calendar-server@calendar-server.bounces.google.com", occ: -1, want: natverk.AnswerMaybe, counter: true},
		{name: "GoogleCounterOccurrence", fixture: "google.counter", envFrom: "3qRsTu-calendar-server@calendar-server.bounces.google.com", occ: 4, want: natverk.AnswerMaybe, counter: true},
	}
	e := newEnv(t, len(cases))
	_, addr := e.startServer(t, nil)
	cals := map[string][]byte{}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := e.members[i]
			d := e.reply(e.series, m, tc.occ, tc.partstat)
			raw, ics := render(t, tc.fixture, d)
			cals[tc.name] = ics
			from := tc.envFrom
			if from == "" {
				from = m.Email
			}
			if err := send(addr, from, []string{d.To}, raw); err != nil {
				t.Fatalf("send: %v", err)
			}
			want := &natverk.RSVP{SeriesID: e.series.ID, NetworkID: e.network.ID, MemberID: m.ID, Answer: tc.want,
				Source: natverk.SourceReply, AnsweredAt: d.Stamp, Sequence: e.series.Sequence}
			if d.Occurrence != nil {
				want.Occurrence = *d.Occurrence
			}
			if tc.counter {
				p := d.Proposed
				want.Proposed = &p
			}
			got := e.answers(t, m.ID)
			if diff := cmp.Diff([]*natverk.RSVP{want}, got, cmpopts.IgnoreFields(natverk.RSVP{}, "UpdatedAt"), cmpopts.EquateApproxTime(0)); diff != "" {
				t.Errorf("answers (-want +got):\n%s", diff)
			}
			stored := e.saved.saved(t, d.MessageID)
			if stored.Status != natverk.InboundApplied || stored.SeriesID != e.series.ID || stored.MemberID != m.ID {
				t.Errorf("stored %s (%s) series %d member %d; want applied for series %d member %d",
					stored.Status, stored.Reason, stored.SeriesID, stored.MemberID, e.series.ID, m.ID)
			}
			if stored.Raw != nil {
				t.Errorf("an applied reply was stored with its raw bytes (%d)", len(stored.Raw))
			}
			if stored.To != d.To || stored.From != m.Email {
				t.Errorf("stored from %q to %q; want from %q to %q", stored.From, stored.To, m.Email, d.To)
			}
		})
	}
	t.Run("Icalcheck", func(t *testing.T) {
		if len(cals) != len(cases) {
			t.Fatalf("%d calendars rendered, want %d", len(cals), len(cases))
		}
		icalcheck(t, cals)
	})
}

// TestOccurrenceInstants checks that one occurrence is matched as an
// instant whichever way each client writes RECURRENCE-ID (UTC, a Windows
// zone name, the client's own VTIMEZONE, the series zone), before and
// after a DST change.
func TestOccurrenceInstants(t *testing.T) {
	fixtures := []string{"google.reply", "outlookmac.reply", "exchange.reply", "apple.reply", "thunderbird.reply"}
	occs := []int{0, 10, 11, 41} // January, 23 March (CET), 30 March (CEST), 26 October (CET again)
	e := newEnv(t, len(fixtures))
	for i, f := range fixtures {
		m := e.members[i]
		for _, k := range occs {
			d := e.reply(e.series, m, k, "ACCEPTED")
			d.Stamp = d.Stamp.Add(time.Duration(k) * time.Minute)
			raw, _ := render(t, f, d)
			res, err := e.proc.Process(ctxT(t), m.Email, []string{d.To}, raw)
			if err != nil {
				t.Fatalf("%s occurrence %d: %v", f, k, err)
			}
			if res.Status != natverk.InboundApplied {
				t.Errorf("%s occurrence %d: %s (%s), want applied", f, k, res.Status, res.Reason)
			}
		}
		var got []time.Time
		for _, r := range e.answers(t, m.ID) {
			got = append(got, r.Occurrence)
		}
		var want []time.Time
		for _, k := range occs {
			want = append(want, e.occurrence(e.series, k))
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateApproxTime(0)); diff != "" {
			t.Errorf("%s: occurrences answered (-want +got):\n%s", f, diff)
		}
	}
}
