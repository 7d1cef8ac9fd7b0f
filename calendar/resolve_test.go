package calendar

import (
	"os"
	"regexp"
	"testing"
)

// TestWindowsZonesLoad checks that every IANA name in the CLDR table
// resolves with the embedded tz database, including the legacy names CLDR
// uses (Asia/Calcutta, Europe/Kiev).
func TestWindowsZonesLoad(t *testing.T) {
	src, err := os.ReadFile("windowszones.go")
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`return "([^"]+)", true`).FindAllSubmatch(src, -1)
	if len(names) < 2*130 {
		t.Fatalf("only %d entries in the tables", len(names))
	}
	for _, m := range names {
		if loadAny(string(m[1])) == nil {
			t.Errorf("%s does not load", m[1])
		}
	}
}

func TestWindowsZoneLookup(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"W. Europe Standard Time", "Europe/Berlin", true},
		{"w. europe standard time", "Europe/Berlin", true},
		{"Romance Standard Time", "Europe/Paris", true},
		{"Eastern Standard Time", "America/New_York", true},
		{"Nowhere Standard Time", "", false},
	}
	for _, tc := range tests {
		if got, ok := windowsZone(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("windowsZone(%q) = %q, %v", tc.in, got, ok)
		}
	}
	if got, ok := windowsDisplayZone("Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"); !ok || got != "Europe/Berlin" {
		t.Errorf("display name: %q, %v", got, ok)
	}
}
