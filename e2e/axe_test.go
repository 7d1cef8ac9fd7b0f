package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// axeVersion is the axe-core release the tests run (npm package
// axe-core, MPL-2.0; installed, not vendored).
const axeVersion = "4.14.1"

// axeSource returns axe-core's browser bundle, installing the npm package
// on first use into $NATVERK_AXE_CACHE, or $XDG_CACHE_HOME/natverk-axe
// (~/.cache/natverk-axe). Without npm the test is skipped, or fails when
// CI=true.
func axeSource(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("NATVERK_AXE_CACHE")
	if dir == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				unavailable(t, "no cache directory for axe-core: %v", err)
			}
			base = filepath.Join(home, ".cache")
		}
		dir = filepath.Join(base, "natverk-axe")
	}
	dir = filepath.Join(dir, axeVersion)
	file := filepath.Join(dir, "node_modules", "axe-core", "axe.min.js")
	if b, err := os.ReadFile(file); err == nil {
		return string(b)
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		unavailable(t, "axe-core is not installed in %s and npm is missing (apt-get install npm)", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		unavailable(t, "axe-core cache: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
		os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"private":true}`+"\n"), 0o644)
	}
	cmd := exec.Command(npm, "install", "--silent", "--no-audit", "--no-fund", "--no-save", "axe-core@"+axeVersion)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		unavailable(t, "npm install axe-core@%s in %s: %v\n%s", axeVersion, dir, err, out.String())
	}
	b, err := os.ReadFile(file)
	if err != nil {
		unavailable(t, "axe-core installed but %s is missing: %v", file, err)
	}
	return string(b)
}

// unavailable skips the test because a tool is missing, or fails it
// under CI=true, where .ci/run installs every tool.
func unavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}
