package mailer

import (
	"strings"
	"unicode/utf8"
)

// maxEncodedWord keeps every RFC 2047 encoded word short enough that the
// first one fits on the "Subject: " line. go-mail's own encoder makes words
// of up to 75 characters, which it then folds onto a line of their own,
// leaving "Subject:" empty and a leading space that some readers show.
const maxEncodedWord = 60

// encodeText returns s ready for an unstructured header such as Subject:
// unchanged when it is printable ASCII, otherwise as RFC 2047 Q-encoded
// words (UTF-8) of at most 60 characters, split between characters.
// Text that merely looks like an encoded word ("=?") is encoded too, so a
// reader cannot be tricked into decoding it.
func encodeText(s string) string {
	plain := !strings.Contains(s, "=?")
	for i := 0; plain && i < len(s); i++ {
		plain = s[i] >= 0x20 && s[i] <= 0x7e
	}
	if plain {
		return s
	}
	const prefix, suffix = "=?UTF-8?q?", "?="
	var out, word strings.Builder
	flush := func() {
		if word.Len() == 0 {
			return
		}
		if out.Len() > 0 {
			out.WriteByte(' ')
		}
		out.WriteString(prefix + word.String() + suffix)
		word.Reset()
	}
	var buf [utf8.UTFMax]byte
	for _, r := range s {
		var enc string
		switch {
		case r == ' ':
			enc = "_"
		case r < utf8.RuneSelf && qSafe(byte(r)):
			enc = string(r)
		default:
			n := utf8.EncodeRune(buf[:], r)
			var b strings.Builder
			for _, c := range buf[:n] {
				b.WriteByte('=')
				b.WriteByte("0123456789ABCDEF"[c>>4])
				b.WriteByte("0123456789ABCDEF"[c&15])
			}
			enc = b.String()
		}
		if len(prefix)+word.Len()+len(enc)+len(suffix) > maxEncodedWord {
			flush()
		}
		word.WriteString(enc)
	}
	flush()
	return out.String()
}

// qSafe reports whether an ASCII byte may stand for itself in a Q-encoded
// word anywhere in a header (RFC 2047 §5 rule 3).
func qSafe(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!*+-/", c) >= 0
}
