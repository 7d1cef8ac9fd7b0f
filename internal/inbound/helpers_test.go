package inbound_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"text/template"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-smtp"

	"github.com/natverk/natverk/calendar"
	"github.com/natverk/natverk/internal/inbound"
	"github.com/natverk/natverk/internal/links"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/sqlite"
	"github.com/natverk/natverk/internal/token"
)

const mailDomain = "kalender.example.se"

// testNow is the processor's clock: replies are stamped before it.
var testNow = time.Date(2027, 1, 10, 12, 0, 0, 0, time.UTC)

// testEnv is a real SQLite store holding a network with a weekly series
// and invited members, as the mailer sees it when it sends invitations.
type testEnv struct {
	store     *sqlite.DB
	saved     *savedStore
	links     *links.Builder
	proc      *inbound.Processor
	network   *natverk.Network
	series    *natverk.Series
	organizer *natverk.Member
	members   []*natverk.Member
	zone      *time.Location
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// newEnv opens a store in a temporary directory and fills it: an
// organizer, n members invited to "Nätverk Göteborg", and the network's
// series meeting every Tuesday at 18:00 in Europe/Stockholm from
// 12 January 2027.
func newEnv(t testing.TB, n int) *testEnv {
	t.Helper()
	ctx := ctxT(t)
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "natverk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	signer, err := token.NewSigner(token.Key{ID: 1, Secret: bytes.Repeat([]byte("inbound-test-key"), 3)})
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{store: db, links: &links.Builder{BaseURL: "https://" + mailDomain, MailDomain: mailDomain, Signer: signer}}
	e.zone, err = time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	rows := []natverk.MemberInput{{Email: "anna.samordnare@example.se", Name: "Anna Samordnare", Town: "Göteborg"}}
	for i := 1; i <= n; i++ {
		rows = append(rows, natverk.MemberInput{Email: fmt.Sprintf("medlem%04d@example.org", i), Name: fmt.Sprintf("Åsa Medlem %d", i), Town: "Göteborg"})
	}
	var irows []natverk.ImportRow
	for i, r := range rows {
		nr, err := r.Normalize()
		if err != nil {
			t.Fatal(err)
		}
		irows = append(irows, natverk.ImportRow{Row: i + 2, MemberInput: nr})
	}
	if _, err := db.ImportMembers(ctx, irows); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		m, err := db.FindMemberByEmail(ctx, r.Email)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			e.organizer = m
		} else {
			e.members = append(e.members, m)
		}
	}
	in, err := natverk.NetworkInput{Name: "Nätverk Göteborg", Kind: natverk.KindGeographic, Organizers: []int64{e.organizer.ID}}.Normalize(calendar.ValidateTimeZone)
	if err != nil {
		t.Fatal(err)
	}
	e.network, err = db.CreateNetwork(ctx, in, "feed-token-goteborg")
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, m := range e.members {
		ids = append(ids, m.ID)
	}
	if len(ids) > 0 {
		if _, err := db.Invite(ctx, e.network.ID, natverk.InviteRequest{MemberIDs: ids, Via: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	e.series = e.addSeries(t, "2027-01-12T18:00", "FREQ=WEEKLY;BYDAY=TU", "Nätverksmöte Göteborg")
	e.saved = &savedStore{DB: db, byID: map[string]natverk.InboundMessage{}}
	e.proc = &inbound.Processor{Store: e.saved, Links: e.links, Now: func() time.Time { return testNow }}
	return e
}

// savedStore is the SQLite store, keeping a copy of every message the
// processor saved so tests can see the stored raw bytes (FindInbound
// does not return them).
type savedStore struct {
	*sqlite.DB
	mu   sync.Mutex
	byID map[string]natverk.InboundMessage
}

func (s *savedStore) SaveInbound(ctx context.Context, m *natverk.InboundMessage) error {
	err := s.DB.SaveInbound(ctx, m)
	if err == nil {
		s.mu.Lock()
		s.byID[m.MessageID] = *m
		s.mu.Unlock()
	}
	return err
}

// saved returns the stored copy of a message by Message-ID.
func (s *savedStore) saved(t testing.TB, messageID string) natverk.InboundMessage {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.byID[messageID]
	if !ok {
		t.Fatalf("no message <%s> was stored", messageID)
	}
	return m
}

// closedStore returns a store that fails every call, as a database that
// went away does.
func (e *testEnv) closedStore(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(ctxT(t), filepath.Join(t.TempDir(), "closed.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	return db
}

// addSeries schedules another weekly series in the network.
func (e *testEnv) addSeries(t testing.TB, start, rule, summary string) *natverk.Series {
	t.Helper()
	s, err := natverk.SeriesInput{Summary: summary, Start: start, RRule: rule, Location: "Järntorget 1, Göteborg"}.
		Build(e.network, natverk.Checks{Zone: calendar.ValidateTimeZone, Rule: calendar.ValidateRule})
	if err != nil {
		t.Fatal(err)
	}
	s.UID = fmt.Sprintf("%s-%d@%s", strings.ReplaceAll(start, ":", ""), time.Now().UnixNano(), mailDomain)
	out, err := e.store.CreateSeries(ctxT(t), s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// occurrence returns the original start (UTC) of the i-th meeting of the
// series (0 = the first): every Tuesday at 18:00 Stockholm time.
func (e *testEnv) occurrence(s *natverk.Series, i int) time.Time {
	return s.Start.In(e.zone).AddDate(0, 0, 7*i).UTC()
}

// answers returns the member's stored answers.
func (e *testEnv) answers(t testing.TB, memberID int64) []*natverk.RSVP {
	t.Helper()
	rs, err := e.store.FindRSVPs(ctxT(t), natverk.RSVPFilter{MemberID: memberID})
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// inbound returns the stored inbound messages, newest first.
func (e *testEnv) inbound(t testing.TB, status string) []*natverk.InboundMessage {
	t.Helper()
	ms, err := e.store.FindInbound(ctxT(t), status, natverk.MaxPageSize)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// person is an attendee of a fixture.
type person struct{ Name, Email string }

// mailData fills a fixture template.
type mailData struct {
	MessageID     string
	From          string // the sender's address (From header)
	FromName      string
	To            string // the reply address (ORGANIZER)
	OrganizerName string
	UID           string
	Summary       string
	PartStat      string
	Attendees     []person
	Stamp         time.Time  // DTSTAMP
	Date          time.Time  // Date header
	Start, End    time.Time  // DTSTART and DTEND copied into the reply
	Occurrence    *time.Time // RECURRENCE-ID; nil for the whole series
	Proposed      time.Time  // a COUNTER's new start
	Sequence      int
	// Calendar is the rendered .ics, filled by render.
	Calendar string
}

// reply returns the data of member m's reply to series s (occurrence i,
// or the whole series when i < 0), as a client sends it.
func (e *testEnv) reply(s *natverk.Series, m *natverk.Member, i int, partstat string) mailData {
	d := mailData{
		MessageID: fmt.Sprintf("reply-%d-%d-%d-%s@client.example.org", s.ID, m.ID, i, strings.ToLower(partstat)),
		From:      m.Email, FromName: m.Name,
		To:            e.links.ReplyAddress(m.ID, s.ID),
		OrganizerName: e.network.Name,
		UID:           s.UID, Summary: s.Summary, PartStat: partstat,
		Attendees: []person{{Name: m.Name, Email: m.Email}},
		Stamp:     time.Date(2027, 1, 8, 10, 0, 0, 0, time.UTC),
		Date:      time.Date(2027, 1, 8, 10, 0, 5, 0, time.UTC),
		Start:     s.Start.UTC(), End: s.Start.Add(s.Duration).UTC(),
		Sequence: s.Sequence,
	}
	if i >= 0 {
		occ := e.occurrence(s, i)
		d.Occurrence = &occ
		d.Start, d.End = occ, occ.Add(s.Duration)
		d.Proposed = occ.Add(time.Hour)
	} else {
		d.Proposed = d.Start.Add(time.Hour)
	}
	return d
}

var templateFuncs = template.FuncMap{
	"utc": func(v any) string { return asTime(v).UTC().Format("20060102T150405Z") },
	"local": func(v any, zone string) (string, error) {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			return "", err
		}
		return asTime(v).In(loc).Format("20060102T150405"), nil
	},
	"after":  func(v any, minutes int) time.Time { return asTime(v).Add(time.Duration(minutes) * time.Minute) },
	"rfc822": func(t time.Time) string { return t.Format(time.RFC1123Z) },
	"q":      func(s string) string { return mime.QEncoding.Encode("UTF-8", s) },
	"upper":  strings.ToUpper,
	"ascii": func(s string) string {
		return strings.NewReplacer("å", "a", "ä", "a", "ö", "o", "Å", "A", "Ä", "A", "Ö", "O", "é", "e").Replace(s)
	},
	"b64": func(s string) string {
		enc := base64.StdEncoding.EncodeToString([]byte(s))
		var b strings.Builder
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\n")
			enc = enc[76:]
		}
		b.WriteString(enc)
		return b.String()
	},
	"qp": func(s string) (string, error) { return qpEncode([]byte(s)) },
	"latin1qp": func(s string) (string, error) {
		var b []byte
		for _, r := range s {
			if r > 0xff {
				r = '?'
			}
			b = append(b, byte(r))
		}
		return qpEncode(b)
	},
}

func asTime(v any) time.Time {
	switch t := v.(type) {
	case time.Time:
		return t
	case *time.Time:
		if t != nil {
			return *t
		}
	}
	return time.Time{}
}

func qpEncode(b []byte) (string, error) {
	var out bytes.Buffer
	w := quotedprintable.NewWriter(&out)
	if _, err := w.Write(b); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return out.String(), nil
}

// render fills testdata/<name>.ics (if there is one) and
// testdata/<name>.eml with d, and returns the message and its calendar,
// both with CRLF line ends and the calendar folded at 75 octets as
// clients fold it.
func render(t testing.TB, name string, d mailData) (eml, ics []byte) {
	t.Helper()
	if _, err := os.Stat(filepath.Join("testdata", name+".ics")); err == nil {
		ics = foldICS(crlf(execTemplate(t, name+".ics", d)))
		d.Calendar = string(ics)
	}
	return crlf(execTemplate(t, name+".eml", d)), ics
}

func execTemplate(t testing.TB, file string, d mailData) []byte {
	t.Helper()
	tpl, err := template.New(file).Funcs(templateFuncs).ParseFiles(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := tpl.Execute(&b, d); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return b.Bytes()
}

func crlf(b []byte) []byte {
	s := strings.ReplaceAll(string(b), "\r\n", "\n")
	return []byte(strings.ReplaceAll(s, "\n", "\r\n"))
}

// foldICS folds every content line longer than 75 octets (RFC 5545
// §3.1) without splitting a UTF-8 sequence.
func foldICS(b []byte) []byte {
	lines := strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n")
	var out strings.Builder
	for _, l := range lines {
		limit := 75
		for len(l) > limit {
			cut := limit
			for cut > 0 && !utf8.RuneStart(l[cut]) {
				cut--
			}
			out.WriteString(l[:cut] + "\r\n ")
			l = l[cut:]
			limit = 74
		}
		out.WriteString(l + "\r\n")
	}
	return []byte(out.String())
}

// icalcheck runs the shared icalcheck tool (ical.js plus the RFC 5545
// rules clients trip over) on calendars the tests produce.
func icalcheck(t testing.TB, cals map[string][]byte) {
	t.Helper()
	tool := icalcheckPath(t)
	dir := t.TempDir()
	var files []string
	for name, c := range cals {
		p := filepath.Join(dir, name+".ics")
		if err := os.WriteFile(p, c, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	out, err := exec.Command(tool, files...).CombinedOutput()
	if err != nil {
		t.Fatalf("icalcheck: %v\n%s", err, out)
	}
}

func icalcheckPath(t testing.TB) string {
	t.Helper()
	candidates := []string{}
	if p := os.Getenv("NATVERK_ICALCHECK"); p != "" {
		candidates = append(candidates, p)
	}
	// The package is internal/inbound: the repository root is ../.., and
	// the team's shared tools sit beside it.
	if root, err := filepath.Abs(filepath.Join("..", "..")); err == nil {
		candidates = append(candidates, filepath.Join(root, "..", "shared", "tools", "icalcheck", "icalcheck"))
	}
	for _, p := range candidates {
		if _, err := os.Stat(p); err == nil {
			if _, err := exec.LookPath("node"); err == nil {
				return p
			}
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("icalcheck not found or node missing (looked at %v)", candidates)
	}
	t.Skipf("icalcheck not found or node missing (looked at %v); set NATVERK_ICALCHECK", candidates)
	return ""
}

// startServer runs an inbound SMTP server on 127.0.0.1 with a random port
// until the test ends.
func (e *testEnv) startServer(t testing.TB, configure func(*inbound.Server)) (*inbound.Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &inbound.Server{Domain: mailDomain, Processor: e.proc}
	if configure != nil {
		configure(srv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	for deadline := time.Now().Add(10 * time.Second); srv.ListenAddr() == nil; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the server did not start")
		}
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return srv, ln.Addr().String()
}

// send delivers one message over SMTP, as a client's mail server does.
func send(addr, from string, to []string, raw []byte) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SendMail(from, to, bytes.NewReader(raw)); err != nil {
		return err
	}
	return c.Quit()
}

// smtpCode returns the SMTP reply code of an error (0 if it has none).
func smtpCode(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// forwards records what a Forwarder was given.
type forwards struct {
	mu       sync.Mutex
	networks []int64
	raws     [][]byte
}

func (f *forwards) forward(_ context.Context, raw []byte, networkID int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.networks = append(f.networks, networkID)
	f.raws = append(f.raws, raw)
	return nil
}

// counter is an inbound.Metrics counting outcomes.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) Inbound(outcome string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[outcome]++
}

func (c *counter) get(outcome string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[outcome]
}

// panicking is a message whose calendar part makes go-ical's decoder
// panic (a property line with a parameter and no colon, INTEROP §6).
const panicking = "From: someone@example.org\r\n" +
	"To: rsvp@" + mailDomain + "\r\n" +
	"Subject: broken\r\n" +
	"Message-ID: <panicking-1@example.org>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/alternative; boundary=b1\r\n" +
	"\r\n" +
	"--b1\r\n" +
	"Content-Type: text/calendar; method=REPLY; charset=UTF-8\r\n" +
	"\r\n" +
	"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nX;A=b\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n" +
	"--b1--\r\n"
