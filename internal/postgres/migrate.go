package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/natverk/natverk/internal/natverk"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLockKey is the session advisory lock held while migrating, so
// that processes starting at once migrate one after the other: the
// first applies the files, the others find them applied.
const migrationLockKey int64 = 0x6e617476_65726b00 // "natverk\x00"

// Migrate applies every embedded migration not yet applied, in file name
// order, each in a transaction of its own, while holding an advisory lock
// (pg_advisory_lock) on one connection. It is safe to run from several
// processes at once.
func (db *DB) Migrate(ctx context.Context) error {
	names, err := migrationNames()
	if err != nil {
		return err
	}
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return storeErr("migrate: acquire connection", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLockKey); err != nil {
		return storeErr("migrate: lock", err)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, migrationLockKey); err != nil {
			// The lock lives as long as the session: end the session
			// rather than return a connection that still holds it.
			conn.Conn().Close(uctx)
		}
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL)`); err != nil {
		return storeErr("migrate: create schema_migrations", err)
	}
	for _, name := range names {
		if err := db.migrateFile(ctx, conn, name); err != nil {
			return err
		}
	}
	return nil
}

// migrateFile applies one migration in a transaction unless it is
// recorded as applied.
func (db *DB) migrateFile(ctx context.Context, conn *pgxpool.Conn, name string) error {
	version := path.Base(name)
	tx, err := conn.Begin(ctx)
	if err != nil {
		return storeErr("migrate "+version, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var applied bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, version).Scan(&applied); err != nil {
		return storeErr("migrate "+version, err)
	}
	if applied {
		return nil
	}
	body, err := migrationFS.ReadFile(name)
	if err != nil {
		return fmt.Errorf("postgres: read migration %s: %w", version, err)
	}
	// Exec without arguments uses the simple protocol, which runs a
	// script of several statements.
	if _, err := tx.Exec(ctx, string(body)); err != nil {
		return storeErr("apply migration "+version, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, version, db.Now().UTC()); err != nil {
		return storeErr("record migration "+version, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return storeErr("commit migration "+version, err)
	}
	return nil
}

// MigrationStatus lists every embedded migration and whether it is
// applied. A database never migrated has every migration unapplied.
func (db *DB) MigrationStatus(ctx context.Context) ([]natverk.Migration, error) {
	names, err := migrationNames()
	if err != nil {
		return nil, err
	}
	applied := map[string]time.Time{}
	var exists bool
	if err := db.pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return nil, storeErr("migration status", err)
	}
	if exists {
		rows, err := db.pool.Query(ctx, `SELECT version, applied_at FROM schema_migrations`)
		if err != nil {
			return nil, storeErr("migration status", err)
		}
		defer rows.Close()
		for rows.Next() {
			var v string
			var at time.Time
			if err := rows.Scan(&v, &at); err != nil {
				return nil, storeErr("migration status", err)
			}
			applied[v] = at.UTC()
		}
		if err := rows.Err(); err != nil {
			return nil, storeErr("migration status", err)
		}
	}
	out := make([]natverk.Migration, 0, len(names))
	for _, n := range names {
		v := path.Base(n)
		at, ok := applied[v]
		out = append(out, natverk.Migration{Version: v, Applied: ok, AppliedAt: at})
	}
	return out, nil
}

func migrationNames() ([]string, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("postgres: list migrations: %w", err)
	}
	sort.Strings(names)
	return names, nil
}
