package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/wneessen/go-mail"
)

// goMailMessage builds one go-mail message of about size bytes on the
// wire: a plain-text body of ASCII lines, which quoted-printable leaves as
// it is. go-mail's Send writes into the message (its send status), so
// each connection needs its own copy: call it once per connection.
func goMailMessage(size int) (*mail.Msg, int, error) {
	build := func(body int) (*mail.Msg, int, error) {
		m := mail.NewMsg(mail.WithNoDefaultUserAgent())
		if err := m.From("bounces@natverk.localhost"); err != nil {
			return nil, 0, err
		}
		if err := m.To("m1@medlem.example.org"); err != nil {
			return nil, 0, err
		}
		m.Subject("Inbjudan: Nätverksmöte")
		line := strings.Repeat("x", 70) + "\r\n"
		var b strings.Builder
		for b.Len()+len(line) <= body {
			b.WriteString(line)
		}
		b.WriteString(strings.Repeat("y", max(body-b.Len(), 0)))
		m.SetBodyString(mail.TypeTextPlain, b.String())
		var buf bytes.Buffer
		if _, err := m.WriteTo(&buf); err != nil {
			return nil, 0, err
		}
		return m, buf.Len(), nil
	}
	body := size
	var m *mail.Msg
	var got int
	var err error
	for range 3 {
		if m, got, err = build(body); err != nil {
			return nil, 0, err
		}
		if got == size {
			break
		}
		body += size - got
	}
	return m, got, nil
}

// goMailLoop sends count messages to 127.0.0.1:port over conns go-mail
// clients, each dialled once and reused and sending its own pre-built
// message (msgs[i]) again and again: the plainest way to send with
// go-mail (its Client sends a NOOP before each Send by default).
func goMailLoop(ctx context.Context, port, count int, msgs []*mail.Msg) error {
	conns := len(msgs)
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for i := range conns {
		n := count / conns
		if i < count%conns {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := mail.NewClient("127.0.0.1", mail.WithPort(port), mail.WithTLSPolicy(mail.NoTLS), mail.WithHELO("natverk.localhost"))
			if err != nil {
				errs <- err
				return
			}
			if err := c.DialWithContext(ctx); err != nil {
				errs <- fmt.Errorf("go-mail dial: %w", err)
				return
			}
			defer c.Close()
			for range n {
				if err := c.Send(msgs[i]); err != nil {
					// The sink exits at its last message; anything before
					// that is a failure.
					errs <- fmt.Errorf("go-mail send: %w", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}
