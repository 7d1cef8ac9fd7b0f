package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/sqlite"
	"github.com/natverk/natverk/internal/storetest"
)

// MustOpenDB opens a fresh, migrated database in a temporary directory.
func MustOpenDB(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "natverk.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) natverk.Store { return MustOpenDB(tb) })
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "natverk.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	in, _ := natverk.MemberInput{Email: "a@example.org", Name: "A"}.Normalize()
	if _, err := db.ImportMembers(context.Background(), []natverk.ImportRow{{Row: 2, MemberInput: in}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.FindMemberByEmail(context.Background(), "a@example.org"); err != nil {
		t.Fatal(err)
	}
	st, err := db.MigrationStatus(context.Background())
	if err != nil || len(st) == 0 || !st[0].Applied {
		t.Fatalf("status = %+v %v", st, err)
	}
}
