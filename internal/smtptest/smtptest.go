// Package smtptest runs a real SMTP server (go-smtp) in tests and
// benchmarks: a sink that keeps every message it accepts, and can inject
// the faults real relays produce (4xx deferrals, 5xx bounces for listed
// addresses, dropped connections).
package smtptest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one accepted message.
type Message struct {
	From string
	To   []string
	Data []byte
}

// Faults configures injected failures.
type Faults struct {
	// TempRate is the share of messages answered 451 (0..1).
	TempRate float64
	// DropRate is the share of messages whose connection is dropped at
	// the end of DATA, before the reply (0..1).
	DropRate float64
	// Reject lists recipients answered 550 5.1.1 at RCPT.
	Reject []string
	// Seed makes the faults repeatable.
	Seed uint64
}

// Sink is a running SMTP server that keeps what it accepts.
type Sink struct {
	srv *smtp.Server
	ln  net.Listener

	mu       sync.Mutex
	msgs     []Message
	sessions int
	deferred int
	dropped  int
	rejected int
	faults   Faults
	rnd      *rand.Rand
	notify   chan struct{}
	discard  bool
}

// Start starts a sink on 127.0.0.1 with a random port, stopped when the
// test ends.
func Start(tb testing.TB, f Faults) *Sink {
	tb.Helper()
	s, err := Listen("127.0.0.1:0", f)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Listen starts a sink on addr.
func Listen(addr string, f Faults) (*Sink, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Sink{ln: ln, faults: f, rnd: rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15)), notify: make(chan struct{}, 1)}
	s.srv = smtp.NewServer(backend{s})
	s.srv.Domain = "sink.test"
	s.srv.AllowInsecureAuth = true
	s.srv.MaxMessageBytes = 32 << 20
	s.srv.MaxRecipients = 100
	s.srv.ReadTimeout = time.Minute
	s.srv.WriteTimeout = time.Minute
	go s.srv.Serve(ln)
	return s, nil
}

// Discard makes the sink count messages without keeping their bytes
// (for benchmarks).
func (s *Sink) Discard() { s.mu.Lock(); s.discard = true; s.mu.Unlock() }

// Addr is host:port.
func (s *Sink) Addr() string { return s.ln.Addr().String() }

// URL is the smtp:// URL for SMTP_URL (no TLS).
func (s *Sink) URL() string { return "smtp://" + s.Addr() + "?tls=none" }

// Close stops the sink.
func (s *Sink) Close() { s.srv.Close() }

// Messages returns a copy of the accepted messages.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Count returns how many messages were accepted.
func (s *Sink) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

// Stats reports sessions opened and faults injected.
func (s *Sink) Stats() (sessions, deferred, dropped, rejected int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions, s.deferred, s.dropped, s.rejected
}

// WaitFor waits until at least n messages were accepted, or fails the
// test after timeout.
func (s *Sink) WaitFor(tb testing.TB, n int, timeout time.Duration) []Message {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if s.Count() >= n {
			return s.Messages()
		}
		if time.Now().After(deadline) {
			tb.Fatalf("smtptest: %d of %d messages after %s", s.Count(), n, timeout)
		}
		select {
		case <-s.notify:
		case <-time.After(20 * time.Millisecond):
		}
	}
}

type backend struct{ s *Sink }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	b.s.mu.Lock()
	b.s.sessions++
	b.s.mu.Unlock()
	return &session{s: b.s, conn: c}, nil
}

type session struct {
	s    *Sink
	conn *smtp.Conn
	from string
	to   []string
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	for _, r := range x.s.faults.Reject {
		if strings.EqualFold(r, to) {
			x.s.mu.Lock()
			x.s.rejected++
			x.s.mu.Unlock()
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user here"}
		}
	}
	x.to = append(x.to, to)
	return nil
}

// errDrop is returned after closing the connection under the session.
var errDrop = errors.New("connection dropped by the test sink")

func (x *session) Data(r io.Reader) error {
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		return err
	}
	x.s.mu.Lock()
	roll := x.s.rnd.Float64()
	f := x.s.faults
	switch {
	case roll < f.DropRate:
		x.s.dropped++
		x.s.mu.Unlock()
		x.conn.Conn().Close()
		return errDrop
	case roll < f.DropRate+f.TempRate:
		x.s.deferred++
		x.s.mu.Unlock()
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	m := Message{From: x.from, To: append([]string(nil), x.to...)}
	if !x.s.discard {
		m.Data = buf.Bytes()
	}
	x.s.msgs = append(x.s.msgs, m)
	x.s.mu.Unlock()
	select {
	case x.s.notify <- struct{}{}:
	default:
	}
	return nil
}

// String describes the sink.
func (s *Sink) String() string { return fmt.Sprintf("smtp sink %s", s.Addr()) }
