package inbound

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decode the charsets real clients use (windows-1252, ISO-8859-1, …)
	"github.com/emersion/go-message/mail"

	"github.com/natverk/natverk/calendar"
)

// Limits on the MIME tree of one message. Real replies have at most six
// parts two levels deep; anything far beyond is not a calendar reply.
const (
	maxParts     = 50
	maxDepth     = 10
	maxHeaderLen = 256 << 10
	// maxCalendarBytes caps one calendar part, as calendar.Parse does.
	maxCalendarBytes = calendar.DefaultMaxBytes
)

// mailMessage is what the processor reads from one raw message.
type mailMessage struct {
	messageID   string
	from        string // address of the From header ("" if none or unreadable)
	subject     string
	date        time.Time // Date header, zero if absent or unreadable
	autoReply   string    // why the message is an automatic reply ("" if it is not)
	recipients  []string  // Delivered-To, X-Original-To, To, Cc addresses
	calendars   []calendarPart
	parts       int
	synthetic   bool // messageID was made from a hash of the bytes
	headerError error
}

// calendarPart is one text/calendar, application/ics or *.ics part.
type calendarPart struct {
	data []byte
	// alternative is set for a part inside multipart/alternative: the
	// one clients act on (the attachment is a copy).
	alternative bool
}

// errTooManyParts and errTooDeep end a walk of a hostile MIME tree.
var (
	errTooManyParts = fmt.Errorf("more than %d MIME parts", maxParts)
	errTooDeep      = fmt.Errorf("MIME parts nested deeper than %d levels", maxDepth)
)

// readMessage reads the header and walks the MIME tree of raw. It never
// panics: a panic in a parser is returned as an error naming it.
func readMessage(raw []byte) (m *mailMessage, err error) {
	m = &mailMessage{}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic while parsing the message: %v", r)
		}
	}()
	ent, err := message.ReadWithOptions(bytes.NewReader(raw), &message.ReadOptions{MaxHeaderBytes: maxHeaderLen})
	if ent == nil {
		m.messageID, m.synthetic = syntheticMessageID(raw), true
		if err == nil {
			err = errors.New("empty message")
		}
		return m, fmt.Errorf("unreadable header: %w", err)
	}
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		m.headerError = err
	}
	h := mail.Header{Header: ent.Header}
	m.readHeader(h, raw)
	if err := m.walk(ent, 0, ""); err != nil {
		return m, err
	}
	return m, nil
}

// readHeader fills the header fields. Fields that cannot be read are
// left empty: the message is still stored and judged on its body.
func (m *mailMessage) readHeader(h mail.Header, raw []byte) {
	m.messageID = cleanMessageID(h.Get("Message-Id"))
	if m.messageID == "" {
		m.messageID, m.synthetic = syntheticMessageID(raw), true
	}
	if addrs, err := h.AddressList("From"); err == nil && len(addrs) > 0 {
		m.from = addrs[0].Address
	} else if v := strings.TrimSpace(h.Get("From")); v != "" {
		m.from = bareAddress(v)
	}
	if s, err := h.Subject(); err == nil {
		m.subject = printable(s, 200)
	} else {
		m.subject = printable(h.Get("Subject"), 200)
	}
	if d, err := h.Date(); err == nil {
		m.date = d.UTC()
	}
	m.autoReply = autoReplyReason(h)
	for _, key := range []string{"Delivered-To", "X-Original-To", "To", "Cc"} {
		for _, v := range h.Values(key) {
			if addrs, err := mail.ParseAddressList(v); err == nil {
				for _, a := range addrs {
					m.recipients = append(m.recipients, a.Address)
				}
				continue
			}
			for _, part := range strings.Split(v, ",") {
				if a := bareAddress(part); a != "" {
					m.recipients = append(m.recipients, a)
				}
			}
		}
	}
}

// autoReplyReason says why a message is an automatic reply (RFC 3834
// Auto-Submitted: auto-replied, and the headers vacation responders use
// instead), or "". Auto-Submitted: auto-generated is not one: Google's
// calendar replies carry it.
func autoReplyReason(h mail.Header) string {
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); strings.HasPrefix(v, "auto-replied") {
		return "automatic reply (Auto-Submitted: auto-replied)"
	}
	for _, key := range []string{"X-Autoreply", "X-Autorespond"} {
		if h.Get(key) != "" {
			return "automatic reply (" + key + ")"
		}
	}
	if v := strings.ToLower(strings.TrimSpace(h.Get("Precedence"))); v == "auto_reply" {
		return "automatic reply (Precedence: auto_reply)"
	}
	if t, _, err := h.ContentType(); err == nil && t == "multipart/report" {
		return "delivery status report (multipart/report)"
	}
	return ""
}

// walk visits the entity and its parts, collecting calendar parts.
func (m *mailMessage) walk(e *message.Entity, depth int, parent string) error {
	if depth > maxDepth {
		return errTooDeep
	}
	m.parts++
	if m.parts > maxParts {
		return errTooManyParts
	}
	mediaType, params, _ := e.Header.ContentType()
	if mr := e.MultipartReader(); mr != nil {
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if p == nil {
				return fmt.Errorf("reading a part of %s: %w", mediaType, err)
			}
			// An unknown charset or transfer encoding leaves the part
			// readable as it is.
			if err := m.walk(p, depth+1, mediaType); err != nil {
				return err
			}
		}
	}
	if !isCalendar(e, mediaType, params) {
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(e.Body, maxCalendarBytes+1))
	if err != nil {
		return fmt.Errorf("reading a calendar part: %w", err)
	}
	if len(data) > maxCalendarBytes {
		return fmt.Errorf("a calendar part is larger than %d bytes", maxCalendarBytes)
	}
	m.calendars = append(m.calendars, calendarPart{data: data, alternative: parent == "multipart/alternative"})
	return nil
}

// isCalendar reports whether a part carries iCalendar data: text/calendar,
// application/ics, or any part named *.ics.
func isCalendar(e *message.Entity, mediaType string, params map[string]string) bool {
	switch mediaType {
	case "text/calendar", "application/ics", "text/x-vcalendar":
		return true
	}
	name := params["name"]
	if _, dp, err := e.Header.ContentDisposition(); err == nil && dp["filename"] != "" {
		name = dp["filename"]
	}
	return strings.EqualFold(path.Ext(strings.TrimSpace(name)), ".ics")
}

// cleanMessageID returns a Message-ID without angle brackets and spaces,
// clipped to a storable length (a longer one keeps its hash).
func cleanMessageID(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			v = v[i+1 : i+j]
		}
	}
	v = strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return -1
		}
		return r
	}, v)
	if len(v) > 250 {
		sum := sha256.Sum256([]byte(v))
		v = v[:200] + "…" + hex.EncodeToString(sum[:8])
	}
	return v
}

// syntheticMessageID names a message without a Message-ID by a hash of
// its bytes, so the same message delivered twice is still recognised.
func syntheticMessageID(raw []byte) string {
	sum := sha256.Sum256(raw)
	return "sha256-" + hex.EncodeToString(sum[:16]) + "@inbound.invalid"
}

// bareAddress extracts an address from a header value that net/mail
// cannot parse ("<a@b>", "Name a@b").
func bareAddress(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.LastIndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			v = v[i+1 : i+j]
		}
	}
	if f := strings.Fields(v); len(f) > 0 {
		v = f[len(f)-1]
	}
	if !strings.Contains(v, "@") {
		return ""
	}
	return clip(v, 254)
}

// printable returns s as valid UTF-8 without control characters, at
// most n bytes long.
func printable(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	return clip(s, n)
}

// clip shortens s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
