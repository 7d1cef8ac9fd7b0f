package mailer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
	"golang.org/x/time/rate"
)

// Defaults for [SMTPOptions].
const (
	DefaultSMTPPool    = 4
	DefaultSMTPTimeout = 30 * time.Second
	// defaultIdleCheck is how long a pooled connection may sit unused
	// before it is checked with NOOP; relays close idle sessions after a few
	// minutes.
	defaultIdleCheck = 30 * time.Second
)

// SMTPOptions configures [NewSMTP].
type SMTPOptions struct {
	// Pool is the number of connections, which is also the number of
	// messages in flight at once. 0 means DefaultSMTPPool.
	Pool int
	// RatePerSecond caps messages per second over the whole pool, evenly
	// spaced (token bucket with burst 1). 0 means unlimited.
	RatePerSecond float64
	// Timeout bounds the dial, the TLS handshake and each SMTP command,
	// including the reply to the final dot. 0 means DefaultSMTPTimeout.
	Timeout time.Duration
	// HelloName is the EHLO name, normally this host's FQDN. Default
	// "localhost".
	HelloName string
	// TLSConfig is used for STARTTLS and smtps://. ServerName defaults to
	// the URL's host.
	TLSConfig *tls.Config
}

var _ Sender = (*SMTP)(nil)

// SMTP is a [Sender] that submits to one relay over a pool of reused
// connections: many messages per session, RSET after a failed transaction,
// NOOP only before reusing a session that sat idle over 30 s, and a new
// session when one breaks. It is safe for concurrent use.
type SMTP struct {
	target    smtpTarget
	timeout   time.Duration
	helloName string
	tls       *tls.Config
	idleCheck time.Duration
	limiter   *rate.Limiter // nil: unlimited
	slots     chan struct{} // one token per message in flight

	mu     sync.Mutex
	idle   []*smtpConn
	closed bool
	dials  int // sessions opened, for tests and metrics
}

// NewSMTP returns a sender for rawURL: smtp://user:pass@host:port uses
// STARTTLS when the server offers it (?tls=required insists on it,
// ?tls=none never uses it), smtps://user:pass@host:port uses implicit TLS.
// Default ports are 587 and 465. No connection is opened until the first
// Send.
func NewSMTP(rawURL string, opts SMTPOptions) (*SMTP, error) {
	target, err := parseSMTPURL(rawURL)
	if err != nil {
		return nil, err
	}
	if opts.Pool < 0 {
		return nil, invalidf("SMTP pool size %d is negative", opts.Pool)
	}
	if opts.Pool == 0 {
		opts.Pool = DefaultSMTPPool
	}
	if opts.Timeout < 0 {
		return nil, invalidf("SMTP timeout %s is negative", opts.Timeout)
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultSMTPTimeout
	}
	if opts.HelloName == "" {
		opts.HelloName = "localhost"
	}
	if err := checkHeaderText("HelloName", opts.HelloName); err != nil {
		return nil, err
	}
	limiter, err := newLimiter(opts.RatePerSecond)
	if err != nil {
		return nil, err
	}
	return &SMTP{
		target:    target,
		timeout:   opts.Timeout,
		helloName: opts.HelloName,
		tls:       opts.TLSConfig,
		idleCheck: defaultIdleCheck,
		limiter:   limiter,
		slots:     make(chan struct{}, opts.Pool),
	}, nil
}

// newLimiter returns a token bucket releasing perSecond tokens a second
// with a burst of one, or nil for 0 (unlimited).
func newLimiter(perSecond float64) (*rate.Limiter, error) {
	switch {
	case perSecond == 0:
		return nil, nil
	case perSecond < 0 || math.IsNaN(perSecond) || math.IsInf(perSecond, 0):
		return nil, invalidf("SMTP rate %v is not a positive number of messages per second", perSecond)
	}
	return rate.NewLimiter(rate.Limit(perSecond), 1), nil
}

