package tests

import (
	"fmt"
	"os"
	"testing"

	"github.com/natverk/natverk/tests/harness"
)

func TestMain(m *testing.M) {
	if _, err := harness.Build(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	harness.Cleanup()
	os.Exit(code)
}
