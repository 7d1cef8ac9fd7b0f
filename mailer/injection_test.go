package mailer_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/natverk/natverk/mailer"
)

// TestHeaderInjectionRefused feeds CR, LF and other controls into every
// value that reaches a header. Compose must refuse each one; none may be
// passed through or silently encoded into something a reader unfolds.
func TestHeaderInjectionRefused(t *testing.T) {
	c := newComposer(t, mailer.ComposerOptions{})
	const evil = "\r\nBcc: evil@attacker.example"
	tests := []struct {
		name   string
		modify func(m *mailer.Message)
		want   string
	}{
		{"From name", func(m *mailer.Message) { m.From.Name += evil }, "From name"},
		{"From name LF only", func(m *mailer.Message) { m.From.Name = "Nätverk\nBcc: evil@attacker.example" }, "From name"},
		{"From address", func(m *mailer.Message) { m.From.Email += evil }, "From address"},
		{"To name", func(m *mailer.Message) { m.To.Name += evil }, "To name"},
		{"To name NUL", func(m *mailer.Message) { m.To.Name = "Åsa\x00" }, "To name"},
		{"To address", func(m *mailer.Message) { m.To.Email = "asa@example.org" + evil }, "To address"},
		{"Reply-To name", func(m *mailer.Message) { m.ReplyTo.Name = "Anna\r" }, "Reply-To name"},
		{"Summary in Subject", func(m *mailer.Message) { m.Content.Summary += evil }, "Summary"},
		{"Summary with tab", func(m *mailer.Message) { m.Content.Summary = "Möte\tkväll" }, "Summary"},
		{"NetworkName in List-Id", func(m *mailer.Message) { m.Content.NetworkName += evil }, "NetworkName"},
		{"NetworkName invalid UTF-8", func(m *mailer.Message) { m.Content.NetworkName = "G\xf6teborg" }, "UTF-8"},
		{"MessageID", func(m *mailer.Message) { m.MessageID = "a@kalender.example.se" + evil }, "MessageID"},
		{"InReplyTo", func(m *mailer.Message) { m.InReplyTo = "a@kalender.example.se>" + evil }, "InReplyTo"},
		{"ListID", func(m *mailer.Message) { m.ListID += evil }, "list id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMessage(t, mailer.Update, "sv")
			tt.modify(m)
			raw, err := c.Compose(m)
			if err == nil && bytes.Contains(raw, []byte("\nBcc:")) {
				t.Fatalf("header injected:\n%s", raw)
			}
			checkInvalid(t, err, tt.want)
		})
	}
}

// TestListUnsubscribeInjectionRefused: go-mail's List-Unsubscribe setters
// write their arguments unchecked, so CR/LF there would start new header
// lines. Compose validates both URIs itself.
func TestListUnsubscribeInjectionRefused(t *testing.T) {
	c := newComposer(t, mailer.ComposerOptions{})
	tests := []struct {
		name string
		u    mailer.Unsubscribe
		want string
	}{
		{"CRLF in https", mailer.Unsubscribe{HTTPS: "https://kalender.example.se/u/t\r\nBcc: evil@attacker.example"}, "CR, LF"},
		{"LF in https", mailer.Unsubscribe{HTTPS: "https://kalender.example.se/u/t\nX: y"}, "CR, LF"},
		{"CRLF in mailto", mailer.Unsubscribe{HTTPS: "https://kalender.example.se/u/t", Mailto: "mailto:u@kalender.example.se\r\nBcc: evil@attacker.example"}, "CR, LF"},
		{"closing bracket", mailer.Unsubscribe{HTTPS: "https://kalender.example.se/u/t>, <https://evil.example/"}, "CR, LF"},
		{"opening bracket", mailer.Unsubscribe{Mailto: "mailto:<u@kalender.example.se"}, "CR, LF"},
		{"comma", mailer.Unsubscribe{HTTPS: "https://kalender.example.se/u/a,b"}, "comma"},
		{"space", mailer.Unsubscribe{HTTPS: "https://kalender.example.se/u/a b"}, "space"},
		{"http not https", mailer.Unsubscribe{HTTPS: "http://kalender.example.se/u/t"}, "not an https URL"},
		{"javascript", mailer.Unsubscribe{HTTPS: "javascript:alert(1)"}, "not an https URL"},
		{"https without host", mailer.Unsubscribe{HTTPS: "https:///u/t"}, "not an https URL"},
		{"https with credentials", mailer.Unsubscribe{HTTPS: "https://user:pw@kalender.example.se/u"}, "not an https URL"},
		{"mailto not mailto", mailer.Unsubscribe{Mailto: "https://kalender.example.se/u"}, "not a mailto"},
		{"mailto without address", mailer.Unsubscribe{Mailto: "mailto:"}, "not a mailto"},
		{"mailto bad address", mailer.Unsubscribe{Mailto: "mailto:not-an-address"}, "unsubscribe mailto"},
		{"neither", mailer.Unsubscribe{}, "neither"},
		{"too long", mailer.Unsubscribe{HTTPS: "https://kalender.example.se/u/" + strings.Repeat("a", 1000)}, "octets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMessage(t, mailer.Invitation, "sv")
			m.Unsubscribe = &tt.u
			_, err := c.Compose(m)
			checkInvalid(t, err, tt.want)
		})
	}
}

