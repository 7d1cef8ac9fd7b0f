package postgres

import (
	"context"
	"time"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

// PendingOutbox returns up to limit unpublished events in seq order (all
// of them for a negative limit).
func (db *DB) PendingOutbox(ctx context.Context, limit int) ([]natverk.OutboxEvent, error) {
	var lim any // NULL: LIMIT ALL
	if limit >= 0 {
		lim = limit
	}
	rows, err := db.pool.Query(ctx, `SELECT seq, body FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1`, lim)
	if err != nil {
		return nil, storeErr("read outbox", err)
	}
	defer rows.Close()
	var out []natverk.OutboxEvent
	for rows.Next() {
		var seq int64
		var body []byte
		if err := rows.Scan(&seq, &body); err != nil {
			return nil, storeErr("scan outbox", err)
		}
		e, err := events.Unmarshal(body)
		if err != nil {
			return nil, err
		}
		out = append(out, natverk.OutboxEvent{Seq: seq, Event: e})
	}
	return out, storeErr("read outbox", rows.Err())
}

// MarkPublished marks events published, in one statement.
func (db *DB) MarkPublished(ctx context.Context, seqs []int64, at time.Time) error {
	if len(seqs) == 0 {
		return nil
	}
	_, err := db.pool.Exec(ctx, `UPDATE outbox SET published_at = $1 WHERE seq = ANY($2)`, at.UTC(), seqs)
	return storeErr("mark published", err)
}

// PruneOutbox deletes events published before t.
func (db *DB) PruneOutbox(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := db.write(ctx, func(tx *Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < $1`, before.UTC())
		if err != nil {
			return storeErr("prune outbox", err)
		}
		n = tag.RowsAffected()
		return nil
	})
	return int(n), err
}

// OutboxStats returns the number of unpublished events and the time of
// the oldest.
func (db *DB) OutboxStats(ctx context.Context) (int, time.Time, error) {
	var n int
	var oldest *time.Time
	if err := db.pool.QueryRow(ctx, `SELECT count(*), min(created_at) FROM outbox WHERE published_at IS NULL`).Scan(&n, &oldest); err != nil {
		return 0, time.Time{}, storeErr("outbox stats", err)
	}
	var t time.Time
	if oldest != nil {
		t = oldest.UTC()
	}
	return n, t, nil
}
