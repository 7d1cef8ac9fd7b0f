package inbound_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/natverk/natverk/internal/inbound"
	"github.com/natverk/natverk/internal/natverk"
)

// imapFixture is an in-process IMAP server (go-imap's imapmemserver)
// holding one account, reachable over TLS or STARTTLS with a certificate
// the test trusts.
type imapFixture struct {
	user      *imapmemserver.User
	wire      *syncBuffer // what the server read and wrote
	addr      string
	clientTLS *tls.Config
	implicit  bool
}

const (
	imapUser     = "rsvp@kalender.example.se"
	imapPassword = "hemligt lösen/1"
)

// startIMAP starts the server. withMove false leaves out IMAP4rev2 and
// MOVE, so clients fall back to COPY, STORE \Deleted and EXPUNGE.
func startIMAP(t *testing.T, implicitTLS, withMove bool) *imapFixture {
	t.Helper()
	serverTLS, clientTLS := testCertificates(t)
	mem := imapmemserver.New()
	user := imapmemserver.NewUser(imapUser, imapPassword)
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	wire := &syncBuffer{}
	caps := imap.CapSet{imap.CapIMAP4rev1: {}}
	if withMove {
		caps[imap.CapIMAP4rev2] = struct{}{}
	}
	opts := &imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:        caps,
		Logger:      testLogger{t},
		DebugWriter: wire,
	}
	if !implicitTLS {
		opts.TLSConfig = serverTLS
	}
	srv := imapserver.New(opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if implicitTLS {
		ln = tls.NewListener(ln, serverTLS)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &imapFixture{user: user, wire: wire, addr: addr, clientTLS: clientTLS, implicit: implicitTLS}
}

type testLogger struct{ t *testing.T }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func (l testLogger) Printf(format string, args ...any) { l.t.Logf("imapserver: "+format, args...) }

func (f *imapFixture) url() string {
	scheme := "imap"
	if f.implicit {
		scheme = "imaps"
	}
	u := url.URL{Scheme: scheme, User: url.UserPassword(imapUser, imapPassword), Host: f.addr, Path: "/INBOX"}
	return u.String()
}

type literal struct{ *bytes.Reader }

func (l literal) Size() int64 { return int64(l.Len()) }

func (f *imapFixture) deliver(t *testing.T, raw []byte) {
	t.Helper()
	if _, err := f.user.Append("INBOX", literal{bytes.NewReader(raw)}, &imap.AppendOptions{Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
}

// count returns the number of messages in a mailbox, as a client sees it.
func (f *imapFixture) count(t *testing.T, mailbox string) uint32 {
	t.Helper()
	st, err := f.user.Status(mailbox, &imap.StatusOptions{NumMessages: true})
	if err != nil {
		t.Fatalf("status %s: %v", mailbox, err)
	}
	return *st.NumMessages
}

func (f *imapFixture) countOrZero(mailbox string) uint32 {
	st, err := f.user.Status(mailbox, &imap.StatusOptions{NumMessages: true})
	if err != nil {
		return 0
	}
	return *st.NumMessages
}

// testCertificates makes a self-signed certificate for 127.0.0.1.
func testCertificates(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "imap.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool}
}

// TestPoller delivers a reply, a forged reply, a human answer and garbage
// to the mailbox, polls once, and checks what was recorded and where each
// message went: over implicit TLS with MOVE, and over STARTTLS on a server
// without MOVE (COPY, STORE \Deleted, EXPUNGE).
func TestPoller(t *testing.T) {
	for _, tc := range []struct {
		name              string
		implicit, hasMove bool
	}{
		{name: "IMAPSWithMove", implicit: true, hasMove: true},
		{name: "STARTTLSWithoutMove", implicit: false, hasMove: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, 3)
			srv := startIMAP(t, tc.implicit, tc.hasMove)
			good := e.reply(e.series, e.members[0], 2, "ACCEPTED")
			raw, _ := render(t, "google.reply", good)
			// A catch-all mailbox keeps the envelope recipient here.
			srv.deliver(t, append([]byte("Delivered-To: "+good.To+"\r\n"), raw...))
			forged := e.reply(e.series, e.members[1], 2, "DECLINED")
			forged.Attendees = []person{{Name: "Någon Annan", Email: "nagon.annan@example.net"}}
			forged.From = "nagon.annan@example.net"
			raw, _ = render(t, "thunderbird.reply", forged)
			srv.deliver(t, raw)
			human := e.reply(e.series, e.members[2], -1, "")
			human.MessageID = "human-1@example.org"
			raw, _ = render(t, "human", human)
			srv.deliver(t, raw)
			srv.deliver(t, []byte(panicking))

			p := &inbound.Poller{URL: srv.url(), Processor: e.proc, TLSConfig: srv.clientTLS}
			n, err := p.Poll(ctxT(t))
			if err != nil {
				t.Fatalf("poll: %v", err)
			}
			if n != 4 {
				t.Errorf("processed %d messages, want 4", n)
			}
			for mailbox, want := range map[string]uint32{"INBOX": 0, "Natverk/Done": 2, "Natverk/Failed": 2} {
				if got := srv.count(t, mailbox); got != want {
					t.Errorf("%s holds %d messages, want %d", mailbox, got, want)
				}
			}
			got := e.answers(t, e.members[0].ID)
			if len(got) != 1 || got[0].Answer != natverk.AnswerYes || got[0].Source != natverk.SourceIMAP || !got[0].Occurrence.Equal(*good.Occurrence) {
				t.Errorf("answers %+v; want one ACCEPTED from imap for %v", got, good.Occurrence)
			}
			if got := e.answers(t, e.members[1].ID); len(got) != 0 {
				t.Errorf("the forged reply was recorded: %+v", got)
			}
			for id, want := range map[string]string{good.MessageID: natverk.InboundApplied, forged.MessageID: natverk.InboundRefused, human.MessageID: natverk.InboundOther} {
				if got := e.saved.saved(t, id); got.Status != want {
					t.Errorf("<%s> stored %s (%s), want %s", id, got.Status, got.Reason, want)
				}
			}
			if got := e.inbound(t, natverk.InboundFailed); len(got) != 1 {
				t.Errorf("%d failed messages stored, want 1 (the garbage)", len(got))
			}
			wire := srv.wire.String()
			moved, copied := strings.Contains(wire, "UID MOVE "), strings.Contains(wire, "UID COPY ")
			if moved != tc.hasMove || copied == tc.hasMove {
				t.Errorf("UID MOVE used: %v, UID COPY used: %v; want MOVE only when the server has it", moved, copied)
			}
			// A second poll finds nothing new.
			if n, err := p.Poll(ctxT(t)); err != nil || n != 0 {
				t.Errorf("second poll: %d, %v; want 0, nil", n, err)
			}
		})
	}
}

// TestPollerStoreDown leaves a message in the mailbox, unseen, when the
// store cannot record it, and processes it at a later poll.
func TestPollerStoreDown(t *testing.T) {
	e := newEnv(t, 1)
	srv := startIMAP(t, true, true)
	d := e.reply(e.series, e.members[0], -1, "ACCEPTED")
	raw, _ := render(t, "apple.reply", d)
	srv.deliver(t, raw)
	broken := *e.proc
	broken.Store = e.closedStore(t)
	p := &inbound.Poller{URL: srv.url(), Processor: &broken, TLSConfig: srv.clientTLS}
	if _, err := p.Poll(ctxT(t)); err == nil {
		t.Fatal("poll with the store down succeeded")
	}
	if got := srv.count(t, "INBOX"); got != 1 {
		t.Fatalf("INBOX holds %d messages after a failed poll, want 1", got)
	}
	p.Processor = e.proc
	if n, err := p.Poll(ctxT(t)); err != nil || n != 1 {
		t.Fatalf("poll after recovery: %d, %v", n, err)
	}
	if got := e.answers(t, e.members[0].ID); len(got) != 1 || got[0].Answer != natverk.AnswerYes {
		t.Errorf("answers after recovery: %+v", got)
	}
}

// TestPollerRun runs the poller until its context ends.
func TestPollerRun(t *testing.T) {
	e := newEnv(t, 2)
	srv := startIMAP(t, false, true)
	p := &inbound.Poller{URL: srv.url(), Processor: e.proc, TLSConfig: srv.clientTLS, Every: 20 * time.Millisecond,
		DoneFolder: "Arkiv/Klart", FailedFolder: "Arkiv/Fel"}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	for i, m := range e.members {
		raw, _ := render(t, "exchange.reply", e.reply(e.series, m, i, "TENTATIVE"))
		srv.deliver(t, raw)
	}
	deadline := time.Now().Add(30 * time.Second)
	for srv.countOrZero("Arkiv/Klart") < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the poller did not process the messages")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
	for _, m := range e.members {
		if got := e.answers(t, m.ID); len(got) != 1 || got[0].Answer != natverk.AnswerMaybe {
			t.Errorf("member %d answers %+v", m.ID, got)
		}
	}
}

// TestPollerConfig refuses unusable URLs and bad credentials clearly.
func TestPollerConfig(t *testing.T) {
	e := newEnv(t, 0)
	srv := startIMAP(t, true, true)
	wrong := url.URL{Scheme: "imaps", User: url.UserPassword(imapUser, "fel"), Host: srv.addr}
	for _, tc := range []struct{ name, url string }{
		{"Scheme", "pop3://u:p@example.org/INBOX"},
		{"NoHost", "imaps://u:p@/INBOX"},
		{"NoUser", "imaps://example.org/INBOX"},
		{"Unparsable", "imaps://u:p@exa mple.org/%zz"},
		{"WrongPassword", wrong.String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &inbound.Poller{URL: tc.url, Processor: e.proc, TLSConfig: srv.clientTLS}
			if _, err := p.Poll(ctxT(t)); err == nil {
				t.Errorf("poll %s succeeded", tc.url)
			} else if !strings.HasPrefix(err.Error(), "inbound: IMAP") {
				t.Errorf("error %q does not say what failed", err)
			}
		})
	}
	if err := (&inbound.Poller{URL: "pop3://x"}).Run(ctxT(t)); err == nil {
		t.Error("run with a bad URL returned nil")
	}
}
