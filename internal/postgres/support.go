package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

const supportColumns = `id, network_id, series_id, occurrence, what, cost_sek, status, note, requested_by, created_at, decided_at`

func scanSupport(row scanner) (*natverk.SupportRequest, error) {
	var r natverk.SupportRequest
	if err := row.Scan(&r.ID, &r.NetworkID, &r.SeriesID, &r.Occurrence, &r.What, &r.CostSEK, &r.Status, &r.Note, &r.RequestedBy, &r.CreatedAt, &r.DecidedAt); err != nil {
		return nil, err
	}
	r.Occurrence, r.CreatedAt, r.DecidedAt = utcPtr(r.Occurrence), utc(r.CreatedAt), utcPtr(r.DecidedAt)
	return &r, nil
}

// CreateSupportRequest stores a request and queues the mail to the board.
func (db *DB) CreateSupportRequest(ctx context.Context, networkID, requestedBy int64, in natverk.SupportInput, board string) (*natverk.SupportRequest, error) {
	var out *natverk.SupportRequest
	err := db.write(ctx, func(tx *Tx) error {
		if _, err := findNetwork(ctx, tx, noLock, "id = $1", networkID); err != nil {
			return err
		}
		if in.SeriesID != 0 {
			var ok bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM series WHERE id = $1 AND network_id = $2)`, in.SeriesID, networkID).Scan(&ok); err != nil {
				return storeErr("find series", err)
			} else if !ok {
				return natverk.Invalid(natverk.FieldError{Field: "series_id", Reason: "is not a meeting series of this network"})
			}
		}
		var err error
		out, err = scanSupport(tx.QueryRow(ctx, `INSERT INTO support_requests (network_id, series_id, occurrence, what, cost_sek, status, requested_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+supportColumns,
			networkID, in.SeriesID, nullTime(in.Occurrence), in.What, in.CostSEK, natverk.SupportRequested, requestedBy, tx.now))
		if err != nil {
			return storeErr("insert support request", err)
		}
		mail := events.MustNew(events.MailQueued, tx.now, events.Refs{NetworkID: networkID}, events.MailPayload{
			Kind: natverk.MailSupportRequest, NetworkID: networkID, SeriesID: in.SeriesID, To: board, RequestID: out.ID, Occurrence: in.Occurrence,
		})
		tx.emit(natverk.SupportEvent(events.SupportRequested, out, tx.now), mail)
		return nil
	})
	return out, err
}

// DecideSupportRequest records the board's decision; the request's row
// is locked, so of two decisions at once the second finds it decided.
func (db *DB) DecideSupportRequest(ctx context.Context, id int64, d natverk.SupportDecision) (*natverk.SupportRequest, error) {
	var out *natverk.SupportRequest
	err := db.write(ctx, func(tx *Tx) error {
		r, err := scanSupport(tx.QueryRow(ctx, `SELECT `+supportColumns+` FROM support_requests WHERE id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return natverk.Errorf(natverk.ENOTFOUND, "Support request not found.")
		} else if err != nil {
			return storeErr("find support request", err)
		}
		if r.Status != natverk.SupportRequested {
			return natverk.Errorf(natverk.ECONFLICT, "The request was already %s.", r.Status)
		}
		out, err = scanSupport(tx.QueryRow(ctx, `UPDATE support_requests SET status = $1, note = $2, decided_at = $3 WHERE id = $4 RETURNING `+supportColumns,
			d.Status, d.Note, tx.now, id))
		if err != nil {
			return storeErr("decide support request", err)
		}
		rows, err := tx.Query(ctx, `SELECT member_id FROM memberships WHERE network_id = $1 AND organizer ORDER BY member_id`, r.NetworkID)
		if err != nil {
			return storeErr("find organizers", err)
		}
		organizers, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return storeErr("find organizers", err)
		}
		tx.emit(natverk.SupportEvent(events.SupportDecided, out, tx.now))
		for _, mid := range organizers {
			tx.emit(events.MustNew(events.MailQueued, tx.now, events.Refs{NetworkID: r.NetworkID, MemberID: mid}, events.MailPayload{
				Kind: natverk.MailSupportDecided, NetworkID: r.NetworkID, SeriesID: r.SeriesID, MemberID: mid, RequestID: id, Occurrence: r.Occurrence,
			}))
		}
		return nil
	})
	return out, err
}

// FindSupportRequests lists a network's requests, newest first (0 = all
// networks).
func (db *DB) FindSupportRequests(ctx context.Context, networkID int64) ([]*natverk.SupportRequest, error) {
	q, a := `SELECT `+supportColumns+` FROM support_requests ORDER BY id DESC`, []any{}
	if networkID != 0 {
		q, a = `SELECT `+supportColumns+` FROM support_requests WHERE network_id = $1 ORDER BY id DESC`, []any{networkID}
	}
	rows, err := db.pool.Query(ctx, q, a...)
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
	r, err := scanSupport(db.pool.QueryRow(ctx, `SELECT `+supportColumns+` FROM support_requests WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, natverk.Errorf(natverk.ENOTFOUND, "Support request not found.")
	}
	return r, storeErr("find support request", err)
}
