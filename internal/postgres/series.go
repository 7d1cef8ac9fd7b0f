package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

const seriesColumns = `id, network_id, uid, summary, description, location, location_url, time_zone, start_local, duration_s, rrule, sequence, status, capacity, skip_holidays, summer_break, quorum_min, quorum_before_s, created_at, updated_at`

func scanSeries(row scanner) (*natverk.Series, error) {
	var s natverk.Series
	var start time.Time
	var dur, quorumBefore int64
	if err := row.Scan(&s.ID, &s.NetworkID, &s.UID, &s.Summary, &s.Description, &s.Location, &s.LocationURL, &s.TimeZone, &start, &dur,
		&s.Rule, &s.Sequence, &s.Status, &s.Capacity, &s.SkipHolidays, &s.SummerBreak, &s.QuorumMin, &quorumBefore, &s.CreatedAt, &s.UpdatedAt); err != nil {
		return nil, err
	}
	s.QuorumBefore = natverk.Period(time.Duration(quorumBefore) * time.Second)
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("series %d: %w", s.ID, err)
	}
	s.Start = time.Date(start.Year(), start.Month(), start.Day(), start.Hour(), start.Minute(), start.Second(), start.Nanosecond(), loc)
	s.Duration = time.Duration(dur) * time.Second
	s.CreatedAt, s.UpdatedAt = utc(s.CreatedAt), utc(s.UpdatedAt)
	return &s, nil
}

// wallClock returns t's local date and time as a UTC time, the value of
// a timestamp (without time zone) column.
func wallClock(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
}

// findSeries returns the series matching where, oldest first, with their
// exceptions; lock takes their rows FOR UPDATE. The series and their
// exceptions are read in one round trip (a batch of two statements, the
// second selecting the exceptions of the series where matches; an
// exception of a series the first did not return is ignored).
func findSeries(ctx context.Context, q querier, lock bool, where string, args ...any) ([]*natverk.Series, error) {
	sql := `SELECT ` + seriesColumns + ` FROM series WHERE ` + where + ` ORDER BY id`
	if lock {
		sql += ` FOR UPDATE`
	}
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	b.Queue(`SELECT series_id, recurrence_id, cancelled, start_at, duration_s, summary, location, description, reason, capacity, updated_at
		FROM series_exceptions WHERE series_id IN (SELECT id FROM series WHERE `+where+`) ORDER BY series_id, recurrence_id`, args...)
	br := q.SendBatch(ctx, b)
	out, err := scanSeriesBatch(br)
	if cerr := br.Close(); err == nil && cerr != nil {
		err = storeErr("find series", cerr)
	}
	return out, err
}

// scanSeriesBatch reads findSeries' two results.
func scanSeriesBatch(br pgx.BatchResults) ([]*natverk.Series, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, storeErr("find series", err)
	}
	var out []*natverk.Series
	byID := map[int64]*natverk.Series{}
	for rows.Next() {
		s, err := scanSeries(rows)
		if err != nil {
			rows.Close()
			return nil, storeErr("scan series", err)
		}
		out = append(out, s)
		byID[s.ID] = s
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, storeErr("find series", err)
	}
	rows, err = br.Query()
	if err != nil {
		return nil, storeErr("find exceptions", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ex natverk.Exception
		var sid, dur int64
		var start *time.Time
		if err := rows.Scan(&sid, &ex.RecurrenceID, &ex.Cancelled, &start, &dur, &ex.Summary, &ex.Location, &ex.Description, &ex.Reason, &ex.Capacity, &ex.UpdatedAt); err != nil {
			return nil, storeErr("scan exception", err)
		}
		s := byID[sid]
		if s == nil {
			continue // a series that began to match after the first read
		}
		loc := s.Start.Location()
		ex.RecurrenceID = ex.RecurrenceID.In(loc)
		if start != nil {
			ex.Start = start.In(loc)
		}
		ex.Duration = time.Duration(dur) * time.Second
		ex.UpdatedAt = utc(ex.UpdatedAt)
		s.Exceptions = append(s.Exceptions, ex)
	}
	return out, storeErr("find exceptions", rows.Err())
}

// findOneSeries returns the series with the id; lock takes its row FOR
// UPDATE.
func findOneSeries(ctx context.Context, q querier, lock bool, where string, arg any) (*natverk.Series, error) {
	ss, err := findSeries(ctx, q, lock, where, arg)
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
		n, err := findNetwork(ctx, tx, forShare, "id = $1", s.NetworkID)
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
		out, err = findOneSeries(ctx, tx, false, "id = $1", id)
		if err != nil {
			return err
		}
		recipients, err := invitees(ctx, tx, s.NetworkID)
		if err != nil {
			return err
		}
		tx.emit(natverk.MeetingEvent(events.MeetingScheduled, out, tx.now, false))
		for _, mid := range recipients {
			tx.emit(natverk.MailEvent(natverk.MailInvitation, n.ID, id, mid, nil, out.Sequence, "", tx.now))
		}
		return nil
	})
	return out, err
}

