package mailer_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/natverk/natverk/mailer"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.eml from the current output")

var locales = []string{"sv", "en"}

// TestComposeEveryKindOverSMTP composes every kind in both locales, sends
// each through one pooled SMTP connection to an in-process go-smtp server,
// and checks what arrived: the MIME layout iMIP clients need, the headers,
// DKIM, and the calendar bytes (also run through icalcheck).
func TestComposeEveryKindOverSMTP(t *testing.T) {
	keys := newDKIMKeys(t)
	composer := newComposer(t, mailer.ComposerOptions{DKIM: keys.rsa})
	s := newSink(t, nil)
	sender, err := mailer.NewSMTP(s.url(""), mailer.SMTPOptions{Pool: 1, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close()

	type sent struct {
		m   *mailer.Message
		raw []byte
	}
	var all []sent
	for _, k := range mailer.Kinds() {
		for _, loc := range locales {
			m := testMessage(t, k, loc)
			raw, err := composer.Compose(m)
			if err != nil {
				t.Fatalf("%s/%s: Compose: %v", k, loc, err)
			}
			if err := sender.Send(t.Context(), mailer.Envelope{From: bounceAddress, To: []string{m.To.Email}}, raw); err != nil {
				t.Fatalf("%s/%s: Send: %v", k, loc, err)
			}
			all = append(all, sent{m, raw})
		}
	}
	got := s.messages()
	if len(got) != len(all) {
		t.Fatalf("sink received %d messages, want %d", len(got), len(all))
	}
	if n := s.sessionCount(); n != 1 {
		t.Errorf("messages used %d SMTP sessions, want 1 reused session", n)
	}

	calendars := map[string][]byte{}
	for i, want := range all {
		m, rcv := want.m, got[i]
		name := string(m.Kind) + "/" + m.Locale
		t.Run(name, func(t *testing.T) {
			if rcv.From != bounceAddress || rcv.To != m.To.Email {
				t.Errorf("envelope = %s -> %s, want %s -> %s", rcv.From, rcv.To, bounceAddress, m.To.Email)
			}
			if !bytes.Equal(rcv.Data, want.raw) {
				t.Errorf("the sink received other bytes than Compose returned")
			}
			keys.verify(t, rcv.Data)
			checkHeaders(t, composer, m, rcv.Data)
			if cal := checkStructure(t, m, rcv.Data); cal != nil {
				calendars[strings.ReplaceAll(name, "/", "-")+".ics"] = cal
			}
		})
	}
	icalcheck(t, calendars)
}

// checkHeaders checks the top-level headers of a composed message.
func checkHeaders(t *testing.T, c *mailer.Composer, m *mailer.Message, raw []byte) {
	t.Helper()
	h, _ := parseMessage(t, raw)

	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Address != m.From.Email || from[0].Name != m.From.Name {
		t.Errorf("From = %v (%v), want %q <%s>", from, err, m.From.Name, m.From.Email)
	}
	to, err := h.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != m.To.Email || to[0].Name != m.To.Name {
		t.Errorf("To = %v (%v), want %q <%s>", to, err, m.To.Name, m.To.Email)
	}
	replyTo, _ := h.AddressList("Reply-To")
	switch {
	case m.ReplyTo == nil && len(replyTo) != 0:
		t.Errorf("Reply-To = %v, want none", replyTo)
	case m.ReplyTo != nil && (len(replyTo) != 1 || replyTo[0].Address != m.ReplyTo.Email || replyTo[0].Name != m.ReplyTo.Name):
		t.Errorf("Reply-To = %v, want %q <%s>", replyTo, m.ReplyTo.Name, m.ReplyTo.Email)
	}
	subj, err := h.Subject()
	if err != nil || subj != c.Subject(m) {
		t.Errorf("Subject = %q (%v), want %q", subj, err, c.Subject(m))
	}
	if m.Kind.Method() != "" || m.Kind == mailer.Reminder {
		if !strings.Contains(subj, ": "+m.Content.Summary) {
			t.Errorf("Subject %q does not lead with the summary %q", subj, m.Content.Summary)
		}
	}
	if date, err := h.Date(); err != nil || !date.Equal(m.Date) {
		t.Errorf("Date = %v (%v), want %v", date, err, m.Date)
	}
	id, err := h.MessageID()
	if err != nil || id != m.MessageID || !strings.HasSuffix(id, "@"+ourDomain) {
		t.Errorf("Message-ID = %q (%v), want %q on %s", id, err, m.MessageID, ourDomain)
	}
	wantThread := ""
	if m.InReplyTo != "" {
		wantThread = "<" + m.InReplyTo + ">"
	}
	for _, k := range []string{"In-Reply-To", "References"} {
		if got := h.Get(k); got != wantThread {
			t.Errorf("%s = %q, want %q", k, got, wantThread)
		}
	}
	if got := h.Get("Auto-Submitted"); got != "auto-generated" {
		t.Errorf("Auto-Submitted = %q, want auto-generated", got)
	}
	listIDHeader, _ := h.Text("List-Id")
	wantListID := ""
	if m.ListID != "" {
		wantListID = m.Content.NetworkName + " <" + m.ListID + ">"
	}
	if listIDHeader != wantListID {
		t.Errorf("List-Id = %q, want %q", listIDHeader, wantListID)
	}
	wantUnsub, wantPost := "", ""
	if u := m.Unsubscribe; u != nil {
		wantUnsub = "<" + u.HTTPS + ">, <" + u.Mailto + ">"
		wantPost = "List-Unsubscribe=One-Click"
	}
	if got := h.Get("List-Unsubscribe"); got != wantUnsub {
		t.Errorf("List-Unsubscribe = %q, want %q", got, wantUnsub)
	}
	if got := h.Get("List-Unsubscribe-Post"); got != wantPost {
		t.Errorf("List-Unsubscribe-Post = %q, want %q", got, wantPost)
	}
	for _, k := range []string{"User-Agent", "X-Mailer", "Bcc", "Cc"} {
		if h.Has(k) {
			t.Errorf("unexpected header %s: %q", k, h.Get(k))
		}
	}
	if h.Get("MIME-Version") != "1.0" {
		t.Errorf("MIME-Version = %q", h.Get("MIME-Version"))
	}
}

// checkStructure checks the MIME tree and returns the calendar bytes, if
// the message carries a calendar.
func checkStructure(t *testing.T, m *mailer.Message, raw []byte) []byte {
	t.Helper()
	_, root := parseMessage(t, raw)
	wantShape := "multipart/alternative[text/plain,text/html]"
	if m.Calendar != nil {
		wantShape = "multipart/mixed[multipart/alternative[text/plain,text/html,text/calendar],application/ics]"
	}
	if got := root.shape(); got != wantShape {
		t.Fatalf("MIME tree = %s, want %s", got, wantShape)
	}
	for _, typ := range []string{"text/plain", "text/html"} {
		p := root.find(typ)
		if p.Params["charset"] != "UTF-8" || p.CTE != "quoted-printable" {
			t.Errorf("%s: charset %q, CTE %q; want UTF-8, quoted-printable", typ, p.Params["charset"], p.CTE)
		}
		if len(bytes.TrimSpace(p.Body)) == 0 {
			t.Errorf("%s part is empty", typ)
		}
	}
	checkHTML(t, m, root.find("text/html").Body)
	checkText(t, m, root.find("text/plain").Body)
	if m.Calendar == nil {
		return nil
	}

	cal := root.find("text/calendar")
	inBody := methodLine(cal.Body)
	if cal.Params["method"] != m.Kind.Method() || inBody != cal.Params["method"] {
		t.Errorf("text/calendar method param %q, METHOD in body %q, want both %s", cal.Params["method"], inBody, m.Kind.Method())
	}
	if cal.Params["charset"] != "UTF-8" {
		t.Errorf("text/calendar charset = %q, want UTF-8", cal.Params["charset"])
	}
	if cal.CTE != "base64" {
		t.Errorf("text/calendar CTE = %q, want base64", cal.CTE)
	}
	if cal.ContentID != "" || cal.Disposition != "" {
		t.Errorf("text/calendar has Content-ID %q / Content-Disposition %q; Thunderbird wants neither", cal.ContentID, cal.Disposition)
	}
	att := root.find("application/ics")
	if att.Params["name"] != "invite.ics" || att.Disposition != "attachment" || att.DispParams["filename"] != "invite.ics" || att.CTE != "base64" {
		t.Errorf("attachment: name %q, disposition %q filename %q, CTE %q; want invite.ics attachment, base64",
			att.Params["name"], att.Disposition, att.DispParams["filename"], att.CTE)
	}
	if !bytes.Equal(cal.Body, att.Body) {
		t.Errorf("calendar part and invite.ics attachment differ")
	}
	if !bytes.Equal(cal.Body, m.Calendar.Data) {
		t.Errorf("calendar part differs from the CalendarPart bytes")
	}
	return cal.Body
}

// methodLine returns the value of the top-level METHOD line of a calendar.
func methodLine(cal []byte) string {
	for _, line := range strings.Split(string(cal), "\r\n") {
		if v, ok := strings.CutPrefix(line, "METHOD:"); ok {
			return v
		}
	}
	return ""
}

// checkHTML checks that the HTML is self-contained and carries the links
// of the kind.
func checkHTML(t *testing.T, m *mailer.Message, html []byte) {
	t.Helper()
	s := string(html)
	for _, banned := range []string{"<script", "<img", " src=", "<link", "<style", "<iframe", "<form", "javascript:"} {
		if strings.Contains(strings.ToLower(s), banned) {
			t.Errorf("HTML contains %q", banned)
		}
	}
	if !strings.HasPrefix(s, "<!DOCTYPE html>") || !strings.Contains(s, `lang="`+m.Locale+`"`) {
		t.Errorf("HTML does not start with a doctype and lang=%q", m.Locale)
	}
	if err := balanced(s); err != nil {
		t.Errorf("HTML is not well nested: %v", err)
	}
	c := &m.Content
	links := hrefs(s)
	for _, link := range []string{c.RSVP.Yes, c.RSVP.Maybe, c.RSVP.No, c.UnsubscribeURL, c.LeaveURL, c.HideURL,
		c.Subscribe.HTTPS, c.Subscribe.Webcal, c.Subscribe.Google, c.Subscribe.Outlook, c.Action.URL} {
		if link != "" && !slices.Contains(links, link) {
			t.Errorf("HTML lacks a link to %s", link)
		}
	}
}

var htmlTag = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>`)

// balanced checks that every non-void element is closed in order.
func balanced(doc string) error {
	void := map[string]bool{"br": true, "meta": true, "hr": true}
	var stack []string
	for _, m := range htmlTag.FindAllStringSubmatch(doc, -1) {
		name := strings.ToLower(m[2])
		switch {
		case void[name]:
		case m[1] == "":
			stack = append(stack, name)
		case len(stack) == 0 || stack[len(stack)-1] != name:
			return fmt.Errorf("</%s> closes %v", name, stack)
		default:
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) != 0 {
		return fmt.Errorf("unclosed %v", stack)
	}
	return nil
}

var hrefAttr = regexp.MustCompile(`href="([^"]*)"`)

