package tests

import (
	"bytes"
	"context"
	"io"
	"mime"
	"os"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/natverk/natverk/internal/icaltest"
	"github.com/natverk/natverk/internal/pgtest"
	"github.com/natverk/natverk/internal/smtptest"
	"github.com/natverk/natverk/tests/harness"
)

// longRun reports whether the full-size and long tests run
// (NATVERK_LONG=1, as scripts/test-long sets it).
func longRun() bool { return os.Getenv("NATVERK_LONG") == "1" }

// size picks the quick or the full size of a test.
func size(quick, full int) int {
	if longRun() {
		return full
	}
	return quick
}

// needLong skips a test that only scripts/test-long runs.
func needLong(t *testing.T) {
	t.Helper()
	if !longRun() {
		t.Skip("a long test: run it with NATVERK_LONG=1 (scripts/test-long)")
	}
}

// postgresURL is a fresh schema on the test Postgres.
func postgresURL(t *testing.T) string {
	t.Helper()
	return pgtest.Fresh(t)
}

// pooled limits a process's connections, so that several processes
// share the test server's 100.
func pooled(dsn string) string { return dsn + "&pool_max_conns=8" }

// retryBackoff keeps retries short in tests (the default waits up to ten
// minutes) while leaving enough deliveries to outlast a crashed mailer's
// claim on a message (2 minutes).
const retryBackoff = "1s,2s,5s,10s,15s,30s,30s,30s,30s"

// waitUntil polls cond until it reports done, failing after timeout with
// the last status.
func waitUntil(t *testing.T, timeout, every time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		done, status := cond()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not done after %s: %s", what, timeout, status)
		}
		time.Sleep(every)
	}
}

// ctxFor returns a context for one step of a test.
func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// checkInvitation checks one accepted message: an iMIP REQUEST whose
// calendar passes icalcheck.
func checkInvitation(t *testing.T, m smtptest.Message) {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("invitation to %v: %v", m.To, err)
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("invitation to %v: %v", m.To, err)
		}
		ct, params, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if ct == "text/calendar" {
			if params["method"] != "REQUEST" {
				t.Errorf("invitation to %v: method %q", m.To, params["method"])
			}
			b, _ := io.ReadAll(p.Body)
			icaltest.Check(t, b)
			return
		}
	}
	t.Errorf("invitation to %v has no text/calendar part", m.To)
}

// sinkTotal counts what the sinks accepted.
func sinkTotal(sinks ...*smtptest.Sink) int {
	n := 0
	for _, s := range sinks {
		n += s.Count()
	}
	return n
}

// distinctDelivered counts distinct recipients across the sinks.
func distinctDelivered(t *testing.T, sinks ...*smtptest.Sink) int {
	t.Helper()
	ds, err := harness.Deliveries(sinks...)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, d := range ds {
		seen[d.To] = true
	}
	return len(seen)
}

// checkSQLite checks a stopped embedded store: the file is sound and
// every outbox event was published.
func checkSQLite(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	checkIntegrity(t, ctx, path)
	left, err := harness.SQLiteInt(ctx, path, "SELECT count(*) FROM outbox WHERE published_at IS NULL")
	if err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d outbox events left unpublished", left)
	}
}

// checkIntegrity runs PRAGMA integrity_check on a stopped embedded store.
func checkIntegrity(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	res, err := harness.IntegrityCheck(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if res != "ok" {
		t.Errorf("PRAGMA integrity_check: %s", res)
	}
}