// Send delivers raw to env.To[0]. It waits for a free connection and for
// the rate limit, both bounded by ctx. Errors are [SendError] values: a 5xx reply
// or invalid input is permanent, anything else temporary.
func (s *SMTP) Send(ctx context.Context, env Envelope, raw []byte) error {
	if err := checkEnvelope(env); err != nil {
		return &SendError{Err: err}
	}
	if len(raw) == 0 {
		return &SendError{Err: invalidf("message is empty")}
	}
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return &SendError{Temporary: true, Err: fmt.Errorf("waiting for an SMTP connection: %w", ctx.Err())}
	}
	defer func() { <-s.slots }()
	if s.limiter != nil {
		if err := s.limiter.Wait(ctx); err != nil {
			return &SendError{Temporary: true, Err: fmt.Errorf("waiting for the send rate limit: %w", err)}
		}
	}

	sc, reused, err := s.get(ctx)
	if err != nil {
		return classify(err)
	}
	st, err := s.transact(ctx, sc, env, raw)
	if errors.Is(err, ErrInvalid) {
		s.put(sc) // refused before any command: the session is untouched
		return classify(err)
	}
	if err != nil && reused && st == stageMail && !isReply(err) && ctx.Err() == nil {
		// The relay dropped a pooled session before we used it again. It
		// accepted nothing, so a fresh session may carry the message.
		sc.close()
		if sc, err = s.connect(ctx); err != nil {
			return classify(err)
		}
		st, err = s.transact(ctx, sc, env, raw)
	}
	if err == nil {
		s.put(sc)
		return nil
	}
	s.recycle(ctx, sc, err)
	if ctx.Err() != nil && !isReply(err) {
		err = fmt.Errorf("%w: %w", ctx.Err(), err)
	}
	return classify(fmt.Errorf("smtp %s <%s> at %s: %w", st, env.To[0], s.target.addr, err))
}

// isReply reports whether err is an SMTP reply from the server, after
// which the session itself is still usable.
func isReply(err error) bool {
	var se *smtp.SMTPError
	return errors.As(err, &se)
}

// get returns an idle session, checking with NOOP one that sat idle for
// over 30 s, or opens a new one.
func (s *SMTP) get(ctx context.Context) (*smtpConn, bool, error) {
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, false, fmt.Errorf("smtp: %w", ErrClosed)
		}
		n := len(s.idle)
		if n == 0 {
			s.mu.Unlock()
			sc, err := s.connect(ctx)
			return sc, false, err
		}
		sc := s.idle[n-1]
		s.idle = s.idle[:n-1]
		s.mu.Unlock()
		if time.Since(sc.lastUsed) <= s.idleCheck {
			return sc, true, nil
		}
		if err := s.noop(ctx, sc); err == nil {
			return sc, true, nil
		}
		sc.close()
	}
}

func (s *SMTP) noop(ctx context.Context, sc *smtpConn) error {
	stop := context.AfterFunc(ctx, func() { sc.close() })
	defer stop()
	return sc.client.Noop()
}

// connect opens a new session and counts it.
func (s *SMTP) connect(ctx context.Context) (*smtpConn, error) {
	sc, err := s.dial(ctx)
	if err != nil {
		return nil, fmt.Errorf("smtp: %w", err)
	}
	s.mu.Lock()
	s.dials++
	s.mu.Unlock()
	return sc, nil
}

// put returns a healthy session to the pool, or ends it after Close.
func (s *SMTP) put(sc *smtpConn) {
	if sc.broken {
		sc.close()
		return
	}
	sc.lastUsed = time.Now()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		sc.quit(time.Second)
		return
	}
	s.idle = append(s.idle, sc)
	s.mu.Unlock()
}

// recycle keeps a session after a failed transaction when the server
// answered with a reply and accepts RSET; otherwise it drops it.
func (s *SMTP) recycle(ctx context.Context, sc *smtpConn, err error) {
	if !isReply(err) || ctx.Err() != nil || sc.broken {
		sc.close()
		return
	}
	_ = sc.raw.SetDeadline(time.Now().Add(s.timeout))
	rerr := sc.client.Reset()
	_ = sc.raw.SetDeadline(time.Time{})
	if rerr != nil {
		sc.close()
		return
	}
	s.put(sc)
}

// Sessions returns how many SMTP sessions the sender has opened so far.
func (s *SMTP) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dials
}

// Close ends the idle sessions with QUIT; sessions in use end when their
// message is done. Send after Close fails with [ErrClosed].
func (s *SMTP) Close() error {
	s.mu.Lock()
	idle := s.idle
	s.idle = nil
	s.closed = true
	s.mu.Unlock()
	for _, sc := range idle {
		sc.quit(time.Second)
	}
	return nil
}
