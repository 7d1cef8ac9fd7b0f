package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/natverk/natverk/internal/natverk"
)

// CreateAPIToken stores a hashed API token; ECONFLICT if the hash exists.
func (db *DB) CreateAPIToken(ctx context.Context, t *natverk.APIToken) error {
	return db.write(ctx, func(tx *Tx) error {
		t.CreatedAt = tx.now
		err := tx.QueryRow(ctx, `INSERT INTO api_tokens (hash, role, member_id, label, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			t.Hash, t.Role, t.MemberID, t.Label, t.CreatedAt, nullTime(t.ExpiresAt)).Scan(&t.ID)
		return storeErr("insert token", err)
	})
}

// FindAPITokenByHash returns a live token.
func (db *DB) FindAPITokenByHash(ctx context.Context, hash string, now time.Time) (*natverk.APIToken, error) {
	var t natverk.APIToken
	err := db.pool.QueryRow(ctx, `SELECT id, hash, role, member_id, label, created_at, expires_at, revoked_at FROM api_tokens WHERE hash = $1`, hash).
		Scan(&t.ID, &t.Hash, &t.Role, &t.MemberID, &t.Label, &t.CreatedAt, &t.ExpiresAt, &t.RevokedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, natverk.Errorf(natverk.ENOTFOUND, "Token not found.")
	} else if err != nil {
		return nil, storeErr("find token", err)
	}
	t.CreatedAt, t.ExpiresAt, t.RevokedAt = utc(t.CreatedAt), utcPtr(t.ExpiresAt), utcPtr(t.RevokedAt)
	if t.RevokedAt != nil || t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
		return nil, natverk.Errorf(natverk.ENOTFOUND, "Token not found.")
	}
	return &t, nil
}

// RevokeAPIToken revokes a token.
func (db *DB) RevokeAPIToken(ctx context.Context, id int64) error {
	return db.write(ctx, func(tx *Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, tx.now, id)
		if err != nil {
			return storeErr("revoke token", err)
		}
		if tag.RowsAffected() == 0 {
			return natverk.Errorf(natverk.ENOTFOUND, "Token not found.")
		}
		return nil
	})
}

// RevokeMemberTokens raises the member's token epoch.
func (db *DB) RevokeMemberTokens(ctx context.Context, memberID int64) error {
	return db.write(ctx, func(tx *Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE members SET token_epoch = token_epoch + 1, updated_at = $1 WHERE id = $2`, tx.now, memberID)
		if err != nil {
			return storeErr("revoke member tokens", err)
		}
		if tag.RowsAffected() == 0 {
			return natverk.Errorf(natverk.ENOTFOUND, "Member not found.")
		}
		return nil
	})
}
