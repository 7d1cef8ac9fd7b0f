package mailer

import (
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

func TestEncodeText(t *testing.T) {
	dec := new(mime.WordDecoder)
	for _, s := range []string{
		"Plain ASCII subject",
		"Inbjudan: Nätverksmöte @ tis 14 jan 2025 18:00–20:00 (CET)",
		strings.Repeat("ÅÄÖ", 40),
		"Sommarfest 🌞🌞🌞🌞🌞🌞🌞🌞🌞🌞🌞🌞🌞🌞🌞🌞 i parken",
		"=?UTF-8?q?fake?=",
		"under_score=equals?question",
		"",
	} {
		enc := encodeText(s)
		for _, w := range strings.Fields(enc) {
			if strings.HasPrefix(w, "=?") && len(w) > maxEncodedWord {
				t.Errorf("encoded word %q is %d characters (max %d)", w, len(w), maxEncodedWord)
			}
		}
		for i := 0; i < len(enc); i++ {
			if enc[i] < 0x20 || enc[i] > 0x7e {
				t.Fatalf("encodeText(%q) holds byte %#x", s, enc[i])
			}
		}
		got, err := dec.DecodeHeader(enc)
		if err != nil || got != s {
			t.Errorf("encodeText(%q) = %q decodes to %q (%v)", s, enc, got, err)
		}
		if strings.Contains(s, "=?") && enc == s {
			t.Errorf("encodeText(%q) left an encoded-word look-alike as is", s)
		}
	}
}

func TestTidyText(t *testing.T) {
	in := "\n\n  \nHej!   \n\n\n\nRad\t\n-- \nFot\n\n"
	want := "Hej!\n\nRad\n-- \nFot\n"
	if got := tidyText(in); got != want {
		t.Errorf("tidyText = %q, want %q", got, want)
	}
	if got := tidyHTML("  <p>\n\n   a</p>  \n"); got != "<p>\na</p>\n" {
		t.Errorf("tidyHTML = %q", got)
	}
	if got := lines("\r\n a\r\nb\rc\n\n"); fmt.Sprint(got) != "[a b c]" {
		t.Errorf("lines = %q", got)
	}
}

func TestParseSMTPURL(t *testing.T) {
	tests := []struct {
		url              string
		addr, user, pass string
		mode             tlsMode
	}{
		{"smtp://mail.example.se", "mail.example.se:587", "", "", tlsOpportunistic},
		{"smtp://mail.example.se:25?tls=none", "mail.example.se:25", "", "", tlsNone},
		{"SMTP://mail.example.se:2525?tls=required", "mail.example.se:2525", "", "", tlsRequired},
		{"smtps://u%40x:p%3Aw@mail.example.se", "mail.example.se:465", "u@x", "p:w", tlsImplicit},
		{"smtp://u:p@127.0.0.1:1025?tls=none", "127.0.0.1:1025", "u", "p", tlsNone},
		{"smtp://[::1]:1025", "[::1]:1025", "", "", tlsOpportunistic},
		{"smtp://mailpit:1025/", "mailpit:1025", "", "", tlsOpportunistic},
	}
	for _, tt := range tests {
		got, err := parseSMTPURL(tt.url)
		if err != nil {
			t.Errorf("parseSMTPURL(%q): %v", tt.url, err)
			continue
		}
		if got.addr != tt.addr || got.username != tt.user || got.password != tt.pass || got.mode != tt.mode || got.hasAuth != (tt.user != "") {
			t.Errorf("parseSMTPURL(%q) = %+v (mode %s), want %s %q %q %s", tt.url, got, got.mode, tt.addr, tt.user, tt.pass, tt.mode)
		}
	}
}

// TestLimiter checks the token bucket by counting what it allows over
// simulated time, so the test does not depend on the clock.
func TestLimiter(t *testing.T) {
	for _, perSecond := range []float64{1, 10, 250} {
		l, err := newLimiter(perSecond)
		if err != nil {
			t.Fatal(err)
		}
		if float64(l.Limit()) != perSecond || l.Burst() != 1 {
			t.Errorf("limit %v burst %d, want %v and 1", l.Limit(), l.Burst(), perSecond)
		}
		start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		allowed := 0
		for ms := range 10_000 { // ten simulated seconds, asked every millisecond
			if l.AllowN(start.Add(time.Duration(ms)*time.Millisecond), 1) {
				allowed++
			}
		}
		if want := int(perSecond * 10); allowed != want {
			t.Errorf("%v/s allowed %d sends in 10 s, want %d", perSecond, allowed, want)
		}
	}
	if l, err := newLimiter(0); l != nil || err != nil {
		t.Errorf("newLimiter(0) = %v, %v; want no limiter", l, err)
	}
	for _, bad := range []float64{-1, math.NaN(), math.Inf(1)} {
		if _, err := newLimiter(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("newLimiter(%v) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestClassify(t *testing.T) {
	reply := func(code int, ec smtp.EnhancedCode) error {
		return fmt.Errorf("wrapped: %w", &smtp.SMTPError{Code: code, EnhancedCode: ec, Message: "m"})
	}
	tests := []struct {
		name      string
		err       error
		permanent bool
		code      int
		enhanced  string
	}{
		{"421", reply(421, smtp.EnhancedCode{4, 3, 2}), false, 421, "4.3.2"},
		{"450 no enhanced code", reply(450, smtp.EnhancedCodeNotSet), false, 450, ""},
		{"500", reply(500, smtp.NoEnhancedCode), true, 500, ""},
		{"550", reply(550, smtp.EnhancedCode{5, 1, 1}), true, 550, "5.1.1"},
		{"599", reply(599, smtp.EnhancedCode{5, 0, 0}), true, 599, "5.0.0"},
		{"unexpected 354", reply(354, smtp.EnhancedCodeNotSet), false, 354, ""},
		{"EOF", io.ErrUnexpectedEOF, false, 0, ""},
		{"dial", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, false, 0, ""},
		{"invalid input", invalidf("bad"), true, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			se := classify(tt.err)
			if se.Temporary == tt.permanent || IsPermanent(se) != tt.permanent || se.Code != tt.code || se.Enhanced != tt.enhanced {
				t.Errorf("classify = %+v (IsPermanent %v); want permanent %v, %d %q", se, IsPermanent(se), tt.permanent, tt.code, tt.enhanced)
			}
			if !errors.Is(se, tt.err) {
				t.Errorf("SendError does not unwrap to the cause")
			}
			if !strings.HasPrefix(se.Error(), "mailer: ") {
				t.Errorf("Error() = %q lacks the prefix", se.Error())
			}
		})
	}
	if IsPermanent(nil) || IsPermanent(errors.New("plain")) {
		t.Errorf("IsPermanent(nil or plain error) = true")
	}
	se := &SendError{Code: 550, Enhanced: "5.1.1", Err: errors.New("no such user")}
	if got, want := se.Error(), "mailer: send failed (permanent, 550 5.1.1): no such user"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
