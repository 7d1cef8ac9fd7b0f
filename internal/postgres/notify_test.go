package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/pgtest"
	"github.com/natverk/natverk/internal/postgres"
)

// waitSignal waits for a value on ch; it fails the test on timeout or if
// ch is closed.
func waitSignal(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatalf("%s: channel closed", what)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no signal within 10s", what)
	}
}

// drainSignals empties ch of signals already sent.
func drainSignals(ch <-chan struct{}) {
	for {
		select {
		case <-ch:
		case <-time.After(200 * time.Millisecond):
			return
		}
	}
}

func importOne(t *testing.T, db *postgres.DB, email string) {
	t.Helper()
	in, err := natverk.MemberInput{Email: email, Name: "N"}.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportMembers(context.Background(), []natverk.ImportRow{{Row: 2, MemberInput: in}}); err != nil {
		t.Fatal(err)
	}
}

// TestOutboxNotifyAcrossProcesses writes events through one store and
// expects the LISTEN of another store on the same database to signal,
// also after its connection was killed.
func TestOutboxNotifyAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	url := pgtest.Fresh(t)
	app := fmt.Sprintf("natverk-listen-%d", time.Now().UnixNano())
	writer := MustOpenURL(t, url)
	listener := MustOpenURL(t, url+"&application_name="+app, postgres.WithoutMigrate())

	ch := listener.OutboxNotify()
	waitSignal(t, ch, "listening") // the listener signals once it listens
	drainSignals(ch)
	importOne(t, writer, "a@example.org")
	waitSignal(t, ch, "NOTIFY after commit")

	// Kill the listening connection: it reconnects, signals, and hears
	// the next commit.
	admin, err := pgx.Connect(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var killed int
	if err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed == 0 {
		t.Fatal("no listening connection found")
	}
	waitSignal(t, ch, "reconnected")
	if err := waitListening(ctx, admin, app); err != nil {
		t.Fatal(err)
	}
	drainSignals(ch)
	importOne(t, writer, "b@example.org")
	waitSignal(t, ch, "NOTIFY after reconnect")
}

// waitListening waits until a connection named app is back.
func waitListening(ctx context.Context, admin *pgx.Conn, app string) error {
	for range 100 {
		var n int
		if err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("connection %s did not come back", app)
}

// TestOutboxNotifyFailedChange checks that a change that fails (here on a
// unique violation) writes no event and signals nobody.
func TestOutboxNotifyFailedChange(t *testing.T) {
	ctx := context.Background()
	url := pgtest.Fresh(t)
	writer := MustOpenURL(t, url)
	listener := MustOpenURL(t, url, postgres.WithoutMigrate())
	importOne(t, writer, "a@example.org")
	importOne(t, writer, "b@example.org")
	ch := listener.OutboxNotify()
	waitSignal(t, ch, "listening")
	drainSignals(ch)
	b, err := writer.FindMemberByEmail(ctx, "b@example.org")
	if err != nil {
		t.Fatal(err)
	}
	taken := "a@example.org"
	if _, err := writer.UpdateMember(ctx, b.ID, natverk.MemberUpdate{Email: &taken}); natverk.ErrorCode(err) != natverk.ECONFLICT {
		t.Fatalf("update to a taken address: %v", err)
	}
	select {
	case <-ch:
		t.Fatal("signalled for a change that failed")
	case <-time.After(500 * time.Millisecond):
	}
	n, _, err := writer.OutboxStats(ctx)
	if err != nil || n != 2 {
		t.Fatalf("outbox holds %d events (%v), want the 2 imports", n, err)
	}
}

func TestCloseClosesNotify(t *testing.T) {
	for _, tc := range []struct {
		name   string
		listen bool
	}{{"Listening", true}, {"NeverListened", false}} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := postgres.Open(context.Background(), pgtest.Fresh(t))
			if err != nil {
				t.Fatal(err)
			}
			var ch <-chan struct{}
			if tc.listen {
				ch = db.OutboxNotify()
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			if !tc.listen {
				ch = db.OutboxNotify()
			}
			for {
				select {
				case _, ok := <-ch:
					if !ok {
						return
					}
				case <-time.After(5 * time.Second):
					t.Fatal("channel not closed by Close")
				}
			}
		})
	}
}
