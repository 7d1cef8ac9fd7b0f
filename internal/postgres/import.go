package postgres

import (
	"context"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

// erasedReason is why an import refuses the address of an erased member.
const erasedReason = "this address belongs to an erased member"

// ImportMembers upserts the rows by email in one transaction. The first
// row of each address is copied (COPY) into a temporary table and merged
// into members by one INSERT … ON CONFLICT … DO UPDATE … WHERE changed;
// a later row with the same address (rare) is then applied on its own,
// as a row-by-row import would, so the counts are those of the SQLite
// store.
func (db *DB) ImportMembers(ctx context.Context, rows []natverk.ImportRow) (natverk.ImportResult, error) {
	var res natverk.ImportResult
	err := db.write(ctx, func(tx *Tx) error {
		var err error
		res, err = importMembers(ctx, tx, rows)
		if err != nil {
			return err
		}
		tx.emit(events.MustNew(events.MemberImported, tx.now, events.Refs{}, events.ImportPayload{
			Created: res.Created, Updated: res.Updated, Unchanged: res.Unchanged, Rejected: len(res.Rejected),
		}))
		return nil
	})
	return res, err
}

// rejection is a refused row with its position in the input.
type rejection struct {
	pos int
	row natverk.RejectedRow
}

func importMembers(ctx context.Context, tx *Tx, rows []natverk.ImportRow) (natverk.ImportResult, error) {
	var res natverk.ImportResult
	firstOf := map[string]int{} // email key → position of its first row
	var firsts, later []int
	for i, r := range rows {
		k := natverk.EmailKey(r.Email)
		if _, ok := firstOf[k]; ok {
			later = append(later, i)
			continue
		}
		firstOf[k] = i
		firsts = append(firsts, i)
	}
	if len(firsts) == 0 {
		return res, nil
	}
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE import_rows (
		pos integer NOT NULL, email text NOT NULL, email_key text NOT NULL, name text NOT NULL, town text NOT NULL, industry text NOT NULL,
		company text NOT NULL, title text NOT NULL, locale text NOT NULL, search_text text NOT NULL, sort_key text NOT NULL,
		town_key text NOT NULL, industry_key text NOT NULL, company_key text NOT NULL) ON COMMIT DROP`); err != nil {
		return res, storeErr("create import table", err)
	}
	cols := []string{"pos", "email", "email_key", "name", "town", "industry", "company", "title", "locale", "search_text", "sort_key", "town_key", "industry_key", "company_key"}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"import_rows"}, cols, pgx.CopyFromSlice(len(firsts), func(j int) ([]any, error) {
		i := firsts[j]
		in := rows[i].MemberInput
		tk, ik, ck := keys(in)
		return []any{int32(i), in.Email, natverk.EmailKey(in.Email), in.Name, in.Town, in.Industry, in.Company, in.Title, in.Locale,
			in.SearchText(), in.SortKey(), tk, ik, ck}, nil
	})); err != nil {
		return res, storeErr("copy import rows", err)
	}
	// xmax is 0 on a row version this statement inserted and set on one
	// it updated: the usual way to tell the two apart after an upsert.
	if err := tx.QueryRow(ctx, `WITH up AS (
			INSERT INTO members (email, email_key, name, town, industry, company, title, locale, search_text, sort_key, town_key, industry_key, company_key, created_at, updated_at)
			SELECT email, email_key, name, town, industry, company, title, locale, search_text, sort_key, town_key, industry_key, company_key, $1::timestamptz, $1::timestamptz
			FROM import_rows ORDER BY pos
			ON CONFLICT (email_key) DO UPDATE SET email = excluded.email, name = excluded.name, town = excluded.town, industry = excluded.industry,
				company = excluded.company, title = excluded.title, locale = excluded.locale, search_text = excluded.search_text, sort_key = excluded.sort_key,
				town_key = excluded.town_key, industry_key = excluded.industry_key, company_key = excluded.company_key, updated_at = excluded.updated_at
			WHERE NOT members.erased
				AND (members.email, members.name, members.town, members.industry, members.company, members.title, members.locale)
				IS DISTINCT FROM (excluded.email, excluded.name, excluded.town, excluded.industry, excluded.company, excluded.title, excluded.locale)
			RETURNING xmax = 0 AS inserted)
		SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up`, tx.now).Scan(&res.Created, &res.Updated); err != nil {
		return res, storeErr("merge members", err)
	}
	var rejected []rejection
	erased := map[string]bool{}
	erows, err := tx.Query(ctx, `SELECT r.pos FROM import_rows r JOIN members m ON m.email_key = r.email_key WHERE m.erased`)
	if err != nil {
		return res, storeErr("find erased members", err)
	}
	for erows.Next() {
		var pos int32
		if err := erows.Scan(&pos); err != nil {
			erows.Close()
			return res, storeErr("scan erased member", err)
		}
		r := rows[pos]
		erased[natverk.EmailKey(r.Email)] = true
		rejected = append(rejected, rejection{int(pos), natverk.RejectedRow{Row: r.Row, Email: r.Email, Reason: erasedReason}})
	}
	erows.Close()
	if err := erows.Err(); err != nil {
		return res, storeErr("find erased members", err)
	}
	res.Unchanged = len(firsts) - res.Created - res.Updated - len(rejected)

	// Later rows of an address compare with the row before them, which
	// is what the member now holds.
	stored := map[string]natverk.MemberInput{}
	for _, i := range firsts {
		stored[natverk.EmailKey(rows[i].Email)] = rows[i].MemberInput
	}
	for _, i := range later {
		in := rows[i].MemberInput
		k := natverk.EmailKey(in.Email)
		if erased[k] {
			rejected = append(rejected, rejection{i, natverk.RejectedRow{Row: rows[i].Row, Email: in.Email, Reason: erasedReason}})
			continue
		}
		prev := stored[k]
		cur := natverk.Member{Email: prev.Email, Name: prev.Name, Town: prev.Town, Industry: prev.Industry, Company: prev.Company, Title: prev.Title, Locale: prev.Locale}
		if cur.SameAs(in) {
			res.Unchanged++
			continue
		}
		tk, ik, ck := keys(in)
		if _, err := tx.Exec(ctx, `UPDATE members SET email = $1, name = $2, town = $3, industry = $4, company = $5, title = $6, locale = $7,
			search_text = $8, sort_key = $9, town_key = $10, industry_key = $11, company_key = $12, updated_at = $13 WHERE email_key = $14`,
			in.Email, in.Name, in.Town, in.Industry, in.Company, in.Title, in.Locale, in.SearchText(), in.SortKey(), tk, ik, ck, tx.now, k); err != nil {
			return res, storeErr("update member", err)
		}
		stored[k] = in
		res.Updated++
	}
	sort.Slice(rejected, func(a, b int) bool { return rejected[a].pos < rejected[b].pos })
	for _, r := range rejected {
		res.Rejected = append(res.Rejected, r.row)
	}
	return res, nil
}
