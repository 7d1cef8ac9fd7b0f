package mailer

import (
	"net/mail"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxHeaderLine is the RFC 5322 §2.1.1 hard limit of a line, without CRLF.
const maxHeaderLine = 998

// checkHeaderText refuses a value that is headed for a header and holds a
// control character (CR and LF above all) or invalid UTF-8. Such values are
// never encoded through: they are refused, so no header can be injected.
func checkHeaderText(field, v string) error {
	if !utf8.ValidString(v) {
		return invalidf("%s is not valid UTF-8", field)
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return invalidf("%s contains the control character %U", field, r)
		}
	}
	return nil
}

// checkAddress validates a mailbox for From, To or Reply-To.
func checkAddress(field string, a Address) error {
	if err := checkHeaderText(field+" name", a.Name); err != nil {
		return err
	}
	return checkEmail(field, a.Email)
}

// checkEmail validates a bare addr-spec.
func checkEmail(field, email string) error {
	if email == "" {
		return invalidf("%s address is empty", field)
	}
	if err := checkHeaderText(field+" address", email); err != nil {
		return err
	}
	if strings.ContainsAny(email, " <>\"") {
		return invalidf("%s address %q is not a bare addr-spec", field, email)
	}
	parsed, err := mail.ParseAddress(email)
	if err != nil || parsed.Address != email || parsed.Name != "" {
		return invalidf("%s address %q is not a valid addr-spec", field, email)
	}
	return nil
}

// isAtext reports whether c is an RFC 5322 atext character.
func isAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// isDotAtom reports whether s is an RFC 5322 dot-atom-text.
func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '.' && !isAtext(s[i]) {
			return false
		}
	}
	return true
}

// checkMsgID validates a Message-ID without its angle brackets: an RFC 5322
// msg-id whose both halves are dot-atom-text.
func checkMsgID(field, id string) error {
	left, right, ok := strings.Cut(id, "@")
	if !ok || !isDotAtom(left) || !isDotAtom(right) || strings.Contains(right, "@") {
		return invalidf("%s %q is not of the form local@domain (dot-atom, no <>)", field, id)
	}
	if len(id) > 250 {
		return invalidf("%s is %d octets long (max 250)", field, len(id))
	}
	return nil
}

// domainOf returns the lower-cased domain of an addr-spec.
func domainOf(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return ""
	}
	return strings.ToLower(email[at+1:])
}

// checkListID validates an RFC 2919 list-id (without the angle brackets).
func checkListID(id string) error {
	if !isDotAtom(id) || !strings.Contains(id, ".") || len(id) > 255 {
		return invalidf("list id %q is not a dot-atom such as \"name.natverk.example.se\"", id)
	}
	return nil
}

// unsafeURIChars may not appear in a URI that goes into List-Unsubscribe:
// CR and LF would start a new header, <, > and "," would end the bracketed
// list entry, and spaces would let a relay fold the header.
const unsafeURIChars = "\r\n<>, \t\""

// checkUnsubscribe validates both List-Unsubscribe targets and returns the
// header value, e.g. "<https://x/u/t>, <mailto:u+t@x>".
func checkUnsubscribe(u *Unsubscribe) (string, error) {
	if u.HTTPS == "" && u.Mailto == "" {
		return "", invalidf("unsubscribe has neither an https nor a mailto target")
	}
	var entries []string
	if u.HTTPS != "" {
		if strings.ContainsAny(u.HTTPS, unsafeURIChars) {
			return "", invalidf("unsubscribe https URL %q contains CR, LF, <, >, comma, quote or space", u.HTTPS)
		}
		p, err := url.Parse(u.HTTPS)
		if err != nil || p.Scheme != "https" || p.Host == "" || p.User != nil {
			return "", invalidf("unsubscribe URL %q is not an https URL", u.HTTPS)
		}
		entries = append(entries, "<"+u.HTTPS+">")
	}
	if u.Mailto != "" {
		if strings.ContainsAny(u.Mailto, unsafeURIChars) {
			return "", invalidf("unsubscribe mailto %q contains CR, LF, <, >, comma, quote or space", u.Mailto)
		}
		p, err := url.Parse(u.Mailto)
		if err != nil || !strings.EqualFold(p.Scheme, "mailto") || p.Opaque == "" {
			return "", invalidf("unsubscribe mailto %q is not a mailto: URI", u.Mailto)
		}
		if err := checkEmail("unsubscribe mailto", p.Opaque); err != nil {
			return "", err
		}
		entries = append(entries, "<"+u.Mailto+">")
	}
	v := strings.Join(entries, ", ")
	if len("List-Unsubscribe: ")+len(v) > maxHeaderLine {
		return "", invalidf("List-Unsubscribe would be %d octets long (max %d)", len(v), maxHeaderLine)
	}
	return v, nil
}

// checkLink validates a URL shown in the body. Empty is allowed (the
// section is left out). http is accepted for the embedded mode, which
// serves pages on 127.0.0.1.
func checkLink(field, raw string, schemes ...string) error {
	if raw == "" {
		return nil
	}
	if !utf8.ValidString(raw) || strings.ContainsFunc(raw, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) {
		return invalidf("%s %q contains spaces or control characters", field, raw)
	}
	p, err := url.Parse(raw)
	if err != nil {
		return invalidf("%s %q: %v", field, raw, err)
	}
	if len(schemes) == 0 {
		schemes = []string{"https", "http"}
	}
	for _, s := range schemes {
		if strings.EqualFold(p.Scheme, s) {
			if p.Host == "" && s != "mailto" {
				return invalidf("%s %q has no host", field, raw)
			}
			return nil
		}
	}
	return invalidf("%s %q must use one of the schemes %s", field, raw, strings.Join(schemes, ", "))
}
