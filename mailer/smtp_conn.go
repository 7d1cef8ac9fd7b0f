package mailer

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// smtpConn is one open, greeted (and, as configured, encrypted and
// authenticated) SMTP session.
type smtpConn struct {
	client   *smtp.Client
	raw      net.Conn // the TCP connection under any TLS layer
	lastUsed time.Time
	broken   bool // the socket was closed under a transaction
}

// close drops the connection without QUIT.
func (sc *smtpConn) close() { _ = sc.raw.Close() }

// quit ends the session politely, within timeout.
func (sc *smtpConn) quit(timeout time.Duration) {
	_ = sc.raw.SetDeadline(time.Now().Add(timeout))
	if err := sc.client.Quit(); err != nil {
		sc.close()
	}
}

// dial opens a session: TCP, greeting, EHLO, STARTTLS or implicit TLS as
// configured, then AUTH when the URL has credentials.
func (s *SMTP) dial(ctx context.Context) (*smtpConn, error) {
	d := net.Dialer{Timeout: s.timeout}
	raw, err := d.DialContext(ctx, "tcp", s.target.addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", s.target.addr, err)
	}
	// Closing the socket is the one way to stop every blocking step below
	// when ctx ends; go-smtp sets its own deadlines per command.
	stop := context.AfterFunc(ctx, func() { _ = raw.Close() })
	defer stop()

	sc, err := s.handshake(ctx, raw)
	if err != nil {
		_ = raw.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("connect %s: %w: %w", s.target.addr, ctx.Err(), err)
		}
		return nil, err
	}
	return sc, nil
}

func (s *SMTP) handshake(ctx context.Context, raw net.Conn) (*smtpConn, error) {
	var conn net.Conn = raw
	if s.target.mode == tlsImplicit {
		tc := tls.Client(raw, s.tlsConfig())
		hctx, cancel := context.WithTimeout(ctx, s.timeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("TLS handshake with %s: %w", s.target.addr, err)
		}
		conn = tc
	}
	c := s.newClient(conn)
	if err := c.Hello(s.helloName); err != nil {
		return nil, fmt.Errorf("EHLO to %s: %w", s.target.addr, err)
	}
	if s.target.mode == tlsOpportunistic || s.target.mode == tlsRequired {
		if ok, _ := c.Extension("STARTTLS"); ok {
			tc, err := s.startTLS(ctx, raw)
			if err != nil {
				return nil, err
			}
			conn = tc
			c = s.newClient(&greetedConn{Conn: tc, greeting: []byte("220 TLS started\r\n")})
			if err := c.Hello(s.helloName); err != nil {
				return nil, fmt.Errorf("EHLO after STARTTLS to %s: %w", s.target.addr, err)
			}
		} else if s.target.mode == tlsRequired {
			return nil, fmt.Errorf("%s does not offer STARTTLS and the SMTP URL has tls=required", s.target.addr)
		}
	}
	if s.target.hasAuth {
		if err := s.auth(c, conn); err != nil {
			return nil, err
		}
	}
	return &smtpConn{client: c, raw: raw, lastUsed: time.Now()}, nil
}

func (s *SMTP) newClient(conn net.Conn) *smtp.Client {
	c := smtp.NewClient(conn)
	c.CommandTimeout = s.timeout
	c.SubmissionTimeout = s.timeout
	return c
}

func (s *SMTP) tlsConfig() *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.tls != nil {
		cfg = s.tls.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = s.target.host
	}
	return cfg
}