func insertSeries(ctx context.Context, tx *Tx, s *natverk.Series) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO series (network_id, uid, summary, description, location, location_url, time_zone, start_local, duration_s, rrule, sequence, status, capacity, skip_holidays, summer_break, quorum_min, quorum_before_s, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18) RETURNING id`,
		s.NetworkID, s.UID, s.Summary, s.Description, s.Location, s.LocationURL, s.TimeZone, wallClock(s.Start), int64(s.Duration/time.Second),
		s.Rule, s.Sequence, natverk.SeriesActive, s.Capacity, s.SkipHolidays, s.SummerBreak, s.QuorumMin, int64(time.Duration(s.QuorumBefore)/time.Second), tx.now).Scan(&id)
	if err != nil {
		return 0, storeErr("insert series", err)
	}
	for _, ex := range s.Exceptions {
		if err := putException(ctx, tx, id, ex); err != nil {
			return 0, err
		}
	}
	return id, nil
}

func putException(ctx context.Context, tx *Tx, seriesID int64, ex natverk.Exception) error {
	_, err := tx.Exec(ctx, `INSERT INTO series_exceptions (series_id, recurrence_id, cancelled, start_at, duration_s, summary, location, description, reason, capacity, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (series_id, recurrence_id) DO UPDATE SET cancelled = excluded.cancelled, start_at = excluded.start_at, duration_s = excluded.duration_s,
		summary = excluded.summary, location = excluded.location, description = excluded.description, reason = excluded.reason, capacity = excluded.capacity, updated_at = excluded.updated_at`,
		seriesID, ex.RecurrenceID.UTC(), ex.Cancelled, nullTime(&ex.Start), int64(ex.Duration/time.Second), ex.Summary, ex.Location, ex.Description, ex.Reason, ex.Capacity, tx.now)
	return storeErr("put exception", err)
}

// FindSeriesByID returns a series.
func (db *DB) FindSeriesByID(ctx context.Context, id int64) (*natverk.Series, error) {
	return findOneSeries(ctx, db.pool, false, "id = $1", id)
}

// FindSeriesByUID returns a series.
func (db *DB) FindSeriesByUID(ctx context.Context, uid string) (*natverk.Series, error) {
	return findOneSeries(ctx, db.pool, false, "uid = $1", uid)
}

// FindSeries lists a network's series.
func (db *DB) FindSeries(ctx context.Context, networkID int64) ([]*natverk.Series, error) {
	return findSeries(ctx, db.pool, false, "network_id = $1", networkID)
}

// activeSeriesForUpdate locks and returns an active series; ECONFLICT if
// it has ended or was cancelled.
func activeSeriesForUpdate(ctx context.Context, tx *Tx, id int64) (*natverk.Series, error) {
	cur, err := findOneSeries(ctx, tx, true, "id = $1", id)
	if err != nil {
		return nil, err
	}
	if cur.Status != natverk.SeriesActive {
		return nil, natverk.Errorf(natverk.ECONFLICT, "The meeting series is %s.", cur.Status)
	}
	return cur, nil
}

// UpdateSeries stores the new state of a series.
func (db *DB) UpdateSeries(ctx context.Context, id int64, next *natverk.Series, significant bool) (*natverk.Series, error) {
	var out *natverk.Series
	err := db.write(ctx, func(tx *Tx) error {
		cur, err := activeSeriesForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE series SET summary = $1, description = $2, location = $3, location_url = $4, start_local = $5, duration_s = $6, rrule = $7,
			capacity = $8, quorum_min = $9, quorum_before_s = $10, sequence = $11, updated_at = $12 WHERE id = $13`,
			next.Summary, next.Description, next.Location, next.LocationURL, wallClock(next.Start), int64(next.Duration/time.Second), next.Rule,
			next.Capacity, next.QuorumMin, int64(time.Duration(next.QuorumBefore)/time.Second), cur.Sequence+1, tx.now, id); err != nil {
			return storeErr("update series", err)
		}
		out, err = findOneSeries(ctx, tx, false, "id = $1", id)
		if err != nil {
			return err
		}
		return queueSeriesMail(ctx, tx, out, natverk.MeetingEvent(events.MeetingUpdated, out, tx.now, significant), natverk.MailUpdate, nil)
	})
	return out, err
}

