package postgres

import (
	"context"
	"time"
)

// AcquireLease takes or renews a named lease in one upsert: the row is
// taken over only if holder has it or it has lapsed.
func (db *DB) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	var ok bool
	err := db.write(ctx, func(tx *Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
			WHERE leases.holder = excluded.holder OR leases.expires_at < $4`,
			name, holder, now.Add(ttl).UTC(), now.UTC())
		if err != nil {
			return storeErr("acquire lease", err)
		}
		ok = tag.RowsAffected() > 0
		return nil
	})
	return ok, err
}

// ReleaseLease gives up a lease.
func (db *DB) ReleaseLease(ctx context.Context, name, holder string) error {
	return db.write(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder)
		return storeErr("release lease", err)
	})
}
