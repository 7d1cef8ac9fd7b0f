package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestREADMEConfigTable keeps the README's configuration table equal to
// what `natverk config --markdown` prints.
func TestREADMEConfigTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	printConfigMarkdown(&want)
	s := string(readme)
	start := strings.Index(s, "<!-- config-table:")
	end := strings.Index(s, "<!-- end config-table -->")
	if start < 0 || end < 0 {
		t.Fatal("README.md lacks the config-table markers")
	}
	got := s[strings.Index(s[start:], "\n")+start+1 : end]
	if got != want.String() {
		t.Errorf("README.md's configuration table is stale; replace it with the output of `go run ./cmd/natverk config --markdown`:\n%s", want.String())
	}
}

// TestREADMECommands checks that the README names the two set-up
// commands CI relies on.
func TestREADMECommands(t *testing.T) {
	readme, _ := os.ReadFile("../../README.md")
	ci, _ := os.ReadFile("../../.ci/run")
	for _, cmd := range []string{"go run ./cmd/natverk\n", "./scripts/test\n"} {
		if !bytes.Contains(readme, []byte("```sh\n"+cmd+"```")) {
			t.Errorf("README.md lacks the set-up command %q", cmd)
		}
	}
	if !bytes.Contains(ci, []byte("./scripts/test")) {
		t.Error(".ci/run does not run ./scripts/test")
	}
}
