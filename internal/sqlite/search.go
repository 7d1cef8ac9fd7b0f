package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	"github.com/natverk/natverk/internal/natverk"
)

// Directory search (docs/PERFORMANCE.md, "Directory search"). A search's
// cost used to follow its number of matches: the count and the page both
// looked up every matching row in the table, and a town word matches 15 %
// of a register. The common shapes of search are now answered from
// indexes that hold what they need (migration 0006):
//
//   - words only: the count is the full-text index's own (it holds no
//     erased member and marks the hidden ones); a page of a broad search
//     is read in sort order from members_directory, checking each
//     member's words there, and a narrow one is collected from the
//     full-text index and sorted;
//   - town, industry and company filters only: one index per filter in
//     sort order serves both the count and the page;
//   - anything else (words and filters together, a list of ids, no
//     condition at all) runs the general query of memberWhere.

// hiddenFlag is the flags column's token of a hidden member in
// members_fts.
const hiddenFlag = "hidden"

// matchWords returns the full-text query matching members with a word
// starting with each of words. Words holds only letters and digits, so a
// word needs no escaping inside the quotes, and the ascii tokenizer keeps
// it one token.
func matchWords(words []string) string {
	terms := make([]string, len(words))
	for i, w := range words {
		terms[i] = `search_text : "` + w + `"*`
	}
	return strings.Join(terms, " AND ")
}

// searchPlan is the queries of one search, chosen by its shape.
type searchPlan struct {
	count     string // one row: the number of matches
	countArgs []any
	page      string // the page; takes pageArgs, then limit and offset
	pageArgs  []any

	// Words-only searches can also read the page in sort order (scan),
	// up to a number of directory entries, then limit and offset.
	scan     string
	scanArgs []any
}

// planSearch returns the queries for f (normalized), or false when f is
// not one of the shapes with queries of their own.
func planSearch(f natverk.MemberFilter) (searchPlan, bool) {
	words := f.QueryWords()
	filters := f.Town != "" || f.Industry != "" || f.Company != ""
	switch {
	case len(f.IDs) > 0:
		return searchPlan{}, false
	case len(words) > 0 && !filters:
		return planWords(f, words), true
	case len(words) == 0 && filters:
		return planFilters(f), true
	}
	return searchPlan{}, false
}

// planWords plans a search by words alone.
func planWords(f natverk.MemberFilter, words []string) searchPlan {
	var p searchPlan
	match := matchWords(words)
	if f.IncludeHidden {
		p.count, p.countArgs = `SELECT count(*) FROM members_fts WHERE members_fts MATCH ?`, []any{match}
	} else {
		// The members shown, and the viewer when hidden and found.
		p.count = `SELECT (SELECT count(*) FROM members_fts WHERE members_fts MATCH ?)
			+ (SELECT count(*) FROM members_fts WHERE members_fts MATCH ? AND rowid = ?)`
		p.countArgs = []any{"(" + match + ") NOT flags : " + hiddenFlag, "(" + match + ") AND flags : " + hiddenFlag, f.Viewer}
	}
	hidden := ""
	if !f.IncludeHidden {
		hidden = ` AND (hidden = 0 OR id = ?)`
	}
	p.page = `SELECT ` + memberColumns + ` FROM members WHERE id IN (SELECT rowid FROM members_fts WHERE members_fts MATCH ?)` + hidden +
		` ORDER BY sort_key, id LIMIT ? OFFSET ?`
	p.pageArgs = []any{match}
	if !f.IncludeHidden {
		p.pageArgs = append(p.pageArgs, f.Viewer)
	}
	// The same condition on the directory's own copy of the words: a
	// word starting with w is " "+w in " "+search_text, whose words are
	// joined by single spaces.
	conds := make([]string, len(words))
	for i, w := range words {
		conds[i] = `instr(' ' || search_text, ?) > 0`
		p.scanArgs = append(p.scanArgs, " "+w)
	}
	if !f.IncludeHidden {
		conds = append(conds, `(hidden = 0 OR id = ?)`)
		p.scanArgs = append(p.scanArgs, f.Viewer)
	}
	p.scan = `SELECT ` + memberColumns + ` FROM members WHERE id IN (
		SELECT id FROM (SELECT id, sort_key, hidden, search_text FROM members INDEXED BY members_directory WHERE erased = 0 ORDER BY sort_key, id LIMIT ?)
		WHERE ` + strings.Join(conds, " AND ") + ` ORDER BY sort_key, id LIMIT ? OFFSET ?)
		ORDER BY sort_key, id`
	return p
}

