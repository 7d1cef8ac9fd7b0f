package postgres

import (
	"context"
	"time"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

// seriesAnswers returns every stored answer of a series, in the
// transaction.
func seriesAnswers(ctx context.Context, q querier, seriesID int64) ([]*natverk.RSVP, error) {
	return queryRSVPs(ctx, q, `SELECT `+rsvpColumns+` FROM rsvps WHERE series_id = $1 ORDER BY member_id, occurrence`, seriesID)
}

// inviteeMemberships returns the network's invitees as memberships (only
// MemberID is set): whom rosters count.
func inviteeMemberships(ctx context.Context, tx *Tx, networkID int64) ([]*natverk.Membership, error) {
	ids, err := invitees(ctx, tx, networkID)
	if err != nil {
		return nil, err
	}
	out := make([]*natverk.Membership, len(ids))
	for i, id := range ids {
		out[i] = &natverk.Membership{NetworkID: networkID, MemberID: id}
	}
	return out, nil
}

// applyCapacity works out what a change of answers or capacity does at
// the occurrences occs (the series row locked by the caller): it stores the places that changed (setting
// r.Waitlist when r is the answer being recorded) and, for each member
// promoted, writes rsvp.promoted and queues their mail — once per series,
// occurrence and member (the jobs table), and in one change only for the
// member's earliest occurrence. It returns how many were promoted.
func applyCapacity(ctx context.Context, tx *Tx, before, after *natverk.Series, rsvpsBefore, rsvpsAfter []*natverk.RSVP, occs []time.Time, r *natverk.RSVP) (int, error) {
	if len(occs) == 0 {
		return 0, nil
	}
	inv, err := inviteeMemberships(ctx, tx, after.NetworkID)
	if err != nil {
		return 0, err
	}
	var next time.Time
	if up := after.CapacityOccurrences(tx.now); len(up) > 0 {
		next = up[0]
	}
	ch := natverk.CapacityEffects(before, after, inv, rsvpsBefore, rsvpsAfter, occs, next)
	for _, u := range ch.Updates {
		if _, err := tx.Exec(ctx, `UPDATE rsvps SET waitlist = $1 WHERE series_id = $2 AND member_id = $3 AND occurrence = $4`,
			u.Waitlist, after.ID, u.MemberID, occKey(u.Occurrence)); err != nil {
			return 0, storeErr("store place", err)
		}
		if r != nil && u.MemberID == r.MemberID && u.Occurrence.Equal(r.Occurrence) {
			r.Waitlist = u.Waitlist
		}
	}
	mailed := map[int64]bool{}
	for _, p := range ch.Promoted {
		mail := false
		if !mailed[p.MemberID] {
			mailed[p.MemberID] = true
			tag, err := tx.Exec(ctx, `INSERT INTO jobs (key, created_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`,
				natverk.WaitlistJobKey(after.ID, p.Occurrence, p.MemberID), tx.now)
			if err != nil {
				return 0, storeErr("schedule promotion", err)
			}
			mail = tag.RowsAffected() > 0
		}
		tx.emit(natverk.PromotionEvents(after, p, mail, tx.now)...)
	}
	return len(ch.Promoted), nil
}

// SetCapacity sets the capacity of a series or of one occurrence.
func (db *DB) SetCapacity(ctx context.Context, seriesID int64, occurrence time.Time, capacity int) (*natverk.Series, error) {
	if capacity < 0 || capacity > 100000 {
		return nil, natverk.Invalid(natverk.FieldError{Field: "capacity", Reason: "must be between 0 (no limit) and 100000"})
	}
	rid := occurrence.UTC().Truncate(time.Second)
	var out *natverk.Series
	err := db.write(ctx, func(tx *Tx) error {
		cur, err := activeSeriesForUpdate(ctx, tx, seriesID)
		if err != nil {
			return err
		}
		if !rid.IsZero() && !cur.IsOccurrence(rid) {
			return natverk.Invalid(natverk.FieldError{Field: "occurrence", Reason: "is not a meeting of this series"})
		}
		answers, err := seriesAnswers(ctx, tx, seriesID)
		if err != nil {
			return err
		}
		switch {
		case rid.IsZero():
			_, err = tx.Exec(ctx, `UPDATE series SET capacity = $1 WHERE id = $2`, capacity, seriesID)
		case capacity == 0:
			// Back to the series' capacity: a capacity-only exception goes.
			if _, err = tx.Exec(ctx, `UPDATE series_exceptions SET capacity = 0, updated_at = $1 WHERE series_id = $2 AND recurrence_id = $3`,
				tx.now, seriesID, rid); err == nil {
				_, err = tx.Exec(ctx, `DELETE FROM series_exceptions WHERE series_id = $1 AND recurrence_id = $2 AND NOT cancelled AND start_at IS NULL`,
					seriesID, rid)
			}
		default:
			_, err = tx.Exec(ctx, `INSERT INTO series_exceptions (series_id, recurrence_id, cancelled, start_at, duration_s, capacity, updated_at)
				VALUES ($1, $2, false, NULL, 0, $3, $4) ON CONFLICT (series_id, recurrence_id) DO UPDATE SET capacity = excluded.capacity, updated_at = excluded.updated_at`,
				seriesID, rid, capacity, tx.now)
		}
		if err != nil {
			return storeErr("set capacity", err)
		}
		if out, err = findOneSeries(ctx, tx, false, "id = $1", seriesID); err != nil {
			return err
		}
		occs := natverk.CapacityChangeOccurrences(cur, out, rid, tx.now)
		promoted, err := applyCapacity(ctx, tx, cur, out, answers, answers, occs, nil)
		if err != nil {
			return err
		}
		tx.emit(natverk.CapacityEvent(out, rid, capacity, promoted, tx.now))
		return nil
	})
	return out, err
}

// DecideQuorum applies the quorum rule to one occurrence, once.
func (db *DB) DecideQuorum(ctx context.Context, seriesID int64, occurrence, now time.Time) (natverk.QuorumDecision, error) {
	rid := occurrence.UTC().Truncate(time.Second)
	d := natverk.QuorumDecision{SeriesID: seriesID, Occurrence: rid}
	err := db.write(ctx, func(tx *Tx) error {
		d.Done, d.Outcome, d.Yes = false, "", 0
		// The series row is locked (FOR UPDATE) first, as every change to
		// a series does; the job key then makes the decision once.
		s, err := findOneSeries(ctx, tx, true, "id = $1", seriesID)
		if err != nil {
			return err
		}
		if s.QuorumMin <= 0 {
			return natverk.Invalid(natverk.FieldError{Field: "quorum_min", Reason: "the series has no quorum rule"})
		}
		d.Min = s.QuorumMin
		tag, err := tx.Exec(ctx, `INSERT INTO jobs (key, created_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, natverk.QuorumJobKey(seriesID, rid), tx.now)
		if err != nil {
			return storeErr("claim quorum decision", err)
		}
		if tag.RowsAffected() == 0 {
			return nil // decided before
		}
		d.Done = true
		if s.Status != natverk.SeriesActive || !s.IsOccurrence(rid) {
			d.Outcome = natverk.QuorumMoot
			tx.emit(natverk.QuorumEvent(s, d, tx.now))
			return nil
		}
		inv, err := inviteeMemberships(ctx, tx, s.NetworkID)
		if err != nil {
			return err
		}
		answers, err := seriesAnswers(ctx, tx, seriesID)
		if err != nil {
			return err
		}
		d.Yes = natverk.CountYes(inv, answers, rid)
		if d.Yes < s.QuorumMin {
			d.Outcome = natverk.QuorumMissed
			tx.emit(natverk.QuorumEvent(s, d, tx.now))
			note := natverk.QuorumNote(d.Yes, d.Min)
			_, err := changeOccurrence(ctx, tx, s, natverk.Exception{RecurrenceID: rid, Cancelled: true, Reason: note}, now, note)
			return err
		}
		d.Outcome = natverk.QuorumReached
		evs := []events.Envelope{natverk.QuorumEvent(s, d, tx.now)}
		said := natverk.AnswersFor(answers, rid)
		for _, m := range inv {
			if said[m.MemberID] != natverk.AnswerNo {
				evs = append(evs, natverk.MailEvent(natverk.MailConfirmed, s.NetworkID, s.ID, m.MemberID, &rid, s.Sequence, "", tx.now))
			}
		}
		tx.emit(evs...)
		return nil
	})
	return d, err
}
