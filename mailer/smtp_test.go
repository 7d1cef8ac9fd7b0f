package mailer_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/natverk/natverk/mailer"
)

func testEnvelope(to string) mailer.Envelope {
	return mailer.Envelope{From: bounceAddress, To: []string{to}}
}

// testRaw is a small valid message for transport tests.
func testRaw(n int) []byte {
	return fmt.Appendf(nil, "From: <%s>\r\nTo: <asa@example.org>\r\nSubject: test %d\r\nMessage-ID: <t%d@%s>\r\n\r\nBody %d.\r\n.leading dot\r\n", organizerMailbox, n, n, ourDomain, n)
}

func newSMTP(t testing.TB, url string, opts mailer.SMTPOptions) *mailer.SMTP {
	t.Helper()
	s, err := mailer.NewSMTP(url, opts)
	if err != nil {
		t.Fatalf("NewSMTP(%q): %v", url, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func smtpErr(code int, enhanced smtp.EnhancedCode, msg string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: enhanced, Message: msg}
}

// TestSMTPErrorClasses checks how each failure is classified: only 5xx
// replies are permanent; 4xx, dropped connections and timeouts are
// temporary.
func TestSMTPErrorClasses(t *testing.T) {
	tests := []struct {
		name      string
		configure func(s *sink, release <-chan struct{})
		timeout   time.Duration
		permanent bool
		code      int
		enhanced  string
		contains  string
	}{
		{
			name: "451 at RCPT",
			configure: func(s *sink, _ <-chan struct{}) {
				s.rcpt = func(string) error { return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "Try again later") }
			},
			code: 451, enhanced: "4.3.0", contains: "RCPT TO",
		},
		{
			name: "452 at end of data",
			configure: func(s *sink, _ <-chan struct{}) {
				s.data = func(*smtp.Conn, []byte) error {
					return smtpErr(452, smtp.EnhancedCode{4, 3, 1}, "Insufficient system storage")
				}
			},
			code: 452, enhanced: "4.3.1", contains: "end of data",
		},
		{
			name: "550 at RCPT",
			configure: func(s *sink, _ <-chan struct{}) {
				s.rcpt = func(string) error { return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "No such user") }
			},
			permanent: true, code: 550, enhanced: "5.1.1",
		},
		{
			name: "554 at MAIL",
			configure: func(s *sink, _ <-chan struct{}) {
				s.mail = func(string) error { return smtpErr(554, smtp.EnhancedCode{5, 7, 1}, "Sender rejected") }
			},
			permanent: true, code: 554, enhanced: "5.7.1", contains: "MAIL FROM",
		},
		{
			name: "552 message too big",
			configure: func(s *sink, _ <-chan struct{}) {
				s.data = func(*smtp.Conn, []byte) error { return smtp.ErrDataTooLarge }
			},
			permanent: true, code: 552, enhanced: "5.3.4",
		},
		{
			name: "connection dropped during data",
			configure: func(s *sink, _ <-chan struct{}) {
				s.data = func(c *smtp.Conn, _ []byte) error {
					_ = c.Conn().Close()
					return errors.New("gone")
				}
			},
		},
		{
			name: "server never answers the final dot",
			configure: func(s *sink, release <-chan struct{}) {
				s.data = func(*smtp.Conn, []byte) error { <-release; return nil }
			},
			timeout: 300 * time.Millisecond, contains: "timeout",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			s := newSink(t, func(s *sink) { tt.configure(s, release) })
			t.Cleanup(func() { close(release) })
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			sender := newSMTP(t, s.url(""), mailer.SMTPOptions{Timeout: timeout})
			err := sender.Send(t.Context(), testEnvelope("asa@example.org"), testRaw(1))
			var se *mailer.SendError
			if !errors.As(err, &se) {
				t.Fatalf("Send error %v (%T) is not a *SendError", err, err)
			}
			if mailer.IsPermanent(err) != tt.permanent || se.Temporary == tt.permanent {
				t.Errorf("IsPermanent = %v, Temporary = %v; want permanent %v (%v)", mailer.IsPermanent(err), se.Temporary, tt.permanent, err)
			}
			if se.Code != tt.code || se.Enhanced != tt.enhanced {
				t.Errorf("code %d %q, want %d %q", se.Code, se.Enhanced, tt.code, tt.enhanced)
			}
			if !strings.Contains(err.Error(), tt.contains) || !strings.HasPrefix(err.Error(), "mailer: ") {
				t.Errorf("error %q lacks %q or the mailer: prefix", err, tt.contains)
			}
			if len(s.messages()) != 0 {
				t.Errorf("sink accepted a message")
			}
		})
	}
}

