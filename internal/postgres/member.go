package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

const memberColumns = `id, email, name, town, industry, company, title, locale, hidden, bouncing, bounce_reason, token_epoch, erased, created_at, updated_at`

// scanMember scans memberColumns and then extra.
func scanMember(row scanner, extra ...any) (*natverk.Member, error) {
	var m natverk.Member
	dest := []any{&m.ID, &m.Email, &m.Name, &m.Town, &m.Industry, &m.Company, &m.Title, &m.Locale,
		&m.Hidden, &m.Bouncing, &m.BounceReason, &m.TokenEpoch, &m.Erased, &m.CreatedAt, &m.UpdatedAt}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	m.CreatedAt, m.UpdatedAt = utc(m.CreatedAt), utc(m.UpdatedAt)
	return &m, nil
}

// keys returns the folded field filter keys of a row.
func keys(in natverk.MemberInput) (town, industry, company string) {
	j := func(s string) string { return strings.Join(natverk.Words(s), " ") }
	return j(in.Town), j(in.Industry), j(in.Company)
}

// args collects query arguments and hands out their placeholders.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// FindMemberByID returns one member.
func (db *DB) FindMemberByID(ctx context.Context, id int64) (*natverk.Member, error) {
	m, err := scanMember(db.pool.QueryRow(ctx, `SELECT `+memberColumns+` FROM members WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, natverk.Errorf(natverk.ENOTFOUND, "Member not found.")
	}
	return m, storeErr("find member", err)
}

// FindMemberByEmail returns the member with the address.
func (db *DB) FindMemberByEmail(ctx context.Context, email string) (*natverk.Member, error) {
	m, err := scanMember(db.pool.QueryRow(ctx, `SELECT `+memberColumns+` FROM members WHERE email_key = $1`, natverk.EmailKey(email)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, natverk.Errorf(natverk.ENOTFOUND, "Member not found.")
	}
	return m, storeErr("find member", err)
}

// searchVector is the expression of the members_search index: a
// tsvector whose lexemes are exactly the words of search_text. Matching
// the words as Go split them (natverk.Words), rather than re-parsing the
// text with to_tsvector, is what makes a search find the same members as
// on SQLite: PostgreSQL's parser would split "1e2e3" into "1e2" and "e3".
const searchVector = `array_to_tsvector(array_remove(string_to_array(search_text, ' '), ''))`

// prefixQuery builds the tsquery text matching members who have, for
// every word, a word starting with it: 'w1':* & 'w2':*. Lexemes compare
// bytewise, so the prefix match is the same as SQLite's. Words hold only
// letters and digits, but are quoted and escaped all the same; the text
// is passed as a parameter and cast to tsquery, which takes quoted
// lexemes as they are.
func prefixQuery(words []string) string {
	terms := make([]string, len(words))
	for i, w := range words {
		w = strings.ReplaceAll(strings.ReplaceAll(w, `\`, `\\`), `'`, `''`)
		terms[i] = `'` + w + `':*`
	}
	return strings.Join(terms, " & ")
}

// memberWhere builds the WHERE clause of a directory search. The text
// condition is the expression of the members_search index.
func memberWhere(f natverk.MemberFilter, a *args) string {
	where := []string{"NOT erased"}
	if words := f.QueryWords(); len(words) > 0 {
		where = append(where, searchVector+` @@ `+a.add(prefixQuery(words))+`::tsquery`)
	}
	if f.Town != "" {
		where = append(where, "town_key = "+a.add(f.Town))
	}
	if f.Industry != "" {
		where = append(where, "industry_key = "+a.add(f.Industry))
	}
	if f.Company != "" {
		where = append(where, "company_key = "+a.add(f.Company))
	}
	if len(f.IDs) > 0 {
		where = append(where, "id = ANY("+a.add(f.IDs)+")")
	}
	if !f.IncludeHidden {
		where = append(where, "(NOT hidden OR id = "+a.add(f.Viewer)+")")
	}
	return strings.Join(where, " AND ")
}

// FindMembers searches the directory. The count and the page come from
// one snapshot.
func (db *DB) FindMembers(ctx context.Context, f natverk.MemberFilter) ([]*natverk.Member, int, error) {
	f = f.Normalize()
	var a args
	where := memberWhere(f, &a)
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, 0, storeErr("begin", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM members WHERE `+where, a...).Scan(&n); err != nil {
		return nil, 0, storeErr("count members", err)
	}
	page := append(args(nil), a...)
	q := `SELECT ` + memberColumns + ` FROM members WHERE ` + where + ` ORDER BY sort_key COLLATE "C", id LIMIT ` + page.add(f.Limit) + ` OFFSET ` + page.add(f.Offset)
	rows, err := tx.Query(ctx, q, page...)
	if err != nil {
		return nil, 0, storeErr("find members", err)
	}
	defer rows.Close()
	var out []*natverk.Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, 0, storeErr("scan member", err)
		}
		out = append(out, m)
	}
	return out, n, storeErr("find members", rows.Err())
}

// UpdateMember applies an update.
func (db *DB) UpdateMember(ctx context.Context, id int64, u natverk.MemberUpdate) (*natverk.Member, error) {
	var out *natverk.Member
	err := db.write(ctx, func(tx *Tx) error {
		m, err := scanMember(tx.QueryRow(ctx, `SELECT `+memberColumns+` FROM members WHERE id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) || err == nil && m.Erased {
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
		if _, err := tx.Exec(ctx, `UPDATE members SET email = $1, email_key = $2, name = $3, town = $4, industry = $5, company = $6, title = $7, locale = $8,
			hidden = $9, bouncing = $10, bounce_reason = $11, search_text = $12, sort_key = $13, town_key = $14, industry_key = $15, company_key = $16, updated_at = $17
			WHERE id = $18`,
			in.Email, natverk.EmailKey(in.Email), in.Name, in.Town, in.Industry, in.Company, in.Title, in.Locale,
			hidden, bouncing, reason, in.SearchText(), in.SortKey(), tk, ik, ck, tx.now, id); err != nil {
			if isUniqueViolation(err) {
				return natverk.Errorf(natverk.ECONFLICT, "Another member has that email address.")
			}
			return storeErr("update member", err)
		}
		if len(changed) > 0 {
			tx.emit(events.MustNew(events.MemberUpdated, tx.now, events.Refs{MemberID: id}, events.MemberPayload{MemberID: id, Changed: changed}))
		}
		out, err = scanMember(tx.QueryRow(ctx, `SELECT `+memberColumns+` FROM members WHERE id = $1`, id))
		return storeErr("find member", err)
	})
	return out, err
}

