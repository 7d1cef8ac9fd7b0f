package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
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
// Answers to a series without a capacity are written in groups
// (answer.go): concurrent answers to one series share a transaction of
// two round trips. An answer to a series with a capacity takes the
// general path (recordRSVP), a statement at a time.
func (db *DB) RecordRSVP(ctx context.Context, r natverk.RSVP) (*natverk.RSVP, bool, error) {
	res := db.answers.record(ctx, db, r)
	if res.handled {
		return res.stored, res.changed, res.err
	}
	return db.recordRSVP(ctx, r)
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
