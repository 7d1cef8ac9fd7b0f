package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/natverk/natverk/internal/natverk"
)

// PutFeed stores a rendered feed if it changed.
func (db *DB) PutFeed(ctx context.Context, f *natverk.StoredFeed) (bool, error) {
	var changed bool
	err := db.write(ctx, func(tx *Tx) error {
		var etag string
		err := tx.QueryRowContext(ctx, `SELECT etag FROM feeds WHERE key = ?`, f.Key).Scan(&etag)
		found := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return storeErr("find feed", err)
		}
		if found && etag == f.ETag {
			changed = false
			return nil
		}
		changed = true
		_, err = tx.ExecContext(ctx, `INSERT INTO feeds (key, body, etag, modified_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET body = excluded.body, etag = excluded.etag, modified_at = excluded.modified_at`,
			f.Key, f.Body, f.ETag, fmtTime(f.Modified))
		return storeErr("put feed", err)
	})
	return changed, err
}

// FindFeed returns a stored feed.
func (db *DB) FindFeed(ctx context.Context, key string) (*natverk.StoredFeed, error) {
	f := natverk.StoredFeed{Key: key}
	var mod string
	err := db.r.QueryRowContext(ctx, `SELECT body, etag, modified_at FROM feeds WHERE key = ?`, key).Scan(&f.Body, &f.ETag, &mod)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, natverk.Errorf(natverk.ENOTFOUND, "Feed not found.")
	} else if err != nil {
		return nil, storeErr("find feed", err)
	}
	f.Modified = parseTime(mod)
	return &f, nil
}

// FeedKeys lists stored feed keys with the prefix.
func (db *DB) FeedKeys(ctx context.Context, prefix string) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT key FROM feeds WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key`, prefix)
	if err != nil {
		return nil, storeErr("list feeds", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, storeErr("scan feed key", err)
		}
		out = append(out, k)
	}
	return out, storeErr("list feeds", rows.Err())
}

// DeleteFeed removes a stored feed.
func (db *DB) DeleteFeed(ctx context.Context, key string) error {
	return db.write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM feeds WHERE key = ?`, key)
		return storeErr("delete feed", err)
	})
}

// DeleteFeeds removes stored feeds.
func (db *DB) DeleteFeeds(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	return db.write(ctx, func(tx *Tx) error {
		for i := 0; i < len(keys); i += 500 {
			part := keys[i:min(i+500, len(keys))]
			args := make([]any, len(part))
			for j, k := range part {
				args[j] = k
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM feeds WHERE key IN (`+placeholders(len(part))+`)`, args...); err != nil {
				return storeErr("delete feeds", err)
			}
		}
		return nil
	})
}
