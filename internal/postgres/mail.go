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
	// One statement, so no transaction of our own: the mailer claims a
	// message before every send, and BEGIN and COMMIT were two of its
	// three round trips. It emits no event.
	out, err := scanMail(db.pool.QueryRow(ctx, `INSERT INTO mails (key, message_id, kind, network_id, series_id, member_id, to_addr, status, attempts, claimed_until, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $10)
		ON CONFLICT (key) DO UPDATE SET attempts = mails.attempts + 1, claimed_until = excluded.claimed_until, to_addr = excluded.to_addr, updated_at = excluded.updated_at
		WHERE mails.status = $8 AND (mails.claimed_until IS NULL OR mails.claimed_until <= $10)
		RETURNING `+mailColumns,
		rec.Key, rec.MessageID, rec.Kind, rec.NetworkID, rec.SeriesID, rec.MemberID, rec.To, natverk.MailSending, now.Add(ttl).UTC(), now.UTC()))
	if err == nil {
		return out, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, false, storeErr("claim mail", err)
	}
	// Sent, failed for good, or claimed by another worker.
	out, err = scanMail(db.pool.QueryRow(ctx, `SELECT `+mailColumns+` FROM mails WHERE key = $1`, rec.Key))
	return out, false, storeErr("find mail", err)
}

// CompleteMail records the outcome of a send.
func (db *DB) CompleteMail(ctx context.Context, key, status string, permanent bool, errText string, code int, now time.Time) error {
	if len(errText) > 1000 {
		errText = errText[:1000]
	}
	switch status {
	case natverk.MailSent, natverk.MailFailed:
		return db.finishMail(ctx, key, status, permanent, errText, code, now)
	}
	// A temporary failure: release the claim so a retry can take it. One
	// statement, no event.
	tag, err := db.pool.Exec(ctx, `UPDATE mails SET error = $1, code = $2, claimed_until = NULL, updated_at = $3 WHERE key = $4 AND status = $5`,
		errText, code, now.UTC(), key, natverk.MailSending)
	if err != nil {
		return storeErr("release mail", err)
	}
	if tag.RowsAffected() == 0 {
		return db.mailExists(ctx, key)
	}
	return nil
}

// mailExists returns nil when the key has a record, ENOTFOUND when not.
func (db *DB) mailExists(ctx context.Context, key string) error {
	var found bool
	if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM mails WHERE key = $1)`, key).Scan(&found); err != nil {
		return storeErr("find mail", err)
	}
	if !found {
		return natverk.Errorf(natverk.ENOTFOUND, "Mail record not found.")
	}
	return nil
}

// finishMail records a message sent or failed for good, with its event
// (and the member bouncing on a permanent failure), in one transaction of
// two round trips: BEGIN with the update, which locks the record and
// returns it only while it is still being sent; then the rest with the
// outbox and COMMIT in one batch, so the network's outbox lock is held
// for no round trip (commit's order guarantee is the same). A record
// already completed by an earlier delivery is left as it is.
func (db *DB) finishMail(ctx context.Context, key, status string, permanent bool, errText string, code int, now time.Time) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return storeErr("acquire connection", err)
	}
	defer conn.Release()
	defer rollbackOpen(ctx, conn)
	b := &pgx.Batch{}
	b.Queue(`BEGIN`)
	b.Queue(`UPDATE mails SET status = $1, error = $2, code = $3, claimed_until = NULL, updated_at = $4 WHERE key = $5 AND status = $6
		RETURNING `+mailColumns, status, errText, code, now.UTC(), key, natverk.MailSending)
	br := conn.SendBatch(ctx, b)
	var cur *natverk.MailRecord
	_, err = br.Exec()
	if err == nil {
		cur, err = scanMail(br.QueryRow())
	}
	if cerr := br.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if errors.Is(err, pgx.ErrNoRows) {
		// Completed before, or no such record.
		if _, err := conn.Exec(ctx, `ROLLBACK`); err != nil {
			return storeErr("complete mail", err)
		}
		return db.mailExists(ctx, key)
	}
	if err != nil {
		return storeErr("complete mail", err)
	}
	typ := events.MailSent
	if status == natverk.MailFailed {
		typ = events.MailFailed
	}
	evs := []events.Envelope{events.MustNew(typ, now, events.Refs{NetworkID: cur.NetworkID, SeriesID: cur.SeriesID, MemberID: cur.MemberID}, events.MailResultPayload{
		Kind: cur.Kind, MessageID: cur.MessageID, NetworkID: cur.NetworkID, MemberID: cur.MemberID, Permanent: permanent, Reason: errText, Code: code,
	})}
	b = &pgx.Batch{}
	if status == natverk.MailFailed && permanent && cur.MemberID != 0 {
		b.Queue(`UPDATE members SET bouncing = true, bounce_reason = $1, updated_at = $2 WHERE id = $3`,
			strings.TrimSpace(errText), now.UTC(), cur.MemberID)
	}
	if err := queueOutbox(b, evs); err != nil {
		return err
	}
	if err := sendCommit(ctx, conn, b, "complete mail"); err != nil {
		return err
	}
	db.wake()
	return nil
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
