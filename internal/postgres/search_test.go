package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/natverk/natverk/internal/natverk"
)

// Names, places and companies in several scripts, with diacritics,
// ligatures, digits, punctuation and words PostgreSQL's text search parser
// would split differently ("1e2e3", "12e3x").
var (
	firstNames = []string{"Åsa", "Örjan", "Bo", "Zoë", "François", "Øystein", "Ærø", "İsmail", "Łukasz", "Đorđe", "Ñúñez", "Ελένη",
		"Дмитрий", "王芳", "Nguyễn", "Anne-Marie", "Jean-Luc", "ﬁnn", "R2D2", "Eva", "Åke", "Ängel", "Ödön", "Marie"}
	lastNames = []string{"Öberg", "Ström", "Straße", "D'Angelo", "O'Brien", "Müller-Lüdenscheidt", "Παπαδόπουλος", "Иванов", "李",
		"Ångström", "Malm", "Malmberg", "Ek", "Eklund", "Göransson", "Çelik", "1e2e3", "Åberg", "Aberg"}
	towns      = []string{"Göteborg", "Goteborg", "Malmö", "Umeå", "Åre", "Lund", "Köln", "Zürich", "Αθήνα", "Москва", "東京", "Reykjavík", ""}
	industries = []string{"IT & Telekom", "Vård/Omsorg", "Bank", "Logistik", "Skola", "12e3x Labb", ""}
	companies  = []string{"Hamnbolaget AB", "H&M", "IKEA", "Volvo Cars", "ÅF Pöyry", "3M Svenska", "Öresundslinjen", "Sahlgrenska", ""}
)

type refMember struct {
	id     int64
	in     natverk.MemberInput
	hidden bool
	erased bool
}

// refSearch is the directory search as natverk defines it, computed in
// Go: every query word starts some word of the member's folded text;
// field filters compare folded values; sorted by folded name, bytewise,
// then id.
func refSearch(ms []refMember, f natverk.MemberFilter) ([]int64, int) {
	f = f.Normalize()
	words := f.QueryWords()
	var hits []refMember
	for _, m := range ms {
		tk, ik, ck := strings.Join(natverk.Words(m.in.Town), " "), strings.Join(natverk.Words(m.in.Industry), " "), strings.Join(natverk.Words(m.in.Company), " ")
		switch {
		case m.erased,
			f.Town != "" && tk != f.Town,
			f.Industry != "" && ik != f.Industry,
			f.Company != "" && ck != f.Company,
			len(f.IDs) > 0 && !slices.Contains(f.IDs, m.id),
			!f.IncludeHidden && m.hidden && m.id != f.Viewer:
			continue
		}
		text := strings.Fields(m.in.SearchText())
		ok := true
		for _, w := range words {
			if !slices.ContainsFunc(text, func(t string) bool { return strings.HasPrefix(t, w) }) {
				ok = false
				break
			}
		}
		if ok {
			hits = append(hits, m)
		}
	}
	slices.SortFunc(hits, func(a, b refMember) int {
		if c := bytes.Compare([]byte(a.in.SortKey()), []byte(b.in.SortKey())); c != 0 {
			return c
		}
		return int(a.id - b.id)
	})
	var ids []int64
	for i := f.Offset; i < len(hits) && i < f.Offset+f.Limit; i++ {
		ids = append(ids, hits[i].id)
	}
	return ids, len(hits)
}

