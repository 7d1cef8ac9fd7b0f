// Package pgtest gives tests a PostgreSQL database to run against: the
// server named by NATVERK_TEST_POSTGRES_URL, and a fresh schema per test
// so tests never see each other's rows.
//
// Outside CI a missing server skips the test with the command that starts
// one; under CI=true it fails the test, so a broken setup is never
// mistaken for a pass.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the database used when NATVERK_TEST_POSTGRES_URL is unset:
// a local server with trust authentication and a database named test.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// connectTimeout bounds each connection attempt to the test server.
const connectTimeout = 5 * time.Second

// URL returns the test database URL (NATVERK_TEST_POSTGRES_URL, or
// DefaultURL) after checking that the server answers. If it does not, the
// test is skipped, or failed when CI=true.
func URL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv("NATVERK_TEST_POSTGRES_URL")
	if u == "" {
		u = DefaultURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err == nil {
		err = conn.Ping(ctx)
		conn.Close(ctx)
	}
	if err != nil {
		shown := redact(u)
		if os.Getenv("CI") == "true" {
			tb.Fatalf("pgtest: Postgres not reachable at %s: %v", shown, err)
		}
		tb.Skipf("Postgres not reachable at %s (%v); start it (e.g. pg_ctlcluster 15 main start, or docker compose up -d postgres) or set NATVERK_TEST_POSTGRES_URL", shown, err)
	}
	return u
}

// Fresh creates an empty schema for this test and returns a URL whose
// search_path selects it, so everything the test creates lands there. The
// schema and its contents are dropped when the test ends.
func Fresh(tb testing.TB) string {
	tb.Helper()
	base := URL(tb)
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatalf("pgtest: random schema name: %v", err)
	}
	schema := "t_" + hex.EncodeToString(b[:])
	ident := pgx.Identifier{schema}.Sanitize()
	if err := runSQL(base, "CREATE SCHEMA "+ident); err != nil {
		tb.Fatalf("pgtest: create schema %s: %v", schema, err)
	}
	tb.Cleanup(func() {
		if err := runSQL(base, "DROP SCHEMA IF EXISTS "+ident+" CASCADE"); err != nil {
			tb.Errorf("pgtest: drop schema %s: %v", schema, err)
		}
	})
	out, err := WithSearchPath(base, schema)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return out
}

// WithSearchPath returns the connection string with its search_path set
// to schema. It accepts both URL ("postgres://…") and keyword/value
// ("host=… dbname=…") forms.
func WithSearchPath(connString, schema string) (string, error) {
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		u, err := url.Parse(connString)
		if err != nil {
			return "", fmt.Errorf("pgtest: parse database URL: %w", err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return strings.TrimSpace(connString) + " search_path=" + schema, nil
}

// runSQL runs one statement on a connection of its own.
func runSQL(connString, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// redact hides a password in a connection string before it is printed.
func redact(connString string) string {
	if !strings.Contains(connString, "://") {
		f := strings.Fields(connString)
		for i, kv := range f {
			if strings.HasPrefix(kv, "password=") {
				f[i] = "password=xxxxx"
			}
		}
		return strings.Join(f, " ")
	}
	u, err := url.Parse(connString)
	if err != nil {
		return "(unparsable URL)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}
