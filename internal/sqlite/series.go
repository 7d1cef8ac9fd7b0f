package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

const seriesColumns = `id, network_id, uid, summary, description, location, location_url, time_zone, start_local, duration_s, rrule, sequence, status, capacity, skip_holidays, summer_break, quorum_min, quorum_before_s, created_at, updated_at`

const localLayout = "2006-01-02T15:04:05"

func scanSeries(row scanner) (*natverk.Series, error) {
	var s natverk.Series
	var start, created, updated string
	var dur, quorumBefore int64
	if err := row.Scan(&s.ID, &s.NetworkID, &s.UID, &s.Summary, &s.Description, &s.Location, &s.LocationURL, &s.TimeZone, &start, &dur,
		&s.Rule, &s.Sequence, &s.Status, &s.Capacity, &s.SkipHolidays, &s.SummerBreak, &s.QuorumMin, &quorumBefore, &created, &updated); err != nil {
		return nil, err
	}
	s.QuorumBefore = natverk.Period(time.Duration(quorumBefore) * time.Second)
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return nil, err
	}
	s.Start, err = time.ParseInLocation(localLayout, start, loc)
	if err != nil {
		return nil, err
	}
	s.Duration = time.Duration(dur) * time.Second
	s.CreatedAt, s.UpdatedAt = parseTime(created), parseTime(updated)
	return &s, nil
}