// startTLS sends STARTTLS (RFC 3207) on a session go-smtp has greeted and
// returns the encrypted connection. go-smtp v0.25 only offers STARTTLS
// through NewClientStartTLS, which says EHLO with the fixed name
// "localhost"; so the command is sent here, and the caller hands go-smtp
// the TLS connection with a replayed 220 greeting.
func (s *SMTP) startTLS(ctx context.Context, raw net.Conn) (*tls.Conn, error) {
	_ = raw.SetDeadline(time.Now().Add(s.timeout))
	defer func() { _ = raw.SetDeadline(time.Time{}) }()
	if _, err := io.WriteString(raw, "STARTTLS\r\n"); err != nil {
		return nil, fmt.Errorf("STARTTLS to %s: %w", s.target.addr, err)
	}
	// The server sends nothing after its 220 until our ClientHello, so this
	// reader cannot buffer bytes that belong to TLS.
	if _, msg, err := textproto.NewReader(bufio.NewReaderSize(raw, 512)).ReadResponse(220); err != nil {
		var te *textproto.Error
		if errors.As(err, &te) {
			return nil, fmt.Errorf("STARTTLS to %s: %w", s.target.addr, &smtp.SMTPError{Code: te.Code, Message: msg})
		}
		return nil, fmt.Errorf("STARTTLS to %s: %w", s.target.addr, err)
	}
	tc := tls.Client(raw, s.tlsConfig())
	hctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		return nil, fmt.Errorf("TLS handshake with %s after STARTTLS: %w", s.target.addr, err)
	}
	return tc, nil
}

// auth authenticates with PLAIN, or LOGIN when the server only offers that.
// A password never crosses an unencrypted connection except to loopback.
func (s *SMTP) auth(c *smtp.Client, conn net.Conn) error {
	if _, isTLS := conn.(interface{ ConnectionState() tls.ConnectionState }); !isTLS && !isLoopback(s.target.host) {
		return invalidf("%s offers no STARTTLS; refusing to send the password unencrypted", s.target.addr)
	}
	var mech sasl.Client
	switch {
	case c.SupportsAuth(sasl.Plain):
		mech = sasl.NewPlainClient("", s.target.username, s.target.password)
	case c.SupportsAuth(sasl.Login):
		mech = sasl.NewLoginClient(s.target.username, s.target.password)
	default:
		return fmt.Errorf("%s offers neither AUTH PLAIN nor AUTH LOGIN", s.target.addr)
	}
	if err := c.Auth(mech); err != nil {
		return fmt.Errorf("AUTH as %q at %s: %w", s.target.username, s.target.addr, err)
	}
	return nil
}

// greetedConn replays a greeting to go-smtp's client before the real
// connection's bytes, for a session that is already past the greeting.
type greetedConn struct {
	net.Conn
	greeting []byte
}

func (g *greetedConn) Read(p []byte) (int, error) {
	if len(g.greeting) > 0 {
		n := copy(p, g.greeting)
		g.greeting = g.greeting[n:]
		return n, nil
	}
	return g.Conn.Read(p)
}

// stage names the step of a transaction an error came from.
type stage string

const (
	stageMail stage = "MAIL FROM"
	stageRcpt stage = "RCPT TO"
	stageData stage = "DATA"
	stageBody stage = "message body"
	stageEnd  stage = "end of data"
)

// transact sends one message on sc: MAIL, RCPT, DATA, the body and the
// final dot. It returns the stage that failed.
func (s *SMTP) transact(ctx context.Context, sc *smtpConn, env Envelope, raw []byte) (stage, error) {
	stop := context.AfterFunc(ctx, func() { sc.close() })
	defer func() {
		if !stop() {
			sc.broken = true
		}
	}()

	opts := &smtp.MailOptions{Size: int64(len(raw)), UTF8: !isASCII(env.From) || !isASCII(env.To[0])}
	if opts.UTF8 {
		if ok, _ := sc.client.Extension("SMTPUTF8"); !ok {
			return stageMail, invalidf("%s does not support SMTPUTF8, needed for the address %s", s.target.addr, env.To[0])
		}
	}
	if err := sc.client.Mail(env.From, opts); err != nil {
		return stageMail, err
	}
	if err := sc.client.Rcpt(env.To[0], nil); err != nil {
		return stageRcpt, err
	}
	w, err := sc.client.Data()
	if err != nil {
		return stageData, err
	}
	// go-smtp sets no deadline while the body is written.
	_ = sc.raw.SetWriteDeadline(time.Now().Add(s.timeout))
	if _, err := w.Write(raw); err != nil {
		return stageBody, err
	}
	_ = sc.raw.SetWriteDeadline(time.Time{})
	if err := w.Close(); err != nil {
		return stageEnd, err
	}
	return "", nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