// TestSMTPConnectFailures: refused dials, servers that hang up or refuse
// at the greeting are all temporary.
func TestSMTPConnectFailures(t *testing.T) {
	// A port with nothing listening.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := l.Addr().String()
	_ = l.Close()

	// A server that accepts and hangs up, and one that greets with 421.
	hangup := listenAndServe(t, func(c net.Conn) { _ = c.Close() })
	busy := listenAndServe(t, func(c net.Conn) {
		_, _ = c.Write([]byte("421 4.3.2 Too busy, try later\r\n"))
		_ = c.Close()
	})
	silent := listenAndServe(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c); _ = c.Close() })

	tests := []struct {
		name string
		addr string
		code int
	}{
		{"connection refused", closedAddr, 0},
		{"hang up before greeting", hangup, 0},
		{"421 greeting", busy, 421},
		{"no greeting", silent, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sender := newSMTP(t, "smtp://"+tt.addr, mailer.SMTPOptions{Timeout: 300 * time.Millisecond})
			err := sender.Send(t.Context(), testEnvelope("asa@example.org"), testRaw(1))
			var se *mailer.SendError
			if !errors.As(err, &se) || !se.Temporary || mailer.IsPermanent(err) {
				t.Fatalf("Send = %v, want a temporary *SendError", err)
			}
			if se.Code != tt.code {
				t.Errorf("code = %d, want %d", se.Code, tt.code)
			}
		})
	}
}

// listenAndServe runs handle for every connection to a fresh loopback
// listener and returns its address.
func listenAndServe(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = l.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { handle(c) })
		}
	})
	return l.Addr().String()
}

// TestSMTPContextDeadline: a context deadline ends a send that the server
// stalls, even though the SMTP timeout is long, and the error says so.
func TestSMTPContextDeadline(t *testing.T) {
	release := make(chan struct{})
	s := newSink(t, func(s *sink) {
		s.data = func(*smtp.Conn, []byte) error { <-release; return nil }
	})
	t.Cleanup(func() { close(release) })
	sender := newSMTP(t, s.url(""), mailer.SMTPOptions{Timeout: time.Minute})
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	err := sender.Send(ctx, testEnvelope("asa@example.org"), testRaw(1))
	if !errors.Is(err, context.DeadlineExceeded) || mailer.IsPermanent(err) {
		t.Fatalf("Send = %v, want a temporary error wrapping context.DeadlineExceeded", err)
	}
	// A cancelled context fails before any connection is made.
	done, cancelDone := context.WithCancel(t.Context())
	cancelDone()
	sessions := s.sessionCount()
	if err := sender.Send(done, testEnvelope("asa@example.org"), testRaw(2)); !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a cancelled context = %v, want context.Canceled", err)
	}
	if s.sessionCount() != sessions {
		t.Errorf("a cancelled Send opened a session")
	}
}

