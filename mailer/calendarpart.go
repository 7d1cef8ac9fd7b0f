package mailer

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// calendarMethod reads the METHOD property of the VCALENDAR in data
// (RFC 5545 §3.7.2). Content lines are unfolded first (§3.1); properties of
// nested components are skipped. It fails when data is not a VCALENDAR or
// has no METHOD or more than one.
func calendarMethod(data []byte) (string, error) {
	if len(data) == 0 {
		return "", invalidf("calendar data is empty")
	}
	if !utf8.Valid(data) {
		return "", invalidf("calendar data is not valid UTF-8")
	}
	unfolded := unfold(data)
	lines := strings.Split(unfolded, "\n")
	depth := 0
	method := ""
	for i, line := range lines {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		name, value := splitContentLine(line)
		switch {
		case name == "BEGIN":
			if depth == 0 && !strings.EqualFold(value, "VCALENDAR") {
				return "", invalidf("calendar data starts with BEGIN:%s, want BEGIN:VCALENDAR", value)
			}
			depth++
		case name == "END":
			depth--
			if depth < 0 {
				return "", invalidf("calendar data has an unmatched END:%s on line %d", value, i+1)
			}
		case depth == 0:
			return "", invalidf("calendar data has %q outside BEGIN:VCALENDAR", line)
		case depth == 1 && name == "METHOD":
			if method != "" {
				return "", invalidf("calendar data has more than one METHOD")
			}
			method = strings.ToUpper(strings.TrimSpace(value))
			if !isToken(method) {
				return "", invalidf("calendar METHOD %q is not a token", value)
			}
		}
	}
	if depth != 0 {
		return "", invalidf("calendar data is truncated (missing END)")
	}
	if method == "" {
		return "", invalidf("calendar data has no METHOD property (iMIP requires one, RFC 6047 §2.4)")
	}
	return method, nil
}

// unfold joins folded content lines: a line break followed by a space or a
// tab is removed (RFC 5545 §3.1).
func unfold(data []byte) string {
	s := string(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")))
	s = strings.ReplaceAll(s, "\n ", "")
	return strings.ReplaceAll(s, "\n\t", "")
}

// splitContentLine returns the upper-cased property name and the value of
// one unfolded content line. Colons inside quoted parameter values do not
// end the name and parameters.
func splitContentLine(line string) (name, value string) {
	inQuote := false
	colon := -1
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '"':
			inQuote = !inQuote
		case ':':
			if !inQuote {
				colon = i
			}
		}
		if colon >= 0 {
			break
		}
	}
	head := line
	if colon >= 0 {
		head, value = line[:colon], line[colon+1:]
	}
	if semi := strings.IndexByte(head, ';'); semi >= 0 {
		head = head[:semi]
	}
	return strings.ToUpper(head), value
}

// isToken reports whether s is an RFC 2045 token, so it can be a parameter
// value without quotes.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0 {
			return false
		}
	}
	return true
}
