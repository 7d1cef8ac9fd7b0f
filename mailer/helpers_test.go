package mailer_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"

	"github.com/natverk/natverk/mailer"
)

// Fixed values of the test messages.
const (
	organizerMailbox = "natverk-goteborg@kalender.example.se"
	bounceAddress    = "bounces@kalender.example.se"
	ourDomain        = "kalender.example.se"
	firstInvitation  = "invitation-0001@kalender.example.se"
	listID           = "chefer-i-goteborg.natverk.kalender.example.se"
)

func stockholm(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatalf("load Europe/Stockholm: %v", err)
	}
	return loc
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return b
}

// calendarFixture names the hand-written .ics each calendar kind carries.
var calendarFixture = map[mailer.Kind]string{
	mailer.Invitation:          "request.ics",
	mailer.Update:              "update.ics",
	mailer.OccurrenceMoved:     "moved.ics",
	mailer.OccurrenceCancelled: "cancel-occurrence.ics",
	mailer.NetworkClosed:       "cancel-series.ics",
	mailer.Removed:             "cancel-removed.ics",
	mailer.WaitlistPromoted:    "request.ics",
}

// isMemberKind reports whether a kind goes to a network member (and so
// carries List-Id and List-Unsubscribe in the test messages).
func isMemberKind(k mailer.Kind) bool {
	switch k {
	case mailer.Digest, mailer.BounceNotice, mailer.SupportRequest, mailer.SupportDecided, mailer.OrganizerLink:
		return false
	}
	return true
}

// threads reports whether the test message of a kind replies to the first
// invitation.
func threads(k mailer.Kind) bool {
	switch k {
	case mailer.Update, mailer.OccurrenceCancelled, mailer.OccurrenceMoved, mailer.NetworkClosed, mailer.Removed, mailer.WaitlistPromoted:
		return true
	}
	return false
}