// queueSeriesMail emits ev and one mail.queued of kind per invitee.
func queueSeriesMail(ctx context.Context, tx *Tx, s *natverk.Series, ev events.Envelope, kind string, occ *time.Time) error {
	recipients, err := invitees(ctx, tx, s.NetworkID)
	if err != nil {
		return err
	}
	tx.emit(ev)
	for _, mid := range recipients {
		tx.emit(natverk.MailEvent(kind, s.NetworkID, s.ID, mid, occ, s.Sequence, "", tx.now))
	}
	return nil
}

// ChangeOccurrence cancels or moves one occurrence. Cancelling an
// occurrence that is already cancelled writes nothing.
func (db *DB) ChangeOccurrence(ctx context.Context, seriesID int64, ex natverk.Exception, now time.Time) (*natverk.Series, error) {
	var out *natverk.Series
	err := db.write(ctx, func(tx *Tx) error {
		cur, err := activeSeriesForUpdate(ctx, tx, seriesID)
		if err != nil {
			return err
		}
		out, err = changeOccurrence(ctx, tx, cur, ex, now, "")
		return err
	})
	return out, err
}

// changeOccurrence stores the exception on the active series cur (its row
// locked), raises SEQUENCE and writes the event and, for an occurrence
// still to come, one mail to every invitee carrying note. A cancellation
// of a cancelled occurrence returns cur and writes nothing.
func changeOccurrence(ctx context.Context, tx *Tx, cur *natverk.Series, ex natverk.Exception, now time.Time, note string) (*natverk.Series, error) {
	// Occurrences start on whole seconds; so do the stored keys (the
	// same rule as the SQLite store).
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
	if _, err := tx.Exec(ctx, `UPDATE series SET sequence = $1, updated_at = $2 WHERE id = $3`, cur.Sequence+1, tx.now, cur.ID); err != nil {
		return nil, storeErr("update series", err)
	}
	out, err := findOneSeries(ctx, tx, false, "id = $1", cur.ID)
	if err != nil {
		return nil, err
	}
	stored := out.Exception(ex.RecurrenceID)
	if stored == nil {
		return nil, fmt.Errorf("postgres: change occurrence: exception %v of series %d not found after storing it", ex.RecurrenceID, cur.ID)
	}
	ev := natverk.OccurrenceEvent(out, stored, tx.now)
	past := !ex.RecurrenceID.After(now) && (ex.Cancelled || !ex.Start.After(now))
	if past {
		// Changes to past occurrences never send iTIP mail.
		tx.emit(ev)
		return out, nil
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
	tx.emit(ev)
	for _, mid := range recipients {
		tx.emit(natverk.MailEvent(kind, out.NetworkID, out.ID, mid, &rid, out.Sequence, note, tx.now))
	}
	return out, nil
}

// SplitSeries ends a series and stores its continuation.
func (db *DB) SplitSeries(ctx context.Context, id int64, ended *natverk.Series, next *natverk.Series) (*natverk.Series, error) {
	var out *natverk.Series
	err := db.write(ctx, func(tx *Tx) error {
		// Lock the network before the series, as CloseNetwork does, so a
		// close in progress sees the continuation or refuses it.
		var networkID int64
		if err := tx.QueryRow(ctx, `SELECT network_id FROM series WHERE id = $1`, id).Scan(&networkID); errors.Is(err, pgx.ErrNoRows) {
			return natverk.Errorf(natverk.ENOTFOUND, "Meeting series not found.")
		} else if err != nil {
			return storeErr("find series", err)
		}
		if _, err := findNetwork(ctx, tx, forShare, "id = $1", networkID); err != nil {
			return err
		}
		cur, err := activeSeriesForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE series SET rrule = $1, sequence = $2, status = $3, updated_at = $4 WHERE id = $5`,
			ended.Rule, cur.Sequence+1, natverk.SeriesEnded, tx.now, id); err != nil {
			return storeErr("end series", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM series_exceptions WHERE series_id = $1 AND recurrence_id >= $2`, id, next.Start.UTC()); err != nil {
			return storeErr("move exceptions", err)
		}
		next.NetworkID = cur.NetworkID
		nid, err := insertSeries(ctx, tx, next)
		if err != nil {
			return err
		}
		old, err := findOneSeries(ctx, tx, false, "id = $1", id)
		if err != nil {
			return err
		}
		out, err = findOneSeries(ctx, tx, false, "id = $1", nid)
		if err != nil {
			return err
		}
		if err := queueSeriesMail(ctx, tx, old, natverk.MeetingEvent(events.MeetingEnded, old, tx.now, true), natverk.MailUpdate, nil); err != nil {
			return err
		}
		return queueSeriesMail(ctx, tx, out, natverk.MeetingEvent(events.MeetingScheduled, out, tx.now, false), natverk.MailInvitation, nil)
	})
	return out, err
}
