package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// freshSchema creates an empty schema on the server and returns a URL
// whose search_path selects it, and a function that drops it.
func freshSchema(ctx context.Context, base, prefix string) (string, func(), error) {
	var b [6]byte
	rand.Read(b[:])
	schema := prefix + "_" + hex.EncodeToString(b[:])
	ident := pgx.Identifier{schema}.Sanitize()
	if err := pgExec(ctx, base, "CREATE SCHEMA "+ident); err != nil {
		return "", nil, fmt.Errorf("postgres: create schema %s: %w", schema, err)
	}
	drop := func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		pgExec(dctx, base, "DROP SCHEMA IF EXISTS "+ident+" CASCADE")
	}
	u, err := withSearchPath(base, schema)
	if err != nil {
		drop()
		return "", nil, err
	}
	return u, drop, nil
}

// withSearchPath sets search_path in a postgres:// URL or a keyword/value
// connection string.
func withSearchPath(conn, schema string) (string, error) {
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		u, err := url.Parse(conn)
		if err != nil {
			return "", fmt.Errorf("postgres: parse URL: %w", err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return strings.TrimSpace(conn) + " search_path=" + schema, nil
}

func pgExec(ctx context.Context, conn, sql string) error {
	c, err := pgx.Connect(ctx, conn)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, sql)
	return err
}

// copyReference times PostgreSQL COPY of the register CSV into a bare
// table (no indexes, no constraints) in the schema of conn: the floor of
// what any import into Postgres can do.
func copyReference(ctx context.Context, conn string, csv []byte) (time.Duration, error) {
	c, err := pgx.Connect(ctx, conn)
	if err != nil {
		return 0, fmt.Errorf("postgres: %w", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, `CREATE TABLE bench_copy (email text, name text, town text, industry text, company text, title text)`); err != nil {
		return 0, fmt.Errorf("postgres: create bare table: %w", err)
	}
	start := time.Now()
	tag, err := c.PgConn().CopyFrom(ctx, strings.NewReader(string(csv)), `COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)`)
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("postgres: COPY: %w", err)
	}
	if want := int64(strings.Count(string(csv), "\n") - 1); tag.RowsAffected() != want {
		return 0, fmt.Errorf("postgres: COPY stored %d rows, want %d", tag.RowsAffected(), want)
	}
	return d, nil
}
