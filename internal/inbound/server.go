package inbound

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// Server defaults. go-smtp's own defaults are unlimited.
const (
	DefaultMaxMessageBytes = 1 << 20
	DefaultMaxRecipients   = 10
	DefaultTimeout         = 60 * time.Second
	DefaultRatePerSender   = 5
	DefaultRateBurst       = 20
	// maxLineLength is generous next to RFC 5322's 998 octets, for
	// calendar lines some clients do not fold.
	maxLineLength = 4096
	// processTimeout bounds the store work for one message.
	processTimeout = 2 * time.Minute
	// shutdownGrace lets messages being received finish on shutdown.
	shutdownGrace = 10 * time.Second
)

// Server is the SMTP endpoint calendar replies are delivered to (RFC 5321):
// the MX of the mail domain, or the next hop of a relay. It accepts mail
// for addresses in Domain only, reads each message whole and hands it to
// the Processor. It answers 250 for every message it stored — refused
// replies included, so senders do not retry them — and 451 when the store
// is down, so they do. It never sends mail itself.
//
// Fields are set before Serve and not changed after.
type Server struct {
	// Addr is the address ListenAndServe listens on ("127.0.0.1:2525").
	Addr string
	// Domain is the mail domain RCPT TO must be in (default: the
	// Processor's Links.MailDomain); it is also the greeting's host name.
	Domain    string
	Processor *Processor
	// MaxMessageBytes refuses larger messages with 552 5.3.4 (default
	// DefaultMaxMessageBytes).
	MaxMessageBytes int64
	// MaxRecipients answers 452 4.5.3 beyond that many RCPT TO (default
	// DefaultMaxRecipients).
	MaxRecipients int
	// ReadTimeout and WriteTimeout bound each network read and write
	// (default DefaultTimeout each).
	ReadTimeout, WriteTimeout time.Duration
	// RatePerSender is the sustained number of messages per second
	// accepted from one envelope sender (default DefaultRatePerSender),
	// with bursts of RateBurst (default DefaultRateBurst); beyond it MAIL
	// FROM is answered 421 4.7.0 and the sender tries again later.
	RatePerSender float64
	RateBurst     int
	// TLSConfig, if set, offers STARTTLS.
	TLSConfig *tls.Config
	// Log receives a line per message and per infrastructure failure (nil
	// = discard).
	Log *slog.Logger

	mu      sync.Mutex
	srv     *smtp.Server
	ln      net.Listener
	limiter *senderLimiter
}

func (s *Server) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// ListenAndServe listens on Addr and serves until ctx ends or Close is
// called.
func (s *Server) ListenAndServe(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("inbound: listen on %s: %w", s.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves SMTP on ln until ctx ends or Close is called; it then
// lets messages being received finish for a few seconds and closes every
// connection. It returns nil after a shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.Processor == nil {
		ln.Close()
		return errors.New("inbound: the server needs a Processor")
	}
	domain := s.Domain
	if domain == "" && s.Processor.Links != nil {
		domain = s.Processor.Links.MailDomain
	}
	if domain == "" {
		ln.Close()
		return errors.New("inbound: the server needs a mail Domain")
	}
	srv := smtp.NewServer(&backend{s: s, ctx: context.WithoutCancel(ctx), domain: domain})
	srv.Domain = domain
	srv.MaxMessageBytes = orDefault(s.MaxMessageBytes, DefaultMaxMessageBytes)
	srv.MaxRecipients = int(orDefault(int64(s.MaxRecipients), DefaultMaxRecipients))
	srv.ReadTimeout = time.Duration(orDefault(int64(s.ReadTimeout), int64(DefaultTimeout)))
	srv.WriteTimeout = time.Duration(orDefault(int64(s.WriteTimeout), int64(DefaultTimeout)))
	srv.MaxLineLength = maxLineLength
	srv.EnableSMTPUTF8 = true
	srv.TLSConfig = s.TLSConfig
	srv.ErrorLog = slogPrinter{s.log()}
	rate, burst := s.RatePerSender, s.RateBurst
	if rate <= 0 {
		rate = DefaultRatePerSender
	}
	if burst <= 0 {
		burst = DefaultRateBurst
	}
	s.mu.Lock()
	if s.srv != nil {
		s.mu.Unlock()
		ln.Close()
		return errors.New("inbound: the server is already serving")
	}
	s.srv, s.ln, s.limiter = srv, ln, newSenderLimiter(rate, burst)
	s.mu.Unlock()

	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			srv.Close()
		}
	})
	defer stop()
	s.log().Info("inbound SMTP listening", "addr", ln.Addr().String(), "domain", domain)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("inbound: serve: %w", err)
	}
	return nil
}

// ListenAddr returns the address the server listens on, nil before Serve.
// (Addr, the field, is the address it was asked to listen on; with port 0
// the two differ.)
func (s *Server) ListenAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Close stops the server at once, closing every connection: a message
// being received is not acknowledged, and its sender retries.
func (s *Server) Close() error {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	if err := srv.Close(); err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("inbound: close: %w", err)
	}
	return nil
}

func orDefault(v, def int64) int64 {
	if v > 0 {
		return v
	}
	return def
}

// backend makes a session per connection.
type backend struct {
	s      *Server
	ctx    context.Context
	domain string
}

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	remote := ""
	if c != nil && c.Conn() != nil {
		remote = c.Conn().RemoteAddr().String()
	}
	return &session{b: b, remote: remote}, nil
}

// session is one SMTP connection's transaction state.
type session struct {
	b      *backend
	remote string
	from   string
	rcpts  []string
}

var (
	errRateLimited = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Too many messages from this sender; try again later"}
	errNoMailbox   = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such mailbox here"}
	errTryLater    = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary failure; try again later"}
)

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if !ss.b.s.limiter.allow(from, time.Now()) {
		ss.b.s.log().Warn("inbound: sender over its rate", "from", from, "remote", ss.remote)
		return errRateLimited
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	_, domain, ok := cutAddress(to)
	if !ok || !strings.EqualFold(domain, ss.b.domain) {
		return errNoMailbox
	}
	ss.rcpts = append(ss.rcpts, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		// go-smtp answers 552 for ErrDataTooLarge; a broken connection
		// gets no answer at all.
		return err
	}
	ctx, cancel := context.WithTimeout(ss.b.ctx, processTimeout)
	defer cancel()
	res, err := ss.b.s.Processor.Process(ctx, ss.from, ss.rcpts, raw)
	if err != nil {
		ss.b.s.log().Error("inbound: message not processed; the sender will retry", "from", ss.from, "remote", ss.remote, "err", err)
		return errTryLater
	}
	ss.b.s.log().Info("inbound message", "status", res.Status, "reason", res.Reason, "series_id", res.SeriesID, "member_id", res.MemberID, "from", ss.from)
	return nil
}

func (ss *session) Reset() {
	ss.from, ss.rcpts = "", nil
}

func (ss *session) Logout() error { return nil }

// slogPrinter lets go-smtp report connection errors through slog.
type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Printf(format string, v ...any) {
	p.l.Warn("inbound SMTP: " + strings.TrimSpace(fmt.Sprintf(format, v...)))
}

func (p slogPrinter) Println(v ...any) {
	p.l.Warn("inbound SMTP: " + strings.TrimSpace(fmt.Sprintln(v...)))
}
