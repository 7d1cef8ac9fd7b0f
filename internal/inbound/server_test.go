package inbound_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/natverk/natverk/internal/inbound"
	"github.com/natverk/natverk/internal/natverk"
)

// nested returns a message whose MIME parts nest depth levels deep.
func nested(depth int) []byte {
	var b strings.Builder
	b.WriteString("From: someone@example.org\r\nTo: rsvp@" + mailDomain + "\r\nSubject: nested\r\nMessage-ID: <nested@example.org>\r\nMIME-Version: 1.0\r\n")
	for i := 0; i < depth; i++ {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\r\n\r\nhej\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return []byte(b.String())
}

// wide returns a message with n sibling parts.
func wide(n int) []byte {
	var b strings.Builder
	b.WriteString("From: someone@example.org\r\nTo: rsvp@" + mailDomain + "\r\nSubject: wide\r\nMessage-ID: <wide@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=w\r\n\r\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "--w\r\nContent-Type: text/plain\r\n\r\npart %d\r\n", i)
	}
	b.WriteString("--w--\r\n")
	return []byte(b.String())
}

func garbage(n int) []byte {
	rnd := rand.New(rand.NewChaCha8([32]byte{1}))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rnd.Uint32())
	}
	return b
}

// TestMalformed sends messages no client should send: each is stored as
// failed (or refused by SMTP), nothing panics, and the server keeps
// serving.
func TestMalformed(t *testing.T) {
	e := newEnv(t, 1)
	_, addr := e.startServer(t, func(s *inbound.Server) { s.MaxMessageBytes = 64 << 10 })
	to := []string{"rsvp@" + mailDomain}
	cases := []struct {
		name   string
		raw    []byte
		reason string
	}{
		{"Garbage", garbage(4096), "unreadable header"},
		{"DecoderPanic", []byte(panicking), "index out of range"},
		{"NestedSixtyDeep", nested(60), "nested deeper than 10"},
		{"SixtyParts", wide(60), "more than 50 MIME parts"},
		{"BrokenBoundary", []byte("From: a@example.org\r\nMessage-ID: <bb@example.org>\r\nContent-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\nx\r\n"), "part"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.inbound(t, natverk.InboundFailed))
			if err := send(addr, "someone@example.org", to, tc.raw); err != nil {
				t.Fatalf("send: %v", err)
			}
			failed := e.inbound(t, natverk.InboundFailed)
			if len(failed) != before+1 {
				t.Fatalf("%d failed messages stored, want %d", len(failed), before+1)
			}
			if !strings.Contains(failed[0].Reason, tc.reason) {
				t.Errorf("reason %q; want it to mention %q", failed[0].Reason, tc.reason)
			}
		})
	}
	t.Run("Oversize", func(t *testing.T) {
		d := e.reply(e.series, e.members[0], -1, "ACCEPTED")
		raw, _ := render(t, "google.reply", d)
		big := append(bytes.Repeat([]byte("X-Padding: "+strings.Repeat("x", 60)+"\r\n"), 1500), raw...)
		err := send(addr, d.From, []string{d.To}, big)
		if smtpCode(err) != 552 {
			t.Fatalf("send %d bytes: %v; want 552", len(big), err)
		}
		// The server still serves, on a new connection.
		if err := send(addr, d.From, []string{d.To}, raw); err != nil {
			t.Fatalf("send after the oversize message: %v", err)
		}
		if got := e.answers(t, e.members[0].ID); len(got) != 1 {
			t.Errorf("answers %+v", got)
		}
	})
}

// TestProcessorMaxBytes stores a message beyond the processor's limit as
// failed, with its bytes cut to the limit.
func TestProcessorMaxBytes(t *testing.T) {
	e := newEnv(t, 1)
	e.proc.MaxBytes = 2048
	d := e.reply(e.series, e.members[0], -1, "ACCEPTED")
	raw, _ := render(t, "google.reply", d)
	status, reason := e.process(t, d.From, []string{d.To}, raw)
	if status != natverk.InboundFailed || !strings.Contains(reason, "larger than 2048") {
		t.Fatalf("%s %q; want failed as too large", status, reason)
	}
	got := e.inbound(t, natverk.InboundFailed)
	if len(got) != 1 || got[0].Size != len(raw) || got[0].To != d.To {
		t.Fatalf("stored %+v; want one failed message of %d bytes to %s", got, len(raw), d.To)
	}
	if kept := e.saved.saved(t, got[0].MessageID).Raw; !bytes.Equal(kept, raw[:2048]) {
		t.Errorf("kept %d bytes, want the first 2048", len(kept))
	}
	if status, _ := e.process(t, d.From, []string{d.To}, nil); status != natverk.InboundFailed {
		t.Errorf("empty message: %s, want failed", status)
	}
}

