package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/natverk/natverk/internal/natverk"
)

// PutFeed stores a rendered feed if its ETag differs from the stored
// one, in one upsert, so two workers storing the same render at once
// report one change. The upsert is a statement of its own (its own
// transaction, without the BEGIN and COMMIT round trips): it writes no
// event.
func (db *DB) PutFeed(ctx context.Context, f *natverk.StoredFeed) (bool, error) {
	tag, err := db.pool.Exec(ctx, `INSERT INTO feeds (key, body, etag, modified_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (key) DO UPDATE SET body = excluded.body, etag = excluded.etag, modified_at = excluded.modified_at
		WHERE feeds.etag <> excluded.etag`,
		f.Key, f.Body, f.ETag, f.Modified.UTC())
	if err != nil {
		return false, storeErr("put feed", err)
	}
	return tag.RowsAffected() > 0, nil
}

// FindFeed returns a stored feed.
func (db *DB) FindFeed(ctx context.Context, key string) (*natverk.StoredFeed, error) {
	f := natverk.StoredFeed{Key: key}
	err := db.pool.QueryRow(ctx, `SELECT body, etag, modified_at FROM feeds WHERE key = $1`, key).Scan(&f.Body, &f.ETag, &f.Modified)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, natverk.Errorf(natverk.ENOTFOUND, "Feed not found.")
	} else if err != nil {
		return nil, storeErr("find feed", err)
	}
	f.Modified = utc(f.Modified)
	return &f, nil
}

// FeedKeys lists stored feed keys with the prefix, in byte order.
func (db *DB) FeedKeys(ctx context.Context, prefix string) ([]string, error) {
	rows, err := db.pool.Query(ctx, `SELECT key FROM feeds WHERE starts_with(key, $1) ORDER BY key COLLATE "C"`, prefix)
	if err != nil {
		return nil, storeErr("list feeds", err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return keys, storeErr("list feeds", err)
}

// DeleteFeed removes a stored feed, in one statement.
func (db *DB) DeleteFeed(ctx context.Context, key string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM feeds WHERE key = $1`, key)
	return storeErr("delete feed", err)
}

// DeleteFeeds removes stored feeds, in one statement (the calendar
// worker drops a member's feed on every answer: one round trip, not
// three).
func (db *DB) DeleteFeeds(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	_, err := db.pool.Exec(ctx, `DELETE FROM feeds WHERE key = ANY($1)`, keys)
	return storeErr("delete feeds", err)
}
