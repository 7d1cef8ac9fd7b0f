package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestQuickstartScript runs examples/quickstart.sh, the README's
// quickstart as a script, against the service as `go run ./cmd/natverk`
// starts it (embedded NATS, SQLite, mail to the Maildir), so CI proves
// what a newcomer pastes: it must exit 0 and print the feed URL.
func TestQuickstartScript(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("the quickstart needs curl")
		}
		t.Skip("the quickstart needs curl (apt-get install curl)")
	}
	s := startService(t, nil)
	cmd := exec.Command("bash", "../../examples/quickstart.sh")
	cmd.Env = append(os.Environ(), "NATVERK_URL="+s.base, "NATVERK_TOKEN="+s.token)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("quickstart.sh: %v\n%s", err, out)
	}
	for _, want := range []string{"recorded: yes", "ETag", "webcal://"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("quickstart.sh printed no %q:\n%s", want, out)
		}
	}
	if os.Getenv("NATVERK_ICALCHECK") != "" && !strings.Contains(string(out), "icalcheck: the invitation's calendar is clean") {
		t.Errorf("the invitation was not checked with icalcheck:\n%s", out)
	}
}
