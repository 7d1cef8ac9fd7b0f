package tests

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/natverk/natverk/internal/smtptest"
	"github.com/natverk/natverk/tests/harness"
)

// TestCrashMidFanOut is issue 10's "crash mid fan-out": kill -9 while the
// invitations go out, restart, and every member has exactly one
// invitation at the sink; a repeat is allowed only for a message in
// flight at the kill (at most the mailer's concurrency), and carries the
// same Message-ID as the first copy.
func TestCrashMidFanOut(t *testing.T) {
	t.Parallel() // mostly waiting: a killed mailer's claims lapse after two minutes
	n := size(1000, 10000)
	t.Run("MailerRole", func(t *testing.T) {
		t.Parallel()
		// Postgres, one NATS server, the api+relay in one process and the
		// mailer in another: the mailer is killed.
		ctx := ctxFor(t, 15*time.Minute)
		nodes := harness.StartNATS(t, 1)
		dsn := postgresURL(t)
		dep := harness.NewDeployment(t, map[string]string{
			"DATABASE_URL": pooled(dsn), "NATS_URL": harness.NATSURLs(nodes), "NATVERK_RETRY_BACKOFF": retryBackoff,
		})
		api := dep.Start("api", "api,relay", nil)
		first := smtptest.Start(t, smtptest.Faults{})
		m := dep.Start("mailer", "mailer", map[string]string{"SMTP_URL": first.URL()})
		second := smtptest.Start(t, smtptest.Faults{})
		reg := fanOut(t, ctx, api.Client(), "crash", n)
		killAt(t, n/3, m, first)
		m.SetEnv("SMTP_URL", second.URL())
		m.Restart()
		waitDelivered(t, n, first, second)
		waitQuiet(t, ctx, api.MetricsURL)
		checkOnce(t, reg, mailerConcurrency, first, second)
		checkOutbox(t, ctx, dsn, nodes, false, api)
	})
	t.Run("WholeProcessEmbedded", func(t *testing.T) {
		t.Parallel()
		// The newcomer's mode: every role, SQLite and the in-process NATS
		// server in one process, killed and restarted on its data
		// directory. The relay dies mid-publish too.
		ctx := ctxFor(t, 15*time.Minute)
		dep := harness.NewDeployment(t, map[string]string{"NATVERK_RETRY_BACKOFF": retryBackoff})
		first := smtptest.Start(t, smtptest.Faults{})
		p := dep.Start("natverk", "api,relay,mailer,calendar", map[string]string{"SMTP_URL": first.URL()})
		reg := fanOut(t, ctx, p.Client(), "whole", n)
		killAt(t, n/3, p, first)
		second := smtptest.Start(t, smtptest.Faults{})
		p.SetEnv("SMTP_URL", second.URL())
		p.Restart()
		waitDelivered(t, n, first, second)
		waitQuiet(t, ctx, p.MetricsURL)
		checkOnce(t, reg, mailerConcurrency, first, second)
		if err := p.Stop(30 * time.Second); err != nil {
			t.Errorf("stop: %v", err)
		}
		checkSQLite(t, ctx, p.Env("NATVERK_DATA")+"/natverk.db")
	})
}

// fanOut imports n members, creates a network and invites them all with
// one call by search.
func fanOut(t *testing.T, ctx context.Context, c *harness.Client, prefix string, n int) harness.Register {
	t.Helper()
	reg := harness.Members(prefix, "Göteborg", n)
	if r, err := c.ImportMembers(ctx, reg.CSV); err != nil || r.Created != n {
		t.Fatalf("import: %+v %v", r, err)
	}
	id, err := c.CreateNetwork(ctx, "Nätverk "+prefix)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := c.InviteTown(ctx, id, "goteborg"); err != nil || r.Invited != n {
		t.Fatalf("invite: %+v %v", r, err)
	}
	return reg
}

// killAt kills p with SIGKILL once the sinks accepted at least count
// messages.
func killAt(t *testing.T, count int, p *harness.Natverk, sinks ...*smtptest.Sink) {
	t.Helper()
	waitUntil(t, 5*time.Minute, 10*time.Millisecond, fmt.Sprintf("%d sent before the kill", count), func() (bool, string) {
		return sinkTotal(sinks...) >= count, fmt.Sprint(sinkTotal(sinks...))
	})
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed %s (SIGKILL) at %d sent", p.Name, sinkTotal(sinks...))
}

// waitDelivered waits until n distinct recipients got mail.
func waitDelivered(t *testing.T, n int, sinks ...*smtptest.Sink) {
	t.Helper()
	start := time.Now()
	waitUntil(t, 10*time.Minute, 250*time.Millisecond, "every invitation sent", func() (bool, string) {
		d := distinctDelivered(t, sinks...)
		return d >= n, fmt.Sprintf("%d of %d recipients", d, n)
	})
	t.Logf("all %d recipients reached %s after the wait began", n, time.Since(start).Round(time.Second))
}

// checkOnce checks the exactly-once promise over the sinks.
func checkOnce(t *testing.T, reg harness.Register, maxExtra int, sinks ...*smtptest.Sink) harness.Tally {
	t.Helper()
	ds, err := harness.Deliveries(sinks...)
	if err != nil {
		t.Fatal(err)
	}
	tally := harness.Count(ds, reg.Emails)
	t.Logf("deliveries: %s", tally)
	if err := tally.Check(maxExtra); err != nil {
		t.Error(err)
	}
	return tally
}
