package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/natverk/natverk/internal/natverk"
)

const webhookColumns = `id, url, event_types, description, paused, secret, previous_secret, previous_until, created_at, updated_at`

func scanWebhook(row scanner) (*natverk.Webhook, error) {
	var w natverk.Webhook
	var types, created, updated string
	var paused int
	var until sql.NullString
	if err := row.Scan(&w.ID, &w.URL, &types, &w.Description, &paused, &w.Secret, &w.PreviousSecret, &until, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(types), &w.EventTypes); err != nil {
		return nil, fmt.Errorf("sqlite: webhook %d: event types: %w", w.ID, err)
	}
	w.Paused = paused != 0
	w.PreviousSecretUntil = parseTimePtr(until)
	w.CreatedAt, w.UpdatedAt = parseTime(created), parseTime(updated)
	return &w, nil
}

func encodeTypes(types []string) (string, error) {
	b, err := json.Marshal(types)
	if err != nil {
		return "", fmt.Errorf("sqlite: encode event types: %w", err)
	}
	return string(b), nil
}

// CreateWebhook stores an endpoint.
func (db *DB) CreateWebhook(ctx context.Context, in natverk.WebhookInput, secret string) (*natverk.Webhook, error) {
	types, err := encodeTypes(in.EventTypes)
	if err != nil {
		return nil, err
	}
	var out *natverk.Webhook
	err = db.write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO webhooks (url, event_types, description, secret, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			in.URL, types, in.Description, secret, fmtTime(tx.now), fmtTime(tx.now))
		if err != nil {
			return storeErr("insert webhook", err)
		}
		id, _ := res.LastInsertId()
		out, err = findWebhookTx(ctx, tx, id)
		return err
	})
	return out, err
}

func findWebhookTx(ctx context.Context, tx *Tx, id int64) (*natverk.Webhook, error) {
	w, err := scanWebhook(tx.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, natverk.Errorf(natverk.ENOTFOUND, "Webhook not found.")
	}
	return w, storeErr("find webhook", err)
}

// FindWebhookByID returns one endpoint.
func (db *DB) FindWebhookByID(ctx context.Context, id int64) (*natverk.Webhook, error) {
	w, err := scanWebhook(db.r.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, natverk.Errorf(natverk.ENOTFOUND, "Webhook not found.")
	}
	return w, storeErr("find webhook", err)
}

// FindWebhooks lists every endpoint, oldest first.
func (db *DB) FindWebhooks(ctx context.Context) ([]*natverk.Webhook, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+webhookColumns+` FROM webhooks ORDER BY id`)
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
	set, args := []string{"updated_at = ?"}, []any{nil}
	if u.URL != nil {
		set, args = append(set, "url = ?"), append(args, *u.URL)
	}
	if u.EventTypes != nil {
		types, err := encodeTypes(*u.EventTypes)
		if err != nil {
			return nil, err
		}
		set, args = append(set, "event_types = ?"), append(args, types)
	}
	if u.Description != nil {
		set, args = append(set, "description = ?"), append(args, *u.Description)
	}
	if u.Paused != nil {
		set, args = append(set, "paused = ?"), append(args, boolInt(*u.Paused))
	}
	var out *natverk.Webhook
	err := db.write(ctx, func(tx *Tx) error {
		args[0] = fmtTime(tx.now)
		res, err := tx.ExecContext(ctx, `UPDATE webhooks SET `+strings.Join(set, ", ")+` WHERE id = ?`, append(args, id)...)
		if err != nil {
			return storeErr("update webhook", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return natverk.Errorf(natverk.ENOTFOUND, "Webhook not found.")
		}
		out, err = findWebhookTx(ctx, tx, id)
		return err
	})
	return out, err
}

// RotateWebhookSecret replaces the signing secret, keeping the old one
// until graceUntil.
func (db *DB) RotateWebhookSecret(ctx context.Context, id int64, secret string, graceUntil time.Time) (*natverk.Webhook, error) {
	var out *natverk.Webhook
	err := db.write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhooks SET previous_secret = secret, previous_until = ?, secret = ?, updated_at = ? WHERE id = ?`,
			fmtTime(graceUntil), secret, fmtTime(tx.now), id)
		if err != nil {
			return storeErr("rotate webhook secret", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return natverk.Errorf(natverk.ENOTFOUND, "Webhook not found.")
		}
		out, err = findWebhookTx(ctx, tx, id)
		return err
	})
	return out, err
}

// DeleteWebhook removes an endpoint and its deliveries.
func (db *DB) DeleteWebhook(ctx context.Context, id int64) error {
	return db.write(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE webhook_id = ?`, id); err != nil {
			return storeErr("delete webhook deliveries", err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM webhooks WHERE id = ?`, id)
		if err != nil {
			return storeErr("delete webhook", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return natverk.Errorf(natverk.ENOTFOUND, "Webhook not found.")
		}
		return nil
	})
}

const deliveryColumns = `webhook_id, event_id, event_type, status, attempts, code, error, created_at, updated_at`

func scanDelivery(row scanner) (*natverk.WebhookDelivery, error) {
	var d natverk.WebhookDelivery
	var created, updated string
	if err := row.Scan(&d.WebhookID, &d.EventID, &d.EventType, &d.Status, &d.Attempts, &d.Code, &d.Error, &created, &updated); err != nil {
		return nil, err
	}
	d.CreatedAt, d.UpdatedAt = parseTime(created), parseTime(updated)
	return &d, nil
}

// RecordWebhookDelivery records an attempt or a skip; a final record is
// kept as it is.
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
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM webhooks WHERE id = ?`, d.WebhookID).Scan(&n); err != nil {
			return storeErr("find webhook", err)
		} else if n == 0 {
			return natverk.Errorf(natverk.ENOTFOUND, "Webhook not found.")
		}
		now := fmtTime(tx.now)
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, status, attempts, code, error, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (webhook_id, event_id) DO UPDATE SET status = excluded.status, attempts = webhook_deliveries.attempts + excluded.attempts,
				code = excluded.code, error = excluded.error, updated_at = excluded.updated_at
			WHERE webhook_deliveries.status NOT IN (?, ?)`,
			d.WebhookID, d.EventID, d.EventType, d.Status, attempt, d.Code, d.Error, now, now,
			natverk.WebhookDelivered, natverk.WebhookSkipped); err != nil {
			return storeErr("record webhook delivery", err)
		}
		var err error
		out, err = scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE webhook_id = ? AND event_id = ?`, d.WebhookID, d.EventID))
		return storeErr("find webhook delivery", err)
	})
	return out, err
}

// FindWebhookDeliveries lists deliveries, most recently updated first.
func (db *DB) FindWebhookDeliveries(ctx context.Context, f natverk.WebhookDeliveryFilter) ([]*natverk.WebhookDelivery, error) {
	f = f.Normalize()
	where, args := []string{"1 = 1"}, []any{}
	if f.WebhookID != 0 {
		where, args = append(where, "webhook_id = ?"), append(args, f.WebhookID)
	}
	if f.EventID != "" {
		where, args = append(where, "event_id = ?"), append(args, f.EventID)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE `+strings.Join(where, " AND ")+
		` ORDER BY updated_at DESC, event_id DESC, webhook_id LIMIT ?`, append(args, f.Limit)...)
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
		res, err := tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE updated_at < ?`, fmtTime(before))
		if err != nil {
			return storeErr("prune webhook deliveries", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}
