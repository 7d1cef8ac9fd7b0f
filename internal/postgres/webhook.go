package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/natverk/natverk/internal/natverk"
)

const webhookColumns = `id, url, event_types, description, paused, secret, previous_secret, previous_until, created_at, updated_at`

func scanWebhook(row scanner) (*natverk.Webhook, error) {
	var w natverk.Webhook
	if err := row.Scan(&w.ID, &w.URL, &w.EventTypes, &w.Description, &w.Paused, &w.Secret, &w.PreviousSecret, &w.PreviousSecretUntil, &w.CreatedAt, &w.UpdatedAt); err != nil {
		return nil, err
	}
	w.PreviousSecretUntil = utcPtr(w.PreviousSecretUntil)
	w.CreatedAt, w.UpdatedAt = utc(w.CreatedAt), utc(w.UpdatedAt)
	return &w, nil
}

func findWebhook(ctx context.Context, q querier, id int64) (*natverk.Webhook, error) {
	w, err := scanWebhook(q.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, natverk.Errorf(natverk.ENOTFOUND, "Webhook not found.")
	}
	return w, storeErr("find webhook", err)
}

// CreateWebhook stores an endpoint.
func (db *DB) CreateWebhook(ctx context.Context, in natverk.WebhookInput, secret string) (*natverk.Webhook, error) {
	var out *natverk.Webhook
	err := db.write(ctx, func(tx *Tx) error {
		var err error
		out, err = scanWebhook(tx.QueryRow(ctx, `INSERT INTO webhooks (url, event_types, description, secret, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $5) RETURNING `+webhookColumns,
			in.URL, in.EventTypes, in.Description, secret, tx.now))
		return storeErr("insert webhook", err)
	})
	return out, err
}

// FindWebhookByID returns one endpoint.
func (db *DB) FindWebhookByID(ctx context.Context, id int64) (*natverk.Webhook, error) {
	return findWebhook(ctx, db.pool, id)
}

// FindWebhooks lists every endpoint, oldest first.
func (db *DB) FindWebhooks(ctx context.Context) ([]*natverk.Webhook, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+webhookColumns+` FROM webhooks ORDER BY id`)
	if err != nil {
		return nil, storeErr("find webhooks", err)
	}
	defer rows.Close()
	var out []*natverk.Webhook
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, storeErr("scan webhook", err)
		}
		out = append(out, w)
	}
	return out, storeErr("find webhooks", rows.Err())
}

// UpdateWebhook applies an update.
func (db *DB) UpdateWebhook(ctx context.Context, id int64, u natverk.WebhookUpdate) (*natverk.Webhook, error) {
	set, args := []string{"updated_at = $1"}, []any{nil}
	add := func(col string, v any) {
		args = append(args, v)
		set = append(set, col+" = $"+strconv.Itoa(len(args)))
	}
	if u.URL != nil {
		add("url", *u.URL)
	}
	if u.EventTypes != nil {
		add("event_types", *u.EventTypes)
	}
	if u.Description != nil {
		add("description", *u.Description)
	}
	if u.Paused != nil {
		add("paused", *u.Paused)
	}
	var out *natverk.Webhook
	err := db.write(ctx, func(tx *Tx) error {
		args[0] = tx.now
		var err error
		out, err = scanWebhook(tx.QueryRow(ctx, `UPDATE webhooks SET `+strings.Join(set, ", ")+` WHERE id = $`+strconv.Itoa(len(args)+1)+` RETURNING `+webhookColumns,
			append(args, id)...))
		if errors.Is(err, pgx.ErrNoRows) {
			return natverk.Errorf(natverk.ENOTFOUND, "Webhook not found.")
		}
		return storeErr("update webhook", err)
	})
	return out, err
}

