package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"
	"github.com/natverk/natverk/internal/natverk"
)

func TestStoreErr(t *testing.T) {
	pg := func(code string) error { return &pgconn.PgError{Severity: "ERROR", Code: code, Message: "x"} }
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"Nil", nil, ""},
		{"Unique", pg("23505"), natverk.ECONFLICT},
		{"ForeignKey", fmt.Errorf("wrapped: %w", pg("23503")), natverk.ECONFLICT},
		{"NotNull", pg("23502"), natverk.EINTERNAL},
		{"Syntax", pg("42601"), natverk.EINTERNAL},
		{"AdminShutdown", pg("57P01"), natverk.EUNAVAILABLE},
		{"CannotConnectNow", pg("57P03"), natverk.EUNAVAILABLE},
		{"ConnectionFailure", pg("08006"), natverk.EUNAVAILABLE},
		{"TooManyConnections", pg("53300"), natverk.EUNAVAILABLE},
		{"Deadlock", pg("40P01"), natverk.EUNAVAILABLE},
		{"SerializationFailure", pg("40001"), natverk.EUNAVAILABLE},
		{"ConnectionLost", io.ErrUnexpectedEOF, natverk.EUNAVAILABLE},
		{"ClosedPool", puddle.ErrClosedPool, natverk.EUNAVAILABLE},
		{"Canceled", context.Canceled, natverk.EINTERNAL},
		{"AppError", natverk.Errorf(natverk.ENOTFOUND, "x"), natverk.ENOTFOUND},
		{"Other", errors.New("boom"), natverk.EINTERNAL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := storeErr("op", tc.err)
			if got := natverk.ErrorCode(err); got != tc.want {
				t.Fatalf("code = %q (%v), want %q", got, err, tc.want)
			}
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Errorf("%v does not wrap the driver error", err)
			}
		})
	}
}

// TestUnreachable opens a store on a closed port: Open (migrating) and
// Ping report EUNAVAILABLE, not an internal error.
func TestUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const url = "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2"
	_, err := Open(ctx, url)
	if got := natverk.ErrorCode(err); got != natverk.EUNAVAILABLE {
		t.Fatalf("Open: code %q (%v), want unavailable", got, err)
	}
	db, err := Open(ctx, url, WithoutMigrate())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := natverk.ErrorCode(db.Ping(ctx)); got != natverk.EUNAVAILABLE {
		t.Fatalf("Ping: code %q, want unavailable", got)
	}
	_, err = db.FindMemberByID(ctx, 1)
	if got := natverk.ErrorCode(err); got != natverk.EUNAVAILABLE {
		t.Fatalf("FindMemberByID: code %q (%v), want unavailable", got, err)
	}
}

func TestOpenBadURL(t *testing.T) {
	_, err := Open(context.Background(), "postgres://h/db?pool_max_conns=lots")
	if err == nil {
		t.Fatal("Open accepted pool_max_conns=lots")
	}
}

func TestBackoff(t *testing.T) {
	b := backoff{min: 100 * time.Millisecond, max: time.Second}
	var got []time.Duration
	for f := 1; f <= 6; f++ {
		got = append(got, b.delay(f))
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("delays = %v, want %v", got, want)
		}
	}
}