// TestListUnsubscribeVariants checks the headers for each valid
// combination: one-click needs the https URI (RFC 8058).
func TestListUnsubscribeVariants(t *testing.T) {
	c := newComposer(t, mailer.ComposerOptions{})
	tests := []struct {
		name       string
		u          mailer.Unsubscribe
		want, post string
	}{
		{"both", mailer.Unsubscribe{HTTPS: "https://k.example.se/u/1", Mailto: "mailto:u+1@k.example.se"},
			"<https://k.example.se/u/1>, <mailto:u+1@k.example.se>", "List-Unsubscribe=One-Click"},
		{"https only", mailer.Unsubscribe{HTTPS: "https://k.example.se/u/1"}, "<https://k.example.se/u/1>", "List-Unsubscribe=One-Click"},
		{"mailto only", mailer.Unsubscribe{Mailto: "mailto:u+1@k.example.se"}, "<mailto:u+1@k.example.se>", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMessage(t, mailer.Reminder, "en")
			m.Unsubscribe = &tt.u
			raw, err := c.Compose(m)
			if err != nil {
				t.Fatal(err)
			}
			h, _ := parseMessage(t, raw)
			if got := h.Get("List-Unsubscribe"); got != tt.want {
				t.Errorf("List-Unsubscribe = %q, want %q", got, tt.want)
			}
			if got := h.Get("List-Unsubscribe-Post"); got != tt.post {
				t.Errorf("List-Unsubscribe-Post = %q, want %q", got, tt.post)
			}
		})
	}
}

// TestHeaderEncoding checks that quotes, commas, brackets and non-ASCII in
// display names and subjects are encoded: they round-trip exactly and the
// header block stays 7-bit with no extra fields.
func TestHeaderEncoding(t *testing.T) {
	c := newComposer(t, mailer.ComposerOptions{})
	tests := []struct {
		name, from, to, summary string
	}{
		{"quotes", `Nätverk "Göteborg"`, `Åsa "Åsan" Öberg`, `Möte "i kväll"`},
		{"specials", `Lind, Anna <chef>`, `Öberg; Åsa (gäst)`, `Fika: 50 % <rabatt>, "gratis"`},
		{"encoded-word lookalike", `=?UTF-8?q?Boss?=`, `Plain Name`, `=?UTF-8?q?=41?= real text`},
		{"long", strings.Repeat("Långt namn ", 12), strings.Repeat("Ö", 80), strings.Repeat("Väldigt långt mötesnamn ", 8)},
		{"emoji", "Nätverk 🎉", "Åsa 👋", "Sommarfest 🌞 i parken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMessage(t, mailer.Invitation, "sv")
			m.From.Name, m.To.Name, m.Content.Summary = tt.from, tt.to, tt.summary
			raw, err := c.Compose(m)
			if err != nil {
				t.Fatal(err)
			}
			head, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
			for i, b := range head {
				if b >= 0x80 || (b < 0x20 && b != '\r' && b != '\n' && b != '\t') {
					t.Fatalf("header byte %d is %#x; headers must be 7-bit", i, b)
				}
			}
			for _, line := range strings.Split(string(head), "\r\n") {
				if len(line) > 998 {
					t.Errorf("header line of %d octets", len(line))
				}
			}
			h, _ := parseMessage(t, raw)
			if n := h.Len(); n != countFields(head) {
				t.Errorf("parser sees %d fields, the header has %d lines starting a field", n, countFields(head))
			}
			from, err := h.AddressList("From")
			if err != nil || len(from) != 1 || from[0].Name != tt.from {
				t.Errorf("From = %v (%v), want name %q", from, err, tt.from)
			}
			to, err := h.AddressList("To")
			if err != nil || len(to) != 1 || to[0].Name != tt.to {
				t.Errorf("To = %v (%v), want name %q", to, err, tt.to)
			}
			subj, err := h.Subject()
			if err != nil || !strings.Contains(subj, tt.summary) {
				t.Errorf("Subject = %q (%v), want it to contain %q", subj, err, tt.summary)
			}
			if strings.Contains(string(head), "=?UTF-8?q?=41?=") {
				t.Errorf("an encoded-word look-alike in the summary was passed through unencoded")
			}
		})
	}
}

// countFields counts the header lines that start a new field.
func countFields(head []byte) int {
	n := 0
	for _, line := range strings.Split(string(head), "\r\n") {
		if line != "" && line[0] != ' ' && line[0] != '\t' {
			n++
		}
	}
	return n
}

// TestHTMLEscaping puts markup into every text that reaches the HTML part.
// It must arrive escaped in HTML and verbatim in the plain text.
func TestHTMLEscaping(t *testing.T) {
	c := newComposer(t, mailer.ComposerOptions{})
	const script = `<script>alert("x")</script>`
	m := testMessage(t, mailer.Invitation, "en")
	m.Content.NetworkName = script + " & Co"
	m.Content.MemberName = `"><img src=x onerror=alert(1)>`
	m.Content.About = "<b>bold</b> & <a href=\"https://evil.example\">link</a>"
	m.Content.Note = "<iframe src=https://evil.example></iframe>"
	m.Content.Location = `<style>body{display:none}</style>`
	m.ReplyTo.Name = "<u>Anna</u>"
	raw, err := c.Compose(m)
	if err != nil {
		t.Fatal(err)
	}
	_, root := parseMessage(t, raw)
	html := string(root.find("text/html").Body)
	text := strings.ReplaceAll(string(root.find("text/plain").Body), "\r\n", "\n")
	for _, bad := range []string{"<script", "<img", "<iframe", "<style", "<b>", "<u>", `href="https://evil.example"`} {
		if strings.Contains(html, bad) {
			t.Errorf("HTML contains unescaped %q", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;", "&amp; Co", "&lt;img src=x onerror=alert(1)&gt;", "&lt;b&gt;bold&lt;/b&gt;"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks the escaped form %q", want)
		}
	}
	for _, want := range []string{script + " & Co", m.Content.About, m.Content.Note, m.Content.Location} {
		if !strings.Contains(text, want) {
			t.Errorf("plain text lacks %q verbatim", want)
		}
	}
}
