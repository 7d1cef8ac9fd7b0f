package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/natverk/natverk/internal/natverk"
)

// RecordAttendance stores who came to one meeting.
func (db *DB) RecordAttendance(ctx context.Context, seriesID int64, in natverk.AttendanceInput) (natverk.AttendanceResult, error) {
	if err := in.Validate(); err != nil {
		return natverk.AttendanceResult{}, err
	}
	rid := in.Occurrence.UTC().Truncate(time.Second)
	res := natverk.AttendanceResult{SeriesID: seriesID, Occurrence: rid}
	err := db.write(ctx, func(tx *Tx) error {
		s, err := findOneSeries(ctx, tx, false, "id = $1", seriesID)
		if err != nil {
			return err
		}
		if err := natverk.CheckAttendanceOccurrence(s, rid, tx.now); err != nil {
			return err
		}
		ids := append(append([]int64{}, in.Attended...), in.Absent...)
		var missing int64
		err = tx.QueryRow(ctx, `SELECT coalesce(min(id), 0) FROM unnest($1::bigint[]) AS u (id)
			WHERE NOT EXISTS (SELECT 1 FROM memberships ms WHERE ms.network_id = $2 AND ms.member_id = u.id)`, ids, s.NetworkID).Scan(&missing)
		if err != nil {
			return storeErr("check memberships", err)
		}
		if missing != 0 {
			return natverk.Invalid(natverk.FieldError{Field: "attended", Reason: "member " + strconv.FormatInt(missing, 10) + " is not in the network"})
		}
		came := make([]bool, 0, len(ids))
		for range in.Attended {
			came = append(came, true)
		}
		for range in.Absent {
			came = append(came, false)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO attendance (series_id, occurrence, member_id, network_id, attended, recorded_by, recorded_at)
			SELECT $1, $2, m, $3, a, $4, $5 FROM unnest($6::bigint[], $7::boolean[]) AS u (m, a)
			ON CONFLICT (series_id, occurrence, member_id) DO UPDATE SET attended = excluded.attended,
			recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at`,
			seriesID, rid.Unix(), s.NetworkID, in.RecordedBy, tx.now, ids, came); err != nil {
			return storeErr("store attendance", err)
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE attended), count(*) FILTER (WHERE NOT attended) FROM attendance WHERE series_id = $1 AND occurrence = $2`,
			seriesID, rid.Unix()).Scan(&res.Attended, &res.Absent); err != nil {
			return storeErr("count attendance", err)
		}
		tx.emit(natverk.AttendanceEvent(s, res, tx.now))
		return nil
	})
	return res, err
}

// FindAttendance lists attendance records.
func (db *DB) FindAttendance(ctx context.Context, f natverk.AttendanceFilter) ([]*natverk.Attendance, error) {
	var a args
	where := []string{"true"}
	if f.NetworkID != 0 {
		where = append(where, "network_id = "+a.add(f.NetworkID))
	}
	if f.SeriesID != 0 {
		where = append(where, "series_id = "+a.add(f.SeriesID))
	}
	if f.MemberID != 0 {
		where = append(where, "member_id = "+a.add(f.MemberID))
	}
	if !f.From.IsZero() {
		where = append(where, "occurrence >= "+a.add(f.From.Unix()))
	}
	if !f.To.IsZero() {
		where = append(where, "occurrence < "+a.add(f.To.Unix()))
	}
	rows, err := db.pool.Query(ctx, `SELECT network_id, series_id, occurrence, member_id, attended, recorded_by, recorded_at FROM attendance
		WHERE `+strings.Join(where, " AND ")+` ORDER BY occurrence, series_id, member_id`, a...)
	if err != nil {
		return nil, storeErr("find attendance", err)
	}
	defer rows.Close()
	var out []*natverk.Attendance
	for rows.Next() {
		var r natverk.Attendance
		var occ int64
		if err := rows.Scan(&r.NetworkID, &r.SeriesID, &occ, &r.MemberID, &r.Attended, &r.RecordedBy, &r.RecordedAt); err != nil {
			return nil, storeErr("scan attendance", err)
		}
		r.Occurrence, r.RecordedAt = time.Unix(occ, 0).UTC(), r.RecordedAt.UTC()
		out = append(out, &r)
	}
	return out, storeErr("find attendance", rows.Err())
}

// AttendanceMeetings lists a network's meetings with attendance recorded.
func (db *DB) AttendanceMeetings(ctx context.Context, networkID int64) ([]natverk.AttendanceMeeting, error) {
	rows, err := db.pool.Query(ctx, `SELECT series_id, occurrence, count(*) FILTER (WHERE attended), count(*) FILTER (WHERE NOT attended) FROM attendance
		WHERE network_id = $1 GROUP BY series_id, occurrence ORDER BY occurrence, series_id`, networkID)
	if err != nil {
		return nil, storeErr("find attendance meetings", err)
	}
	defer rows.Close()
	var out []natverk.AttendanceMeeting
	for rows.Next() {
		var m natverk.AttendanceMeeting
		var occ int64
		if err := rows.Scan(&m.SeriesID, &occ, &m.Attended, &m.Absent); err != nil {
			return nil, storeErr("scan attendance meeting", err)
		}
		m.Occurrence = time.Unix(occ, 0).UTC()
		out = append(out, m)
	}
	return out, storeErr("find attendance meetings", rows.Err())
}
