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

const rsvpColumns = `series_id, network_id, member_id, occurrence, answer, source, answered_at, sequence, waitlist, proposed_at, updated_at, queued_at`

func scanRSVP(row scanner) (*natverk.RSVP, error) {
	var r natverk.RSVP
	var occ int64
	var queued *time.Time
	if err := row.Scan(&r.SeriesID, &r.NetworkID, &r.MemberID, &occ, &r.Answer, &r.Source, &r.AnsweredAt, &r.Sequence, &r.Waitlist, &r.Proposed, &r.UpdatedAt, &queued); err != nil {
		return nil, err
	}
	if queued != nil {
		r.QueuedAt = queued.UTC()
	}
	if occ != 0 {
		r.Occurrence = time.Unix(occ, 0).UTC()
	}
	r.AnsweredAt, r.UpdatedAt, r.Proposed = utc(r.AnsweredAt), utc(r.UpdatedAt), utcPtr(r.Proposed)
	return &r, nil
}

// occKey is the occurrence key column: unix seconds, 0 for the series.
func occKey(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// RecordRSVP stores an answer if it supersedes the stored one. It locks
// the member's membership row first, so answers of one member to one
// network are decided one after the other: of two equal answers arriving
// at once, one is recorded and the other finds it stored. On a series
// with a capacity it first locks the series row (FOR UPDATE), so answers
// to the series are decided one at a time and the places they take
// (capacity.go) never race; an answer without a time of its own is then
// timed after the lock, so arrival order is answer order.
//
// An answer to a series without a capacity takes two round trips
// (recordAnswer); one to a series with a capacity takes the general path
// (recordRSVP), a statement at a time.
func (db *DB) RecordRSVP(ctx context.Context, r natverk.RSVP) (*natverk.RSVP, bool, error) {
	stored, changed, handled, err := db.recordAnswer(ctx, r)
	if handled {
		return stored, changed, err
	}
	return db.recordRSVP(ctx, r)
}

// recordAnswer is RecordRSVP for a series without a capacity, in two
// round trips on one connection, each a batch of statements: the first
// begins the transaction, reads the series, locks the member's
// membership row (FOR UPDATE), then reads the stored answer and, for a
// yes, the network's active series; the second stores the answer, the
// member's join (a yes from an invited member) and the events, and
// commits. The statements, their order, the lock and the decisions are
// those of recordRSVP, which runs them one round trip each (eight for an
// answer, eleven more for a join). handled is false, and nothing is
// written, when the series has a capacity: recordRSVP locks that series
// before the membership.
func (db *DB) recordAnswer(ctx context.Context, r natverk.RSVP) (stored *natverk.RSVP, changed, handled bool, err error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, false, true, storeErr("acquire connection", err)
	}
	defer conn.Release()
	// A transaction left open by an error is rolled back before the
	// connection goes back to the pool.
	defer func() {
		if conn.Conn().PgConn().TxStatus() != 'I' && !conn.Conn().IsClosed() {
			if _, rerr := conn.Exec(context.WithoutCancel(ctx), `ROLLBACK`); rerr != nil {
				conn.Conn().Close(context.WithoutCancel(ctx))
			}
		}
	}()
	now := db.Now().UTC()
	yes := r.Answer == natverk.AnswerYes
	b := &pgx.Batch{}
	b.Queue(`BEGIN`)
	b.Queue(`SELECT network_id, capacity > 0 OR EXISTS (SELECT 1 FROM series_exceptions e WHERE e.series_id = series.id AND e.capacity > 0)
		FROM series WHERE id = $1`, r.SeriesID)
	b.Queue(`SELECT ms.status FROM memberships ms JOIN members m ON m.id = ms.member_id
		WHERE ms.network_id = (SELECT network_id FROM series WHERE id = $1) AND ms.member_id = $2 AND NOT m.erased FOR UPDATE OF ms`, r.SeriesID, r.MemberID)
	b.Queue(`SELECT `+rsvpColumns+` FROM rsvps WHERE series_id = $1 AND member_id = $2 AND occurrence = $3`,
		r.SeriesID, r.MemberID, occKey(r.Occurrence))
	if yes {
		b.Queue(`SELECT id FROM series WHERE network_id = (SELECT network_id FROM series WHERE id = $1) AND status = $2 ORDER BY id`,
			r.SeriesID, natverk.SeriesActive)
	}
	var (
		networkID   int64
		capacity    bool
		found, isIn bool
		status      string
		cur         *natverk.RSVP
		seriesIDs   []int64
	)
	br := conn.SendBatch(ctx, b)
	err = func() error {
		if _, err := br.Exec(); err != nil {
			return storeErr("begin", err)
		}
		switch err := br.QueryRow().Scan(&networkID, &capacity); {
		case err == nil:
			found = true
		case !errors.Is(err, pgx.ErrNoRows):
			return storeErr("find series", err)
		}
		switch err := br.QueryRow().Scan(&status); {
		case err == nil:
			isIn = true
		case !errors.Is(err, pgx.ErrNoRows):
			return storeErr("find membership", err)
		}
		var err error
		if cur, err = scanRSVP(br.QueryRow()); errors.Is(err, pgx.ErrNoRows) {
			cur = nil
		} else if err != nil {
			return storeErr("find answer", err)
		}
		if yes {
			rows, err := br.Query()
			if err != nil {
				return storeErr("find series", err)
			}
			if seriesIDs, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
				return storeErr("find series", err)
			}
		}
		return nil
	}()
	if cerr := br.Close(); err == nil && cerr != nil {
		err = storeErr("find answer", cerr)
	}
	switch {
	case err != nil:
		return nil, false, true, err
	case !found:
		return nil, false, true, natverk.Errorf(natverk.ENOTFOUND, "Meeting series not found.")
	case capacity:
		return nil, false, false, nil
	case !isIn:
		return nil, false, true, natverk.Errorf(natverk.EFORBIDDEN, "The member is not invited to this network.")
	case !natverk.ReceivesInvitations(status):
		return nil, false, true, natverk.Errorf(natverk.EFORBIDDEN, "The member has %s the network.", map[string]string{natverk.StatusLeft: "left", natverk.StatusUnsubscribed: "unsubscribed from"}[status])
	}
	r.NetworkID = networkID
	r.UpdatedAt = now
	if r.AnsweredAt.IsZero() {
		r.AnsweredAt = now
	}
	r.AnsweredAt = r.AnsweredAt.UTC().Truncate(time.Microsecond)
	replace, ch := r.Supersedes(cur)
	if !replace {
		if _, err := conn.Exec(ctx, `COMMIT`); err != nil {
			return nil, false, true, storeErr("commit", err)
		}
		return cur, false, true, nil
	}
	r.QueuedAt = time.Time{}
	r.Waitlist = 0
	if cur != nil && !ch {
		r.Waitlist = cur.Waitlist
	}
	b = &pgx.Batch{}
	b.Queue(`INSERT INTO rsvps (`+rsvpColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (series_id, member_id, occurrence) DO UPDATE SET answer = excluded.answer, source = excluded.source, answered_at = excluded.answered_at,
		sequence = excluded.sequence, waitlist = excluded.waitlist, proposed_at = excluded.proposed_at, updated_at = excluded.updated_at, queued_at = excluded.queued_at`,
		r.SeriesID, r.NetworkID, r.MemberID, occKey(r.Occurrence), r.Answer, r.Source, r.AnsweredAt, r.Sequence, r.Waitlist, nullTime(r.Proposed), now, nullTime(&r.QueuedAt))
	var pending []events.Envelope
	join, outboxStmts := false, 0
	if ch {
		prev := ""
		if cur != nil {
			prev = cur.Answer
		}
		pending = append(pending, natverk.RSVPEvent(&r, prev))
		if yes && status == natverk.StatusInvited {
			// A yes to the invitation makes the member a member
			// (setMembership's change, on the row locked above).
			join = true
			b.Queue(`UPDATE memberships SET status = $3, updated_at = $4 WHERE network_id = $1 AND member_id = $2`,
				r.NetworkID, r.MemberID, natverk.StatusJoined, now)
			if len(seriesIDs) == 0 {
				seriesIDs = nil
			}
			pending = append(pending, natverk.MembershipEvent(events.MemberJoined, r.NetworkID, r.MemberID, seriesIDs, natverk.StatusJoined, r.Source, now))
		}
		n := b.Len()
		if err := queueOutbox(b, pending); err != nil {
			return nil, false, true, err
		}
		outboxStmts = b.Len() - n
	}
	b.Queue(`COMMIT`)
	br = conn.SendBatch(ctx, b)
	err = func() error {
		if _, err := br.Exec(); err != nil {
			return storeErr("store answer", err)
		}
		if join {
			if _, err := br.Exec(); err != nil {
				return storeErr("upsert membership", err)
			}
		}
		for range outboxStmts {
			if _, err := br.Exec(); err != nil {
				return storeErr("insert outbox", err)
			}
		}
		tag, err := br.Exec()
		if err != nil {
			return storeErr("commit", err)
		}
		if tag.String() == "ROLLBACK" {
			return storeErr("commit", pgx.ErrTxCommitRollback)
		}
		return nil
	}()
	if cerr := br.Close(); err == nil && cerr != nil {
		err = storeErr("commit", cerr)
	}
	if err != nil {
		return nil, false, true, err
	}
	if len(pending) > 0 {
		db.wake()
	}
	return &r, ch, true, nil
}

// recordRSVP is RecordRSVP's general path, a statement at a time in a
// transaction: the one for a series with a capacity.
func (db *DB) recordRSVP(ctx context.Context, r natverk.RSVP) (*natverk.RSVP, bool, error) {
	var stored *natverk.RSVP
	var changed bool
	err := db.write(ctx, func(tx *Tx) error {
		stored, changed = nil, false
		s, err := findOneSeries(ctx, tx, false, "id = $1", r.SeriesID)
		if err != nil {
			return err
		}
		untimed := r.AnsweredAt.IsZero()
		if s.HasCapacity() {
			// The series first, then the membership: the order every
			// writer takes them in.
			if s, err = findOneSeries(ctx, tx, true, "id = $1", r.SeriesID); err != nil {
				return err
			}
			if untimed {
				r.AnsweredAt = db.Now()
			}
		}
		var status string
		err = tx.QueryRow(ctx, `SELECT ms.status FROM memberships ms JOIN members m ON m.id = ms.member_id
			WHERE ms.network_id = $1 AND ms.member_id = $2 AND NOT m.erased FOR UPDATE OF ms`, s.NetworkID, r.MemberID).Scan(&status)
		if errors.Is(err, pgx.ErrNoRows) {
			return natverk.Errorf(natverk.EFORBIDDEN, "The member is not invited to this network.")
		} else if err != nil {
			return storeErr("find membership", err)
		}
		if !natverk.ReceivesInvitations(status) {
			return natverk.Errorf(natverk.EFORBIDDEN, "The member has %s the network.", map[string]string{natverk.StatusLeft: "left", natverk.StatusUnsubscribed: "unsubscribed from"}[status])
		}
		r.NetworkID = s.NetworkID
		r.UpdatedAt = tx.now
		if r.AnsweredAt.IsZero() {
			r.AnsweredAt = tx.now
		}
		r.AnsweredAt = r.AnsweredAt.UTC().Truncate(time.Microsecond)
		cur, err := scanRSVP(tx.QueryRow(ctx, `SELECT `+rsvpColumns+` FROM rsvps WHERE series_id = $1 AND member_id = $2 AND occurrence = $3`,
			r.SeriesID, r.MemberID, occKey(r.Occurrence)))
		if errors.Is(err, pgx.ErrNoRows) {
			cur = nil
		} else if err != nil {
			return storeErr("find answer", err)
		}
		replace, ch := r.Supersedes(cur)
		if !replace {
			stored = cur
			return nil
		}
		r.QueuedAt = time.Time{}
		if s.HasCapacity() {
			natverk.QueueAnswer(&r, cur) // the waitlist's order
		}
		r.Waitlist = 0
		if cur != nil && !ch {
			r.Waitlist = cur.Waitlist
		}
		var before []*natverk.RSVP
		if s.HasCapacity() {
			if before, err = seriesAnswers(ctx, tx, s.ID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO rsvps (`+rsvpColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			ON CONFLICT (series_id, member_id, occurrence) DO UPDATE SET answer = excluded.answer, source = excluded.source, answered_at = excluded.answered_at,
			sequence = excluded.sequence, waitlist = excluded.waitlist, proposed_at = excluded.proposed_at, updated_at = excluded.updated_at, queued_at = excluded.queued_at`,
			r.SeriesID, r.NetworkID, r.MemberID, occKey(r.Occurrence), r.Answer, r.Source, r.AnsweredAt, r.Sequence, r.Waitlist, nullTime(r.Proposed), tx.now, nullTime(&r.QueuedAt)); err != nil {
			return storeErr("store answer", err)
		}
		stored, changed = &r, ch
		if s.HasCapacity() {
			occs := natverk.AffectedOccurrences(s, r.Occurrence, tx.now)
			if _, err := applyCapacity(ctx, tx, s, s, before, natverk.WithAnswer(before, &r), occs, &r); err != nil {
				return err
			}
		}
		if !ch {
			return nil
		}
		prev := ""
		if cur != nil {
			prev = cur.Answer
		}
		tx.emit(natverk.RSVPEvent(&r, prev))
		if r.Answer == natverk.AnswerYes && status == natverk.StatusInvited {
			// A yes to the invitation makes the member a member.
			if _, err := setMembership(ctx, tx, s.NetworkID, r.MemberID, natverk.StatusJoined, r.Source); err != nil {
				return err
			}
		}
		return nil
	})
	return stored, changed, err
}

// FindRSVPs lists answers.
func (db *DB) FindRSVPs(ctx context.Context, f natverk.RSVPFilter) ([]*natverk.RSVP, error) {
	var a args
	where := []string{"true"}
	if f.SeriesID != 0 {
		where = append(where, "series_id = "+a.add(f.SeriesID))
	}
	if f.NetworkID != 0 {
		where = append(where, "network_id = "+a.add(f.NetworkID))
	}
	if f.MemberID != 0 {
		where = append(where, "member_id = "+a.add(f.MemberID))
	}
	return queryRSVPs(ctx, db.pool, `SELECT `+rsvpColumns+` FROM rsvps WHERE `+strings.Join(where, " AND ")+` ORDER BY series_id, member_id, occurrence`, a...)
}

// queryRSVPs runs a query of rsvpColumns and scans every answer.
func queryRSVPs(ctx context.Context, q querier, query string, args ...any) ([]*natverk.RSVP, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, storeErr("find answers", err)
	}
	defer rows.Close()
	var out []*natverk.RSVP
	for rows.Next() {
		r, err := scanRSVP(rows)
		if err != nil {
			return nil, storeErr("scan answer", err)
		}
		out = append(out, r)
	}
	return out, storeErr("find answers", rows.Err())
}

// CountAnswers counts the invitees' answers for one occurrence in one
// query: each invitee's answer to the occurrence, else to the series.
func (db *DB) CountAnswers(ctx context.Context, seriesID int64, occurrence time.Time) (natverk.Counts, error) {
	var c natverk.Counts
	rows, err := db.pool.Query(ctx, `SELECT COALESCE(o.answer, s.answer, ''), count(*)
		FROM memberships m
		LEFT JOIN rsvps s ON s.series_id = $1 AND s.member_id = m.member_id AND s.occurrence = 0
		LEFT JOIN rsvps o ON o.series_id = $1 AND o.member_id = m.member_id AND o.occurrence = $2 AND $2 <> 0
		WHERE m.network_id = (SELECT network_id FROM series WHERE id = $1) AND m.status = ANY($3)
		GROUP BY 1`, seriesID, occKey(occurrence), natverk.InvitedStatuses)
	if err != nil {
		return c, storeErr("count answers", err)
	}
	defer rows.Close()
	for rows.Next() {
		var answer string
		var n int
		if err := rows.Scan(&answer, &n); err != nil {
			return c, storeErr("count answers", err)
		}
		c.AddN(answer, n)
	}
	return c, storeErr("count answers", rows.Err())
}