// testMessage returns a complete message of kind k in locale loc, with every
// field the kind uses filled in.
func testMessage(t testing.TB, k mailer.Kind, loc string) *mailer.Message {
	t.Helper()
	sto := stockholm(t)
	at := func(y int, mo time.Month, d, h, mi int) time.Time { return time.Date(y, mo, d, h, mi, 0, 0, sto) }
	m := &mailer.Message{
		Kind:      k,
		Locale:    loc,
		From:      mailer.Address{Name: "Nätverk Göteborg", Email: organizerMailbox},
		ReplyTo:   &mailer.Address{Name: "Anna Lind (samordnare)", Email: "anna@example.se"},
		To:        mailer.Address{Name: "Åsa Öberg", Email: "asa@example.org"},
		MessageID: strings.ReplaceAll(string(k), "_", "-") + "-" + loc + ".0001@" + ourDomain,
		Date:      at(2025, time.January, 2, 10, 0),
	}
	c := &m.Content
	c.NetworkName = "Chefer i Göteborg"
	c.NetworkURL = "https://kalender.example.se/n/chefer-i-goteborg"
	c.Summary = "Nätverksmöte för chefer"
	c.TimeZone = "Europe/Stockholm"
	c.Location = "Föreningshuset, Storgatan 1, 411 38 Göteborg"
	c.LocationURL = "https://maps.example.se/?q=Storgatan+1+G%C3%B6teborg"
	c.Start, c.End = at(2025, time.January, 14, 18, 0), at(2025, time.January, 14, 20, 0)
	if loc == "en" {
		c.Schedule = "second Tuesday of every month, 18:00–20:00"
	} else {
		c.Schedule = "andra tisdagen varje månad kl. 18:00–20:00"
	}
	if isMemberKind(k) {
		c.MemberName = "Åsa"
		m.ListID = listID
		m.Unsubscribe = &mailer.Unsubscribe{
			HTTPS:  "https://kalender.example.se/u/tok-asa-123",
			Mailto: "mailto:unsubscribe+tok-asa-123@kalender.example.se",
		}
		c.UnsubscribeURL = "https://kalender.example.se/u/tok-asa-123"
		c.LeaveURL = "https://kalender.example.se/leave/tok-asa-123"
		c.HideURL = "https://kalender.example.se/hide/tok-asa-123"
	} else {
		c.MemberName = "Anna"
		m.To = mailer.Address{Name: "Anna Lind", Email: "anna@example.se"}
		m.ReplyTo = nil
	}
	if threads(k) {
		m.InReplyTo = firstInvitation
	}
	if name, ok := calendarFixture[k]; ok {
		m.Calendar = &mailer.CalendarPart{Method: k.Method(), Data: readFixture(t, name)}
	}
	rsvp := func() {
		c.RSVP.Yes = "https://kalender.example.se/r/tok-asa-123?svar=ja"
		c.RSVP.Maybe = "https://kalender.example.se/r/tok-asa-123?svar=kanske"
		c.RSVP.No = "https://kalender.example.se/r/tok-asa-123?svar=nej"
		c.RSVP.Page = "https://kalender.example.se/r/tok-asa-123"
	}
	switch k {
	case mailer.Invitation:
		c.About = "Ett nätverk för chefer i Göteborg som vill dela erfarenheter.\nVi träffas en gång i månaden."
		c.Have = "En lokal, fika och en gästtalare per termin."
		c.Need = "Fler som vill hålla i ett samtal."
		c.Subscribe.HTTPS = "https://kalender.example.se/f/tok-feed/chefer-i-goteborg.ics"
		c.Subscribe.Webcal = "webcal://kalender.example.se/f/tok-feed/chefer-i-goteborg.ics"
		c.Subscribe.Google = "https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2Fkalender.example.se%2Ff%2Ftok-feed%2Fchefer-i-goteborg.ics"
		c.Subscribe.Outlook = "https://outlook.live.com/calendar/0/addfromweb?url=https%3A%2F%2Fkalender.example.se%2Ff%2Ftok-feed%2Fchefer-i-goteborg.ics&name=Chefer+i+G%C3%B6teborg"
		c.PersonalFeed = "https://kalender.example.se/feeds/m/tok-asa-feed.ics"
		rsvp()
	case mailer.Update:
		c.Start, c.End = at(2025, time.January, 14, 18, 30), at(2025, time.January, 14, 20, 30)
		c.Schedule = pick(loc, "andra tisdagen varje månad kl. 18:30–20:30", "second Tuesday of every month, 18:30–20:30")
		c.Note = "Vi börjar en halvtimme senare från och med januari."
		c.Answer = "ACCEPTED"
		rsvp()
	case mailer.OccurrenceCancelled:
		c.Start, c.End = at(2025, time.February, 11, 18, 0), at(2025, time.February, 11, 20, 0)
		c.Note = "Lokalen är upptagen den kvällen."
	case mailer.OccurrenceMoved:
		c.OldStart = at(2025, time.March, 11, 18, 0)
		c.Start, c.End = at(2025, time.March, 12, 18, 0), at(2025, time.March, 12, 20, 0)
		c.Note = "Sportlovet – vi tar onsdagen i stället."
		rsvp()
	case mailer.NetworkClosed:
		c.Note = "Vi har bestämt att avsluta nätverket efter tre fina år."
	case mailer.Removed:
		c.Note = ""
	case mailer.Reminder:
		c.Lapsed = true
		c.Waitlist = 2
		rsvp()
	case mailer.Digest:
		occ := at(2025, time.January, 14, 18, 0)
		c.Answers = []mailer.DigestAnswer{
			{Name: "Åsa Öberg", Email: "asa@example.org", Answer: "ACCEPTED", Occurrence: &occ, At: at(2025, time.January, 3, 9, 12)},
			{Name: "Per Ek", Email: "per@example.org", Answer: "DECLINED", At: at(2025, time.January, 4, 17, 45)},
		}
		c.Counts.Yes, c.Counts.Maybe, c.Counts.No, c.Counts.None = 12, 3, 2, 8
		c.Bouncing = []string{"gammal@example.net"}
		c.Action = mailer.Link{Label: pick(loc, "Öppna organisatörssidan", "Open the organizer page"), URL: "https://kalender.example.se/o/chefer-i-goteborg"}
	case mailer.BounceNotice:
		c.Bouncing = []string{"gammal@example.net"}
		c.Note = "Servern svarade: 550 5.1.1 user unknown"
		c.Action = mailer.Link{Label: pick(loc, "Rätta adressen", "Correct the address"), URL: "https://kalender.example.se/o/chefer-i-goteborg/members"}
	case mailer.SupportRequest:
		m.To = mailer.Address{Name: "Styrelsen", Email: "styrelsen@example.se"}
		c.MemberName = ""
		occ := at(2025, time.February, 11, 18, 0)
		c.Support = &mailer.SupportInfo{RequestID: 42, Occurrence: &occ, What: "Lokalhyra och fika för 25 personer", CostSEK: 1500, Status: "pending", Organizer: "Anna Lind"}
		c.Action = mailer.Link{Label: pick(loc, "Granska ansökan", "Review the request"), URL: "https://kalender.example.se/board/support/42"}
	case mailer.SupportDecided:
		occ := at(2025, time.February, 11, 18, 0)
		c.Support = &mailer.SupportInfo{RequestID: 42, Occurrence: &occ, What: "Lokalhyra och fika för 25 personer", CostSEK: 1500, Status: "approved", Note: "Beviljat. Spara kvittot.", Organizer: "Anna Lind"}
		c.Action = mailer.Link{Label: pick(loc, "Visa ansökan", "Show the request"), URL: "https://kalender.example.se/o/support/42"}
	case mailer.OrganizerLink:
		c.Action = mailer.Link{Label: pick(loc, "Öppna organisatörssidan", "Open the organizer page"), URL: "https://kalender.example.se/o/login/magic-tok-987"}
		c.Note = pick(loc, "Länken gäller i 24 timmar.", "The link is valid for 24 hours.")
	case mailer.WaitlistPromoted:
		c.Answer = "ACCEPTED"
		rsvp()
	case mailer.Confirmed:
		c.Answer = "ACCEPTED"
		c.Waitlist = 1
		rsvp()
	case mailer.Poll:
		c.Summary = pick(loc, "När ska vi ses?", "When shall we meet?")
		c.Start, c.End = time.Time{}, time.Time{}
		c.Options = []string{
			pick(loc, "tisdagar kl. 18:00–20:00, från 2 februari 2027, Biblioteket", "Tuesdays 18:00–20:00, from 2 February 2027, Biblioteket"),
			pick(loc, "torsdagar kl. 17:30–19:00, från 4 februari 2027", "Thursdays 17:30–19:00, from 4 February 2027"),
		}
		c.Action = mailer.Link{Label: pick(loc, "Rösta", "Vote"), URL: "https://kalender.example.se/vote/tok-asa-123"}
	case mailer.Notice:
		c.Note = pick(loc, "Under sommaruppehållet blir det inga möten i juli och augusti.\nVi ses igen i september!",
			"There are no meetings in July and August during the summer break.\nSee you again in September!")
	}
	return m
}

