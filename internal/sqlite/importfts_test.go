package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/natverk/natverk/internal/natverk"
)

// TestLargeImportIndexesOnce checks that an import large enough to index
// its rows in one statement (largeImport) leaves the directory exactly as
// the per-row triggers would: created and renamed members found by their
// new words and not their old ones, hidden members still hidden, erased
// ones absent, and the triggers back for the writes after it.
func TestLargeImportIndexesOnce(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "natverk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	row := func(i int, name, town string) natverk.ImportRow {
		in, err := natverk.MemberInput{Email: fmt.Sprintf("m%d@example.org", i), Name: name, Town: town, Industry: "Logistik"}.Normalize()
		if err != nil {
			t.Fatal(err)
		}
		return natverk.ImportRow{Row: i + 2, MemberInput: in}
	}
	// A small import, through the triggers.
	var small []natverk.ImportRow
	for i := range 100 {
		small = append(small, row(i, fmt.Sprintf("Gammal Östberg%d", i), "Kiruna"))
	}
	if _, err := db.ImportMembers(ctx, small); err != nil {
		t.Fatal(err)
	}
	hidden, _ := db.FindMemberByEmail(ctx, "m1@example.org")
	if _, err := db.UpdateMember(ctx, hidden.ID, natverk.MemberUpdate{Hidden: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	erased, _ := db.FindMemberByEmail(ctx, "m2@example.org")
	if err := db.EraseMember(ctx, erased.ID); err != nil {
		t.Fatal(err)
	}
	// A large one: members 0–49 renamed and moved, 50–99 unchanged, and
	// largeImport new ones.
	var large []natverk.ImportRow
	for i := range 50 {
		large = append(large, row(i, fmt.Sprintf("Ny Åkerlund%d", i), "Växjö"))
	}
	large = append(large, small[50:]...)
	for i := 100; i < 100+largeImport; i++ {
		large = append(large, row(i, fmt.Sprintf("Ny Åkerlund%d", i), "Växjö"))
	}
	res, err := db.ImportMembers(ctx, large)
	if err != nil {
		t.Fatal(err)
	}
	// m2 was erased: its address imports as a new member.
	if res.Created != largeImport+1 || res.Updated != 49 || res.Unchanged != 50 {
		t.Fatalf("import: %+v", res)
	}
	count := func(f natverk.MemberFilter) int {
		t.Helper()
		_, n, err := db.FindMembers(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := count(natverk.MemberFilter{Q: "akerlund"}); got != largeImport+50-1 {
		t.Errorf("akerlund: %d; want %d (the hidden member left out)", got, largeImport+50-1)
	}
	if got := count(natverk.MemberFilter{Q: "akerlund", IncludeHidden: true}); got != largeImport+50 {
		t.Errorf("akerlund with hidden: %d; want %d", got, largeImport+50)
	}
	if got := count(natverk.MemberFilter{Q: "gammal"}); got != 50 {
		t.Errorf("gammal (old name): %d; want the 50 unchanged members", got)
	}
	if got := count(natverk.MemberFilter{Q: "kiruna"}); got != 50 {
		t.Errorf("kiruna (old town): %d; want 50", got)
	}
	if got := count(natverk.MemberFilter{Q: "vaxjo", Town: "Växjö"}); got != largeImport+50-1 {
		t.Errorf("vaxjo in Växjö: %d; want %d", got, largeImport+50-1)
	}
	// The triggers are back: a member created and one renamed after the
	// import are found by their new words only.
	if _, err := db.ImportMembers(ctx, []natverk.ImportRow{row(0, "Efter Importsson", "Luleå"), row(999999, "Efter Importsson", "Luleå")}); err != nil {
		t.Fatal(err)
	}
	if got := count(natverk.MemberFilter{Q: "importsson"}); got != 2 {
		t.Errorf("importsson after the import: %d; want 2", got)
	}
	if got := count(natverk.MemberFilter{Q: "akerlund0"}); got != 0 {
		t.Errorf("akerlund0 after renaming it: %d; want 0", got)
	}
	var triggers int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'members_fts_%'`).Scan(&triggers); err != nil || triggers != 3 {
		t.Errorf("%d full-text triggers after the import (%v); want 3", triggers, err)
	}
}

func ptr[T any](v T) *T { return &v }
