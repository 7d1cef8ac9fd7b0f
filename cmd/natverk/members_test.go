package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMembersImportCLI imports a register with a BOM, semicolons, an
// unknown column and bad rows: the good rows go in, each bad one is named
// with its row and reason, and a second run finds nothing new.
func TestMembersImportCLI(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "register.csv")
	csv := "\ufeffE-post;Namn;Ort;Bransch;Företag;Medlemsnr\n" +
		"asa@example.org;Åsa Öberg;Göteborg;Logistik;Hamnbolaget;17\n" +
		"inte-en-adress;Bo Ek;Malmö;;;18\n" +
		"cia@example.org;;Lund;;;19\n" +
		"dan@example.org;Dan Berg;Umeå;Skola;;20\n"
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"NATVERK_DATA": dir}
	getenv := func(k string) string { return env[k] }
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"members", "import", file}, getenv, nil, &out, &errb); err != nil {
		t.Fatalf("import: %v\n%s", err, errb.String())
	}
	for _, want := range []string{"2 created, 0 updated, 0 unchanged, 2 rejected", "Ignored columns: Medlemsnr", "row 3 inte-en-adress: email is not a valid address", "row 4 cia@example.org: name is required"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := run(context.Background(), []string{"members", "import", file}, getenv, nil, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "0 created, 0 updated, 2 unchanged") {
		t.Errorf("second import:\n%s", out.String())
	}
	err := run(context.Background(), []string{"members", "import", filepath.Join(dir, "missing.csv")}, getenv, nil, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "missing.csv") {
		t.Errorf("a missing file: %v", err)
	}
}
