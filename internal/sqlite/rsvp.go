package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/natverk/natverk/internal/natverk"
)

const rsvpColumns = `series_id, network_id, member_id, occurrence, answer, source, answered_at, sequence, waitlist, proposed_at, updated_at, queued_at`

func scanRSVP(row scanner) (*natverk.RSVP, error) {
	var r natverk.RSVP
	var occ int64
	var answered, updated string
	var proposed, queued sql.NullString
	if err := row.Scan(&r.SeriesID, &r.NetworkID, &r.MemberID, &occ, &r.Answer, &r.Source, &answered, &r.Sequence, &r.Waitlist, &proposed, &updated, &queued); err != nil {
		return nil, err
	}
	if q := parseTimePtr(queued); q != nil {
		r.QueuedAt = *q
	}
	if occ != 0 {
		r.Occurrence = time.Unix(occ, 0).UTC()
	}
	r.AnsweredAt, r.UpdatedAt, r.Proposed = parseTime(answered), parseTime(updated), parseTimePtr(proposed)
	return &r, nil
}

func occKey(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// RecordRSVP stores an answer if it supersedes the stored one. On a
// series with a capacity it also works out the places the answer
// changes (capacity.go); SQLite's single writer already serializes the
// answers.
func (db *DB) RecordRSVP(ctx context.Context, r natverk.RSVP) (*natverk.RSVP, bool, error) {
	var stored *natverk.RSVP
	var changed bool
	err := db.write(ctx, func(tx *Tx) error {
		stored, changed = nil, false
		ss, err := findSeries(ctx, tx, "id = ?", r.SeriesID)
		if err != nil {
			return err
		}
		if len(ss) == 0 {
			return natverk.Errorf(natverk.ENOTFOUND, "Meeting series not found.")
		}
		s := ss[0]
		var status string
		err = tx.QueryRowContext(ctx, `SELECT ms.status FROM memberships ms JOIN members m ON m.id = ms.member_id WHERE ms.network_id = ? AND ms.member_id = ? AND m.erased = 0`,
			s.NetworkID, r.MemberID).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
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
		cur, err := scanRSVP(tx.QueryRowContext(ctx, `SELECT `+rsvpColumns+` FROM rsvps WHERE series_id = ? AND member_id = ? AND occurrence = ?`, r.SeriesID, r.MemberID, occKey(r.Occurrence)))
		if errors.Is(err, sql.ErrNoRows) {
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
		if _, err := tx.ExecContext(ctx, `INSERT INTO rsvps (`+rsvpColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (series_id, member_id, occurrence) DO UPDATE SET answer = excluded.answer, source = excluded.source, answered_at = excluded.answered_at,
			sequence = excluded.sequence, waitlist = excluded.waitlist, proposed_at = excluded.proposed_at, updated_at = excluded.updated_at, queued_at = excluded.queued_at`,
			r.SeriesID, r.NetworkID, r.MemberID, occKey(r.Occurrence), r.Answer, r.Source, fmtTime(r.AnsweredAt), r.Sequence, r.Waitlist, fmtTimePtr(r.Proposed), fmtTime(tx.now), fmtTimePtr(&r.QueuedAt)); err != nil {
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
		if err := tx.emit(ctx, natverk.RSVPEvent(&r, prev)); err != nil {
			return err
		}
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
	where, args := []string{"1 = 1"}, []any{}
	if f.SeriesID != 0 {
		where, args = append(where, "series_id = ?"), append(args, f.SeriesID)
	}
	if f.NetworkID != 0 {
		where, args = append(where, "network_id = ?"), append(args, f.NetworkID)
	}
	if f.MemberID != 0 {
		where, args = append(where, "member_id = ?"), append(args, f.MemberID)
	}
	return queryRSVPs(ctx, db.r, `SELECT `+rsvpColumns+` FROM rsvps WHERE `+strings.Join(where, " AND ")+` ORDER BY series_id, member_id, occurrence`, args...)
}

// queryRSVPs runs a query of rsvpColumns and scans every answer.
func queryRSVPs(ctx context.Context, q querier, query string, args ...any) ([]*natverk.RSVP, error) {
	rows, err := q.QueryContext(ctx, query, args...)
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
	args := []any{seriesID, occKey(occurrence)}
	statuses := make([]string, len(natverk.InvitedStatuses))
	for i, st := range natverk.InvitedStatuses {
		statuses[i] = "?" + strconv.Itoa(len(args)+1)
		args = append(args, st)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT COALESCE(o.answer, s.answer, ''), count(*)
		FROM memberships m
		LEFT JOIN rsvps s ON s.series_id = ?1 AND s.member_id = m.member_id AND s.occurrence = 0
		LEFT JOIN rsvps o ON o.series_id = ?1 AND o.member_id = m.member_id AND o.occurrence = ?2 AND ?2 <> 0
		WHERE m.network_id = (SELECT network_id FROM series WHERE id = ?1) AND m.status IN (`+strings.Join(statuses, ", ")+`)
		GROUP BY 1`, args...)
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