// TestServerAnswers checks the SMTP replies a sending server gets.
func TestServerAnswers(t *testing.T) {
	e := newEnv(t, 1)
	srv, addr := e.startServer(t, func(s *inbound.Server) { s.MaxRecipients = 2 })
	if got := srv.ListenAddr(); got == nil || got.String() != addr {
		t.Errorf("ListenAddr %v, want %s", got, addr)
	}
	d := e.reply(e.series, e.members[0], -1, "ACCEPTED")
	raw, _ := render(t, "google.reply", d)
	t.Run("OtherDomain", func(t *testing.T) {
		err := send(addr, d.From, []string{"someone@example.org"}, raw)
		var se *smtp.SMTPError
		if smtpCode(err) != 550 || !asSMTP(err, &se) || se.EnhancedCode != (smtp.EnhancedCode{5, 1, 1}) {
			t.Errorf("RCPT outside the domain: %v; want 550 5.1.1", err)
		}
	})
	t.Run("TooManyRecipients", func(t *testing.T) {
		err := send(addr, d.From, []string{"a@" + mailDomain, "b@" + mailDomain, "c@" + mailDomain}, raw)
		if smtpCode(err) != 452 {
			t.Errorf("third RCPT: %v; want 452", err)
		}
	})
	t.Run("StoreDown", func(t *testing.T) {
		broken := *e.proc
		broken.Store = e.closedStore(t)
		_, addr := e.startServer(t, func(s *inbound.Server) { s.Processor = &broken })
		err := send(addr, d.From, []string{d.To}, raw)
		var se *smtp.SMTPError
		if smtpCode(err) != 451 || !asSMTP(err, &se) || se.EnhancedCode != (smtp.EnhancedCode{4, 3, 0}) {
			t.Errorf("store down: %v; want 451 4.3.0 so the sender retries", err)
		}
	})
	t.Run("Refused250", func(t *testing.T) {
		forged := d
		forged.MessageID = "forged@example.net"
		forged.Attendees = []person{{Name: "X", Email: "x@example.net"}}
		forged.From = "x@example.net"
		raw, _ := render(t, "google.reply", forged)
		if err := send(addr, forged.From, []string{forged.To}, raw); err != nil {
			t.Errorf("a refused reply got %v; want 250 (stored, not to be retried)", err)
		}
	})
}

func asSMTP(err error, se **smtp.SMTPError) bool { return errors.As(err, se) }

