package calendar

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkFolded checks the physical lines of one folded content line: at
// most 75 octets, valid UTF-8 each, no break inside a TEXT escape, and
// unfolding gives back the original.
func checkFolded(t *testing.T, orig string, folded []byte) {
	t.Helper()
	lines := bytes.Split(folded, []byte("\r\n"))
	var unfolded []byte
	for i, l := range lines {
		if len(l) > maxLine {
			t.Fatalf("physical line %d is %d octets: %q", i, len(l), l)
		}
		if !utf8.Valid(l) {
			t.Fatalf("physical line %d is not valid UTF-8 on its own: %q", i, l)
		}
		if i > 0 {
			if len(l) == 0 || l[0] != ' ' {
				t.Fatalf("continuation line %d does not start with a space: %q", i, l)
			}
			l = l[1:]
		}
		unfolded = append(unfolded, l...)
		// Every physical line starts on an escape boundary, so an odd run
		// of backslashes at its end is an escape split across the fold.
		if i < len(lines)-1 {
			run := 0
			for run < len(l) && l[len(l)-1-run] == '\\' {
				run++
			}
			if run%2 == 1 {
				t.Fatalf("line %d ends inside an escape: %q", i, l)
			}
		}
	}
	if string(unfolded) != orig {
		t.Fatalf("unfolds to\n%q\nwant\n%q", unfolded, orig)
	}
}

// TestFoldProperty folds random lines of UTF-8 (one to four octet runes,
// backslash escapes, commas) and checks every physical line.
func TestFoldProperty(t *testing.T) {
	alphabet := []string{"a", "Z", " ", ",", ";", ":", "\\\\", "\\n", "\\,", "\\;", "å", "ö", "—", "€", "中", "😀", "\U0001F468\u200D\U0001F469", "\u0301"}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3000; i++ {
		var b strings.Builder
		b.WriteString("DESCRIPTION:")
		n := rng.IntN(400)
		for j := 0; j < n; j++ {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		line := b.String()
		checkFolded(t, line, appendFolded(nil, []byte(line)))
	}
}

func TestFoldCases(t *testing.T) {
	tests := []struct {
		name string
		line string
	}{
		{"Short", "SUMMARY:Nätverksmöte"},
		{"Exactly75", "SUMMARY:" + strings.Repeat("x", 67)},
		{"Exactly76", "SUMMARY:" + strings.Repeat("x", 68)},
		{"MultiByteAtTheCut", "SUMMARY:" + strings.Repeat("x", 66) + "ö" + strings.Repeat("y", 20)},
		{"EmojiAtTheCut", "SUMMARY:" + strings.Repeat("x", 65) + "😀😀" + strings.Repeat("y", 80)},
		{"EscapeAtTheCut", "DESCRIPTION:" + strings.Repeat("x", 62) + "\\n" + strings.Repeat("y", 80)},
		{"EscapedBackslashAtTheCut", "DESCRIPTION:" + strings.Repeat("x", 61) + "\\\\" + "\\n" + strings.Repeat("y", 80)},
		{"AllBackslashes", "DESCRIPTION:" + strings.Repeat("\\\\", 200)},
		{"Swedish", "DESCRIPTION:" + strings.Repeat(longLine+" ", 10)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkFolded(t, tc.line, appendFolded(nil, []byte(tc.line)))
		})
	}
}

func TestFoldLines(t *testing.T) {
	in := "BEGIN:VCALENDAR\r\nSUMMARY:" + strings.Repeat("ä", 60) + "\r\nEND:VCALENDAR\r\n"
	out := foldLines([]byte(in))
	if !bytes.HasSuffix(out, []byte("\r\nEND:VCALENDAR\r\n")) || !bytes.HasPrefix(out, []byte("BEGIN:VCALENDAR\r\n")) {
		t.Errorf("folded calendar: %q", out)
	}
	if got := strings.ReplaceAll(string(out), "\r\n ", ""); got != in {
		t.Errorf("unfolds to %q", got)
	}
}
