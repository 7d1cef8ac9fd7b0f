package inbound_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/natverk/natverk/internal/links"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/token"
)

// TestRefused sends replies that fail a check: each is stored as refused
// (or queued for review) with its reason and its bytes, and no answer is
// recorded for anyone.
func TestRefused(t *testing.T) {
	e := newEnv(t, 4)
	other := e.addSeries(t, "2027-01-14T18:00", "FREQ=WEEKLY;BYDAY=TH", "Fika på torsdagar")
	victim, attacker := e.members[0], e.members[1]
	otherKey, err := token.NewSigner(token.Key{ID: 1, Secret: bytes.Repeat([]byte("another-service-key"), 2)})
	if err != nil {
		t.Fatal(err)
	}
	foreign := &links.Builder{BaseURL: e.links.BaseURL, MailDomain: mailDomain, Signer: otherKey}
	cases := []struct {
		name    string
		fixture string
		change  func(d *mailData)
		status  string
		reason  string
	}{
		{
			// The attacker answers for the victim with the attacker's own
			// valid reply address.
			name: "AttendeeOfAnotherMember", fixture: "google.reply", status: natverk.InboundRefused, reason: "forged",
			change: func(d *mailData) {
				d.To = e.links.ReplyAddress(attacker.ID, e.series.ID)
				d.Attendees = []person{{Name: victim.Name, Email: victim.Email}}
				d.From = attacker.Email
			},
		},
		{
			// Someone the invitation was forwarded to answers with the
			// member's reply address.
			name: "StrangerWithMembersToken", fixture: "thunderbird.reply", status: natverk.InboundRefused, reason: "forged",
			change: func(d *mailData) {
				d.Attendees = []person{{Name: "Okänd", Email: "okand@example.net"}}
				d.From = "okand@example.net"
			},
		},
		{
			name: "TamperedToken", fixture: "apple.reply", status: natverk.InboundRefused, reason: "does not verify",
			change: func(d *mailData) { d.To = tamper(d.To) },
		},
		{
			name: "TokenOfAnotherKey", fixture: "apple.reply", status: natverk.InboundRefused, reason: "does not verify",
			change: func(d *mailData) { d.To = foreign.ReplyAddress(victim.ID, e.series.ID) },
		},
		{
			name: "UnknownUID", fixture: "outlookmac.reply", status: natverk.InboundRefused, reason: "unknown UID",
			change: func(d *mailData) { d.UID = "040000008200E00074C5B7101A82E00800000000@kalender.example.se" },
		},
		{
			// The UID of the network's other series, with the reply
			// address of this one.
			name: "UIDOfAnotherSeries", fixture: "exchange.reply", status: natverk.InboundRefused, reason: "not of series",
			change: func(d *mailData) { d.UID = other.UID },
		},
		{
			name: "SeveralAttendees", fixture: "google.reply", status: natverk.InboundRefused, reason: "several attendees",
			change: func(d *mailData) {
				d.Attendees = append(d.Attendees, person{Name: attacker.Name, Email: attacker.Email})
			},
		},
		{
			// A Wednesday: the series meets on Tuesdays.
			name: "NotAnOccurrence", fixture: "thunderbird.reply", status: natverk.InboundRefused, reason: "not an occurrence",
			change: func(d *mailData) {
				occ := e.occurrence(e.series, 3).Add(24 * time.Hour)
				d.Occurrence = &occ
			},
		},
		{
			// Right day, an hour late.
			name: "OccurrenceAtAnotherTime", fixture: "google.reply", status: natverk.InboundRefused, reason: "not an occurrence",
			change: func(d *mailData) {
				occ := e.occurrence(e.series, 3).Add(time.Hour)
				d.Occurrence = &occ
			},
		},
		{
			name: "OccurrenceBeforeTheSeries", fixture: "apple.reply", status: natverk.InboundRefused, reason: "not an occurrence",
			change: func(d *mailData) {
				occ := e.occurrence(e.series, -1)
				d.Occurrence = &occ
			},
		},
		{
			// No reply token (mail to a plain address of the domain) from
			// someone who is not in the register: an organizer decides.
			name: "UnknownResponderWithoutToken", fixture: "thunderbird.reply", status: natverk.InboundReview, reason: "unknown responder",
			change: func(d *mailData) {
				d.To = "natverk-goteborg@" + mailDomain
				d.Attendees = []person{{Name: "Ny Person", Email: "ny.person@example.net"}}
				d.From = "ny.person@example.net"
			},
		},
		{
			name: "UnknownUIDWithoutToken", fixture: "google.reply", status: natverk.InboundRefused, reason: "unknown UID",
			change: func(d *mailData) {
				d.To = "natverk-goteborg@" + mailDomain
				d.UID = "somebody-elses-meeting@example.com"
			},
		},
	}
	_, addr := e.startServer(t, nil)
	cals := map[string][]byte{}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := e.reply(e.series, victim, 2, "DECLINED")
			d.MessageID = strings.ToLower(tc.name) + "@attacker.example"
			tc.change(&d)
			raw, ics := render(t, tc.fixture, d)
			cals[tc.name] = ics
			if err := send(addr, d.From, []string{d.To}, raw); err != nil {
				t.Fatalf("send: %v (a refused reply is still accepted with 250)", err)
			}
			stored := e.saved.saved(t, d.MessageID)
			if stored.Status != tc.status || !strings.Contains(stored.Reason, tc.reason) {
				t.Errorf("stored %s %q; want %s with %q", stored.Status, stored.Reason, tc.status, tc.reason)
			}
			if !bytes.Equal(stored.Raw, raw) {
				t.Errorf("the stored raw message differs from the one sent (%d bytes, sent %d)", len(stored.Raw), len(raw))
			}
			for _, m := range e.members {
				if got := e.answers(t, m.ID); len(got) != 0 {
					t.Errorf("case %d recorded an answer for member %d: %+v", i, m.ID, got)
				}
			}
		})
	}
	// The forgeries are well-formed calendars: only their content is
	// wrong.
	t.Run("Icalcheck", func(t *testing.T) { icalcheck(t, cals) })
}

