package harness

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// SmallFS mounts a tmpfs of the given size ("20m") on a new directory and
// unmounts it when the test ends. Mounting needs root (CI has it);
// elsewhere the test is skipped, or failed under CI=true.
func SmallFS(tb testing.TB, size string) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "natverk-smallfs-")
	if err != nil {
		tb.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput()
	if err != nil {
		os.Remove(dir)
		msg := fmt.Sprintf("harness: cannot mount a %s tmpfs (needs root): %v %s", size, err, strings.TrimSpace(string(out)))
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	tb.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			tb.Errorf("harness: umount %s: %v %s", dir, err, out)
		}
		os.Remove(dir)
	})
	return dir
}

// Fill writes a file at path until the filesystem is full and returns
// how many bytes it took.
func Fill(path string) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		if errors.Is(err, syscall.ENOSPC) {
			return 0, nil
		}
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	var n int64
	for {
		w, err := f.Write(buf)
		n += int64(w)
		if errors.Is(err, syscall.ENOSPC) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