func pick(loc, sv, en string) string {
	if loc == "en" {
		return en
	}
	return sv
}

// newComposer returns a Composer or fails the test.
func newComposer(t testing.TB, opts mailer.ComposerOptions) *mailer.Composer {
	t.Helper()
	c, err := mailer.NewComposer(opts)
	if err != nil {
		t.Fatalf("NewComposer: %v", err)
	}
	return c
}

// part is one MIME entity as parsed back with go-message, body decoded.
type part struct {
	Type        string
	Params      map[string]string
	CTE         string
	Disposition string
	DispParams  map[string]string
	ContentID   string
	Header      message.Header
	Body        []byte
	Children    []*part
}

// parseMessage parses raw with go-message into its header and MIME tree.
func parseMessage(t testing.TB, raw []byte) (gomail.Header, *part) {
	t.Helper()
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse message: %v", err)
	}
	root, err := walk(e)
	if err != nil {
		t.Fatalf("parse message body: %v", err)
	}
	return gomail.Header{Header: e.Header}, root
}

func walk(e *message.Entity) (*part, error) {
	p := &part{Header: e.Header}
	var err error
	p.Type, p.Params, err = e.Header.ContentType()
	if err != nil {
		return nil, err
	}
	p.CTE = e.Header.Get("Content-Transfer-Encoding")
	p.ContentID = e.Header.Get("Content-Id")
	if e.Header.Get("Content-Disposition") != "" {
		p.Disposition, p.DispParams, err = e.Header.ContentDisposition()
		if err != nil {
			return nil, err
		}
	}
	if mr := e.MultipartReader(); mr != nil {
		for {
			child, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, err
			}
			cp, err := walk(child)
			if err != nil {
				return nil, err
			}
			p.Children = append(p.Children, cp)
		}
		return p, nil
	}
	p.Body, err = io.ReadAll(e.Body)
	return p, err
}

// shape renders the MIME tree as "multipart/mixed[multipart/alternative[…],…]".
func (p *part) shape() string {
	if len(p.Children) == 0 {
		return p.Type
	}
	var kids []string
	for _, c := range p.Children {
		kids = append(kids, c.shape())
	}
	return p.Type + "[" + strings.Join(kids, ",") + "]"
}

// find returns the first part of the media type, depth first.
func (p *part) find(mediaType string) *part {
	if p.Type == mediaType {
		return p
	}
	for _, c := range p.Children {
		if f := c.find(mediaType); f != nil {
			return f
		}
	}
	return nil
}

// icalcheckPath locates the shared icalcheck tool: $NATVERK_ICALCHECK, or
// ../../shared/tools/icalcheck/icalcheck from the repository root. Outside
// CI a missing tool skips the test; with CI=true it fails it.
func icalcheckPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("NATVERK_ICALCHECK"); p != "" {
		return p
	}
	p, err := filepath.Abs(filepath.Join("..", "..", "shared", "tools", "icalcheck", "icalcheck"))
	if err == nil {
		if _, err = os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("icalcheck not found (set NATVERK_ICALCHECK): %v", err)
	}
	t.Skipf("icalcheck not found (set NATVERK_ICALCHECK to run this check): %v", err)
	return ""
}

// icalcheck writes each calendar to a file and runs icalcheck on them all.
func icalcheck(t testing.TB, calendars map[string][]byte) {
	t.Helper()
	tool := icalcheckPath(t)
	dir := t.TempDir()
	var files []string
	for name, data := range calendars {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, data, 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	out, err := exec.Command(tool, files...).CombinedOutput()
	if err != nil {
		t.Fatalf("icalcheck: %v\n%s", err, out)
	}
}

// contextCancelled returns a context that is already cancelled.
func contextCancelled(t testing.TB) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx, cancel
}
