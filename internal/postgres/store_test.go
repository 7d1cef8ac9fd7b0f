package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/pgtest"
	"github.com/natverk/natverk/internal/postgres"
	"github.com/natverk/natverk/internal/storetest"
)

// MustOpenDB opens a migrated store on a fresh schema of the test
// database; it is closed and the schema dropped when the test ends.
func MustOpenDB(tb testing.TB, opts ...postgres.Option) *postgres.DB {
	tb.Helper()
	return MustOpenURL(tb, pgtest.Fresh(tb), opts...)
}

// MustOpenURL opens a store on url, closed when the test ends.
func MustOpenURL(tb testing.TB, url string, opts ...postgres.Option) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), url, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) natverk.Store { return MustOpenDB(tb) })
}

// TestNowAndUTC checks that writes take their time from DB.Now and that
// times read back are in UTC, with microseconds kept.
func TestNowAndUTC(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	fixed := time.Date(2027, 5, 17, 9, 30, 15, 123456789, time.FixedZone("CEST", 2*3600))
	db.Now = func() time.Time { return fixed }
	want := fixed.UTC().Truncate(time.Microsecond)
	in, _ := natverk.NetworkInput{Name: "Tid"}.Normalize(func(string) error { return nil })
	n, err := db.CreateNetwork(ctx, in, "tok")
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.FindNetworkByID(ctx, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.CreatedAt.Equal(want) || got.CreatedAt.Location() != time.UTC {
		t.Fatalf("created_at = %v, want %v in UTC", got.CreatedAt, want)
	}
	evs, err := db.PendingOutbox(ctx, 10)
	if err != nil || len(evs) != 1 || !evs[0].Event.OccurredAt.Equal(fixed.UTC()) {
		t.Fatalf("event = %+v %v, want one at %v", evs, err, fixed)
	}
}
