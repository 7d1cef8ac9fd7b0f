package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

const mailColumns = `key, message_id, kind, network_id, series_id, member_id, to_addr, status, attempts, error, code, claimed_until, updated_at`

func scanMail(row scanner) (*natverk.MailRecord, error) {
	var m natverk.MailRecord
	var claimed *time.Time
	if err := row.Scan(&m.Key, &m.MessageID, &m.Kind, &m.NetworkID, &m.SeriesID, &m.MemberID, &m.To, &m.Status, &m.Attempts, &m.Error, &m.Code, &claimed, &m.UpdatedAt); err != nil {
		return nil, err
	}
	if claimed != nil {
		m.ClaimedUntil = claimed.UTC()
	}
	m.UpdatedAt = utc(m.UpdatedAt)
	return &m, nil
}

// ClaimMail claims a dedup key for sending. One upsert decides: a new key
// is inserted claimed; an existing one is taken over only while it is
// still being sent (not sent or failed) and its claim has lapsed, keeping
// its Message-ID. Of concurrent claims of one key exactly one wins.
func (db *DB) ClaimMail(ctx context.Context, rec natverk.MailRecord, now time.Time, ttl time.Duration) (*natverk.MailRecord, bool, error) {
	var out *natverk.MailRecord
	var claimed bool
	err := db.write(ctx, func(tx *Tx) error {
		var err error
		out, err = scanMail(tx.QueryRow(ctx, `INSERT INTO mails (key, message_id, kind, network_id, series_id, member_id, to_addr, status, attempts, claimed_until, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $10)
			ON CONFLICT (key) DO UPDATE SET attempts = mails.attempts + 1, claimed_until = excluded.claimed_until, to_addr = excluded.to_addr, updated_at = excluded.updated_at
			WHERE mails.status = $8 AND (mails.claimed_until IS NULL OR mails.claimed_until <= $10)
			RETURNING `+mailColumns,
			rec.Key, rec.MessageID, rec.Kind, rec.NetworkID, rec.SeriesID, rec.MemberID, rec.To, natverk.MailSending, now.Add(ttl).UTC(), now.UTC()))
		if err == nil {
			claimed = true
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return storeErr("claim mail", err)
		}
		// Sent, failed for good, or claimed by another worker.
		out, err = scanMail(tx.QueryRow(ctx, `SELECT `+mailColumns+` FROM mails WHERE key = $1`, rec.Key))
		return storeErr("find mail", err)
	})
	return out, claimed, err
}

// CompleteMail records the outcome of a send.
func (db *DB) CompleteMail(ctx context.Context, key, status string, permanent bool, errText string, code int, now time.Time) error {
	return db.write(ctx, func(tx *Tx) error {
		cur, err := scanMail(tx.QueryRow(ctx, `SELECT `+mailColumns+` FROM mails WHERE key = $1 FOR UPDATE`, key))
		if errors.Is(err, pgx.ErrNoRows) {
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
			if _, err := tx.Exec(ctx, `UPDATE mails SET status = $1, error = $2, code = $3, claimed_until = NULL, updated_at = $4 WHERE key = $5`,
				status, errText, code, now.UTC(), key); err != nil {
				return storeErr("complete mail", err)
			}
			typ := events.MailSent
			if status == natverk.MailFailed {
				typ = events.MailFailed
			}
			tx.emit(events.MustNew(typ, now, events.Refs{NetworkID: cur.NetworkID, SeriesID: cur.SeriesID, MemberID: cur.MemberID}, events.MailResultPayload{
				Kind: cur.Kind, MessageID: cur.MessageID, NetworkID: cur.NetworkID, MemberID: cur.MemberID, Permanent: permanent, Reason: errText, Code: code,
			}))
			if status == natverk.MailFailed && permanent && cur.MemberID != 0 {
				if _, err := tx.Exec(ctx, `UPDATE members SET bouncing = true, bounce_reason = $1, updated_at = $2 WHERE id = $3`,
					strings.TrimSpace(errText), now.UTC(), cur.MemberID); err != nil {
					return storeErr("mark bouncing", err)
				}
			}
			return nil
		default:
			// A temporary failure: release the claim so a retry can take it.
			_, err := tx.Exec(ctx, `UPDATE mails SET error = $1, code = $2, claimed_until = NULL, updated_at = $3 WHERE key = $4 AND status = $5`,
				errText, code, now.UTC(), key, natverk.MailSending)
			return storeErr("release mail", err)
		}
	})
}

// FirstMessageID returns the Message-ID of the first invitation sent to
// the member for the series.
func (db *DB) FirstMessageID(ctx context.Context, memberID, seriesID int64) (string, error) {
	var id string
	err := db.pool.QueryRow(ctx, `SELECT message_id FROM mails WHERE member_id = $1 AND series_id = $2 AND kind = $3 ORDER BY created_at, key COLLATE "C" LIMIT 1`,
		memberID, seriesID, natverk.MailInvitation).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return id, storeErr("find first message", err)
}

// FindMail lists mail records, newest first.
func (db *DB) FindMail(ctx context.Context, f natverk.MailFilter) ([]*natverk.MailRecord, error) {
	var a args
	where := []string{"true"}
	if f.NetworkID != 0 {
		where = append(where, "network_id = "+a.add(f.NetworkID))
	}
	if f.MemberID != 0 {
		where = append(where, "member_id = "+a.add(f.MemberID))
	}
	if f.Status != "" {
		where = append(where, "status = "+a.add(f.Status))
	}
	if f.Limit <= 0 || f.Limit > natverk.MaxPageSize {
		f.Limit = 100
	}
	rows, err := db.pool.Query(ctx, `SELECT `+mailColumns+` FROM mails WHERE `+strings.Join(where, " AND ")+` ORDER BY updated_at DESC, key COLLATE "C" LIMIT `+a.add(f.Limit), a...)
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
