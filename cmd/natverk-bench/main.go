// Command natverk-bench measures Nätverk's hot paths beside references
// measured in the same run on the same machine, and checks the targets of
// docs/PERFORMANCE.md: invitation fan-out (against postfix smtp-source
// and a bare go-mail loop, both into postfix smtp-sink), feeds (against a
// bare net/http handler and nginx, driven by wrk), an RSVP burst, the
// event pipeline (against `nats bench`), directory search, register
// import (against PostgreSQL COPY) and peak memory.
//
// The service runs as a real process (the natverk binary, configured by
// its environment) on SQLite, and on PostgreSQL when a URL is given; the
// event pipeline runs in this process on the service's own packages.
// scripts/bench installs the tools, builds both binaries and runs this.
//
// It prints a table and one JSON line per figure, and exits 1 when a
// target is missed.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "natverk-bench:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

// scenarios are the names -only accepts, in the order they run.
var scenarios = []string{"import", "directory", "fanout", "rsvp", "feed", "pipeline"}

// run parses the flags, runs the scenarios and prints the results. It
// returns the exit code: 0 when every target holds, 1 when one is
// missed.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("natverk-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	b := &bench{}
	fs.BoolVar(&b.short, "short", false, "smaller sizes and shorter runs (under three minutes on two cores)")
	pg := fs.String("postgres", os.Getenv("BENCH_POSTGRES_URL"), "PostgreSQL URL: also bench the Postgres store (default $BENCH_POSTGRES_URL)")
	fs.StringVar(&b.natverk, "natverk", "", "the natverk binary to bench (required)")
	only := fs.String("only", "", "comma-separated scenarios to run ("+strings.Join(scenarios, ",")+"; default all)")
	fs.StringVar(&b.work, "work", "", "working directory (default a new temporary one, removed afterwards)")
	jsonFile := fs.String("json", "", "also write the JSON lines to this file")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of this process (the in-process event pipeline and the references) to the file")
	fs.StringVar(&b.tools.smtpSink, "smtp-sink", "", "postfix smtp-sink (default from PATH or /usr/sbin)")
	fs.StringVar(&b.tools.smtpSource, "smtp-source", "", "postfix smtp-source (default from PATH or /usr/sbin)")
	fs.StringVar(&b.tools.nginx, "nginx", "", "nginx (default from PATH or /usr/sbin)")
	fs.StringVar(&b.tools.wrk, "wrk", "", "wrk (default from PATH)")
	fs.StringVar(&b.tools.nats, "nats", "", "the nats CLI (default from PATH or $(go env GOPATH)/bin)")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if b.natverk == "" {
		return 2, fmt.Errorf("-natverk is required (scripts/bench builds it)")
	}
	b.only = map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !slices.Contains(scenarios, s) {
			return 2, fmt.Errorf("-only: unknown scenario %q (known: %s)", s, strings.Join(scenarios, ", "))
		}
		b.only[s] = true
	}
	if err := b.tools.find(); err != nil {
		return 2, err
	}
	if b.work == "" {
		dir, err := os.MkdirTemp("", "natverk-bench-")
		if err != nil {
			return 2, err
		}
		defer os.RemoveAll(dir)
		// smtp-sink runs as nobody and writes its captures below.
		if err := os.Chmod(dir, 0o755); err != nil {
			return 2, err
		}
		b.work = dir
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return 2, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return 2, err
		}
		defer pprof.StopCPUProfile()
	}
	b.log = log.New(stderr, "bench: ", log.Ltime)
	b.sizes = fullSizes
	if b.short {
		b.sizes = shortSizes
	}
	start := time.Now()
	stores := []store{{name: "sqlite"}}
	if *pg != "" {
		stores = append(stores, store{name: "postgres", url: *pg})
	}
	for _, st := range stores {
		if err := ctx.Err(); err != nil {
			return 2, err
		}
		b.runStore(ctx, st)
	}
	b.log.Printf("done in %s", time.Since(start).Round(time.Second))

	fmt.Fprintf(stdout, "\nNätverk bench (%s mode, %s)\n\n", map[bool]string{true: "short", false: "full"}[b.short], machine())
	printTable(stdout, b.results)
	fmt.Fprintln(stdout)
	if err := printJSON(stdout, b.results); err != nil {
		return 2, err
	}
	if *jsonFile != "" {
		f, err := os.Create(*jsonFile)
		if err != nil {
			return 2, err
		}
		err = printJSON(f, b.results)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return 2, err
		}
	}
	for _, r := range b.results {
		if !r.OK {
			return 1, nil
		}
	}
	return 0, nil
}