// tamper changes one character of the token in a reply address.
func tamper(addr string) string {
	b := []byte(addr)
	i := len("rsvp+") + 10
	if b[i] == 'a' {
		b[i] = 'b'
	} else {
		b[i] = 'a'
	}
	return string(b)
}

// TestResponderFallbacks covers the addresses a real reply may carry
// besides the invited one.
func TestResponderFallbacks(t *testing.T) {
	e := newEnv(t, 3)
	cases := []struct {
		name   string
		member int
		change func(d *mailData, m *natverk.Member)
		note   string
	}{
		{
			// The calendar answers from an alias, but the mail comes from
			// the invited address.
			name: "AttendeeAliasSenderIsMember", member: 0, note: "the sender is the member",
			change: func(d *mailData, m *natverk.Member) {
				d.Attendees = []person{{Name: m.Name, Email: "asa.alias@example.org"}}
			},
		},
		{
			// Exchange upper-cases the whole address.
			name: "UpperCaseAddress", member: 1,
			change: func(d *mailData, m *natverk.Member) {
				d.Attendees = []person{{Name: m.Name, Email: strings.ToUpper(m.Email)}}
			},
		},
		{
			// Mail to a plain address of the domain: the ATTENDEE is a
			// member of the register.
			name: "NoTokenKnownMember", member: 2, note: "no reply token",
			change: func(d *mailData, m *natverk.Member) { d.To = "natverk-goteborg@" + mailDomain },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := e.members[tc.member]
			d := e.reply(e.series, m, -1, "ACCEPTED")
			tc.change(&d, m)
			raw, _ := render(t, "google.reply", d)
			res, err := e.proc.Process(ctxT(t), "bounce@calendar-server.bounces.google.com", []string{d.To}, raw)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != natverk.InboundApplied || res.MemberID != m.ID || !strings.Contains(res.Reason, tc.note) {
				t.Errorf("result %+v; want applied for member %d noting %q", res, m.ID, tc.note)
			}
			if got := e.answers(t, m.ID); len(got) != 1 || got[0].Answer != natverk.AnswerYes {
				t.Errorf("answers %+v", got)
			}
		})
	}
}

// TestMemberLeft refuses the reply of a member who left the network: the
// store forbids it, and the message is kept with the store's reason.
func TestMemberLeft(t *testing.T) {
	e := newEnv(t, 1)
	m := e.members[0]
	if _, err := e.store.SetMembership(ctxT(t), e.network.ID, m.ID, natverk.StatusLeft, "test"); err != nil {
		t.Fatal(err)
	}
	raw, _ := render(t, "apple.reply", e.reply(e.series, m, -1, "ACCEPTED"))
	res, err := e.proc.Process(ctxT(t), m.Email, nil, raw)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != natverk.InboundRefused || !strings.Contains(res.Reason, "left") {
		t.Errorf("result %+v; want refused because the member left", res)
	}
	if got := e.answers(t, m.ID); len(got) != 0 {
		t.Errorf("answers %+v", got)
	}
}
