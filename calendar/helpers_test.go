package calendar

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// icalcheckPath finds the icalcheck tool: $NATVERK_ICALCHECK, or the shared
// tools beside the repository. Without it the test is skipped, or fails
// under CI=true.
func icalcheckPath(t testing.TB) string {
	t.Helper()
	p := os.Getenv("NATVERK_ICALCHECK")
	if p == "" {
		p = filepath.Join("..", "..", "shared", "tools", "icalcheck", "icalcheck")
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("icalcheck not found at %s (set NATVERK_ICALCHECK)", p)
		}
		t.Skipf("icalcheck not found at %s; set NATVERK_ICALCHECK to run this check", p)
	}
	return p
}

// icalcheck runs the tool on the files (with extra arguments first) and
// fails the test with its report when it finds a problem.
func icalcheck(t testing.TB, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(icalcheckPath(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("icalcheck %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.Bytes()
}

// checkICS writes each calendar to a temporary file and runs icalcheck on
// all of them at once.
func checkICS(t testing.TB, cals map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	var files []string
	for name, b := range cals {
		p := filepath.Join(dir, name+".ics")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	icalcheck(t, files...)
}

// expanded is one occurrence as icalcheck --expand prints it.
type expanded struct {
	UID          string  `json:"uid"`
	RecurrenceID *string `json:"recurrenceId"`
	Start        string  `json:"start"`
	End          string  `json:"end"`
	Status       *string `json:"status"`
}

// icalExpand expands a calendar with ical.js between two dates.
func icalExpand(t testing.TB, cal []byte, from, to string) []expanded {
	t.Helper()
	p := filepath.Join(t.TempDir(), "expand.ics")
	if err := os.WriteFile(p, cal, 0o644); err != nil {
		t.Fatal(err)
	}
	out := icalcheck(t, "--expand", from, to, p)
	var list []expanded
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var e expanded
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatalf("icalcheck output %q: %v", line, err)
		}
		list = append(list, e)
	}
	return list
}

// golden compares got with testdata/<name>.ics, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name+".ics")
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update to accept):\n--- got\n%s\n--- want\n%s", p, got, want)
	}
}

// stockholm is the zone most tests use.
var stockholm = mustZone("Europe/Stockholm")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at is a wall-clock time in Stockholm.
func at(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, stockholm)
}

var (
	organizer = Person{Name: "Nätverk Göteborg", Email: "natverk-goteborg@kalender.example.se"}
	asa       = Attendee{Person: Person{Name: "Åsa Öberg", Email: "asa@example.org"}}
	stamp     = time.Date(2025, 1, 2, 9, 30, 0, 0, time.UTC)
)

// networkSeries is the typical series: monthly on the second Tuesday,
// 18:00–20:00 in Stockholm.
func networkSeries() *Series {
	return &Series{
		UID:         "01JH6XJ5T1G3Q3K2Y4W7Z8B9C0@kalender.example.se",
		Summary:     "Nätverksmöte Göteborg",
		Description: "Vi träffas och pratar om vad vi har och vad vi behöver.\nTa med en kollega!",
		Location:    "Föreningshuset, Storgatan 1, Göteborg",
		URL:         "https://kalender.example.se/n/goteborg",
		TimeZone:    "Europe/Stockholm",
		Start:       at(2025, 1, 14, 18, 0),
		Duration:    2 * time.Hour,
		Rule:        "FREQ=MONTHLY;BYDAY=2TU",
		Organizer:   organizer,
		Created:     time.Date(2024, 12, 20, 10, 0, 0, 0, time.UTC),
		Modified:    time.Date(2024, 12, 20, 10, 0, 0, 0, time.UTC),
	}
}
