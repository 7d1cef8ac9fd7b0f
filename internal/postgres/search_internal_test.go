package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/pgtest"
)

// TestSearchUsesIndexes checks that directory searches can use the
// members_search GIN index and the field indexes: the query must repeat
// the index expression exactly.
func TestSearchUsesIndexes(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, pgtest.Fresh(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tc := range []struct {
		name  string
		f     natverk.MemberFilter
		index string
	}{
		{"Words", natverk.MemberFilter{Q: "göteborg hamn"}, "members_search"},
		{"Town", natverk.MemberFilter{Town: "Malmö"}, "members_town"},
		{"Industry", natverk.MemberFilter{Industry: "Bank"}, "members_industry"},
		{"Company", natverk.MemberFilter{Company: "IKEA"}, "members_company"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a args
			where := memberWhere(tc.f.Normalize(), &a)
			tx, err := db.pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
				t.Fatal(err)
			}
			rows, err := tx.Query(ctx, `EXPLAIN SELECT id FROM members WHERE `+where, a...)
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, line)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(plan, "\n"), tc.index) {
				t.Errorf("plan does not use %s:\n%s", tc.index, strings.Join(plan, "\n"))
			}
		})
	}
}

func TestPrefixQuery(t *testing.T) {
	for _, tc := range []struct {
		name  string
		words []string
		want  string
	}{
		{"One", []string{"göteborg"}, `'göteborg':*`},
		{"Two", []string{"hamn", "ab"}, `'hamn':* & 'ab':*`},
		{"Quotes", []string{`o'b`, `a\b`}, `'o''b':* & 'a\\b':*`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := prefixQuery(tc.words); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// TestPrefixQueryParses checks that the escaped query text means the
// lexemes it was built from, quotes and backslashes included.
func TestPrefixQueryParses(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, pgtest.Fresh(t), WithoutMigrate())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var all, partial bool
	q := prefixQuery([]string{`o'b`, `a\b`})
	if err := db.pool.QueryRow(ctx, `SELECT array_to_tsvector(ARRAY[$2, $3]) @@ $1::tsquery, array_to_tsvector(ARRAY[$2]) @@ $1::tsquery`,
		q, `o'brien`, `a\bc`).Scan(&all, &partial); err != nil {
		t.Fatal(err)
	}
	if !all || partial {
		t.Errorf("%s: matches both words = %v (want true), one word = %v (want false)", q, all, partial)
	}
}
