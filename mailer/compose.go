package mailer

import (
	"bytes"
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// ComposerOptions configures a [Composer].
type ComposerOptions struct {
	// DKIM, when set, signs every composed message.
	DKIM *DKIM
	// MessageIDDomain, when set, is the domain every Message.MessageID and
	// InReplyTo must end with. When empty, MessageID must be on the domain of
	// the From address.
	MessageIDDomain string
	// Now returns the Date of messages whose Date is zero; time.Now when nil.
	Now func() time.Time
}

// Composer renders [Message] values into RFC 5322 bytes. It is safe for
// concurrent use.
type Composer struct {
	dkim      *DKIM
	msgDomain string
	now       func() time.Time
	locales   map[string]*locale
	templates map[string]map[Kind]templateSet
}

// NewComposer parses the embedded templates and checks the DKIM
// configuration.
func NewComposer(opts ComposerOptions) (*Composer, error) {
	c := &Composer{
		now:       opts.Now,
		locales:   map[string]*locale{"sv": swedishLocale(), "en": englishLocale()},
		templates: make(map[string]map[Kind]templateSet, 2),
	}
	if c.now == nil {
		c.now = time.Now
	}
	if opts.MessageIDDomain != "" {
		if !isDotAtom(opts.MessageIDDomain) {
			return nil, invalidf("message id domain %q is not a domain name", opts.MessageIDDomain)
		}
		c.msgDomain = strings.ToLower(opts.MessageIDDomain)
	}
	if opts.DKIM != nil {
		d := *opts.DKIM
		if err := d.validate(); err != nil {
			return nil, err
		}
		c.dkim = &d
	}
	for tag, l := range c.locales {
		sets, err := parseTemplates(l)
		if err != nil {
			return nil, err
		}
		c.templates[tag] = sets
	}
	return c, nil
}

// Compose validates m and returns the complete message: headers and MIME
// body with CRLF line ends, DKIM-signed when the Composer has a key. Errors
// about m wrap [ErrInvalid].
func (c *Composer) Compose(m *Message) ([]byte, error) {
	if m == nil {
		return nil, invalidf("message is nil")
	}
	tag, err := c.validate(m)
	if err != nil {
		return nil, err
	}
	l := c.locales[tag]
	subj := subject(l, m)
	text, html, err := c.templates[tag][m.Kind].render(newView(l, m, subj))
	if err != nil {
		return nil, err
	}

	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(&mail.Address{Name: m.From.Name, Address: m.From.Email})
	msg.ToMailAddress(&mail.Address{Name: m.To.Name, Address: m.To.Email})
	if m.ReplyTo != nil {
		msg.ReplyToMailAddress(&mail.Address{Name: m.ReplyTo.Name, Address: m.ReplyTo.Email})
	}
	msg.Subject(encodeText(subj))
	date := m.Date
	if date.IsZero() {
		date = c.now()
	}
	msg.SetDateWithValue(date)
	// Never msg.SetMessageID(): it puts the OS hostname on the right side.
	msg.SetMessageIDWithValue(m.MessageID)
	if m.InReplyTo != "" {
		msg.SetGenHeader(gomail.HeaderInReplyTo, "<"+m.InReplyTo+">")
		msg.SetGenHeader(gomail.HeaderReferences, "<"+m.InReplyTo+">")
	}
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	if m.ListID != "" {
		msg.SetGenHeader("List-Id", listIDValue(m.Content.NetworkName, m.ListID))
	}
	if m.Unsubscribe != nil {
		// Validated above: go-mail's own setters let CR and LF through.
		v, _ := checkUnsubscribe(m.Unsubscribe)
		msg.SetGenHeaderPreformatted(gomail.HeaderListUnsubscribe, v)
		if m.Unsubscribe.HTTPS != "" {
			msg.SetGenHeader(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
		}
	}

	msg.SetBodyString(gomail.TypeTextPlain, text)
	msg.AddAlternativeString(gomail.TypeTextHTML, html)
	if cal := m.Calendar; cal != nil {
		method := strings.ToUpper(cal.Method)
		msg.AddAlternativeString(gomail.ContentType("text/calendar; method="+method), string(cal.Data),
			gomail.WithPartEncoding(gomail.EncodingB64))
		if err := msg.AttachReader("invite.ics", bytes.NewReader(cal.Data),
			gomail.WithFileContentType("application/ics"),
			gomail.WithFileEncoding(gomail.EncodingB64)); err != nil {
			return nil, fmt.Errorf("mailer: attach invite.ics: %w", err)
		}
	}

	var buf bytes.Buffer
	buf.Grow(4096 + 3*len(text) + 2*len(html) + 3*len(m.calendarData()))
	if _, err := msg.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("mailer: render %s message: %w", m.Kind, err)
	}
	if c.dkim == nil {
		return buf.Bytes(), nil
	}
	return c.dkim.sign(buf.Bytes())
}

func (m *Message) calendarData() []byte {
	if m.Calendar == nil {
		return nil
	}
	return m.Calendar.Data
}

// listIDValue formats an RFC 2919 List-Id: an optional phrase, RFC 2047
// encoded when it is not plain ASCII, then the id in angle brackets.
func listIDValue(name, id string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		return "<" + id + ">"
	}
	return phrase(name) + " <" + id + ">"
}

// phrase renders a display name as an RFC 5322 phrase: a quoted-string for
// printable ASCII, RFC 2047 encoded words otherwise.
func phrase(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return mime.QEncoding.Encode("UTF-8", s)
		}
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}
