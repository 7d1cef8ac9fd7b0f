package storetest

import (
	"fmt"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/natverk/natverk/internal/natverk"
)

func testMembers(t *testing.T, open Opener) {
	s := open(t)
	rows := []natverk.ImportRow{
		{Row: 2, MemberInput: natverk.MemberInput{Email: "asa@example.org", Name: "Åsa Öberg", Town: "Göteborg", Industry: "Logistik", Company: "Hamnbolaget", Locale: "sv"}},
		{Row: 3, MemberInput: natverk.MemberInput{Email: "Bo@Example.ORG", Name: "Bo Ek", Town: "Malmö", Locale: "en"}},
	}
	res, err := s.ImportMembers(ctx(), rows)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 2 || res.Updated != 0 || res.Unchanged != 0 {
		t.Fatalf("first import = %+v", res)
	}
	// Same rows again: unchanged. Changed town, and the email in other case: updated.
	rows[1].Town = "Lund"
	rows[1].Email = "bo@example.org"
	res, err = s.ImportMembers(ctx(), rows)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 0 || res.Updated != 1 || res.Unchanged != 1 {
		t.Fatalf("second import = %+v", res)
	}
	m, err := s.FindMemberByEmail(ctx(), "BO@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if m.Town != "Lund" || m.Locale != "en" {
		t.Fatalf("member = %+v", m)
	}
	if _, err := s.FindMemberByID(ctx(), 999999); natverk.ErrorCode(err) != natverk.ENOTFOUND {
		t.Fatalf("missing member: %v", err)
	}
	hide := true
	up, err := s.UpdateMember(ctx(), m.ID, natverk.MemberUpdate{Hidden: &hide})
	if err != nil || !up.Hidden {
		t.Fatalf("hide: %+v %v", up, err)
	}
	taken := "asa@example.org"
	_, err = s.UpdateMember(ctx(), m.ID, natverk.MemberUpdate{Email: &taken})
	wantCode(t, err, natverk.ECONFLICT)
	if err := s.SetBouncing(ctx(), m.ID, "550 5.1.1 no such user"); err != nil {
		t.Fatal(err)
	}
	m, _ = s.FindMemberByID(ctx(), m.ID)
	if !m.Bouncing || m.BounceReason == "" {
		t.Fatalf("bouncing not set: %+v", m)
	}
	m, err = s.UpdateMember(ctx(), m.ID, natverk.MemberUpdate{ClearBounce: true})
	if err != nil || m.Bouncing {
		t.Fatalf("clear bounce: %+v %v", m, err)
	}
	evs := drain(t, s)
	if got := countTypes(evs); got["natverk.member.imported"] != 2 || got["natverk.member.updated"] != 2 {
		t.Fatalf("events = %v", got)
	}
}

func testSearch(t *testing.T, open Opener) {
	s := open(t)
	mustImport(t, s,
		natverk.MemberInput{Email: "asa@example.org", Name: "Åsa Öberg", Town: "Göteborg", Industry: "Logistik", Company: "Hamnbolaget AB"},
		natverk.MemberInput{Email: "bjorn@example.org", Name: "Björn Ståhl", Town: "Göteborg", Industry: "Vård", Company: "Sahlgrenska"},
		natverk.MemberInput{Email: "cecilia@example.org", Name: "Cecilia Malm", Town: "Malmö", Industry: "Logistik", Company: "Öresundslinjen"},
		natverk.MemberInput{Email: "dag@example.org", Name: "Dag Göransson", Town: "Umeå", Industry: "Skola", Company: "Umeå kommun"},
		natverk.MemberInput{Email: "eva@example.org", Name: "Eva Åström", Town: "Malmö", Industry: "Bank", Company: "Hamnbolaget AB"},
		natverk.MemberInput{Email: "hidden@example.org", Name: "Hanna Dold", Town: "Göteborg", Industry: "Logistik"},
	)
	h, _ := s.FindMemberByEmail(ctx(), "hidden@example.org")
	yes := true
	if _, err := s.UpdateMember(ctx(), h.ID, natverk.MemberUpdate{Hidden: &yes}); err != nil {
		t.Fatal(err)
	}
	names := func(ms []*natverk.Member) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Name)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		f     natverk.MemberFilter
		want  []string
		total int
	}{
		{"FoldedTown", natverk.MemberFilter{Q: "goteborg"}, []string{"Åsa Öberg", "Björn Ståhl"}, 2},
		{"UpperCase", natverk.MemberFilter{Q: "GÖTEBORG"}, []string{"Åsa Öberg", "Björn Ståhl"}, 2},
		{"Prefix", natverk.MemberFilter{Q: "malm"}, []string{"Cecilia Malm", "Eva Åström"}, 2},
		{"MalmoFolded", natverk.MemberFilter{Q: "malmo"}, []string{"Cecilia Malm", "Eva Åström"}, 2},
		{"TwoWords", natverk.MemberFilter{Q: "logistik malmo"}, []string{"Cecilia Malm"}, 1},
		{"Company", natverk.MemberFilter{Q: "hamnbol"}, []string{"Åsa Öberg", "Eva Åström"}, 2},
		{"NameDiacritics", natverk.MemberFilter{Q: "oberg"}, []string{"Åsa Öberg"}, 1},
		{"TownFilter", natverk.MemberFilter{Town: "Goteborg"}, []string{"Åsa Öberg", "Björn Ståhl"}, 2},
		{"IndustryFilter", natverk.MemberFilter{Industry: "logistik"}, []string{"Åsa Öberg", "Cecilia Malm"}, 2},
		{"FilterAndQ", natverk.MemberFilter{Q: "a", Town: "malmö"}, []string{"Eva Åström"}, 1},
		{"HiddenForAdmin", natverk.MemberFilter{Town: "göteborg", IncludeHidden: true}, []string{"Åsa Öberg", "Björn Ståhl", "Hanna Dold"}, 3},
		{"HiddenSelf", natverk.MemberFilter{Q: "hanna", Viewer: h.ID}, []string{"Hanna Dold"}, 1},
		{"HiddenOthers", natverk.MemberFilter{Q: "hanna"}, nil, 0},
		{"NoMatch", natverk.MemberFilter{Q: "kiruna"}, nil, 0},
		{"Paging", natverk.MemberFilter{Limit: 2, Offset: 1}, []string{"Björn Ståhl", "Cecilia Malm"}, 5},
		{"Punctuation", natverk.MemberFilter{Q: `"göte*borg" OR 1=1`}, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, n, err := s.FindMembers(ctx(), tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if n != tc.total {
				t.Errorf("total = %d, want %d", n, tc.total)
			}
			if d := cmp.Diff(tc.want, names(got)); d != "" {
				t.Errorf("members (-want +got):\n%s", d)
			}
		})
	}
}

