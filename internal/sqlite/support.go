package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

const supportColumns = `id, network_id, series_id, occurrence, what, cost_sek, status, note, requested_by, created_at, decided_at`

func scanSupport(row scanner) (*natverk.SupportRequest, error) {
	var r natverk.SupportRequest
	var occ, decided sql.NullString
	var created string
	if err := row.Scan(&r.ID, &r.NetworkID, &r.SeriesID, &occ, &r.What, &r.CostSEK, &r.Status, &r.Note, &r.RequestedBy, &created, &decided); err != nil {
		return nil, err
	}
	r.Occurrence, r.CreatedAt, r.DecidedAt = parseTimePtr(occ), parseTime(created), parseTimePtr(decided)
	return &r, nil
}

// CreateSupportRequest stores a request and queues the mail to the board.
func (db *DB) CreateSupportRequest(ctx context.Context, networkID, requestedBy int64, in natverk.SupportInput, board string) (*natverk.SupportRequest, error) {
	var out *natverk.SupportRequest
	err := db.write(ctx, func(tx *Tx) error {
		if _, err := findNetwork(ctx, tx, "id = ?", networkID); err != nil {
			return err
		}
		if in.SeriesID != 0 {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM series WHERE id = ? AND network_id = ?`, in.SeriesID, networkID).Scan(&n); err != nil {
				return storeErr("find series", err)
			} else if n == 0 {
				return natverk.Invalid(natverk.FieldError{Field: "series_id", Reason: "is not a meeting series of this network"})
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO support_requests (network_id, series_id, occurrence, what, cost_sek, status, requested_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			networkID, in.SeriesID, fmtTimePtr(in.Occurrence), in.What, in.CostSEK, natverk.SupportRequested, requestedBy, fmtTime(tx.now))
		if err != nil {
			return storeErr("insert support request", err)
		}
		id, _ := res.LastInsertId()
		out, err = scanSupport(tx.QueryRowContext(ctx, `SELECT `+supportColumns+` FROM support_requests WHERE id = ?`, id))
		if err != nil {
			return storeErr("find support request", err)
		}
		mail := events.MustNew(events.MailQueued, tx.now, events.Refs{NetworkID: networkID}, events.MailPayload{
			Kind: natverk.MailSupportRequest, NetworkID: networkID, SeriesID: in.SeriesID, To: board, RequestID: id, Occurrence: in.Occurrence,
		})
		return tx.emit(ctx, natverk.SupportEvent(events.SupportRequested, out, tx.now), mail)
	})
	return out, err
}

// DecideSupportRequest records the board's decision.
func (db *DB) DecideSupportRequest(ctx context.Context, id int64, d natverk.SupportDecision) (*natverk.SupportRequest, error) {
	var out *natverk.SupportRequest
	err := db.write(ctx, func(tx *Tx) error {
		r, err := scanSupport(tx.QueryRowContext(ctx, `SELECT `+supportColumns+` FROM support_requests WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return natverk.Errorf(natverk.ENOTFOUND, "Support request not found.")
		} else if err != nil {
			return storeErr("find support request", err)
		}
		if r.Status != natverk.SupportRequested {
			return natverk.Errorf(natverk.ECONFLICT, "The request was already %s.", r.Status)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE support_requests SET status = ?, note = ?, decided_at = ? WHERE id = ?`, d.Status, d.Note, fmtTime(tx.now), id); err != nil {
			return storeErr("decide support request", err)
		}
		out, err = scanSupport(tx.QueryRowContext(ctx, `SELECT `+supportColumns+` FROM support_requests WHERE id = ?`, id))
		if err != nil {
			return storeErr("find support request", err)
		}
		evs := []events.Envelope{natverk.SupportEvent(events.SupportDecided, out, tx.now)}
		rows, err := tx.QueryContext(ctx, `SELECT member_id FROM memberships WHERE network_id = ? AND organizer = 1 ORDER BY member_id`, r.NetworkID)
		if err != nil {
			return storeErr("find organizers", err)
		}
		defer rows.Close()
		for rows.Next() {
			var mid int64
			if err := rows.Scan(&mid); err != nil {
				return storeErr("scan organizer", err)
			}
			evs = append(evs, events.MustNew(events.MailQueued, tx.now, events.Refs{NetworkID: r.NetworkID, MemberID: mid}, events.MailPayload{
				Kind: natverk.MailSupportDecided, NetworkID: r.NetworkID, SeriesID: r.SeriesID, MemberID: mid, RequestID: id, Occurrence: r.Occurrence,
			}))
		}
		if err := rows.Err(); err != nil {
			return storeErr("find organizers", err)
		}
		return tx.emit(ctx, evs...)
	})
	return out, err
}

// FindSupportRequests lists a network's requests.
func (db *DB) FindSupportRequests(ctx context.Context, networkID int64) ([]*natverk.SupportRequest, error) {
	q, args := `SELECT `+supportColumns+` FROM support_requests ORDER BY id DESC`, []any{}
	if networkID != 0 {
		q, args = `SELECT `+supportColumns+` FROM support_requests WHERE network_id = ? ORDER BY id DESC`, []any{networkID}
	}
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, storeErr("find support requests", err)
	}
	defer rows.Close()
	var out []*natverk.SupportRequest
	for rows.Next() {
		r, err := scanSupport(rows)
		if err != nil {
			return nil, storeErr("scan support request", err)
		}
		out = append(out, r)
	}
	return out, storeErr("find support requests", rows.Err())
}

// FindSupportRequestByID returns one request.
func (db *DB) FindSupportRequestByID(ctx context.Context, id int64) (*natverk.SupportRequest, error) {
	r, err := scanSupport(db.r.QueryRowContext(ctx, `SELECT `+supportColumns+` FROM support_requests WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, natverk.Errorf(natverk.ENOTFOUND, "Support request not found.")
	}
	return r, storeErr("find support request", err)
}
