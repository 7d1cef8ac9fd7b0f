package sqlite

import (
	"context"

	"github.com/natverk/natverk/internal/natverk"
)

// SaveInbound stores a received message's outcome.
func (db *DB) SaveInbound(ctx context.Context, m *natverk.InboundMessage) error {
	return db.write(ctx, func(tx *Tx) error {
		m.CreatedAt = tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO inbound_messages (message_id, from_addr, to_addr, subject, status, reason, series_id, member_id, size, raw, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.MessageID, m.From, m.To, m.Subject, m.Status, m.Reason, m.SeriesID, m.MemberID, m.Size, m.Raw, fmtTime(m.CreatedAt))
		if err != nil {
			if natverk.ErrorCode(storeErr("", err)) == natverk.ECONFLICT {
				return natverk.Errorf(natverk.ECONFLICT, "A message with this Message-ID was received before.")
			}
			return storeErr("save inbound", err)
		}
		m.ID, _ = res.LastInsertId()
		return nil
	})
}

// FindInbound lists stored messages.
func (db *DB) FindInbound(ctx context.Context, status string, limit int) ([]*natverk.InboundMessage, error) {
	if limit <= 0 || limit > natverk.MaxPageSize {
		limit = 100
	}
	q, args := `SELECT id, message_id, from_addr, to_addr, subject, status, reason, series_id, member_id, size, created_at FROM inbound_messages`, []any{}
	if status != "" {
		q, args = q+` WHERE status = ?`, append(args, status)
	}
	rows, err := db.r.QueryContext(ctx, q+` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, storeErr("find inbound", err)
	}
	defer rows.Close()
	var out []*natverk.InboundMessage
	for rows.Next() {
		var m natverk.InboundMessage
		var created string
		if err := rows.Scan(&m.ID, &m.MessageID, &m.From, &m.To, &m.Subject, &m.Status, &m.Reason, &m.SeriesID, &m.MemberID, &m.Size, &created); err != nil {
			return nil, storeErr("scan inbound", err)
		}
		m.CreatedAt = parseTime(created)
		out = append(out, &m)
	}
	return out, storeErr("find inbound", rows.Err())
}
