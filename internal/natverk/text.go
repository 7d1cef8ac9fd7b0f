package natverk

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Fold returns s lower-cased with diacritics removed, so that "Göteborg",
// "GOTEBORG" and "goteborg" compare equal. Both stores index and query
// folded text, which is why the same search gives the same members on
// each.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue // combining mark: the diacritic itself
		case r == 'ø' || r == 'Ø':
			b.WriteByte('o')
		case r == 'æ' || r == 'Æ':
			b.WriteString("ae")
		case r == 'ß':
			b.WriteString("ss")
		case r == 'ł' || r == 'Ł':
			b.WriteByte('l')
		case r == 'đ' || r == 'Đ':
			b.WriteByte('d')
		case r == 'ς': // final sigma folds to sigma, as SQLite's tokenizer does
			b.WriteRune('σ')
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// Words splits folded text into search words: runs of letters and digits.
func Words(s string) []string {
	return strings.FieldsFunc(Fold(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// Slugify makes a readable URL slug from a name: "Chefer i Göteborg" →
// "chefer-i-goteborg".
func Slugify(name string) string {
	w := Words(name)
	s := strings.Join(w, "-")
	if len(s) > 60 {
		s = strings.TrimRight(s[:60], "-")
	}
	return s
}

// checkText validates a free-text field: at most max runes, valid UTF-8,
// no control characters except newline and tab when multiline.
func checkText(field, s string, max int, multiline bool) *FieldError {
	if !utf8.ValidString(s) {
		return &FieldError{field, "is not valid UTF-8"}
	}
	if n := utf8.RuneCountInString(s); n > max {
		return &FieldError{field, "is too long (at most " + itoa(max) + " characters)"}
	}
	for _, r := range s {
		if r == '\n' || r == '\t' || r == '\r' {
			if multiline {
				continue
			}
			return &FieldError{field, "must be on one line"}
		}
		if unicode.IsControl(r) {
			return &FieldError{field, "contains a control character"}
		}
	}
	return nil
}

func itoa(n int) string {
	const digits = "0123456789"
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = digits[n%10]
		n /= 10
	}
	return string(b[i:])
}

// normalizeNewlines turns CRLF and CR (from web forms) into LF.
func normalizeNewlines(s string) string {
	if !strings.ContainsRune(s, '\r') {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}