// hrefs returns the unescaped href values of an HTML document.
func hrefs(doc string) []string {
	var out []string
	for _, m := range hrefAttr.FindAllStringSubmatch(doc, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

// checkText checks that the plain text reads alone: it holds the date,
// every link and the footer.
func checkText(t *testing.T, m *mailer.Message, text []byte) {
	t.Helper()
	s := strings.ReplaceAll(string(text), "\r\n", "\n")
	c := &m.Content
	for _, link := range []string{c.RSVP.Yes, c.RSVP.Maybe, c.RSVP.No, c.UnsubscribeURL, c.LeaveURL, c.HideURL,
		c.Subscribe.HTTPS, c.Subscribe.Webcal, c.Subscribe.Google, c.Subscribe.Outlook, c.Action.URL} {
		if link != "" && !strings.Contains(s, link) {
			t.Errorf("text lacks the link %s", link)
		}
	}
	if !strings.Contains(s, "\n-- \n") {
		t.Errorf("text has no signature separator")
	}
	if strings.Contains(s, "\n\n\n") {
		t.Errorf("text has runs of blank lines")
	}
	for _, line := range strings.Split(s, "\n") {
		if line != "-- " && strings.TrimRight(line, " \t") != line {
			t.Errorf("text line %q has trailing spaces", line)
		}
	}
	if strings.Contains(s, "<no value>") || strings.Contains(s, "%!") {
		t.Errorf("text has template residue")
	}
}

// TestGolden compares each composed message with testdata/golden; run
// go test -run TestGolden -update to rewrite them after an intended change.
// MIME boundaries are random and are replaced before comparing.
func TestGolden(t *testing.T) {
	c := newComposer(t, mailer.ComposerOptions{})
	for _, k := range mailer.Kinds() {
		for _, loc := range locales {
			name := fmt.Sprintf("%s.%s.eml", k, loc)
			t.Run(name, func(t *testing.T) {
				raw, err := c.Compose(testMessage(t, k, loc))
				if err != nil {
					t.Fatal(err)
				}
				got := normalizeBoundaries(raw)
				path := filepath.Join("testdata", "golden", name)
				if *update {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if diff := cmp.Diff(strings.Split(string(want), "\r\n"), strings.Split(string(got), "\r\n")); diff != "" {
					t.Errorf("%s differs from the golden file (-want +got):\n%s", name, diff)
				}
			})
		}
	}
}

var boundaryParam = regexp.MustCompile(`boundary="?([0-9A-Za-z'()+_,./:=?-]+)"?`)

// normalizeBoundaries replaces each MIME boundary with BOUNDARY-n, in order
// of appearance, so that goldens are stable.
func normalizeBoundaries(raw []byte) []byte {
	out := raw
	for i, m := range boundaryParam.FindAllSubmatch(raw, -1) {
		out = bytes.ReplaceAll(out, m[1], fmt.Appendf(nil, "BOUNDARY-%d", i+1))
	}
	return out
}

// TestComposeDefaults checks the defaults: Swedish without a locale, the
// Composer's clock without a Date.
func TestComposeDefaults(t *testing.T) {
	fixed := time.Date(2025, 3, 1, 8, 30, 0, 0, time.UTC)
	c := newComposer(t, mailer.ComposerOptions{Now: func() time.Time { return fixed }})
	m := testMessage(t, mailer.Invitation, "")
	m.Date = time.Time{}
	raw, err := c.Compose(m)
	if err != nil {
		t.Fatal(err)
	}
	h, root := parseMessage(t, raw)
	if d, err := h.Date(); err != nil || !d.Equal(fixed) {
		t.Errorf("Date = %v (%v), want %v", d, err, fixed)
	}
	if subj, _ := h.Subject(); !strings.HasPrefix(subj, "Inbjudan: ") {
		t.Errorf("Subject %q is not Swedish", subj)
	}
	if text := string(root.find("text/plain").Body); !strings.Contains(text, "tisdag 14 januari 2025 kl. 18:00–20:00 (CET)") {
		t.Errorf("text lacks the Swedish date:\n%s", text)
	}
	if got := c.Subject(&mailer.Message{Kind: mailer.Notice, Locale: "fr", Content: mailer.Content{NetworkName: "X"}}); got != "Meddelande: X" {
		t.Errorf("Subject with unsupported locale = %q, want the Swedish fallback", got)
	}
}

// TestSubjects pins the subject of every kind.
func TestSubjects(t *testing.T) {
	c := newComposer(t, mailer.ComposerOptions{})
	want := map[string]string{
		"invitation/sv":           "Inbjudan: Nätverksmöte för chefer @ tis 14 jan 2025 18:00–20:00 (CET)",
		"invitation/en":           "Invitation: Nätverksmöte för chefer @ Tue 14 Jan 2025 18:00–20:00 (CET)",
		"update/sv":               "Uppdaterad inbjudan: Nätverksmöte för chefer @ tis 14 jan 2025 18:30–20:30 (CET)",
		"update/en":               "Updated invitation: Nätverksmöte för chefer @ Tue 14 Jan 2025 18:30–20:30 (CET)",
		"occurrence_cancelled/sv": "Inställt: Nätverksmöte för chefer @ tis 11 feb 2025 18:00–20:00 (CET)",
		"occurrence_cancelled/en": "Cancelled: Nätverksmöte för chefer @ Tue 11 Feb 2025 18:00–20:00 (CET)",
		"occurrence_moved/sv":     "Flyttat: Nätverksmöte för chefer @ ons 12 mar 2025 18:00–20:00 (CET)",
		"occurrence_moved/en":     "Moved: Nätverksmöte för chefer @ Wed 12 Mar 2025 18:00–20:00 (CET)",
		"network_closed/sv":       "Alla möten inställda: Nätverksmöte för chefer",
		"network_closed/en":       "All meetings cancelled: Nätverksmöte för chefer",
		"removed/sv":              "Inte längre inbjuden: Nätverksmöte för chefer",
		"removed/en":              "No longer invited: Nätverksmöte för chefer",
		"reminder/sv":             "Påminnelse: Nätverksmöte för chefer @ tis 14 jan 2025 18:00–20:00 (CET)",
		"reminder/en":             "Reminder: Nätverksmöte för chefer @ Tue 14 Jan 2025 18:00–20:00 (CET)",
		"digest/sv":               "Sammanfattning: 2 nya svar: Chefer i Göteborg",
		"digest/en":               "Digest: 2 new answers: Chefer i Göteborg",
		"bounce_notice/sv":        "En adress studsar: Chefer i Göteborg",
		"bounce_notice/en":        "An address bounces: Chefer i Göteborg",
		"support_request/sv":      "Ansökan om stöd #42: Chefer i Göteborg",
		"support_request/en":      "Support request #42: Chefer i Göteborg",
		"support_decided/sv":      "Beslut om stöd #42: Chefer i Göteborg",
		"support_decided/en":      "Support decision #42: Chefer i Göteborg",
		"organizer_link/sv":       "Din länk till organisatörssidan: Chefer i Göteborg",
		"organizer_link/en":       "Your link to the organizer page: Chefer i Göteborg",
		"notice/sv":               "Meddelande: Nätverksmöte för chefer",
		"notice/en":               "Notice: Nätverksmöte för chefer",
		"waitlist_promoted/sv":    "Du har fått plats: Nätverksmöte för chefer @ tis 14 jan 2025 18:00–20:00 (CET)",
		"waitlist_promoted/en":    "You have a place: Nätverksmöte för chefer @ Tue 14 Jan 2025 18:00–20:00 (CET)",
		"confirmed/sv":            "Det blir av: Nätverksmöte för chefer @ tis 14 jan 2025 18:00–20:00 (CET)",
		"confirmed/en":            "It's on: Nätverksmöte för chefer @ Tue 14 Jan 2025 18:00–20:00 (CET)",
		"poll/sv":                 "Välj mötestid: Chefer i Göteborg",
		"poll/en":                 "Choose the meeting time: Chefer i Göteborg",
	}
	for _, k := range mailer.Kinds() {
		for _, loc := range locales {
			key := string(k) + "/" + loc
			if got := c.Subject(testMessage(t, k, loc)); got != want[key] {
				t.Errorf("%s: Subject = %q, want %q", key, got, want[key])
			}
		}
	}
}

// TestComposeRejects lists inputs Compose must refuse with ErrInvalid.
func TestComposeRejects(t *testing.T) {
	c := newComposer(t, mailer.ComposerOptions{})
	request := readFixture(t, "request.ics")
	cancel := readFixture(t, "cancel-series.ics")
	tests := []struct {
		name   string
		kind   mailer.Kind
		modify func(m *mailer.Message)
		want   string // substring of the error
	}{
		{"unknown kind", mailer.Notice, func(m *mailer.Message) { m.Kind = "newsletter" }, "unknown message kind"},
		{"unsupported locale", mailer.Notice, func(m *mailer.Message) { m.Locale = "de" }, "unsupported locale"},
		{"no message id", mailer.Notice, func(m *mailer.Message) { m.MessageID = "" }, "MessageID is required"},
		{"message id with brackets", mailer.Notice, func(m *mailer.Message) { m.MessageID = "<a@kalender.example.se>" }, "local@domain"},
		{"message id on the hostname", mailer.Notice, func(m *mailer.Message) { m.MessageID = "abc@vm" }, "not on our domain"},
		{"in-reply-to elsewhere", mailer.Update, func(m *mailer.Message) { m.InReplyTo = "x@gmail.com" }, "not on our domain"},
		{"bad from", mailer.Notice, func(m *mailer.Message) { m.From.Email = "not an address" }, "From address"},
		{"no to", mailer.Notice, func(m *mailer.Message) { m.To.Email = "" }, "To address is empty"},
		{"to with name part", mailer.Notice, func(m *mailer.Message) { m.To.Email = "Åsa <asa@example.org>" }, "bare addr-spec"},
		{"bad list id", mailer.Notice, func(m *mailer.Message) { m.ListID = "chefer i goteborg" }, "list id"},
		{"invitation without calendar", mailer.Invitation, func(m *mailer.Message) { m.Calendar = nil }, "needs a calendar part"},
		{"notice with calendar", mailer.Notice, func(m *mailer.Message) { m.Calendar = &mailer.CalendarPart{Method: "REQUEST", Data: request} }, "carries no calendar"},
		{"method differs from data", mailer.Invitation, func(m *mailer.Message) { m.Calendar.Method = "CANCEL" }, "differs from METHOD:REQUEST"},
		{"cancel sent as invitation", mailer.Invitation, func(m *mailer.Message) { m.Calendar = &mailer.CalendarPart{Method: "CANCEL", Data: cancel} }, "needs METHOD:REQUEST"},
		{"request sent as removal", mailer.Removed, func(m *mailer.Message) { m.Calendar = &mailer.CalendarPart{Method: "REQUEST", Data: request} }, "needs METHOD:CANCEL"},
		{"calendar without method", mailer.Invitation, func(m *mailer.Message) {
			m.Calendar.Data = bytes.Replace(request, []byte("METHOD:REQUEST\r\n"), nil, 1)
		}, "no METHOD"},
		{"calendar not a vcalendar", mailer.Invitation, func(m *mailer.Message) { m.Calendar.Data = []byte("METHOD:REQUEST\r\n") }, "outside BEGIN:VCALENDAR"},
		{"no summary", mailer.Invitation, func(m *mailer.Message) { m.Content.Summary = " " }, "Content.Summary"},
		{"no start", mailer.Reminder, func(m *mailer.Message) { m.Content.Start = time.Time{} }, "Content.Start"},
		{"moved without old start", mailer.OccurrenceMoved, func(m *mailer.Message) { m.Content.OldStart = time.Time{} }, "OldStart"},
		{"end before start", mailer.Reminder, func(m *mailer.Message) { m.Content.End = m.Content.Start.Add(-time.Hour) }, "before Content.Start"},
		{"empty digest", mailer.Digest, func(m *mailer.Message) { m.Content.Answers, m.Content.Bouncing = nil, nil }, "at least one"},
		{"bounce without addresses", mailer.BounceNotice, func(m *mailer.Message) { m.Content.Bouncing = nil }, "Bouncing"},
		{"support without info", mailer.SupportRequest, func(m *mailer.Message) { m.Content.Support = nil }, "Support"},
		{"decision without status", mailer.SupportDecided, func(m *mailer.Message) { m.Content.Support.Status = "" }, "Status"},
		{"poll with one option", mailer.Poll, func(m *mailer.Message) { m.Content.Options = m.Content.Options[:1] }, "two Content.Options"},
		{"poll without vote page", mailer.Poll, func(m *mailer.Message) { m.Content.Action.URL = "" }, "vote page"},
		{"promotion without calendar", mailer.WaitlistPromoted, func(m *mailer.Message) { m.Calendar = nil }, "needs a calendar part"},
		{"organizer link without url", mailer.OrganizerLink, func(m *mailer.Message) { m.Content.Action.URL = "" }, "Action.URL"},
		{"notice without note", mailer.Notice, func(m *mailer.Message) { m.Content.Note = "" }, "Content.Note"},
		{"javascript rsvp link", mailer.Reminder, func(m *mailer.Message) { m.Content.RSVP.Yes = "javascript:alert(1)" }, "RSVP.Yes"},
		{"link with spaces", mailer.Invitation, func(m *mailer.Message) { m.Content.LeaveURL = "https://x.se/a b" }, "LeaveURL"},
		{"ftp webcal link", mailer.Invitation, func(m *mailer.Message) { m.Content.Subscribe.Webcal = "ftp://x.se/f.ics" }, "Subscribe.Webcal"},
		{"negative waitlist", mailer.Reminder, func(m *mailer.Message) { m.Content.Waitlist = -1 }, "Waitlist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMessage(t, tt.kind, "sv")
			tt.modify(m)
			_, err := c.Compose(m)
			checkInvalid(t, err, tt.want)
		})
	}
	if _, err := c.Compose(nil); err == nil {
		t.Errorf("Compose(nil) succeeded")
	}
}

// checkInvalid asserts err wraps ErrInvalid, is permanent and mentions want.
func checkInvalid(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case err == nil:
		t.Fatalf("no error, want one mentioning %q", want)
	case !strings.Contains(err.Error(), want):
		t.Errorf("error %q does not mention %q", err, want)
	case !mailer.IsPermanent(err):
		t.Errorf("error %q is not permanent", err)
	case !strings.HasPrefix(err.Error(), "mailer: "):
		t.Errorf("error %q lacks the mailer: prefix", err)
	}
}

// TestMessageIDDomainOption checks that MessageIDDomain replaces the From
// domain as the required Message-ID domain.
func TestMessageIDDomainOption(t *testing.T) {
	c := newComposer(t, mailer.ComposerOptions{MessageIDDomain: "mail.example.se"})
	m := testMessage(t, mailer.Notice, "sv")
	if _, err := c.Compose(m); err == nil {
		t.Errorf("Message-ID on the From domain accepted, want only mail.example.se")
	}
	m.MessageID = "n1@mail.example.se"
	if _, err := c.Compose(m); err != nil {
		t.Errorf("Compose: %v", err)
	}
	if _, err := mailer.NewComposer(mailer.ComposerOptions{MessageIDDomain: "bad domain"}); err == nil {
		t.Errorf("NewComposer accepted a bad MessageIDDomain")
	}
}

// TestNewMessageID checks generated ids: on the domain, valid, unique.
func TestNewMessageID(t *testing.T) {
	c := newComposer(t, mailer.ComposerOptions{})
	seen := map[string]bool{}
	for range 100 {
		id, err := mailer.NewMessageID(ourDomain)
		if err != nil {
			t.Fatal(err)
		}
		if seen[id] || !strings.HasSuffix(id, "@"+ourDomain) {
			t.Fatalf("NewMessageID = %q (duplicate or off-domain)", id)
		}
		seen[id] = true
	}
	m := testMessage(t, mailer.Notice, "sv")
	for id := range seen {
		m.MessageID = id
		break
	}
	if _, err := c.Compose(m); err != nil {
		t.Errorf("Compose with a generated id: %v", err)
	}
	if _, err := mailer.NewMessageID("no spaces allowed"); err == nil {
		t.Errorf("NewMessageID accepted a bad domain")
	}
}

// TestComposeContextFree ensures Compose is usable from many goroutines.
func TestComposeConcurrent(t *testing.T) {
	c := newComposer(t, mailer.ComposerOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			k := mailer.Kinds()[i%len(mailer.Kinds())]
			_, err := c.Compose(testMessage(t, k, locales[i%2]))
			select {
			case errs <- err:
			case <-ctx.Done():
			}
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
