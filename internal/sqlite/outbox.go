package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

// PendingOutbox returns unpublished events in commit order.
func (db *DB) PendingOutbox(ctx context.Context, limit int) ([]natverk.OutboxEvent, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT seq, body FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT ?`, limit)
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

// MarkPublished marks events published.
func (db *DB) MarkPublished(ctx context.Context, seqs []int64, at time.Time) error {
	if len(seqs) == 0 {
		return nil
	}
	return db.write(ctx, func(tx *Tx) error {
		const chunk = 500
		for i := 0; i < len(seqs); i += chunk {
			part := seqs[i:min(i+chunk, len(seqs))]
			args := []any{fmtTime(at)}
			for _, s := range part {
				args = append(args, s)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE outbox SET published_at = ? WHERE seq IN (`+placeholders(len(part))+`)`, args...); err != nil {
				return storeErr("mark published", err)
			}
		}
		return nil
	})
}

// PruneOutbox deletes events published before t.
func (db *DB) PruneOutbox(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := db.write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < ?`, fmtTime(before))
		if err != nil {
			return storeErr("prune outbox", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}

// OutboxStats returns the backlog.
func (db *DB) OutboxStats(ctx context.Context) (int, time.Time, error) {
	var n int
	var oldest sql.NullString
	if err := db.r.QueryRowContext(ctx, `SELECT count(*), min(created_at) FROM outbox WHERE published_at IS NULL`).Scan(&n, &oldest); err != nil {
		return 0, time.Time{}, storeErr("outbox stats", err)
	}
	var t time.Time
	if oldest.Valid {
		t = parseTime(oldest.String)
	}
	return n, t, nil
}

// OutboxNotify returns a channel signalled after commits that wrote
// events (in this process; other processes are seen by polling).
func (db *DB) OutboxNotify() <-chan struct{} { return db.notify }