// SetBouncing marks an address as bouncing.
func (db *DB) SetBouncing(ctx context.Context, id int64, reason string) error {
	return db.write(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE members SET bouncing = true, bounce_reason = $1, updated_at = $2 WHERE id = $3`, reason, tx.now, id)
		return storeErr("set bouncing", err)
	})
}

// EraseMember removes a member's personal data.
func (db *DB) EraseMember(ctx context.Context, id int64) error {
	return db.write(ctx, func(tx *Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE members SET email = $1, email_key = $1, name = '', town = '', industry = '', company = '', title = '',
			hidden = true, bouncing = false, bounce_reason = '', token_epoch = token_epoch + 1, erased = true,
			search_text = '', sort_key = '', town_key = '', industry_key = '', company_key = '', updated_at = $2
			WHERE id = $3 AND NOT erased`, erasedAddress(id), tx.now, id)
		if err != nil {
			return storeErr("erase member", err)
		}
		if tag.RowsAffected() == 0 {
			return natverk.Errorf(natverk.ENOTFOUND, "Member not found.")
		}
		if _, err := tx.Exec(ctx, `UPDATE memberships SET status = $1, organizer = false, updated_at = $2 WHERE member_id = $3 AND status = ANY($4)`,
			natverk.StatusLeft, tx.now, id, []string{natverk.StatusInvited, natverk.StatusJoined}); err != nil {
			return storeErr("end memberships", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE mails SET to_addr = '' WHERE member_id = $1`, id); err != nil {
			return storeErr("erase mail log", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE inbound_messages SET from_addr = '', raw = NULL WHERE member_id = $1`, id); err != nil {
			return storeErr("erase inbound", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE member_id = $2 AND revoked_at IS NULL`, tx.now, id); err != nil {
			return storeErr("revoke tokens", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM feeds WHERE key = $1`, natverk.MemberFeedKey(id)); err != nil {
			return storeErr("delete feed", err)
		}
		tx.emit(events.MustNew(events.MemberErased, tx.now, events.Refs{MemberID: id}, events.MemberPayload{MemberID: id}))
		return nil
	})
}

func erasedAddress(id int64) string { return "erased-" + strconv.FormatInt(id, 10) + "@invalid" }