// TestRateLimit answers 421 4.7.0 to a sender beyond its burst, and
// serves other senders meanwhile.
func TestRateLimit(t *testing.T) {
	e := newEnv(t, 2)
	// One message per thousand seconds: no token comes back during the
	// test, so exactly the burst passes.
	_, addr := e.startServer(t, func(s *inbound.Server) { s.RatePerSender = 0.001; s.RateBurst = 3 })
	m := e.members[0]
	accepted, limited := 0, 0
	for i := 0; i < 5; i++ {
		d := e.reply(e.series, m, i, "ACCEPTED")
		raw, _ := render(t, "thunderbird.reply", d)
		err := send(addr, m.Email, []string{d.To}, raw)
		var se *smtp.SMTPError
		switch {
		case err == nil:
			accepted++
		case smtpCode(err) == 421 && asSMTP(err, &se) && se.EnhancedCode == (smtp.EnhancedCode{4, 7, 0}):
			limited++
		default:
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if accepted != 3 || limited != 2 {
		t.Errorf("accepted %d, rate-limited %d; want 3 and 2", accepted, limited)
	}
	// The sender's address in another case is the same sender.
	d := e.reply(e.series, m, 9, "ACCEPTED")
	raw, _ := render(t, "thunderbird.reply", d)
	if err := send(addr, strings.ToUpper(m.Email), []string{d.To}, raw); smtpCode(err) != 421 {
		t.Errorf("upper-cased sender: %v; want 421", err)
	}
	other := e.members[1]
	d = e.reply(e.series, other, 0, "ACCEPTED")
	raw, _ = render(t, "thunderbird.reply", d)
	if err := send(addr, other.Email, []string{d.To}, raw); err != nil {
		t.Errorf("another sender: %v", err)
	}
	if got := len(e.answers(t, m.ID)); got != 3 {
		t.Errorf("%d answers recorded for the limited sender, want 3", got)
	}
}

// TestBurst delivers 1,000 replies (100 members × 10 meetings) over 10
// concurrent SMTP connections and checks that every one was stored and
// applied.
func TestBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 messages")
	}
	const members, meetings, conns = 100, 10, 10
	e := newEnv(t, members)
	metrics := &counter{}
	e.proc.Metrics = metrics
	_, addr := e.startServer(t, nil)
	type job struct {
		from string
		to   string
		raw  []byte
	}
	fixtures := []string{"google.reply", "outlookmac.reply", "exchange.reply", "apple.reply", "thunderbird.reply"}
	jobs := make(chan job, members*meetings)
	for i, m := range e.members {
		for k := 0; k < meetings; k++ {
			partstat := []string{"ACCEPTED", "DECLINED", "TENTATIVE"}[(i+k)%3]
			d := e.reply(e.series, m, k, partstat)
			raw, _ := render(t, fixtures[(i+k)%len(fixtures)], d)
			jobs <- job{from: m.Email, to: d.To, raw: raw}
		}
	}
	close(jobs)
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for c := 0; c < conns; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl, err := smtp.Dial(addr)
			if err != nil {
				errs <- err
				return
			}
			defer cl.Close()
			for j := range jobs {
				// One connection carries many messages, as a relay's does.
				if err := cl.SendMail(j.from, []string{j.to}, bytes.NewReader(j.raw)); err != nil {
					errs <- fmt.Errorf("send from %s: %w", j.from, err)
					return
				}
			}
			errs <- cl.Quit()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	rs, err := e.store.FindRSVPs(ctxT(t), natverk.RSVPFilter{SeriesID: e.series.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != members*meetings {
		t.Errorf("%d answers recorded, want %d", len(rs), members*meetings)
	}
	if got := metrics.get(natverk.InboundApplied); got != members*meetings {
		t.Errorf("%d messages applied, want %d", got, members*meetings)
	}
	page := e.inbound(t, natverk.InboundApplied)
	if len(page) != natverk.MaxPageSize {
		t.Errorf("FindInbound(applied) returned %d, want a full page of %d", len(page), natverk.MaxPageSize)
	}
	if other := e.inbound(t, ""); len(other) != natverk.MaxPageSize || len(e.inbound(t, natverk.InboundFailed))+len(e.inbound(t, natverk.InboundRefused)) != 0 {
		t.Errorf("messages other than applied were stored")
	}
	e.saved.mu.Lock()
	stored := len(e.saved.byID)
	e.saved.mu.Unlock()
	if stored != members*meetings {
		t.Errorf("%d messages stored, want %d", stored, members*meetings)
	}
}

// TestServeLifecycle covers starting and stopping.
func TestServeLifecycle(t *testing.T) {
	e := newEnv(t, 0)
	if err := (&inbound.Server{Addr: "127.0.0.1:0"}).ListenAndServe(ctxT(t)); err == nil {
		t.Error("serving without a processor succeeded")
	}
	if err := (&inbound.Server{Addr: "256.0.0.1:25", Processor: e.proc}).ListenAndServe(ctxT(t)); err == nil {
		t.Error("listening on a bad address succeeded")
	}
	srv := &inbound.Server{Addr: "127.0.0.1:0", Processor: e.proc}
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(context.Background()) }()
	deadline := time.Now().Add(10 * time.Second)
	for srv.ListenAddr() == nil {
		if time.Now().After(deadline) {
			t.Fatal("the server did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	c, err := net.Dial("tcp", srv.ListenAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	greeting := make([]byte, 256)
	n, _ := c.Read(greeting)
	if !bytes.HasPrefix(greeting[:n], []byte("220 "+mailDomain)) {
		t.Errorf("greeting %q; want 220 %s", greeting[:n], mailDomain)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("serve after close: %v", err)
	}
}