// RotateWebhookSecret replaces the signing secret, keeping the old one
// until graceUntil.
func (db *DB) RotateWebhookSecret(ctx context.Context, id int64, secret string, graceUntil time.Time) (*natverk.Webhook, error) {
	var out *natverk.Webhook
	err := db.write(ctx, func(tx *Tx) error {
		var err error
		out, err = scanWebhook(tx.QueryRow(ctx, `UPDATE webhooks SET previous_secret = secret, previous_until = $1, secret = $2, updated_at = $3
			WHERE id = $4 RETURNING `+webhookColumns, graceUntil.UTC(), secret, tx.now, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return natverk.Errorf(natverk.ENOTFOUND, "Webhook not found.")
		}
		return storeErr("rotate webhook secret", err)
	})
	return out, err
}

// DeleteWebhook removes an endpoint and its deliveries. The endpoint's
// row is locked first, so a delivery being recorded at the same time
// waits and then finds the endpoint gone (ENOTFOUND) instead of leaving a
// row behind.
func (db *DB) DeleteWebhook(ctx context.Context, id int64) error {
	return db.write(ctx, func(tx *Tx) error {
		var found int64
		err := tx.QueryRow(ctx, `SELECT id FROM webhooks WHERE id = $1 FOR UPDATE`, id).Scan(&found)
		if errors.Is(err, pgx.ErrNoRows) {
			return natverk.Errorf(natverk.ENOTFOUND, "Webhook not found.")
		} else if err != nil {
			return storeErr("lock webhook", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM webhook_deliveries WHERE webhook_id = $1`, id); err != nil {
			return storeErr("delete webhook deliveries", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM webhooks WHERE id = $1`, id); err != nil {
			return storeErr("delete webhook", err)
		}
		return nil
	})
}

const deliveryColumns = `webhook_id, event_id, event_type, status, attempts, code, error, created_at, updated_at`

func scanDelivery(row scanner) (*natverk.WebhookDelivery, error) {
	var d natverk.WebhookDelivery
	if err := row.Scan(&d.WebhookID, &d.EventID, &d.EventType, &d.Status, &d.Attempts, &d.Code, &d.Error, &d.CreatedAt, &d.UpdatedAt); err != nil {
		return nil, err
	}
	d.CreatedAt, d.UpdatedAt = utc(d.CreatedAt), utc(d.UpdatedAt)
	return &d, nil
}

// RecordWebhookDelivery records an attempt or a skip. One upsert decides:
// a final record (delivered or skipped) is left as it is, so of two
// processes racing on one delivery the one that delivered wins.
func (db *DB) RecordWebhookDelivery(ctx context.Context, d natverk.WebhookDelivery) (*natverk.WebhookDelivery, error) {
	if err := natverk.CheckWebhookDelivery(&d); err != nil {
		return nil, err
	}
	attempt := 1
	if d.Status == natverk.WebhookSkipped {
		attempt = 0
	}
	var out *natverk.WebhookDelivery
	err := db.write(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, status, attempts, code, error, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
			ON CONFLICT (webhook_id, event_id) DO UPDATE SET status = excluded.status, attempts = webhook_deliveries.attempts + excluded.attempts,
				code = excluded.code, error = excluded.error, updated_at = excluded.updated_at
			WHERE webhook_deliveries.status NOT IN ($9, $10)`,
			d.WebhookID, d.EventID, d.EventType, d.Status, attempt, d.Code, d.Error, tx.now, natverk.WebhookDelivered, natverk.WebhookSkipped)
		if isForeignKeyViolation(err) {
			return natverk.Errorf(natverk.ENOTFOUND, "Webhook not found.")
		} else if err != nil {
			return storeErr("record webhook delivery", err)
		}
		out, err = scanDelivery(tx.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE webhook_id = $1 AND event_id = $2`, d.WebhookID, d.EventID))
		return storeErr("find webhook delivery", err)
	})
	return out, err
}

// FindWebhookDeliveries lists deliveries, most recently updated first.
func (db *DB) FindWebhookDeliveries(ctx context.Context, f natverk.WebhookDeliveryFilter) ([]*natverk.WebhookDelivery, error) {
	f = f.Normalize()
	where, args := []string{"true"}, []any{}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, cond+" $"+strconv.Itoa(len(args)))
	}
	if f.WebhookID != 0 {
		add("webhook_id =", f.WebhookID)
	}
	if f.EventID != "" {
		add("event_id =", f.EventID)
	}
	if f.Status != "" {
		add("status =", f.Status)
	}
	args = append(args, f.Limit)
	rows, err := db.pool.Query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE `+strings.Join(where, " AND ")+
		` ORDER BY updated_at DESC, event_id COLLATE "C" DESC, webhook_id LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, storeErr("find webhook deliveries", err)
	}
	defer rows.Close()
	var out []*natverk.WebhookDelivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, storeErr("scan webhook delivery", err)
		}
		out = append(out, d)
	}
	return out, storeErr("find webhook deliveries", rows.Err())
}

// PruneWebhookDeliveries deletes deliveries last updated before t.
func (db *DB) PruneWebhookDeliveries(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := db.write(ctx, func(tx *Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM webhook_deliveries WHERE updated_at < $1`, before.UTC())
		if err != nil {
			return storeErr("prune webhook deliveries", err)
		}
		n = tag.RowsAffected()
		return nil
	})
	return int(n), err
}

// isForeignKeyViolation reports whether err is a foreign key violation
// (the endpoint of a delivery is gone).
func isForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503"
}
