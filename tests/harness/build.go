package harness

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// Binaries are the executables the tests start.
type Binaries struct {
	// Natverk is cmd/natverk of this repository, built without -race.
	Natverk string
	// NATSServer is nats-server at the version go.mod pins.
	NATSServer string
}

var (
	buildOnce sync.Once
	built     Binaries
	buildErr  error
	buildDir  string
)

// Build builds the binaries once per test process (later calls return the
// same paths). They go to a temporary directory that [Cleanup] removes.
func Build() (Binaries, error) {
	buildOnce.Do(func() {
		root, err := ModuleRoot()
		if err != nil {
			buildErr = err
			return
		}
		buildDir, err = os.MkdirTemp("", "natverk-reliability-")
		if err != nil {
			buildErr = fmt.Errorf("harness: %w", err)
			return
		}
		b := Binaries{
			Natverk:    filepath.Join(buildDir, "natverk"),
			NATSServer: filepath.Join(buildDir, "nats-server"),
		}
		for _, t := range []struct{ out, pkg string }{
			{b.Natverk, "./cmd/natverk"},
			{b.NATSServer, "github.com/nats-io/nats-server/v2"},
		} {
			if err := goBuild(root, t.out, t.pkg); err != nil {
				buildErr = err
				return
			}
		}
		built = b
	})
	return built, buildErr
}

// Cleanup removes the built binaries; call it from TestMain after the
// tests ran.
func Cleanup() {
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
}

func goBuild(root, out, pkg string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("harness: go build %s: %w\n%s", pkg, err, stderr.String())
	}
	return nil
}

// ModuleRoot returns the directory holding this repository's go.mod.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("harness: go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("harness: not inside the natverk module")
	}
	return filepath.Dir(mod), nil
}
