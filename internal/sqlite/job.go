package sqlite

import (
	"context"

	"github.com/natverk/natverk/events"
)

// ScheduleOnce writes the events under key unless key was used before.
func (db *DB) ScheduleOnce(ctx context.Context, key string, evs []events.Envelope) (bool, error) {
	done := false
	err := db.write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO jobs (key, created_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, key, fmtTime(tx.now))
		if err != nil {
			return storeErr("schedule job", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		done = true
		return tx.emit(ctx, evs...)
	})
	return done, err
}
