package tests

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/natverk/natverk/internal/smtptest"
	"github.com/natverk/natverk/tests/harness"
)

// TestSMTPFaults is issue 10's SMTP faults: a relay that answers 451 to
// a fifth of the messages, drops one connection in twenty at the end of
// DATA and answers 550 for a list of addresses. Every other member gets
// the invitation exactly once; the 550s are marked bouncing and counted;
// and a message that is never accepted is given up after its last retry
// instead of retrying forever.
func TestSMTPFaults(t *testing.T) {
	t.Run("FlakyRelay", func(t *testing.T) {
		n := size(300, 2000)
		ctx := ctxFor(t, 10*time.Minute)
		reg := harness.Members("flaky", "Göteborg", n)
		var reject []string
		for i := 9; i < n; i += 30 {
			reject = append(reject, reg.Emails[i])
		}
		sink := smtptest.Start(t, smtptest.Faults{TempRate: 0.20, DropRate: 0.05, Reject: reject, Seed: 10})
		// Up to 11 deliveries: the chance that a message meets a fault
		// on every one (0.25^11) is negligible, so all are delivered.
		dep := harness.NewDeployment(t, map[string]string{"NATVERK_RETRY_BACKOFF": "1s,1s,2s,2s,3s,3s,5s,5s,5s,5s"})
		p := dep.Start("natverk", "api,relay,mailer", map[string]string{"SMTP_URL": sink.URL()})
		c := p.Client()
		if r, err := c.ImportMembers(ctx, reg.CSV); err != nil || r.Created != n {
			t.Fatalf("import: %+v %v", r, err)
		}
		id, err := c.CreateNetwork(ctx, "Opålitlig relä")
		if err != nil {
			t.Fatal(err)
		}
		if r, err := c.InviteTown(ctx, id, "goteborg"); err != nil || r.Invited != n {
			t.Fatalf("invite: %+v %v", r, err)
		}
		accepted := slices.DeleteFunc(slices.Clone(reg.Emails), func(e string) bool { return slices.Contains(reject, e) })
		waitDelivered(t, len(accepted), sink)
		waitQuiet(t, ctx, p.MetricsURL)
		checkOnce(t, harness.Register{Emails: accepted}, 0, sink)
		sessions, deferred, dropped, rejected := sink.Stats()
		t.Logf("sink: %d sessions, %d answered 451, %d dropped, %d answered 550", sessions, deferred, dropped, rejected)
		if deferred == 0 || dropped == 0 {
			t.Fatalf("the faults did not happen: %d deferred, %d dropped", deferred, dropped)
		}
		if rejected != len(reject) {
			t.Errorf("the sink refused %d RCPTs, want %d (each bouncing address tried once)", rejected, len(reject))
		}

		s, err := harness.Scrape(ctx, p.MetricsURL)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []struct {
			result string
			n      int
		}{{"sent", len(accepted)}, {"bounced", len(reject)}, {"deferred", deferred + dropped}} {
			if got := harness.Sum(s, "natverk_mail_total", map[string]string{"result": want.result}); int(got) != want.n {
				t.Errorf("natverk_mail_total{result=%q} = %v, want %d", want.result, got, want.n)
			}
		}

		// The bounced members are marked, and the others are not.
		members, err := c.AllMembers(ctx, "goteborg")
		if err != nil || len(members) != n {
			t.Fatalf("members: %d %v", len(members), err)
		}
		bouncing := 0
		for _, m := range members {
			if !slices.Contains(reject, m.Email) {
				continue
			}
			got, err := c.Member(ctx, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Bouncing || !strings.Contains(got.BounceReason, "550") {
				t.Errorf("member %s: bouncing %v (%q), want bouncing with the 550", got.Email, got.Bouncing, got.BounceReason)
			}
			bouncing++
		}
		if first, err := c.Member(ctx, members[0].ID); err != nil || first.Bouncing {
			t.Errorf("member %s, delivered, is marked bouncing (%v)", first.Email, err)
		}
		if bouncing != len(reject) {
			t.Errorf("found %d of the %d refused addresses in the directory", bouncing, len(reject))
		}
		if dl, err := c.DeadLetters(ctx); err != nil || len(dl) != 0 {
			t.Errorf("dead letters: %d %v, want none", len(dl), err)
		}
	})

	t.Run("NeverAccepted", func(t *testing.T) {
		// A relay that defers everything: each message is tried once per
		// delivery (3), recorded failed, and dead-lettered with the 451.
		ctx := ctxFor(t, 5*time.Minute)
		sink := smtptest.Start(t, smtptest.Faults{TempRate: 1})
		dep := harness.NewDeployment(t, map[string]string{"NATVERK_RETRY_BACKOFF": "500ms,500ms"})
		p := dep.Start("natverk", "api,relay,mailer", map[string]string{"SMTP_URL": sink.URL()})
		c := p.Client()
		const n = 4
		reg := harness.Members("never", "Göteborg", n)
		if _, err := c.ImportMembers(ctx, reg.CSV); err != nil {
			t.Fatal(err)
		}
		id, err := c.CreateNetwork(ctx, "Aldrig fram")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.InviteTown(ctx, id, "goteborg"); err != nil {
			t.Fatal(err)
		}
		var dl []harness.DeadLetter
		waitUntil(t, 2*time.Minute, 200*time.Millisecond, "every invitation dead-lettered", func() (bool, string) {
			dl, err = c.DeadLetters(ctx)
			return err == nil && len(dl) == n, fmt.Sprintf("%d dead letters, %v", len(dl), err)
		})
		for _, d := range dl {
			if d.Consumer != "mailer" || d.Subject != "natverk.member.invited" || d.Deliveries != 3 || !strings.Contains(d.Reason, "451") {
				t.Errorf("dead letter %+v: want consumer mailer, natverk.member.invited, 3 deliveries, the 451 as reason", d)
			}
		}
		_, deferred, _, _ := sink.Stats()
		if deferred != 3*n || sink.Count() != 0 {
			t.Errorf("the sink deferred %d and accepted %d, want %d and 0", deferred, sink.Count(), 3*n)
		}
		failed, err := c.Mail(ctx, "failed")
		if err != nil {
			t.Fatal(err)
		}
		if len(failed) != n {
			t.Fatalf("%d mail records failed, want %d", len(failed), n)
		}
		for _, m := range failed {
			if !strings.Contains(m.Error, "gave up") || m.Code != 451 {
				t.Errorf("mail record %s: %q (code %d), want the 451 given up", m.Key, m.Error, m.Code)
			}
		}
		// Nothing more is tried once given up.
		time.Sleep(3 * time.Second)
		if _, d, _, _ := sink.Stats(); d != deferred {
			t.Errorf("still retrying: %d attempts, then %d", deferred, d)
		}
	})
}
