package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/postgres"
)

var importTowns = []string{"Göteborg", "Malmö", "Umeå", "Stockholm", "Lund", "Åre", "Kiruna"}

// registerRow is row i of a generated member register.
func registerRow(tb testing.TB, i int) natverk.ImportRow {
	tb.Helper()
	in, err := natverk.MemberInput{
		Email: fmt.Sprintf("m%06d@example.org", i), Name: fmt.Sprintf("Medlem %d Åström", i),
		Town: importTowns[i%len(importTowns)], Industry: "Bransch " + fmt.Sprint(i%13), Company: fmt.Sprintf("Företag %d AB", i%101),
		Title: "Ledamot",
	}.Normalize()
	if err != nil {
		tb.Fatal(err)
	}
	return natverk.ImportRow{Row: i + 2, MemberInput: in}
}

func register(tb testing.TB, n int) []natverk.ImportRow {
	rows := make([]natverk.ImportRow, n)
	for i := range rows {
		rows[i] = registerRow(tb, i)
	}
	return rows
}

// importEvent returns the payload of the one member.imported event
// pending in the outbox, and marks the outbox published.
func importEvent(t *testing.T, db *postgres.DB) events.ImportPayload {
	t.Helper()
	ctx := context.Background()
	evs, err := db.PendingOutbox(ctx, -1)
	if err != nil {
		t.Fatal(err)
	}
	var p events.ImportPayload
	var seqs []int64
	n := 0
	for _, e := range evs {
		seqs = append(seqs, e.Seq)
		if e.Event.Type == events.MemberImported {
			n++
			if err := e.Event.Decode(&p); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d member.imported events pending, want 1", n)
	}
	if err := db.MarkPublished(ctx, seqs, time.Now()); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestImport20k imports a register of 20,000 members, then a revision of
// it with changed, new, repeated and erased addresses, and checks the
// counts, the event and the stored data.
func TestImport20k(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	const n = 20000
	rows := register(t, n)
	res, err := db.ImportMembers(ctx, rows)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(natverk.ImportResult{Created: n}, res); d != "" {
		t.Fatalf("first import (-want +got):\n%s", d)
	}
	if p := importEvent(t, db); p.Created != n || p.Updated != 0 || p.Unchanged != 0 {
		t.Fatalf("event = %+v", p)
	}
	_, total, err := db.FindMembers(ctx, natverk.MemberFilter{Town: "goteborg"})
	if err != nil || total != (n+len(importTowns)-1)/len(importTowns) {
		t.Fatalf("members in Göteborg = %d %v", total, err)
	}

	// Erase three members; an import naming their (erased) addresses is
	// refused row by row.
	var erasedEmails []string
	for _, i := range []int{5, 6, 7} {
		m, err := db.FindMemberByEmail(ctx, rows[i].Email)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.EraseMember(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		e, _ := db.FindMemberByID(ctx, m.ID)
		erasedEmails = append(erasedEmails, e.Email)
	}

	// The revision: every 10th member moved, every 997th with its email
	// in capitals (a change of address spelling, same member), 300 new
	// members, and repeated rows at the end: 25 identical to their first
	// occurrence, 25 that change it again.
	rev := register(t, n+300)
	wantUpdated, wantUnchanged := 0, 0
	for i := range n {
		if i == 5 || i == 6 || i == 7 {
			continue // erased: their rows now import as new members
		}
		changed := false
		if i%10 == 0 {
			rev[i].Town = "Luleå"
			changed = true
		}
		if i%997 == 0 {
			rev[i].Email = strings.ToUpper(rev[i].Email[:7]) + rev[i].Email[7:]
			changed = true
		}
		if changed {
			wantUpdated++
		} else {
			wantUnchanged++
		}
	}
	wantCreated := 300 + 3 // the erased members' old addresses are free again
	for k := range 50 {
		r := rev[1000+k]
		r.Row = len(rev) + 2
		if k%2 == 1 {
			r.Title = "Ordförande"
			wantUpdated++
		} else {
			wantUnchanged++
		}
		rev = append(rev, r)
	}
	var wantRejected []natverk.RejectedRow
	for _, e := range append(erasedEmails, erasedEmails[0]) {
		r := natverk.ImportRow{Row: len(rev) + 2, MemberInput: natverk.MemberInput{Email: e, Name: "Åter", Locale: natverk.LocaleSV}}
		rev = append(rev, r)
		wantRejected = append(wantRejected, natverk.RejectedRow{Row: r.Row, Email: e, Reason: "this address belongs to an erased member"})
	}
	res, err = db.ImportMembers(ctx, rev)
	if err != nil {
		t.Fatal(err)
	}
	want := natverk.ImportResult{Created: wantCreated, Updated: wantUpdated, Unchanged: wantUnchanged, Rejected: wantRejected}
	if d := cmp.Diff(want, res); d != "" {
		t.Fatalf("revision (-want +got):\n%s", d)
	}
	if p := importEvent(t, db); p.Created != want.Created || p.Updated != want.Updated || p.Unchanged != want.Unchanged || p.Rejected != len(want.Rejected) {
		t.Fatalf("event = %+v, want counts of %+v", p, want)
	}
	for _, tc := range []struct {
		email, town, title string
	}{
		{rows[10].Email, "Luleå", "Ledamot"},
		{rows[11].Email, rows[11].Town, "Ledamot"},
		{rows[1001].Email, rows[1001].Town, "Ordförande"}, // the repeated row's change
		{rows[1002].Email, rows[1002].Town, "Ledamot"},
	} {
		m, err := db.FindMemberByEmail(ctx, tc.email)
		if err != nil {
			t.Fatal(err)
		}
		if m.Town != tc.town || m.Title != tc.title {
			t.Errorf("%s: town %q title %q, want %q %q", tc.email, m.Town, m.Title, tc.town, tc.title)
		}
	}
	if m, err := db.FindMemberByEmail(ctx, rows[997].Email); err != nil || m.Email != rev[997].Email {
		t.Errorf("email spelling: %+v %v, want %s", m, err, rev[997].Email)
	}
	if _, total, err := db.FindMembers(ctx, natverk.MemberFilter{Q: "lulea"}); err != nil || total != n/10 {
		t.Errorf("members in Luleå = %d %v, want %d", total, err, n/10)
	}
}

// TestImportRepeatedRows checks the rows of one import that name the
// same address: each is compared with the one before, as a row-by-row
// import does.
func TestImportRepeatedRows(t *testing.T) {
	ctx := context.Background()
	a := natverk.MemberInput{Email: "a@example.org", Name: "Anna", Town: "Lund", Locale: natverk.LocaleSV}
	a2 := a
	a2.Town = "Malmö"
	upper := a
	upper.Email = "A@example.org"
	for _, tc := range []struct {
		name     string
		before   []natverk.MemberInput
		rows     []natverk.MemberInput
		want     natverk.ImportResult
		wantTown string
	}{
		{"Empty", nil, nil, natverk.ImportResult{}, ""},
		{"SameTwice", nil, []natverk.MemberInput{a, a}, natverk.ImportResult{Created: 1, Unchanged: 1}, "Lund"},
		{"ChangedInBatch", nil, []natverk.MemberInput{a, a2}, natverk.ImportResult{Created: 1, Updated: 1}, "Malmö"},
		{"BackAndForth", []natverk.MemberInput{a}, []natverk.MemberInput{a2, a}, natverk.ImportResult{Updated: 2}, "Lund"},
		{"ThenSame", []natverk.MemberInput{a}, []natverk.MemberInput{a, a2, a2}, natverk.ImportResult{Updated: 1, Unchanged: 2}, "Malmö"},
		{"EmailCase", []natverk.MemberInput{a}, []natverk.MemberInput{upper}, natverk.ImportResult{Updated: 1}, "Lund"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := MustOpenDB(t)
			toRows := func(ins []natverk.MemberInput) []natverk.ImportRow {
				var out []natverk.ImportRow
				for i, in := range ins {
					out = append(out, natverk.ImportRow{Row: i + 2, MemberInput: in})
				}
				return out
			}
			if len(tc.before) > 0 {
				if _, err := db.ImportMembers(ctx, toRows(tc.before)); err != nil {
					t.Fatal(err)
				}
				importEvent(t, db)
			}
			res, err := db.ImportMembers(ctx, toRows(tc.rows))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, res); d != "" {
				t.Fatalf("result (-want +got):\n%s", d)
			}
			if p := importEvent(t, db); p.Created != tc.want.Created || p.Updated != tc.want.Updated || p.Unchanged != tc.want.Unchanged {
				t.Fatalf("event = %+v", p)
			}
			if tc.wantTown == "" {
				return
			}
			m, err := db.FindMemberByEmail(ctx, a.Email)
			if err != nil || m.Town != tc.wantTown {
				t.Fatalf("member = %+v %v, want town %s", m, err, tc.wantTown)
			}
		})
	}
}

// BenchmarkImport100k imports a register of 100,000 members: into an
// empty database (Create), and again unchanged (Unchanged).
func BenchmarkImport100k(b *testing.B) {
	const n = 100000
	rows := register(b, n)
	ctx := context.Background()
	b.Run("Create", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			db := MustOpenDB(b)
			b.StartTimer()
			res, err := db.ImportMembers(ctx, rows)
			if err != nil || res.Created != n {
				b.Fatalf("import = %+v %v", res, err)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("Unchanged", func(b *testing.B) {
		db := MustOpenDB(b)
		if _, err := db.ImportMembers(ctx, rows); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			res, err := db.ImportMembers(ctx, rows)
			if err != nil || res.Unchanged != n {
				b.Fatalf("import = %+v %v", res, err)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}