// planFilters plans a search by town, industry and company alone. The
// index is the company's when given (a company has few members), else
// the town's (which also holds the industry), else the industry's.
func planFilters(f natverk.MemberFilter) searchPlan {
	index := "members_industry"
	switch {
	case f.Company != "":
		index = "members_company"
	case f.Town != "":
		index = "members_town"
	}
	where, args := []string{"erased = 0"}, []any{}
	for _, c := range []struct{ col, v string }{{"town_key", f.Town}, {"industry_key", f.Industry}, {"company_key", f.Company}} {
		if c.v != "" {
			where, args = append(where, c.col+" = ?"), append(args, c.v)
		}
	}
	if !f.IncludeHidden {
		where, args = append(where, "(hidden = 0 OR id = ?)"), append(args, f.Viewer)
	}
	from := ` FROM members INDEXED BY ` + index + ` WHERE ` + strings.Join(where, " AND ")
	return searchPlan{
		count: `SELECT count(*)` + from, countArgs: args,
		page: `SELECT ` + memberColumns + from + ` ORDER BY sort_key, id LIMIT ? OFFSET ?`, pageArgs: args,
	}
}

// useScan reports whether a page of a words-only search with n matches
// is cheaper read in sort order than collected and sorted, and how many
// directory entries the read may visit. Collecting costs a table lookup
// per match; reading in sort order visits about need×members/n entries
// when the matches are spread over the alphabet (a town word), and more
// when they are not (a first name): past the limit it gives up, and the
// page is collected after all.
func useScan(n, need, members int) (limit int, ok bool) {
	if n <= 0 || members <= 0 {
		return 0, false
	}
	expect := need * members / n
	if expect > 2*n {
		return 0, false
	}
	return 3*expect + 200, true
}

// FindMembers searches the directory: the count, then the page in sort
// order, both in one read transaction.
func (db *DB) FindMembers(ctx context.Context, f natverk.MemberFilter) ([]*natverk.Member, int, error) {
	f = f.Normalize()
	p, ok := planSearch(f)
	if !ok {
		where, args := memberWhere(f)
		p = searchPlan{
			count: `SELECT count(*) FROM members WHERE ` + where, countArgs: args,
			page: `SELECT ` + memberColumns + ` FROM members WHERE ` + where + ` ORDER BY sort_key, id LIMIT ? OFFSET ?`, pageArgs: args,
		}
	}
	// Prepared on the pool before the transaction holds a connection.
	stmts := map[string]*sql.Stmt{}
	for _, q := range []string{p.count, p.page, p.scan, maxMemberQuery} {
		if q == "" || stmts[q] != nil {
			continue
		}
		st, err := db.r.stmt(ctx, q)
		if err != nil {
			return nil, 0, storeErr("prepare search", err)
		}
		stmts[q] = st
	}
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, storeErr("begin", err)
	}
	defer tx.Rollback()
	stmt := func(q string) *sql.Stmt { return tx.StmtContext(ctx, stmts[q]) }
	var n int
	if err := stmt(p.count).QueryRowContext(ctx, p.countArgs...).Scan(&n); err != nil {
		return nil, 0, storeErr("count members", err)
	}
	if n <= f.Offset {
		return nil, n, nil
	}
	want := min(f.Limit, n-f.Offset)
	if p.scan != "" {
		var members int
		if err := stmt(maxMemberQuery).QueryRowContext(ctx).Scan(&members); err != nil {
			return nil, 0, storeErr("count members", err)
		}
		if limit, ok := useScan(n, f.Offset+f.Limit, members); ok {
			out, err := queryMembers(ctx, stmt(p.scan), slices.Concat([]any{limit}, p.scanArgs, []any{f.Limit, f.Offset})...)
			if err != nil || len(out) == want {
				return out, n, err
			}
		}
	}
	out, err := queryMembers(ctx, stmt(p.page), slices.Concat(p.pageArgs, []any{f.Limit, f.Offset})...)
	return out, n, err
}

// maxMemberQuery estimates the size of the register for useScan: ids
// are not reused, so it counts erased members too.
const maxMemberQuery = `SELECT coalesce(max(id), 0) FROM members`

// queryMembers runs a query of memberColumns.
func queryMembers(ctx context.Context, st *sql.Stmt, args ...any) ([]*natverk.Member, error) {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, storeErr("find members", err)
	}
	defer rows.Close()
	var out []*natverk.Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, storeErr("scan member", err)
		}
		out = append(out, m)
	}
	return out, storeErr("find members", rows.Err())
}