// TestSMTPReusesConnection: many messages, one session; a failed
// transaction is reset with RSET and the session kept.
func TestSMTPReusesConnection(t *testing.T) {
	s := newSink(t, func(s *sink) {
		s.rcpt = func(to string) error {
			if strings.HasPrefix(to, "temp") {
				return smtpErr(450, smtp.EnhancedCode{4, 2, 0}, "Mailbox busy")
			}
			if strings.HasPrefix(to, "gone") {
				return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "No such user")
			}
			return nil
		}
	})
	sender := newSMTP(t, s.url(""), mailer.SMTPOptions{Pool: 1})
	const n = 60
	for i := range n {
		to := "asa@example.org"
		switch i % 10 {
		case 3:
			to = "temp@example.org"
		case 7:
			to = "gone@example.org"
		}
		err := sender.Send(t.Context(), testEnvelope(to), testRaw(i))
		if (err != nil) != (to != "asa@example.org") {
			t.Fatalf("message %d to %s: %v", i, to, err)
		}
	}
	if got := len(s.messages()); got != n-12 {
		t.Errorf("sink received %d messages, want %d", got, n-12)
	}
	if got := s.sessionCount(); got != 1 {
		t.Errorf("%d SMTP sessions for %d messages, want 1", got, n)
	}
	if got := sender.Sessions(); got != 1 {
		t.Errorf("Sessions() = %d, want 1", got)
	}
	if got := s.commandCount("NOOP"); got != 0 {
		t.Errorf("%d NOOPs on a busy connection, want none", got)
	}
	if got := s.commandCount("RSET"); got != 12 {
		t.Errorf("%d RSETs, want one after each of the 12 failed transactions", got)
	}
	for i, m := range s.messages() {
		if !strings.Contains(string(m.Data), "\r\n.leading dot\r\n") {
			t.Fatalf("message %d: dot-stuffing did not round-trip:\n%s", i, m.Data)
		}
	}
}

