// Package icaltest runs icalcheck — ical.js (Thunderbird's parser) plus
// the RFC 5545 rules clients trip over — on the calendars a test
// produces, so every .ics Nätverk emits is checked the way a strict
// client reads it.
package icaltest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// Path finds the icalcheck tool: $NATVERK_ICALCHECK, the team's shared
// copy beside the repository (../shared/tools/icalcheck), or the copy in
// tools/icalcheck. Without node it cannot run: the test is skipped, or
// fails under CI=true.
func Path(tb testing.TB) string {
	tb.Helper()
	var candidates []string
	if p := os.Getenv("NATVERK_ICALCHECK"); p != "" {
		candidates = append(candidates, p)
	}
	if root := moduleRoot(); root != "" {
		candidates = append(candidates,
			filepath.Join(root, "..", "shared", "tools", "icalcheck", "icalcheck"),
			filepath.Join(root, "tools", "icalcheck", "icalcheck"))
	}
	for _, p := range candidates {
		if _, err := os.Stat(p); err == nil {
			if _, err := exec.LookPath("node"); err != nil {
				break
			}
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("icalcheck cannot run (looked at %v; it needs node and npm)", candidates)
	}
	tb.Skipf("icalcheck cannot run here (looked at %v; it needs node and npm); set NATVERK_ICALCHECK", candidates)
	return ""
}

func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Check runs icalcheck on each calendar and fails the test with its
// report when it finds a problem.
func Check(tb testing.TB, cals ...[]byte) {
	tb.Helper()
	if len(cals) == 0 {
		tb.Fatal("icaltest: no calendars to check")
	}
	tool := Path(tb)
	dir := tb.TempDir()
	var files []string
	for i, c := range cals {
		p := filepath.Join(dir, "cal"+strconv.Itoa(i)+".ics")
		if err := os.WriteFile(p, c, 0o644); err != nil {
			tb.Fatal(err)
		}
		files = append(files, p)
	}
	cmd := exec.Command(tool, files...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		tb.Fatalf("icalcheck found problems: %v\n%s", err, out.String())
	}
}
