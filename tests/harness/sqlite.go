package harness

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	_ "modernc.org/sqlite" // the driver the store uses
)

// IntegrityCheck runs PRAGMA integrity_check on the SQLite file at path
// (opened read-only) and returns its findings joined, "ok" when sound.
func IntegrityCheck(ctx context.Context, path string) (string, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return "", fmt.Errorf("harness: open %s: %w", path, err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return "", fmt.Errorf("harness: integrity_check %s: %w", path, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return "", fmt.Errorf("harness: integrity_check %s: %w", path, err)
		}
		out = append(out, s)
	}
	return strings.Join(out, "; "), rows.Err()
}

// SQLiteInt runs a query returning one integer on the SQLite file at
// path, read-only.
func SQLiteInt(ctx context.Context, path, query string, args ...any) (int64, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return 0, fmt.Errorf("harness: open %s: %w", path, err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("harness: %s: %w", query, err)
	}
	return n, nil
}
