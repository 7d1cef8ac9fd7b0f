package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/natverk/natverk/internal/natverk"
)

// Directory search benchmarks: building the WHERE clause, and whole
// searches over a register of 100,000 members (10,000 with -short), by
// the kinds of query the bench's directory scenario mixes.
//
//	go test ./internal/sqlite -run '^$' -bench 'MemberWhere|FindMembers' -count 6 | benchstat -

var (
	benchFirst   = []string{"Åsa", "Björn", "Cecilia", "Dag", "Elin", "Fredrik", "Gunilla", "Håkan", "Ingrid", "Jöns", "Karin", "Lars"}
	benchSurname = []string{"Öberg", "Ståhl", "Malm", "Andersson", "Johansson", "Lindström", "Åkesson", "Sjöberg", "Hägg", "Löfgren", "Nyström", "Östlund"}
	benchTowns   = []string{"Göteborg", "Malmö", "Stockholm", "Uppsala", "Örebro", "Linköping", "Jönköping", "Umeå", "Växjö", "Åre"}
	benchInd     = []string{"Logistik", "Vård", "Bank", "Försäkring", "Utbildning", "Bygg", "Handel", "Energi"}
)

// benchFilters are the query kinds, each with a few values to rotate.
var benchFilters = []struct {
	name string
	fs   []natverk.MemberFilter
}{
	{"Surname", []natverk.MemberFilter{{Q: "Öberg"}, {Q: "lindstrom"}, {Q: "Hägg"}}},
	{"FullName", []natverk.MemberFilter{{Q: "Åsa Öberg"}, {Q: "elin malm"}, {Q: "Dag Nyström"}}},
	{"FoldedTown", []natverk.MemberFilter{{Q: "goteborg"}, {Q: "orebro"}, {Q: "vaxjo"}}},
	{"Prefix", []natverk.MemberFilter{{Q: "lind"}, {Q: "sjo"}, {Q: "ande"}}},
	{"Town", []natverk.MemberFilter{{Town: "Malmö"}, {Town: "Umeå"}, {Town: "Göteborg"}}},
	{"TownIndustry", []natverk.MemberFilter{{Town: "goteborg", Industry: "Bank"}, {Town: "Åre", Industry: "Vård"}}},
	{"SecondPage", []natverk.MemberFilter{{Q: "goteborg", Offset: 50}, {Town: "Stockholm", Offset: 50}}},
}

func BenchmarkMemberWhere(b *testing.B) {
	for _, tc := range benchFilters {
		b.Run(tc.name, func(b *testing.B) {
			f := tc.fs[0].Normalize()
			b.ReportAllocs()
			for b.Loop() {
				if where, _ := memberWhere(f); where == "" {
					b.Fatal("empty WHERE")
				}
			}
		})
	}
}

func BenchmarkFindMembers(b *testing.B) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "natverk.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	rows := make([]natverk.ImportRow, n)
	for i := range rows {
		in, err := natverk.MemberInput{
			Email: fmt.Sprintf("m%d@example.org", i), Name: benchFirst[i%len(benchFirst)] + " " + benchSurname[(i/7)%len(benchSurname)],
			Town: benchTowns[(i/3)%len(benchTowns)], Industry: benchInd[(i/5)%len(benchInd)], Company: fmt.Sprintf("Hamnbolaget %d AB", i%997),
		}.Normalize()
		if err != nil {
			b.Fatal(err)
		}
		rows[i] = natverk.ImportRow{Row: i + 2, MemberInput: in}
	}
	if _, err := db.ImportMembers(ctx, rows); err != nil {
		b.Fatal(err)
	}
	for _, tc := range benchFilters {
		b.Run(tc.name, func(b *testing.B) {
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				ms, total, err := db.FindMembers(ctx, tc.fs[i%len(tc.fs)])
				if err != nil || total == 0 || len(ms) == 0 {
					b.Fatalf("FindMembers(%+v) = %d members of %d, %v", tc.fs[i%len(tc.fs)], len(ms), total, err)
				}
				i++
			}
		})
	}
}

// benchImportRows returns n register rows of the benchmarks' members.
func benchImportRows(b *testing.B, n, salt int) []natverk.ImportRow {
	rows := make([]natverk.ImportRow, n)
	for i := range rows {
		in, err := natverk.MemberInput{
			Email: fmt.Sprintf("m%d@example.org", i), Name: benchFirst[(i+salt)%len(benchFirst)] + " " + benchSurname[(i/7)%len(benchSurname)],
			Town: benchTowns[(i/3)%len(benchTowns)], Industry: benchInd[(i/5)%len(benchInd)], Company: fmt.Sprintf("Hamnbolaget %d AB", i%997),
		}.Normalize()
		if err != nil {
			b.Fatal(err)
		}
		rows[i] = natverk.ImportRow{Row: i + 2, MemberInput: in}
	}
	return rows
}

// BenchmarkImport100k imports a register of 100,000 members (10,000 with
// -short) into an empty store (Create), and the same register again with
// every name changed (Update).
func BenchmarkImport100k(b *testing.B) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	ctx := context.Background()
	rows, changed := benchImportRows(b, n, 0), benchImportRows(b, n, 1)
	for _, tc := range []struct {
		name   string
		before []natverk.ImportRow
		rows   []natverk.ImportRow
	}{{"Create", nil, rows}, {"Update", rows, changed}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				db, err := Open(ctx, filepath.Join(b.TempDir(), "natverk.db"))
				if err != nil {
					b.Fatal(err)
				}
				if tc.before != nil {
					if _, err := db.ImportMembers(ctx, tc.before); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				if _, err := db.ImportMembers(ctx, tc.rows); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				db.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
