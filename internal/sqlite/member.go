package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

const memberColumns = `id, email, name, town, industry, company, title, locale, hidden, bouncing, bounce_reason, token_epoch, erased, created_at, updated_at`

type scanner interface{ Scan(dest ...any) error }

func scanMember(row scanner) (*natverk.Member, error) { return scanMemberWith(row) }

func keys(in natverk.MemberInput) (town, industry, company string) {
	j := func(s string) string { return strings.Join(natverk.Words(s), " ") }
	return j(in.Town), j(in.Industry), j(in.Company)
}

// largeImport is the number of rows from which an import gets a larger
// page cache (importCacheSize) on the write connection for its
// transaction.
const largeImport = 5_000

// importCacheSize is the write connection's page cache during a large
// import, in cache_size units (negative: KiB). The import inserts into
// the members table, its indexes and the full-text index in no useful
// order; in the default 2 MB the transaction spilled the same index pages
// to the WAL again and again (100,000 rows: 18.7 → 14.5 s of CPU with
// 32 MB, no better with 64 MB).
const importCacheSize = -32768

// withCacheSize sets the page cache of the transaction's connection to
// size and returns the function that sets it back. The pages above the
// old size are freed once the transaction no longer holds them.
func (tx *Tx) withCacheSize(ctx context.Context, size int) (restore func(), err error) {
	var old int
	if err := tx.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&old); err != nil {
		return nil, storeErr("read cache size", err)
	}
	if _, err := tx.ExecContext(ctx, `PRAGMA cache_size = `+itoa(int64(size))); err != nil {
		return nil, storeErr("set cache size", err)
	}
	// Set back even when the caller gave up; a failure leaves only a
	// larger cache.
	return func() { tx.ExecContext(context.WithoutCancel(ctx), `PRAGMA cache_size = `+itoa(int64(old))) }, nil
}

