package mailer_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one message the sink accepted.
type received struct {
	From, To string
	Data     []byte
	TLS      bool
	Helo     string
	User     string
}

// sink is an in-process go-smtp server that records what it receives and
// can be told to fail in particular ways.
type sink struct {
	addr string

	// Hooks, set before the first connection. A nil hook accepts.
	mail func(from string) error
	rcpt func(to string) error
	data func(c *smtp.Conn, body []byte) error

	user, password string // when set, AUTH PLAIN is offered and required
	discard        bool   // count nothing, keep nothing (benchmarks)

	mu        sync.Mutex
	trace     bytes.Buffer // the whole protocol exchange, both directions
	msgs      []received
	sessions  int
	inData    int
	maxInData int
}

// sinkSetup is what a sinkOption may change before the sink starts.
type sinkSetup struct {
	srv         *smtp.Server
	implicitTLS bool
}

type sinkOption func(*sinkSetup)

// withTLS makes the sink offer STARTTLS with a fresh self-signed
// certificate for 127.0.0.1, which pool trusts.
func withTLS(t testing.TB, pool *x509.CertPool) sinkOption {
	cert := selfSigned(t)
	pool.AddCert(cert.Leaf)
	return func(s *sinkSetup) { s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}} }
}

// withSMTPUTF8 makes the sink advertise SMTPUTF8 (RFC 6531).
func withSMTPUTF8() sinkOption {
	return func(s *sinkSetup) { s.srv.EnableSMTPUTF8 = true }
}

// withImplicitTLS makes the sink speak TLS from the first byte (smtps);
// combine it with withTLS.
func withImplicitTLS() sinkOption {
	return func(s *sinkSetup) { s.implicitTLS = true }
}

func newSink(t testing.TB, configure func(*sink), opts ...sinkOption) *sink {
	t.Helper()
	s := &sink{}
	if configure != nil {
		configure(s)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.sessions++
		s.mu.Unlock()
		return &sinkSession{sink: s, conn: c}, nil
	}))
	srv.Domain = "sink.test"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.MaxRecipients = 5
	srv.ErrorLog = log.New(io.Discard, "", 0)
	if !s.discard {
		srv.Debug = traceWriter{s}
	}
	setup := &sinkSetup{srv: srv}
	for _, o := range opts {
		o(setup)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if setup.implicitTLS {
		l = tls.NewListener(l, srv.TLSConfig)
	}
	s.addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// url returns an smtp:// URL for the sink with the given query.
func (s *sink) url(query string) string {
	u := "smtp://" + s.addr
	if query != "" {
		u += "?" + query
	}
	return u
}

func (s *sink) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

func (s *sink) sessionCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// traceWriter records the protocol exchange for commandCount.
type traceWriter struct{ s *sink }

func (w traceWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.trace.Write(p)
}

// commandCount counts the client commands named cmd (e.g. "NOOP") the sink
// has seen, on all sessions.
func (s *sink) commandCount(cmd string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, line := range strings.Split(s.trace.String(), "\r\n") {
		if strings.EqualFold(line, cmd) {
			n++
		}
	}
	return n
}

func (s *sink) maxConcurrentData() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInData
}

type sinkSession struct {
	sink     *sink
	conn     *smtp.Conn
	from, to string
	user     string
}

var errAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}

func (ss *sinkSession) AuthMechanisms() []string {
	if ss.sink.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *sinkSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != ss.sink.user || password != ss.sink.password {
			return smtp.ErrAuthFailed
		}
		ss.user = username
		return nil
	}), nil
}

func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.sink.user != "" && ss.user == "" {
		return errAuthRequired
	}
	if ss.sink.mail != nil {
		if err := ss.sink.mail(from); err != nil {
			return err
		}
	}
	ss.from = from
	return nil
}

func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.sink.rcpt != nil {
		if err := ss.sink.rcpt(to); err != nil {
			return err
		}
	}
	ss.to = to
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	s := ss.sink
	if s.discard {
		_, err := io.Copy(io.Discard, r)
		return err
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.inData++
	if s.inData > s.maxInData {
		s.maxInData = s.inData
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inData--
		s.mu.Unlock()
	}()
	if s.data != nil {
		if err := s.data(ss.conn, body); err != nil {
			return err
		}
	}
	_, isTLS := ss.conn.TLSConnectionState()
	s.mu.Lock()
	s.msgs = append(s.msgs, received{From: ss.from, To: ss.to, Data: body, TLS: isTLS, Helo: ss.conn.Hostname(), User: ss.user})
	s.mu.Unlock()
	return nil
}

func (ss *sinkSession) Reset()        { ss.from, ss.to = "", "" }
func (ss *sinkSession) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 valid for an hour.
func selfSigned(t testing.TB) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "sink.test"},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}