// TestSMTPRedialsBrokenConnection: when the relay drops an idle pooled
// session, the next message goes out on a new one.
func TestSMTPRedialsBrokenConnection(t *testing.T) {
	var mu sync.Mutex
	var conns []*smtp.Conn
	s := newSink(t, func(s *sink) {
		s.data = func(c *smtp.Conn, _ []byte) error {
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			return nil
		}
	})
	sender := newSMTP(t, s.url(""), mailer.SMTPOptions{Pool: 1})
	if err := sender.Send(t.Context(), testEnvelope("asa@example.org"), testRaw(1)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	_ = conns[0].Conn().Close() // the relay hangs up the idle session
	mu.Unlock()
	if err := sender.Send(t.Context(), testEnvelope("asa@example.org"), testRaw(2)); err != nil {
		t.Fatalf("Send after the relay dropped the session: %v", err)
	}
	if got, want := len(s.messages()), 2; got != want {
		t.Errorf("sink received %d messages, want %d", got, want)
	}
	if got := sender.Sessions(); got != 2 {
		t.Errorf("Sessions() = %d, want 2 (one redial)", got)
	}
}

// TestSMTPIdleCheck: a pooled session idle longer than the idle check is
// tested with NOOP before reuse, and replaced when the NOOP fails.
func TestSMTPIdleCheck(t *testing.T) {
	var mu sync.Mutex
	var last *smtp.Conn
	s := newSink(t, func(s *sink) {
		s.data = func(c *smtp.Conn, _ []byte) error { mu.Lock(); last = c; mu.Unlock(); return nil }
	})
	sender := newSMTP(t, s.url(""), mailer.SMTPOptions{Pool: 1})
	mailer.SetIdleCheck(sender, 0) // every reuse counts as idle
	for i := range 5 {
		if err := sender.Send(t.Context(), testEnvelope("asa@example.org"), testRaw(i)); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.commandCount("NOOP"); got != 4 {
		t.Errorf("%d NOOPs for 4 reuses of an idle session, want 4", got)
	}
	mu.Lock()
	_ = last.Conn().Close()
	mu.Unlock()
	if err := sender.Send(t.Context(), testEnvelope("asa@example.org"), testRaw(6)); err != nil {
		t.Fatalf("Send after the idle session died: %v", err)
	}
	if got := sender.Sessions(); got != 2 {
		t.Errorf("Sessions() = %d, want 2", got)
	}
	if got := len(s.messages()); got != 6 {
		t.Errorf("sink received %d messages, want 6", got)
	}
}

// TestSMTPPoolConcurrency: with Pool 4 and 12 concurrent senders, exactly
// 4 messages are in DATA at once, never more, over at most 4 sessions.
func TestSMTPPoolConcurrency(t *testing.T) {
	const pool, senders = 4, 12
	var mu sync.Mutex
	batch, waiting := make(chan struct{}), 0
	s := newSink(t, func(s *sink) {
		// Each DATA waits until a full pool's worth of messages is in DATA,
		// so the test sees the pool's real width; a 5th concurrent message
		// would push maxConcurrentData above 4.
		s.data = func(*smtp.Conn, []byte) error {
			mu.Lock()
			mine := batch
			if waiting++; waiting == pool {
				close(batch)
				batch, waiting = make(chan struct{}), 0
			}
			mu.Unlock()
			select {
			case <-mine:
				return nil
			case <-time.After(5 * time.Second):
				return smtpErr(451, smtp.EnhancedCode{4, 0, 0}, "the pool never filled")
			}
		}
	})
	sender := newSMTP(t, s.url(""), mailer.SMTPOptions{Pool: pool})
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for i := range senders {
		wg.Go(func() { errs <- sender.Send(t.Context(), testEnvelope("asa@example.org"), testRaw(i)) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := s.maxConcurrentData(); got != pool {
		t.Errorf("max messages in DATA at once = %d, want %d", got, pool)
	}
	if got := s.sessionCount(); got > pool {
		t.Errorf("%d sessions, want at most %d", got, pool)
	}
	if got := len(s.messages()); got != senders {
		t.Errorf("sink received %d messages, want %d", got, senders)
	}
}

// TestSMTPRateLimit: with one message per 1000 s, the first Send passes
// (burst 1) and a second cannot get a token within its deadline, so it
// fails at once, temporary, without reaching the server.
func TestSMTPRateLimit(t *testing.T) {
	s := newSink(t, nil)
	sender := newSMTP(t, s.url(""), mailer.SMTPOptions{RatePerSecond: 0.001})
	if err := sender.Send(t.Context(), testEnvelope("asa@example.org"), testRaw(1)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	err := sender.Send(ctx, testEnvelope("asa@example.org"), testRaw(2))
	if err == nil || mailer.IsPermanent(err) || !strings.Contains(err.Error(), "rate limit") {
		t.Fatalf("second Send = %v, want a temporary rate-limit error", err)
	}
	if got := len(s.messages()); got != 1 {
		t.Errorf("sink received %d messages, want 1", got)
	}
}

// TestSMTPStartTLS covers the tls modes against servers with and without
// STARTTLS, and the EHLO name both before and after STARTTLS.
func TestSMTPStartTLS(t *testing.T) {
	roots := x509.NewCertPool()
	withTLSSink := newSink(t, nil, withTLS(t, roots))
	plainSink := newSink(t, nil)
	clientTLS := &tls.Config{RootCAs: roots}

	tests := []struct {
		name    string
		sink    *sink
		query   string
		wantTLS bool
		wantErr string
	}{
		{"opportunistic upgrades", withTLSSink, "", true, ""},
		{"required upgrades", withTLSSink, "tls=required", true, ""},
		{"none stays plain", withTLSSink, "tls=none", false, ""},
		{"opportunistic without offer stays plain", plainSink, "", false, ""},
		{"required without offer fails", plainSink, "tls=required", false, "does not offer STARTTLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(tt.sink.messages())
			sender := newSMTP(t, tt.sink.url(tt.query), mailer.SMTPOptions{HelloName: "mailer.natverk.test", TLSConfig: clientTLS})
			err := sender.Send(t.Context(), testEnvelope("asa@example.org"), testRaw(1))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || mailer.IsPermanent(err) {
					t.Fatalf("Send = %v, want a temporary error mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			msgs := tt.sink.messages()
			if len(msgs) != before+1 {
				t.Fatalf("sink has %d messages, want %d", len(msgs), before+1)
			}
			got := msgs[len(msgs)-1]
			if got.TLS != tt.wantTLS || got.Helo != "mailer.natverk.test" {
				t.Errorf("received with TLS %v, EHLO %q; want TLS %v, EHLO mailer.natverk.test", got.TLS, got.Helo, tt.wantTLS)
			}
		})
	}

	t.Run("untrusted certificate", func(t *testing.T) {
		sender := newSMTP(t, withTLSSink.url(""), mailer.SMTPOptions{})
		if err := sender.Send(t.Context(), testEnvelope("asa@example.org"), testRaw(1)); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("Send to a self-signed server without its root = %v, want a certificate error", err)
		}
	})
}

// TestSMTPImplicitTLS sends over smtps://.
func TestSMTPImplicitTLS(t *testing.T) {
	roots := x509.NewCertPool()
	s := newSink(t, nil, withTLS(t, roots), withImplicitTLS())
	sender := newSMTP(t, "smtps://"+s.addr, mailer.SMTPOptions{TLSConfig: &tls.Config{RootCAs: roots}})
	if err := sender.Send(t.Context(), testEnvelope("asa@example.org"), testRaw(1)); err != nil {
		t.Fatal(err)
	}
	if msgs := s.messages(); len(msgs) != 1 || !msgs[0].TLS {
		t.Errorf("received %d messages (TLS %v), want 1 over TLS", len(msgs), len(msgs) == 1 && msgs[0].TLS)
	}
}

// TestSMTPAuth authenticates with the URL's credentials; a wrong password
// is a 5xx reply and so permanent.
func TestSMTPAuth(t *testing.T) {
	roots := x509.NewCertPool()
	s := newSink(t, func(s *sink) { s.user, s.password = "natverk", "hemligt lösen" }, withTLS(t, roots))
	opts := mailer.SMTPOptions{TLSConfig: &tls.Config{RootCAs: roots}}

	sender := newSMTP(t, "smtp://natverk:hemligt%20l%C3%B6sen@"+s.addr, opts)
	if err := sender.Send(t.Context(), testEnvelope("asa@example.org"), testRaw(1)); err != nil {
		t.Fatal(err)
	}
	if msgs := s.messages(); len(msgs) != 1 || msgs[0].User != "natverk" || !msgs[0].TLS {
		t.Errorf("received %+v, want one message from user natverk over TLS", msgs)
	}

	wrong := newSMTP(t, "smtp://natverk:xyzzy-wrong-42@"+s.addr, opts)
	err := wrong.Send(t.Context(), testEnvelope("asa@example.org"), testRaw(2))
	var se *mailer.SendError
	if !errors.As(err, &se) || !mailer.IsPermanent(err) || se.Code != 535 {
		t.Errorf("Send with a wrong password = %v, want a permanent 535", err)
	}
	if strings.Contains(fmt.Sprint(err), "xyzzy") {
		t.Errorf("error leaks the password: %v", err)
	}

	noAuth := newSMTP(t, "smtp://"+s.addr, opts)
	if err := noAuth.Send(t.Context(), testEnvelope("asa@example.org"), testRaw(3)); !mailer.IsPermanent(err) {
		t.Errorf("Send without credentials = %v, want the server's permanent 530", err)
	}
}

// TestNewSMTPRejects lists configurations NewSMTP refuses.
func TestNewSMTPRejects(t *testing.T) {
	tests := []struct {
		url  string
		opts mailer.SMTPOptions
		want string
	}{
		{"http://mail.example.se", mailer.SMTPOptions{}, "scheme"},
		{"smtp://", mailer.SMTPOptions{}, "no host"},
		{"smtp://mail.example.se:99999", mailer.SMTPOptions{}, "port"},
		{"smtp://mail.example.se?tls=maybe", mailer.SMTPOptions{}, "tls="},
		{"smtps://mail.example.se?tls=none", mailer.SMTPOptions{}, "always uses TLS"},
		{"smtp://mail.example.se?pool=3", mailer.SMTPOptions{}, "unknown parameter"},
		{"smtp://mail.example.se/path", mailer.SMTPOptions{}, "path"},
		{"smtp://u:p@mail.example.se?tls=none", mailer.SMTPOptions{}, "unencrypted"},
		{"smtp://mail.example.se", mailer.SMTPOptions{Pool: -1}, "pool"},
		{"smtp://mail.example.se", mailer.SMTPOptions{Timeout: -time.Second}, "timeout"},
		{"smtp://mail.example.se", mailer.SMTPOptions{RatePerSecond: -1}, "rate"},
		{"smtp://mail.example.se", mailer.SMTPOptions{HelloName: "a\r\nMAIL FROM:<x>"}, "HelloName"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := mailer.NewSMTP(tt.url, tt.opts)
			checkInvalid(t, err, tt.want)
		})
	}
	if _, err := mailer.NewSMTP("smtp://u:secret@mail.example.se:bad", mailer.SMTPOptions{}); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("NewSMTP error %v is missing or leaks the password", err)
	}
}

// TestSMTPEnvelopeRejected: invalid envelopes fail permanently before any
// connection is made.
func TestSMTPEnvelopeRejected(t *testing.T) {
	s := newSink(t, nil)
	sender := newSMTP(t, s.url(""), mailer.SMTPOptions{})
	tests := []struct {
		name string
		env  mailer.Envelope
		raw  []byte
		want string
	}{
		{"two recipients", mailer.Envelope{From: bounceAddress, To: []string{"a@example.org", "b@example.org"}}, testRaw(1), "one message per recipient"},
		{"no recipient", mailer.Envelope{From: bounceAddress}, testRaw(1), "0 recipients"},
		{"CRLF in recipient", testEnvelope("a@example.org>\r\nRCPT TO:<b@example.org"), testRaw(1), "envelope To"},
		{"no bounce address", mailer.Envelope{To: []string{"a@example.org"}}, testRaw(1), "envelope From"},
		{"empty message", testEnvelope("a@example.org"), nil, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := sender.Send(t.Context(), tt.env, tt.raw)
			var se *mailer.SendError
			if !errors.As(err, &se) {
				t.Fatalf("Send = %v, want *SendError", err)
			}
			checkInvalid(t, err, tt.want)
		})
	}
	if n := s.sessionCount(); n != 0 {
		t.Errorf("invalid envelopes opened %d sessions", n)
	}
}

// TestSMTPUTF8Addresses: an internationalized address needs a relay with
// SMTPUTF8; without one the message can never go out that way (permanent).
func TestSMTPUTF8Addresses(t *testing.T) {
	plain := newSink(t, nil)
	sender := newSMTP(t, plain.url(""), mailer.SMTPOptions{Pool: 1})
	err := sender.Send(t.Context(), testEnvelope("åsa@exempel.se"), testRaw(1))
	checkInvalid(t, err, "SMTPUTF8")
	if err := sender.Send(t.Context(), testEnvelope("asa@example.org"), testRaw(2)); err != nil {
		t.Fatalf("ASCII address after the refusal: %v", err)
	}
	if got := plain.sessionCount(); got != 1 {
		t.Errorf("%d sessions, want the session kept after the refusal", got)
	}

	intl := newSink(t, nil, withSMTPUTF8())
	sender = newSMTP(t, intl.url(""), mailer.SMTPOptions{})
	if err := sender.Send(t.Context(), testEnvelope("åsa@exempel.se"), testRaw(3)); err != nil {
		t.Fatal(err)
	}
	if msgs := intl.messages(); len(msgs) != 1 || msgs[0].To != "åsa@exempel.se" {
		t.Errorf("received %+v, want one message to åsa@exempel.se", msgs)
	}
}

// TestSMTPClose: Send after Close fails with ErrClosed, temporary.
func TestSMTPClose(t *testing.T) {
	s := newSink(t, nil)
	sender := newSMTP(t, s.url(""), mailer.SMTPOptions{})
	if err := sender.Send(t.Context(), testEnvelope("asa@example.org"), testRaw(1)); err != nil {
		t.Fatal(err)
	}
	if err := sender.Close(); err != nil {
		t.Fatal(err)
	}
	err := sender.Send(t.Context(), testEnvelope("asa@example.org"), testRaw(2))
	if !errors.Is(err, mailer.ErrClosed) || mailer.IsPermanent(err) {
		t.Errorf("Send after Close = %v, want temporary ErrClosed", err)
	}
}