// ImportMembers upserts the rows by email in one transaction.
func (db *DB) ImportMembers(ctx context.Context, rows []natverk.ImportRow) (natverk.ImportResult, error) {
	var res natverk.ImportResult
	err := db.write(ctx, func(tx *Tx) error {
		res = natverk.ImportResult{}
		if len(rows) >= largeImport {
			restore, err := tx.withCacheSize(ctx, importCacheSize)
			if err != nil {
				return err
			}
			defer restore()
		}
		var fts *ftsBulk
		if len(rows) >= largeImport {
			var err error
			if fts, err = tx.suspendFTS(ctx); err != nil {
				return err
			}
		}
		sel, err := tx.PrepareContext(ctx, `SELECT `+memberColumns+` FROM members WHERE email_key = ?`)
		if err != nil {
			return storeErr("prepare", err)
		}
		defer sel.Close()
		ins, err := tx.PrepareContext(ctx, `INSERT INTO members (email, email_key, name, town, industry, company, title, locale, search_text, sort_key, town_key, industry_key, company_key, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return storeErr("prepare", err)
		}
		defer ins.Close()
		upd, err := tx.PrepareContext(ctx, `UPDATE members SET email = ?, name = ?, town = ?, industry = ?, company = ?, title = ?, locale = ?,
			search_text = ?, sort_key = ?, town_key = ?, industry_key = ?, company_key = ?, updated_at = ? WHERE id = ?`)
		if err != nil {
			return storeErr("prepare", err)
		}
		defer upd.Close()
		now := fmtTime(tx.now)
		for _, r := range rows {
			in := r.MemberInput
			tk, ik, ck := keys(in)
			m, err := scanMember(sel.QueryRowContext(ctx, natverk.EmailKey(in.Email)))
			switch {
			case errors.Is(err, sql.ErrNoRows):
				if _, err := ins.ExecContext(ctx, in.Email, natverk.EmailKey(in.Email), in.Name, in.Town, in.Industry, in.Company, in.Title, in.Locale,
					in.SearchText(), in.SortKey(), tk, ik, ck, now, now); err != nil {
					return storeErr("insert member", err)
				}
				res.Created++
			case err != nil:
				return storeErr("find member", err)
			case m.SameAs(in):
				res.Unchanged++
			default:
				if _, err := upd.ExecContext(ctx, in.Email, in.Name, in.Town, in.Industry, in.Company, in.Title, in.Locale,
					in.SearchText(), in.SortKey(), tk, ik, ck, now, m.ID); err != nil {
					return storeErr("update member", err)
				}
				if fts != nil {
					fts.updated(m.ID)
				}
				res.Updated++
			}
		}
		if fts != nil {
			if err := fts.finish(ctx, tx); err != nil {
				return err
			}
		}
		return tx.emit(ctx, events.MustNew(events.MemberImported, tx.now, events.Refs{}, events.ImportPayload{
			Created: res.Created, Updated: res.Updated, Unchanged: res.Unchanged, Rejected: len(res.Rejected),
		}))
	})
	return res, err
}

// FindMemberByID returns one member.
func (db *DB) FindMemberByID(ctx context.Context, id int64) (*natverk.Member, error) {
	m, err := scanMember(db.r.QueryRowContext(ctx, `SELECT `+memberColumns+` FROM members WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, natverk.Errorf(natverk.ENOTFOUND, "Member not found.")
	}
	return m, storeErr("find member", err)
}

// FindMemberByEmail returns the member with the address.
func (db *DB) FindMemberByEmail(ctx context.Context, email string) (*natverk.Member, error) {
	m, err := scanMember(db.r.QueryRowContext(ctx, `SELECT `+memberColumns+` FROM members WHERE email_key = ?`, natverk.EmailKey(email)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, natverk.Errorf(natverk.ENOTFOUND, "Member not found.")
	}
	return m, storeErr("find member", err)
}

// memberWhere builds the WHERE clause of a directory search over
// members, for any filter. FindMembers answers the common shapes with
// the cheaper queries of search.go.
func memberWhere(f natverk.MemberFilter) (string, []any) {
	where, args := []string{"erased = 0"}, []any{}
	if words := f.QueryWords(); len(words) > 0 {
		where = append(where, `id IN (SELECT rowid FROM members_fts WHERE members_fts MATCH ?)`)
		args = append(args, matchWords(words))
	}
	if f.Town != "" {
		where, args = append(where, "town_key = ?"), append(args, f.Town)
	}
	if f.Industry != "" {
		where, args = append(where, "industry_key = ?"), append(args, f.Industry)
	}
	if f.Company != "" {
		where, args = append(where, "company_key = ?"), append(args, f.Company)
	}
	if len(f.IDs) > 0 {
		where = append(where, "id IN ("+placeholders(len(f.IDs))+")")
		for _, id := range f.IDs {
			args = append(args, id)
		}
	}
	if !f.IncludeHidden {
		where, args = append(where, "(hidden = 0 OR id = ?)"), append(args, f.Viewer)
	}
	return strings.Join(where, " AND "), args
}

// UpdateMember applies an update.
func (db *DB) UpdateMember(ctx context.Context, id int64, u natverk.MemberUpdate) (*natverk.Member, error) {
	var out *natverk.Member
	err := db.write(ctx, func(tx *Tx) error {
		m, err := scanMember(tx.QueryRowContext(ctx, `SELECT `+memberColumns+` FROM members WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) || err == nil && m.Erased {
			return natverk.Errorf(natverk.ENOTFOUND, "Member not found.")
		} else if err != nil {
			return storeErr("find member", err)
		}
		in, err := u.Apply(m)
		if err != nil {
			return err
		}
		var changed []string
		if !m.SameAs(in) {
			changed = append(changed, "profile")
		}
		hidden, bouncing, reason := m.Hidden, m.Bouncing, m.BounceReason
		if u.Hidden != nil && *u.Hidden != m.Hidden {
			hidden = *u.Hidden
			changed = append(changed, "hidden")
		}
		if (u.ClearBounce || natverk.EmailKey(in.Email) != natverk.EmailKey(m.Email)) && m.Bouncing {
			bouncing, reason = false, ""
			changed = append(changed, "bouncing")
		}
		tk, ik, ck := keys(in)
		if _, err := tx.ExecContext(ctx, `UPDATE members SET email = ?, email_key = ?, name = ?, town = ?, industry = ?, company = ?, title = ?, locale = ?,
			hidden = ?, bouncing = ?, bounce_reason = ?, search_text = ?, sort_key = ?, town_key = ?, industry_key = ?, company_key = ?, updated_at = ? WHERE id = ?`,
			in.Email, natverk.EmailKey(in.Email), in.Name, in.Town, in.Industry, in.Company, in.Title, in.Locale,
			hidden, bouncing, reason, in.SearchText(), in.SortKey(), tk, ik, ck, fmtTime(tx.now), id); err != nil {
			if natverk.ErrorCode(storeErr("", err)) == natverk.ECONFLICT {
				return natverk.Errorf(natverk.ECONFLICT, "Another member has that email address.")
			}
			return storeErr("update member", err)
		}
		if len(changed) > 0 {
			if err := tx.emit(ctx, events.MustNew(events.MemberUpdated, tx.now, events.Refs{MemberID: id}, events.MemberPayload{MemberID: id, Changed: changed})); err != nil {
				return err
			}
		}
		out, err = scanMember(tx.QueryRowContext(ctx, `SELECT `+memberColumns+` FROM members WHERE id = ?`, id))
		return storeErr("find member", err)
	})
	return out, err
}

// SetBouncing marks an address as bouncing.
func (db *DB) SetBouncing(ctx context.Context, id int64, reason string) error {
	return db.write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE members SET bouncing = 1, bounce_reason = ?, updated_at = ? WHERE id = ?`, reason, fmtTime(tx.now), id)
		return storeErr("set bouncing", err)
	})
}

// EraseMember removes a member's personal data.
func (db *DB) EraseMember(ctx context.Context, id int64) error {
	return db.write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE members SET email = ?, email_key = ?, name = '', town = '', industry = '', company = '', title = '',
			hidden = 1, bouncing = 0, bounce_reason = '', token_epoch = token_epoch + 1, erased = 1, search_text = '', sort_key = '', town_key = '', industry_key = '', company_key = '', updated_at = ?
			WHERE id = ? AND erased = 0`, erasedAddress(id), erasedAddress(id), fmtTime(tx.now), id)
		if err != nil {
			return storeErr("erase member", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return natverk.Errorf(natverk.ENOTFOUND, "Member not found.")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE memberships SET status = ?, organizer = 0, updated_at = ? WHERE member_id = ? AND status IN (?, ?)`,
			natverk.StatusLeft, fmtTime(tx.now), id, natverk.StatusInvited, natverk.StatusJoined); err != nil {
			return storeErr("end memberships", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE mails SET to_addr = '' WHERE member_id = ?`, id); err != nil {
			return storeErr("erase mail log", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE inbound_messages SET from_addr = '', raw = NULL WHERE member_id = ?`, id); err != nil {
			return storeErr("erase inbound", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE member_id = ? AND revoked_at IS NULL`, fmtTime(tx.now), id); err != nil {
			return storeErr("revoke tokens", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM feeds WHERE key = ?`, natverk.MemberFeedKey(id)); err != nil {
			return storeErr("delete feed", err)
		}
		return tx.emit(ctx, events.MustNew(events.MemberErased, tx.now, events.Refs{MemberID: id}, events.MemberPayload{MemberID: id}))
	})
}

func erasedAddress(id int64) string { return "erased-" + itoa(id) + "@invalid" }