// TestSearchMatchesReference runs many random directory searches over
// members written in many scripts and compares each result (members,
// order and count) with refSearch.
func TestSearchMatchesReference(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	var rows []natverk.ImportRow
	for i := range 300 {
		in, err := natverk.MemberInput{
			Email: fmt.Sprintf("m%03d@example.org", i), Name: pick(firstNames) + " " + pick(lastNames),
			Town: pick(towns), Industry: pick(industries), Company: pick(companies),
		}.Normalize()
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, natverk.ImportRow{Row: i + 2, MemberInput: in})
	}
	if _, err := db.ImportMembers(ctx, rows); err != nil {
		t.Fatal(err)
	}
	ms := make([]refMember, len(rows))
	for i, r := range rows {
		m, err := db.FindMemberByEmail(ctx, r.Email)
		if err != nil {
			t.Fatal(err)
		}
		ms[i] = refMember{id: m.ID, in: r.MemberInput}
	}
	yes := true
	for i := 0; i < len(ms); i += 7 {
		if _, err := db.UpdateMember(ctx, ms[i].id, natverk.MemberUpdate{Hidden: &yes}); err != nil {
			t.Fatal(err)
		}
		ms[i].hidden = true
	}
	for i := 3; i < len(ms); i += 29 {
		if err := db.EraseMember(ctx, ms[i].id); err != nil {
			t.Fatal(err)
		}
		ms[i].erased = true
	}

	// Query words: whole words and prefixes of the stored words, in the
	// original spelling or folded, plus words that match nothing.
	var vocab []string
	for _, m := range ms {
		vocab = append(vocab, strings.Fields(m.in.Name+" "+m.in.Town+" "+m.in.Company)...)
	}
	word := func() string {
		w := []rune(pick(vocab))
		switch rng.IntN(5) {
		case 0:
			return string(w)
		case 1:
			return strings.ToUpper(string(w))
		case 2:
			return "zzq" + string(w)
		default:
			return string(w[:1+rng.IntN(len(w))])
		}
	}
	for i := range 400 {
		f := natverk.MemberFilter{Limit: 1 + rng.IntN(60), Offset: rng.IntN(3) * 5}
		for range rng.IntN(4) {
			f.Q += word() + " "
		}
		switch rng.IntN(6) {
		case 0:
			f.Town = pick(towns)
		case 1:
			f.Industry = strings.ToLower(pick(industries))
		case 2:
			f.Company = pick(companies)
		}
		switch rng.IntN(4) {
		case 0:
			f.IncludeHidden = true
		case 1:
			f.Viewer = ms[7*rng.IntN(len(ms)/7)].id
		}
		if rng.IntN(10) == 0 {
			f.IDs = []int64{ms[rng.IntN(len(ms))].id, ms[rng.IntN(len(ms))].id}
		}
		got, total, err := db.FindMembers(ctx, f)
		if err != nil {
			t.Fatalf("query %d %+v: %v", i, f, err)
		}
		var gotIDs []int64
		for _, m := range got {
			gotIDs = append(gotIDs, m.ID)
		}
		wantIDs, wantTotal := refSearch(ms, f)
		if total != wantTotal {
			t.Errorf("query %d %+v: total = %d, want %d", i, f, total, wantTotal)
		}
		if d := cmp.Diff(wantIDs, gotIDs); d != "" {
			t.Errorf("query %d %+v: members (-want +got):\n%s", i, f, d)
		}
	}
}

// TestSearchSplitsOnlyWhereGoDoes checks the cases where PostgreSQL's
// text search parser splits words differently from natverk.Words.
func TestSearchSplitsOnlyWhereGoDoes(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	in, err := natverk.MemberInput{Email: "lab@example.org", Name: "Labb 1e2e3", Company: "12e3x"}.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportMembers(ctx, []natverk.ImportRow{{Row: 2, MemberInput: in}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		q    string
		want int
	}{
		{"1e2e3", 1}, {"1e2", 1}, {"e3", 0}, {"12e3x", 1}, {"12e", 1}, {"x", 0}, {"labb 12e3", 1}, {"labb e3", 0},
	} {
		t.Run(tc.q, func(t *testing.T) {
			_, n, err := db.FindMembers(ctx, natverk.MemberFilter{Q: tc.q})
			if err != nil {
				t.Fatal(err)
			}
			if n != tc.want {
				t.Errorf("%q found %d members, want %d", tc.q, n, tc.want)
			}
		})
	}
}