// sizes are the scenario sizes of a mode.
type sizes struct {
	members   int           // register import and directory
	queries   int           // directory queries
	fanout    int           // invitations from one invite call
	answers   int           // RSVP burst
	clients   int           // concurrent RSVP clients
	events    int           // event pipeline
	wrk       time.Duration // each wrk run
	overrides int           // moved meetings in the feed
}

var (
	fullSizes  = sizes{members: 100_000, queries: 1000, fanout: 10_000, answers: 10_000, clients: 50, events: 100_000, wrk: 10 * time.Second, overrides: 50}
	shortSizes = sizes{members: 100_000, queries: 1000, fanout: 2000, answers: 2000, clients: 50, events: 20_000, wrk: 3 * time.Second, overrides: 50}
)

// smtpConns is the number of SMTP connections of the service
// (NATVERK_SMTP_POOL) and of both references.
const smtpConns = 16

// bench holds the run's settings and results.
type bench struct {
	short   bool
	natverk string
	work    string
	only    map[string]bool
	tools   tools
	sizes   sizes
	log     *log.Logger
	results []Result
}

func (b *bench) wants(scenario string) bool { return len(b.only) == 0 || b.only[scenario] }

func (b *bench) add(rs ...Result) {
	for _, r := range rs {
		ok := "ok"
		if !r.OK {
			ok = "MISSED"
		}
		b.log.Printf("%s/%s: %g %s (ref %s %g, ratio %g, target %s) %s %s", r.Scenario, r.Store, r.Value, r.Unit, r.Reference, r.ReferenceValue, r.Ratio, r.Target, ok, r.Note)
	}
	b.results = append(b.results, rs...)
}

// store is one store the service runs on.
type store struct {
	name string // "sqlite" or "postgres"
	url  string // the server's URL, for postgres
}

// tools are the external programs.
type tools struct {
	smtpSink, smtpSource, nginx, wrk, nats string
}

func (t *tools) find() error {
	gopath, _ := exec.Command("go", "env", "GOPATH").Output()
	look := func(dst *string, name string, dirs ...string) error {
		if *dst != "" {
			return nil
		}
		if p, err := exec.LookPath(name); err == nil {
			*dst = p
			return nil
		}
		for _, d := range dirs {
			if p := d + "/" + name; isExecutable(p) {
				*dst = p
				return nil
			}
		}
		return fmt.Errorf("%s not found (scripts/bench installs it)", name)
	}
	for _, x := range []struct {
		dst  *string
		name string
		dirs []string
	}{
		{&t.smtpSink, "smtp-sink", []string{"/usr/sbin"}},
		{&t.smtpSource, "smtp-source", []string{"/usr/sbin"}},
		{&t.nginx, "nginx", []string{"/usr/sbin"}},
		{&t.wrk, "wrk", nil},
		{&t.nats, "nats", []string{strings.TrimSpace(string(gopath)) + "/bin"}},
	} {
		if err := look(x.dst, x.name, x.dirs...); err != nil {
			return err
		}
	}
	return nil
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// machine describes the machine: cores and CPU model.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	n, _ := exec.Command("nproc").Output()
	return fmt.Sprintf("%s cores, %s", strings.TrimSpace(string(n)), model)
}
