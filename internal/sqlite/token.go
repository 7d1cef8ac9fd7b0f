package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/natverk/natverk/internal/natverk"
)

// CreateAPIToken stores a hashed API token.
func (db *DB) CreateAPIToken(ctx context.Context, t *natverk.APIToken) error {
	return db.write(ctx, func(tx *Tx) error {
		t.CreatedAt = tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (hash, role, member_id, label, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
			t.Hash, t.Role, t.MemberID, t.Label, fmtTime(t.CreatedAt), fmtTimePtr(t.ExpiresAt))
		if err != nil {
			return storeErr("insert token", err)
		}
		t.ID, _ = res.LastInsertId()
		return nil
	})
}

// FindAPITokenByHash returns a live token.
func (db *DB) FindAPITokenByHash(ctx context.Context, hash string, now time.Time) (*natverk.APIToken, error) {
	var t natverk.APIToken
	var created string
	var expires, revoked sql.NullString
	err := db.r.QueryRowContext(ctx, `SELECT id, hash, role, member_id, label, created_at, expires_at, revoked_at FROM api_tokens WHERE hash = ?`, hash).
		Scan(&t.ID, &t.Hash, &t.Role, &t.MemberID, &t.Label, &created, &expires, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, natverk.Errorf(natverk.ENOTFOUND, "Token not found.")
	} else if err != nil {
		return nil, storeErr("find token", err)
	}
	t.CreatedAt, t.ExpiresAt, t.RevokedAt = parseTime(created), parseTimePtr(expires), parseTimePtr(revoked)
	if t.RevokedAt != nil || t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
		return nil, natverk.Errorf(natverk.ENOTFOUND, "Token not found.")
	}
	return &t, nil
}

// RevokeAPIToken revokes a token.
func (db *DB) RevokeAPIToken(ctx context.Context, id int64) error {
	return db.write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, fmtTime(tx.now), id)
		if err != nil {
			return storeErr("revoke token", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return natverk.Errorf(natverk.ENOTFOUND, "Token not found.")
		}
		return nil
	})
}

// RevokeMemberTokens raises the member's token epoch.
func (db *DB) RevokeMemberTokens(ctx context.Context, memberID int64) error {
	return db.write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE members SET token_epoch = token_epoch + 1, updated_at = ? WHERE id = ?`, fmtTime(tx.now), memberID)
		if err != nil {
			return storeErr("revoke member tokens", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return natverk.Errorf(natverk.ENOTFOUND, "Member not found.")
		}
		return nil
	})
}
