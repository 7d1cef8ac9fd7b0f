package postgres_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/natverk/natverk/internal/pgtest"
	"github.com/natverk/natverk/internal/postgres"
)

// TestMigrateConcurrentOpen opens four stores on one empty schema at once:
// the advisory lock makes them migrate one after the other, so every Open
// succeeds and each migration is applied once.
func TestMigrateConcurrentOpen(t *testing.T) {
	url := pgtest.Fresh(t)
	ctx := context.Background()
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	dbs := make([]*postgres.DB, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dbs[i], errs[i] = postgres.Open(ctx, url)
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("open %d: %v", i, errs[i])
			continue
		}
		defer dbs[i].Close()
	}
	if t.Failed() {
		t.FailNow()
	}
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migration files: %v %v", files, err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var rows, distinct int
	if err := conn.QueryRow(ctx, `SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != len(files) || distinct != len(files) {
		t.Fatalf("schema_migrations has %d rows (%d versions), want %d", rows, distinct, len(files))
	}
	// Every store works on the migrated schema.
	for i, db := range dbs {
		if err := db.Ping(ctx); err != nil {
			t.Errorf("store %d: %v", i, err)
		}
		if _, _, err := db.OutboxStats(ctx); err != nil {
			t.Errorf("store %d: %v", i, err)
		}
	}
}

func TestMigrationStatus(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t, postgres.WithoutMigrate())
	fixed := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return fixed }
	st, err := db.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) == 0 || st[0].Version != "0001_init.sql" {
		t.Fatalf("status = %+v, want 0001_init.sql first", st)
	}
	for _, m := range st {
		if m.Applied || !m.AppliedAt.IsZero() {
			t.Fatalf("before Migrate: %+v", m)
		}
	}
	for range 2 { // the second run finds everything applied
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		st, err = db.MigrationStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range st {
			if !m.Applied || !m.AppliedAt.Equal(fixed) {
				t.Fatalf("after Migrate: %+v", m)
			}
		}
	}
}

// TestMigrationsAreNotDestructive keeps DROP, TRUNCATE and DELETE out of
// the migration files: a migration never loses data.
func TestMigrationsAreNotDestructive(t *testing.T) {
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migration files: %v %v", files, err)
	}
	comment := regexp.MustCompile(`--[^\n]*`)
	bad := regexp.MustCompile(`(?i)\b(drop|truncate|delete)\b`)
	name := regexp.MustCompile(`^\d{4}_[a-z0-9_]+\.sql$`)
	for _, f := range files {
		if !name.MatchString(filepath.Base(f)) {
			t.Errorf("%s: migration files are named NNNN_name.sql", f)
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := bad.FindString(comment.ReplaceAllString(line, "")); m != "" {
				t.Errorf("%s:%d: destructive statement %q", f, i+1, m)
			}
		}
	}
}

func TestPoolSize(t *testing.T) {
	url := pgtest.Fresh(t)
	for _, tc := range []struct {
		name string
		url  string
		want int
	}{
		{"Default", url, postgres.DefaultMaxConns},
		{"FromURL", url + "&pool_max_conns=3", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := MustOpenURL(t, tc.url, postgres.WithoutMigrate())
			if got := db.MaxConns(); got != tc.want {
				t.Errorf("MaxConns = %d, want %d", got, tc.want)
			}
		})
	}
}
