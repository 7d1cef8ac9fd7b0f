package mailer_test

import (
	"testing"
	"time"

	"github.com/natverk/natverk/mailer"
)

// BenchmarkCompose renders one Swedish invitation with its calendar: both
// templates, go-mail's MIME writer, no signature.
func BenchmarkCompose(b *testing.B) {
	c := newComposer(b, mailer.ComposerOptions{})
	m := testMessage(b, mailer.Invitation, "sv")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Compose(m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkComposeDKIM adds the go-msgauth signature (relaxed/relaxed).
func BenchmarkComposeDKIM(b *testing.B) {
	keys := newDKIMKeys(b)
	for _, cfg := range []struct {
		name string
		dkim *mailer.DKIM
	}{{"rsa2048", keys.rsa}, {"ed25519", keys.ed}} {
		b.Run(cfg.name, func(b *testing.B) {
			c := newComposer(b, mailer.ComposerOptions{DKIM: cfg.dkim})
			m := testMessage(b, mailer.Invitation, "sv")
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Compose(m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSMTPSend sends a composed invitation to an in-process go-smtp
// server over a pool of 16 reused connections, from parallel goroutines.
func BenchmarkSMTPSend(b *testing.B) {
	s := newSink(b, func(s *sink) { s.discard = true })
	sender := newSMTP(b, s.url(""), mailer.SMTPOptions{Pool: 16, Timeout: 10 * time.Second})
	c := newComposer(b, mailer.ComposerOptions{})
	m := testMessage(b, mailer.Invitation, "sv")
	raw, err := c.Compose(m)
	if err != nil {
		b.Fatal(err)
	}
	env := mailer.Envelope{From: bounceAddress, To: []string{m.To.Email}}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	b.SetParallelism(16) // at least 16 senders, so every pooled connection is busy
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := sender.Send(b.Context(), env, raw); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(sender.Sessions()), "sessions")
}
