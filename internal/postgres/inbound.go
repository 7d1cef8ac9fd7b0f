package postgres

import (
	"context"

	"github.com/natverk/natverk/internal/natverk"
)

// SaveInbound stores a received message's outcome.
func (db *DB) SaveInbound(ctx context.Context, m *natverk.InboundMessage) error {
	return db.write(ctx, func(tx *Tx) error {
		m.CreatedAt = tx.now
		err := tx.QueryRow(ctx, `INSERT INTO inbound_messages (message_id, from_addr, to_addr, subject, status, reason, series_id, member_id, size, raw, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			m.MessageID, m.From, m.To, m.Subject, m.Status, m.Reason, m.SeriesID, m.MemberID, m.Size, m.Raw, m.CreatedAt).Scan(&m.ID)
		if isUniqueViolation(err) {
			return natverk.Errorf(natverk.ECONFLICT, "A message with this Message-ID was received before.")
		}
		return storeErr("save inbound", err)
	})
}

// FindInbound lists stored messages, newest first.
func (db *DB) FindInbound(ctx context.Context, status string, limit int) ([]*natverk.InboundMessage, error) {
	if limit <= 0 || limit > natverk.MaxPageSize {
		limit = 100
	}
	q, a := `SELECT id, message_id, from_addr, to_addr, subject, status, reason, series_id, member_id, size, created_at FROM inbound_messages`, args{}
	if status != "" {
		q += ` WHERE status = ` + a.add(status)
	}
	q += ` ORDER BY id DESC LIMIT ` + a.add(limit)
	rows, err := db.pool.Query(ctx, q, a...)
	if err != nil {
		return nil, storeErr("find inbound", err)
	}
	defer rows.Close()
	var out []*natverk.InboundMessage
	for rows.Next() {
		var m natverk.InboundMessage
		if err := rows.Scan(&m.ID, &m.MessageID, &m.From, &m.To, &m.Subject, &m.Status, &m.Reason, &m.SeriesID, &m.MemberID, &m.Size, &m.CreatedAt); err != nil {
			return nil, storeErr("scan inbound", err)
		}
		m.CreatedAt = utc(m.CreatedAt)
		out = append(out, &m)
	}
	return out, storeErr("find inbound", rows.Err())
}
