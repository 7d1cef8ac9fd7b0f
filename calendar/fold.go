package calendar

import (
	"bytes"
	"unicode/utf8"
)

// maxLine is the longest physical line RFC 5545 §3.1 allows, in octets,
// without the CRLF.
const maxLine = 75

// foldLines folds every CRLF-terminated content line of b (go-ical writes
// none folded, INTEROP §6).
func foldLines(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/maxLine*3)
	for len(b) > 0 {
		i := bytes.Index(b, []byte("\r\n"))
		if i < 0 {
			i = len(b)
		}
		out = appendFolded(out, b[:i])
		out = append(out, '\r', '\n')
		b = b[min(i+2, len(b)):]
	}
	return out
}

// appendFolded appends one content line (without CRLF) folded into physical
// lines of at most 75 octets: each continuation starts with CRLF and a
// space. A cut never splits a UTF-8 sequence (Google renders a split
// character as two replacement characters) nor a TEXT escape (Outlook
// mis-renders "\" at the end of a physical line), INTEROP §4.
func appendFolded(out, line []byte) []byte {
	limit := maxLine
	for len(line) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		// An odd run of backslashes before the cut ends in the first half
		// of an escape; an even run is complete escapes ("\\").
		run := 0
		for run < cut && line[cut-1-run] == '\\' {
			run++
		}
		if run%2 == 1 {
			cut--
		}
		out = append(out, line[:cut]...)
		out = append(out, '\r', '\n', ' ')
		line = line[cut:]
		limit = maxLine - 1
	}
	return append(out, line...)
}
