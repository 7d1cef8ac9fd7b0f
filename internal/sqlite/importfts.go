package sqlite

import (
	"context"
	"fmt"
	"strings"
)

// ftsBulk keeps the full-text index of a large import with one statement
// instead of one per row. FTS5 writes its pending terms out as a new
// segment at every statement of a transaction (its savepoint method), and
// merges the segments as they pile up: with the index's triggers, that
// was a third of a 100,000-row import's CPU. suspendFTS drops the insert
// and update triggers inside the import's transaction (so a failed import
// restores them with everything else), and finish indexes the rows the
// import created or changed in one INSERT … SELECT and creates the
// triggers again from their stored definitions.
type ftsBulk struct {
	triggers []string // CREATE TRIGGER statements, as sqlite_schema holds them
	maxID    int64    // members above it were created by the import
	changed  []int64  // members the import updated
}

// suspendFTS drops the full-text index's insert and update triggers for
// the rest of tx.
func (tx *Tx) suspendFTS(ctx context.Context) (*ftsBulk, error) {
	b := &ftsBulk{}
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM members`).Scan(&b.maxID); err != nil {
		return nil, storeErr("read members", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_schema
		WHERE type = 'trigger' AND tbl_name = 'members' AND name IN ('members_fts_insert', 'members_fts_update')`)
	if err != nil {
		return nil, storeErr("read triggers", err)
	}
	var names []string
	for rows.Next() {
		var name, sql string
		if err := rows.Scan(&name, &sql); err != nil {
			rows.Close()
			return nil, storeErr("read triggers", err)
		}
		names, b.triggers = append(names, name), append(b.triggers, sql)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, storeErr("read triggers", err)
	}
	if len(names) != 2 {
		return nil, storeErr("read triggers", fmt.Errorf("the full-text index has %d of its 2 triggers", len(names)))
	}
	for _, name := range names {
		if _, err := tx.ExecContext(ctx, `DROP TRIGGER `+name); err != nil {
			return nil, storeErr("suspend full-text triggers", err)
		}
	}
	return b, nil
}

// updated notes a member whose row the import changed.
func (b *ftsBulk) updated(id int64) { b.changed = append(b.changed, id) }

// finish indexes the created and changed members, as the triggers would
// have, and restores the triggers.
func (b *ftsBulk) finish(ctx context.Context, tx *Tx) error {
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS import_changed (id INTEGER PRIMARY KEY)`); err != nil {
		return storeErr("index imported members", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM temp.import_changed`); err != nil {
		return storeErr("index imported members", err)
	}
	if len(b.changed) > 0 {
		const chunk = 500 // bound parameters per statement
		for i := 0; i < len(b.changed); i += chunk {
			ids := b.changed[i:min(i+chunk, len(b.changed))]
			args := make([]any, len(ids))
			for j, id := range ids {
				args[j] = id
			}
			q := `INSERT OR IGNORE INTO temp.import_changed (id) VALUES ` + strings.Repeat("(?),", len(ids)-1) + "(?)"
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return storeErr("index imported members", err)
			}
		}
		// An update rewrites the member's entry, as members_fts_update does.
		if _, err := tx.ExecContext(ctx, `DELETE FROM members_fts WHERE rowid IN (SELECT id FROM temp.import_changed)`); err != nil {
			return storeErr("index imported members", err)
		}
	}
	// The same rows and values as members_fts_insert and members_fts_update.
	if _, err := tx.ExecContext(ctx, `INSERT INTO members_fts (rowid, search_text, flags)
		SELECT id, search_text, CASE WHEN hidden = 1 THEN 'hidden' ELSE '' END FROM members
		WHERE erased = 0 AND (id > ? OR id IN (SELECT id FROM temp.import_changed))`, b.maxID); err != nil {
		return storeErr("index imported members", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM temp.import_changed`); err != nil {
		return storeErr("index imported members", err)
	}
	for _, sql := range b.triggers {
		if _, err := tx.ExecContext(ctx, sql); err != nil {
			return storeErr("restore full-text triggers", err)
		}
	}
	return nil
}
