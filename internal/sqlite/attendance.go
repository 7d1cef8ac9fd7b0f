package sqlite

import (
	"context"
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
		s, err := findOneSeries(ctx, tx, "id = ?", seriesID)
		if err != nil {
			return err
		}
		if err := natverk.CheckAttendanceOccurrence(s, rid, tx.now); err != nil {
			return err
		}
		check, err := tx.PrepareContext(ctx, `SELECT count(*) FROM memberships WHERE network_id = ? AND member_id = ?`)
		if err != nil {
			return storeErr("prepare membership check", err)
		}
		defer check.Close()
		put, err := tx.PrepareContext(ctx, `INSERT INTO attendance (series_id, occurrence, member_id, network_id, attended, recorded_by, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (series_id, occurrence, member_id) DO UPDATE SET attended = excluded.attended,
			recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at`)
		if err != nil {
			return storeErr("prepare attendance", err)
		}
		defer put.Close()
		for _, list := range []struct {
			ids  []int64
			came bool
		}{{in.Attended, true}, {in.Absent, false}} {
			for _, id := range list.ids {
				var n int
				if err := check.QueryRowContext(ctx, s.NetworkID, id).Scan(&n); err != nil {
					return storeErr("check membership", err)
				}
				if n == 0 {
					return natverk.Invalid(natverk.FieldError{Field: "attended", Reason: "member " + itoa(id) + " is not in the network"})
				}
				if _, err := put.ExecContext(ctx, seriesID, rid.Unix(), id, s.NetworkID, boolInt(list.came), in.RecordedBy, fmtTime(tx.now)); err != nil {
					return storeErr("store attendance", err)
				}
			}
		}
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(sum(attended), 0), count(*) - coalesce(sum(attended), 0) FROM attendance WHERE series_id = ? AND occurrence = ?`,
			seriesID, rid.Unix()).Scan(&res.Attended, &res.Absent); err != nil {
			return storeErr("count attendance", err)
		}
		return tx.emit(ctx, natverk.AttendanceEvent(s, res, tx.now))
	})
	return res, err
}

// FindAttendance lists attendance records.
func (db *DB) FindAttendance(ctx context.Context, f natverk.AttendanceFilter) ([]*natverk.Attendance, error) {
	where, args := []string{"1 = 1"}, []any{}
	if f.NetworkID != 0 {
		where, args = append(where, "network_id = ?"), append(args, f.NetworkID)
	}
	if f.SeriesID != 0 {
		where, args = append(where, "series_id = ?"), append(args, f.SeriesID)
	}
	if f.MemberID != 0 {
		where, args = append(where, "member_id = ?"), append(args, f.MemberID)
	}
	if !f.From.IsZero() {
		where, args = append(where, "occurrence >= ?"), append(args, f.From.Unix())
	}
	if !f.To.IsZero() {
		where, args = append(where, "occurrence < ?"), append(args, f.To.Unix())
	}
	rows, err := db.r.QueryContext(ctx, `SELECT network_id, series_id, occurrence, member_id, attended, recorded_by, recorded_at FROM attendance
		WHERE `+strings.Join(where, " AND ")+` ORDER BY occurrence, series_id, member_id`, args...)
	if err != nil {
		return nil, storeErr("find attendance", err)
	}
	defer rows.Close()
	var out []*natverk.Attendance
	for rows.Next() {
		var a natverk.Attendance
		var occ int64
		var at string
		if err := rows.Scan(&a.NetworkID, &a.SeriesID, &occ, &a.MemberID, &a.Attended, &a.RecordedBy, &at); err != nil {
			return nil, storeErr("scan attendance", err)
		}
		a.Occurrence, a.RecordedAt = time.Unix(occ, 0).UTC(), parseTime(at)
		out = append(out, &a)
	}
	return out, storeErr("find attendance", rows.Err())
}

// AttendanceMeetings lists a network's meetings with attendance recorded.
func (db *DB) AttendanceMeetings(ctx context.Context, networkID int64) ([]natverk.AttendanceMeeting, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT series_id, occurrence, sum(attended), count(*) - sum(attended) FROM attendance
		WHERE network_id = ? GROUP BY series_id, occurrence ORDER BY occurrence, series_id`, networkID)
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
