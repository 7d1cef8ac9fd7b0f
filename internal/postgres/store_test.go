package postgres_test

import (
	"context"
	"testing"

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