func testErase(t *testing.T, open Opener) {
	s := open(t)
	ms := mustImport(t, s, natverk.MemberInput{Email: "gone@example.org", Name: "Greta Gone", Town: "Lund"})
	n := mustNetwork(t, s, "Lund")
	mustSeries(t, s, n, "2027-01-12T18:00", "FREQ=WEEKLY")
	if _, err := s.Invite(ctx(), n.ID, natverk.InviteRequest{MemberIDs: []int64{ms[0].ID}}); err != nil {
		t.Fatal(err)
	}
	drain(t, s)
	if err := s.EraseMember(ctx(), ms[0].ID); err != nil {
		t.Fatal(err)
	}
	m, err := s.FindMemberByID(ctx(), ms[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Erased || m.Name != "" || m.Email == "gone@example.org" || m.TokenEpoch == 0 {
		t.Fatalf("erased member still holds data: %+v", m)
	}
	if _, err := s.FindMemberByEmail(ctx(), "gone@example.org"); natverk.ErrorCode(err) != natverk.ENOTFOUND {
		t.Fatalf("erased address still found: %v", err)
	}
	if _, total, _ := s.FindMembers(ctx(), natverk.MemberFilter{Q: "greta", IncludeHidden: true}); total != 0 {
		t.Fatalf("erased member found by search")
	}
	ms2, err := s.FindMemberships(ctx(), natverk.MembershipFilter{MemberID: ms[0].ID})
	if err != nil || len(ms2) != 1 || ms2[0].Status != natverk.StatusLeft {
		t.Fatalf("membership after erase: %+v %v", ms2, err)
	}
	if got := countTypes(drain(t, s)); got["natverk.member.erased"] != 1 {
		t.Fatalf("events = %v", got)
	}
	wantCode(t, s.EraseMember(ctx(), ms[0].ID), natverk.ENOTFOUND)
	_ = fmt.Sprint
}

// testImportLarge imports a large register in one call, then again with
// a tenth changed: all or nothing per call, counts exact. 10,000 rows in
// the README's test command (the race detector slows SQLite's driver
// tenfold); 100,000 with NATVERK_LONG=1 (scripts/test-long, CI).
func testImportLarge(t *testing.T, open Opener) {
	if testing.Short() {
		t.Skip("a large import; run without -short")
	}
	s := open(t)
	n := 10_000
	if os.Getenv("NATVERK_LONG") == "1" {
		n = 100_000
	}
	towns := []string{"Göteborg", "Malmö", "Umeå", "Örebro", "Luleå"}
	rows := make([]natverk.ImportRow, n)
	for i := range rows {
		rows[i] = natverk.ImportRow{Row: i + 2, MemberInput: natverk.MemberInput{
			Email: fmt.Sprintf("m%06d@example.org", i), Name: fmt.Sprintf("Medlem %d Åberg", i), Town: towns[i%len(towns)], Locale: natverk.LocaleSV,
		}}
	}
	res, err := s.ImportMembers(ctx(), rows)
	if err != nil || res.Created != n {
		t.Fatalf("import: %+v %v", res, err)
	}
	for i := 0; i < n; i += 10 {
		rows[i].Town = "Kiruna"
	}
	res, err = s.ImportMembers(ctx(), rows)
	if err != nil || res.Created != 0 || res.Updated != n/10 || res.Unchanged != n-n/10 {
		t.Fatalf("second import: created %d updated %d unchanged %d, %v", res.Created, res.Updated, res.Unchanged, err)
	}
	if _, total, _ := s.FindMembers(ctx(), natverk.MemberFilter{Q: "kiruna", IncludeHidden: true}); total != n/10 {
		t.Fatalf("%d members in Kiruna, want %d", total, n/10)
	}
}