func findSeries(ctx context.Context, q querier, where string, args ...any) ([]*natverk.Series, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+seriesColumns+` FROM series WHERE `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, storeErr("find series", err)
	}
	var out []*natverk.Series
	for rows.Next() {
		s, err := scanSeries(rows)
		if err != nil {
			rows.Close()
			return nil, storeErr("scan series", err)
		}
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, storeErr("find series", err)
	}
	for _, s := range out {
		if err := loadExceptions(ctx, q, s); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func loadExceptions(ctx context.Context, q querier, s *natverk.Series) error {
	rows, err := q.QueryContext(ctx, `SELECT recurrence_id, cancelled, start_at, duration_s, summary, location, description, reason, capacity, updated_at
		FROM series_exceptions WHERE series_id = ? ORDER BY recurrence_id`, s.ID)
	if err != nil {
		return storeErr("find exceptions", err)
	}
	defer rows.Close()
	loc := s.Start.Location()
	s.Exceptions = nil
	for rows.Next() {
		var ex natverk.Exception
		var rid, updated string
		var start sql.NullString
		var dur int64
		if err := rows.Scan(&rid, &ex.Cancelled, &start, &dur, &ex.Summary, &ex.Location, &ex.Description, &ex.Reason, &ex.Capacity, &updated); err != nil {
			return storeErr("scan exception", err)
		}
		ex.RecurrenceID = parseTime(rid).In(loc)
		if t := parseTimePtr(start); t != nil {
			ex.Start = t.In(loc)
		}
		ex.Duration = time.Duration(dur) * time.Second
		ex.UpdatedAt = parseTime(updated)
		s.Exceptions = append(s.Exceptions, ex)
	}
	return storeErr("find exceptions", rows.Err())
}

func findOneSeries(ctx context.Context, q querier, where string, arg any) (*natverk.Series, error) {
	ss, err := findSeries(ctx, q, where, arg)
	if err != nil {
		return nil, err
	}
	if len(ss) == 0 {
		return nil, natverk.Errorf(natverk.ENOTFOUND, "Meeting series not found.")
	}
	return ss[0], nil
}

// CreateSeries stores a series and queues invitations to the network's
// invitees.
func (db *DB) CreateSeries(ctx context.Context, s *natverk.Series) (*natverk.Series, error) {
	var out *natverk.Series
	err := db.write(ctx, func(tx *Tx) error {
		n, err := findNetwork(ctx, tx, "id = ?", s.NetworkID)
		if err != nil {
			return err
		}
		if n.Status != natverk.NetworkActive {
			return natverk.Errorf(natverk.ECONFLICT, "The network is closed.")
		}
		id, err := insertSeries(ctx, tx, s)
		if err != nil {
			return err
		}
		out, err = findOneSeries(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		evs := []events.Envelope{natverk.MeetingEvent(events.MeetingScheduled, out, tx.now, false)}
		recipients, err := invitees(ctx, tx, s.NetworkID)
		if err != nil {
			return err
		}
		for _, mid := range recipients {
			evs = append(evs, natverk.MailEvent(natverk.MailInvitation, n.ID, id, mid, nil, out.Sequence, "", tx.now))
		}
		return tx.emit(ctx, evs...)
	})
	return out, err
}

func insertSeries(ctx context.Context, tx *Tx, s *natverk.Series) (int64, error) {
	now := fmtTime(tx.now)
	res, err := tx.ExecContext(ctx, `INSERT INTO series (network_id, uid, summary, description, location, location_url, time_zone, start_local, duration_s, rrule, sequence, status, capacity, skip_holidays, summer_break, quorum_min, quorum_before_s, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.NetworkID, s.UID, s.Summary, s.Description, s.Location, s.LocationURL, s.TimeZone, s.Start.Format(localLayout), int64(s.Duration/time.Second),
		s.Rule, s.Sequence, natverk.SeriesActive, s.Capacity, s.SkipHolidays, s.SummerBreak, s.QuorumMin, int64(time.Duration(s.QuorumBefore)/time.Second), now, now)
	if err != nil {
		return 0, storeErr("insert series", err)
	}
	id, _ := res.LastInsertId()
	for _, ex := range s.Exceptions {
		if err := putException(ctx, tx, id, ex); err != nil {
			return 0, err
		}
	}
	return id, nil
}

func putException(ctx context.Context, tx *Tx, seriesID int64, ex natverk.Exception) error {
	var start any
	if !ex.Start.IsZero() {
		start = fmtTime(ex.Start)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO series_exceptions (series_id, recurrence_id, cancelled, start_at, duration_s, summary, location, description, reason, capacity, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (series_id, recurrence_id) DO UPDATE SET cancelled = excluded.cancelled, start_at = excluded.start_at, duration_s = excluded.duration_s,
		summary = excluded.summary, location = excluded.location, description = excluded.description, reason = excluded.reason, capacity = excluded.capacity, updated_at = excluded.updated_at`,
		seriesID, fmtTime(ex.RecurrenceID), boolInt(ex.Cancelled), start, int64(ex.Duration/time.Second), ex.Summary, ex.Location, ex.Description, ex.Reason, ex.Capacity, fmtTime(tx.now))
	return storeErr("put exception", err)
}

// FindSeriesByID returns a series.
func (db *DB) FindSeriesByID(ctx context.Context, id int64) (*natverk.Series, error) {
	return findOneSeries(ctx, db.r, "id = ?", id)
}

// FindSeriesByUID returns a series.
func (db *DB) FindSeriesByUID(ctx context.Context, uid string) (*natverk.Series, error) {
	return findOneSeries(ctx, db.r, "uid = ?", uid)
}

// FindSeries lists a network's series.
func (db *DB) FindSeries(ctx context.Context, networkID int64) ([]*natverk.Series, error) {
	return findSeries(ctx, db.r, "network_id = ?", networkID)
}

// UpdateSeries stores the new state of a series.
func (db *DB) UpdateSeries(ctx context.Context, id int64, next *natverk.Series, significant bool) (*natverk.Series, error) {
	var out *natverk.Series
	err := db.write(ctx, func(tx *Tx) error {
		cur, err := findOneSeries(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		if cur.Status != natverk.SeriesActive {
			return natverk.Errorf(natverk.ECONFLICT, "The meeting series is %s.", cur.Status)
		}
		seq := cur.Sequence + 1
		if _, err := tx.ExecContext(ctx, `UPDATE series SET summary = ?, description = ?, location = ?, location_url = ?, start_local = ?, duration_s = ?, rrule = ?,
			capacity = ?, quorum_min = ?, quorum_before_s = ?, sequence = ?, updated_at = ? WHERE id = ?`,
			next.Summary, next.Description, next.Location, next.LocationURL, next.Start.Format(localLayout), int64(next.Duration/time.Second), next.Rule,
			next.Capacity, next.QuorumMin, int64(time.Duration(next.QuorumBefore)/time.Second), seq, fmtTime(tx.now), id); err != nil {
			return storeErr("update series", err)
		}
		out, err = findOneSeries(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		return queueSeriesMail(ctx, tx, out, natverk.MeetingEvent(events.MeetingUpdated, out, tx.now, significant), natverk.MailUpdate, nil)
	})
	return out, err
}

// queueSeriesMail writes ev and one mail.queued of kind per invitee.
func queueSeriesMail(ctx context.Context, tx *Tx, s *natverk.Series, ev events.Envelope, kind string, occ *time.Time) error {
	recipients, err := invitees(ctx, tx, s.NetworkID)
	if err != nil {
		return err
	}
	evs := []events.Envelope{ev}
	for _, mid := range recipients {
		evs = append(evs, natverk.MailEvent(kind, s.NetworkID, s.ID, mid, occ, s.Sequence, "", tx.now))
	}
	return tx.emit(ctx, evs...)
}

// ChangeOccurrence cancels or moves one occurrence. Cancelling an
// occurrence that is already cancelled writes nothing.
func (db *DB) ChangeOccurrence(ctx context.Context, seriesID int64, ex natverk.Exception, now time.Time) (*natverk.Series, error) {
	var out *natverk.Series
	err := db.write(ctx, func(tx *Tx) error {
		cur, err := findOneSeries(ctx, tx, "id = ?", seriesID)
		if err != nil {
			return err
		}
		if cur.Status != natverk.SeriesActive {
			return natverk.Errorf(natverk.ECONFLICT, "The meeting series is %s.", cur.Status)
		}
		out, err = changeOccurrence(ctx, tx, cur, ex, now, "")
		return err
	})
	return out, err
}

// changeOccurrence stores the exception on the active series cur, raises
// SEQUENCE and writes the event and, for an occurrence still to come, one
// mail to every invitee carrying note. A cancellation of a cancelled
// occurrence returns cur and writes nothing.
func changeOccurrence(ctx context.Context, tx *Tx, cur *natverk.Series, ex natverk.Exception, now time.Time, note string) (*natverk.Series, error) {
	// Occurrences start on whole seconds; so do the stored keys.
	ex.RecurrenceID = ex.RecurrenceID.Truncate(time.Second)
	ex.Start = ex.Start.Truncate(time.Second)
	if old := cur.Exception(ex.RecurrenceID); old != nil {
		if ex.Cancelled && old.Cancelled {
			return cur, nil
		}
		ex.Capacity = old.Capacity // a move keeps the occurrence's capacity
	}
	if err := putException(ctx, tx, cur.ID, ex); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE series SET sequence = ?, updated_at = ? WHERE id = ?`, cur.Sequence+1, fmtTime(tx.now), cur.ID); err != nil {
		return nil, storeErr("update series", err)
	}
	out, err := findOneSeries(ctx, tx, "id = ?", cur.ID)
	if err != nil {
		return nil, err
	}
	stored := out.Exception(ex.RecurrenceID)
	if stored == nil {
		return nil, fmt.Errorf("sqlite: exception %s of series %d not found after writing it", ex.RecurrenceID, cur.ID)
	}
	ev := natverk.OccurrenceEvent(out, stored, tx.now)
	past := !ex.RecurrenceID.After(now) && (ex.Cancelled || !ex.Start.After(now))
	if past {
		// Changes to past occurrences never send iTIP mail.
		return out, tx.emit(ctx, ev)
	}
	kind := natverk.MailOccurrenceMoved
	if ex.Cancelled {
		kind = natverk.MailOccurrenceCancelled
	}
	rid := ex.RecurrenceID.UTC()
	recipients, err := invitees(ctx, tx, out.NetworkID)
	if err != nil {
		return nil, err
	}
	evs := []events.Envelope{ev}
	for _, mid := range recipients {
		evs = append(evs, natverk.MailEvent(kind, out.NetworkID, out.ID, mid, &rid, out.Sequence, note, tx.now))
	}
	return out, tx.emit(ctx, evs...)
}

// SplitSeries ends a series and stores its continuation.
func (db *DB) SplitSeries(ctx context.Context, id int64, ended *natverk.Series, next *natverk.Series) (*natverk.Series, error) {
	var out *natverk.Series
	err := db.write(ctx, func(tx *Tx) error {
		cur, err := findOneSeries(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		if cur.Status != natverk.SeriesActive {
			return natverk.Errorf(natverk.ECONFLICT, "The meeting series is %s.", cur.Status)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE series SET rrule = ?, sequence = ?, status = ?, updated_at = ? WHERE id = ?`,
			ended.Rule, cur.Sequence+1, natverk.SeriesEnded, fmtTime(tx.now), id); err != nil {
			return storeErr("end series", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM series_exceptions WHERE series_id = ? AND recurrence_id >= ?`, id, fmtTime(next.Start)); err != nil {
			return storeErr("move exceptions", err)
		}
		next.NetworkID = cur.NetworkID
		nid, err := insertSeries(ctx, tx, next)
		if err != nil {
			return err
		}
		old, err := findOneSeries(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		out, err = findOneSeries(ctx, tx, "id = ?", nid)
		if err != nil {
			return err
		}
		endEv := natverk.MeetingEvent(events.MeetingEnded, old, tx.now, true)
		if err := queueSeriesMail(ctx, tx, old, endEv, natverk.MailUpdate, nil); err != nil {
			return err
		}
		return queueSeriesMail(ctx, tx, out, natverk.MeetingEvent(events.MeetingScheduled, out, tx.now, false), natverk.MailInvitation, nil)
	})
	return out, err
}

var _ = errors.New
