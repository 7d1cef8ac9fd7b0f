package postgres

import (
	"context"

	"github.com/natverk/natverk/events"
)

// ScheduleOnce writes the events under key unless key was used before.
func (db *DB) ScheduleOnce(ctx context.Context, key string, evs []events.Envelope) (bool, error) {
	done := false
	err := db.write(ctx, func(tx *Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO jobs (key, created_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, key, tx.now)
		if err != nil {
			return storeErr("schedule job", err)
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		done = true
		tx.emit(evs...)
		return nil
	})
	return done, err
}
