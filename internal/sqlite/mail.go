package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

const mailColumns = `key, message_id, kind, network_id, series_id, member_id, to_addr, status, attempts, error, code, claimed_until, updated_at`

func scanMail(row scanner) (*natverk.MailRecord, error) {
	var m natverk.MailRecord
	var claimed, updated string
	if err := row.Scan(&m.Key, &m.MessageID, &m.Kind, &m.NetworkID, &m.SeriesID, &m.MemberID, &m.To, &m.Status, &m.Attempts, &m.Error, &m.Code, &claimed, &updated); err != nil {
		return nil, err
	}
	if claimed != "" {
		m.ClaimedUntil = parseTime(claimed)
	}
	m.UpdatedAt = parseTime(updated)
	return &m, nil
}

// ClaimMail claims a dedup key for sending.
func (db *DB) ClaimMail(ctx context.Context, rec natverk.MailRecord, now time.Time, ttl time.Duration) (*natverk.MailRecord, bool, error) {
	var out *natverk.MailRecord
	var claimed bool
	err := db.write(ctx, func(tx *Tx) error {
		out, claimed = nil, false
		cur, err := scanMail(tx.QueryRowContext(ctx, `SELECT `+mailColumns+` FROM mails WHERE key = ?`, rec.Key))
		until := fmtTime(now.Add(ttl))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, `INSERT INTO mails (key, message_id, kind, network_id, series_id, member_id, to_addr, status, attempts, claimed_until, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`,
				rec.Key, rec.MessageID, rec.Kind, rec.NetworkID, rec.SeriesID, rec.MemberID, rec.To, natverk.MailSending, until, fmtTime(now), fmtTime(now)); err != nil {
				return storeErr("claim mail", err)
			}
			claimed = true
		case err != nil:
			return storeErr("find mail", err)
		case cur.Status != natverk.MailSending:
			out = cur
			return nil
		case !cur.ClaimedUntil.IsZero() && cur.ClaimedUntil.After(now):
			out = cur
			return nil
		default:
			if _, err := tx.ExecContext(ctx, `UPDATE mails SET attempts = attempts + 1, claimed_until = ?, to_addr = ?, updated_at = ? WHERE key = ?`,
				until, rec.To, fmtTime(now), rec.Key); err != nil {
				return storeErr("claim mail", err)
			}
			claimed = true
		}
		out, err = scanMail(tx.QueryRowContext(ctx, `SELECT `+mailColumns+` FROM mails WHERE key = ?`, rec.Key))
		return storeErr("find mail", err)
	})
	return out, claimed, err
}

// CompleteMail records the outcome of a send.
func (db *DB) CompleteMail(ctx context.Context, key, status string, permanent bool, errText string, code int, now time.Time) error {
	return db.write(ctx, func(tx *Tx) error {
		cur, err := scanMail(tx.QueryRowContext(ctx, `SELECT `+mailColumns+` FROM mails WHERE key = ?`, key))
		if errors.Is(err, sql.ErrNoRows) {
			return natverk.Errorf(natverk.ENOTFOUND, "Mail record not found.")
		} else if err != nil {
			return storeErr("find mail", err)
		}
		if len(errText) > 1000 {
			errText = errText[:1000]
		}
		switch status {
		case natverk.MailSent, natverk.MailFailed:
			if cur.Status != natverk.MailSending {
				return nil // already completed by an earlier delivery
			}
			if _, err := tx.ExecContext(ctx, `UPDATE mails SET status = ?, error = ?, code = ?, claimed_until = '', updated_at = ? WHERE key = ?`,
				status, errText, code, fmtTime(now), key); err != nil {
				return storeErr("complete mail", err)
			}
			typ := events.MailSent
			if status == natverk.MailFailed {
				typ = events.MailFailed
			}
			ev := events.MustNew(typ, now, events.Refs{NetworkID: cur.NetworkID, SeriesID: cur.SeriesID, MemberID: cur.MemberID}, events.MailResultPayload{
				Kind: cur.Kind, MessageID: cur.MessageID, NetworkID: cur.NetworkID, MemberID: cur.MemberID, Permanent: permanent, Reason: errText, Code: code,
			})
			if err := tx.emit(ctx, ev); err != nil {
				return err
			}
			if status == natverk.MailFailed && permanent && cur.MemberID != 0 {
				if _, err := tx.ExecContext(ctx, `UPDATE members SET bouncing = 1, bounce_reason = ?, updated_at = ? WHERE id = ?`,
					strings.TrimSpace(errText), fmtTime(now), cur.MemberID); err != nil {
					return storeErr("mark bouncing", err)
				}
			}
			return nil
		default:
			// A temporary failure: release the claim so a retry can take it.
			_, err := tx.ExecContext(ctx, `UPDATE mails SET error = ?, code = ?, claimed_until = '', updated_at = ? WHERE key = ? AND status = ?`,
				errText, code, fmtTime(now), key, natverk.MailSending)
			return storeErr("release mail", err)
		}
	})
}

// FirstMessageID returns the Message-ID of the first invitation sent to
// the member for the series.
func (db *DB) FirstMessageID(ctx context.Context, memberID, seriesID int64) (string, error) {
	var id string
	err := db.r.QueryRowContext(ctx, `SELECT message_id FROM mails WHERE member_id = ? AND series_id = ? AND kind = ? ORDER BY created_at, key LIMIT 1`,
		memberID, seriesID, natverk.MailInvitation).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, storeErr("find first message", err)
}

// FindMail lists mail records.
func (db *DB) FindMail(ctx context.Context, f natverk.MailFilter) ([]*natverk.MailRecord, error) {
	where, args := []string{"1 = 1"}, []any{}
	if f.NetworkID != 0 {
		where, args = append(where, "network_id = ?"), append(args, f.NetworkID)
	}
	if f.MemberID != 0 {
		where, args = append(where, "member_id = ?"), append(args, f.MemberID)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.Limit <= 0 || f.Limit > natverk.MaxPageSize {
		f.Limit = 100
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+mailColumns+` FROM mails WHERE `+strings.Join(where, " AND ")+` ORDER BY updated_at DESC, key LIMIT ?`, append(args, f.Limit)...)
	if err != nil {
		return nil, storeErr("find mail", err)
	}
	defer rows.Close()
	var out []*natverk.MailRecord
	for rows.Next() {
		m, err := scanMail(rows)
		if err != nil {
			return nil, storeErr("scan mail", err)
		}
		out = append(out, m)
	}
	return out, storeErr("find mail", rows.Err())
}
