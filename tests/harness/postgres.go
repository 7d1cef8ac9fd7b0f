package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres is a private PostgreSQL server a test may stop and start
// without disturbing anyone else: its own data directory (initdb), its
// own port on 127.0.0.1, trust authentication for the postgres role.
type Postgres struct {
	// Dir is the data directory; Port the TCP port on 127.0.0.1.
	Dir  string
	Port int

	bin   string
	runAs []string // command prefix that runs a program as the data directory's owner
	root  string   // holds Dir and the server's log; owned by the server's user
	logTo string   // the server's log, under root
	keep  string   // where the log is copied when the test ends
}

// StartPostgres initialises and starts a private server. When that is
// impossible here (no PostgreSQL binaries; root without a postgres user)
// the test is skipped, or failed under CI=true. The server is stopped and
// its directory removed when the test ends.
func StartPostgres(tb testing.TB) *Postgres {
	tb.Helper()
	p, err := preparePostgres(tb)
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("harness: a private PostgreSQL cannot run here: %v", err)
		}
		tb.Skipf("harness: a private PostgreSQL cannot run here (%v); install PostgreSQL 15 or newer, or set NATVERK_PG_BIN to its bin directory", err)
	}
	tb.Cleanup(func() {
		p.pgctl("stop", "-m", "immediate")
		// The log lives beside the data directory because, when the
		// server runs as another user, the test's own temporary
		// directories (mode 0700) are closed to it; keep a copy.
		if b, err := os.ReadFile(p.logTo); err == nil {
			os.WriteFile(p.keep, b, 0o644)
		}
		os.RemoveAll(p.root)
	})
	if out, err := p.run(filepath.Join(p.bin, "initdb"), "-D", p.Dir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "--locale=C"); err != nil {
		tb.Fatalf("harness: initdb: %v\n%s", err, out)
	}
	if err := p.Start(); err != nil {
		tb.Fatal(err)
	}
	return p
}

func preparePostgres(tb testing.TB) (*Postgres, error) {
	bin, err := postgresBin()
	if err != nil {
		return nil, err
	}
	ports, err := FreePorts(1)
	if err != nil {
		return nil, err
	}
	root, err := os.MkdirTemp("", "natverk-pg-")
	if err != nil {
		return nil, err
	}
	p := &Postgres{
		Dir: filepath.Join(root, "data"), Port: ports[0], bin: bin, root: root,
		logTo: filepath.Join(root, "postgres.log"),
		keep:  filepath.Join(LogDir(tb), "postgres.log"),
	}
	if os.Geteuid() == 0 {
		// initdb and postgres refuse to run as root: run them as the
		// postgres user, which must own the directory.
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(root)
			return nil, fmt.Errorf("running as root and there is no postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(root, uid, gid); err != nil {
			os.RemoveAll(root)
			return nil, err
		}
		runuser, err := exec.LookPath("runuser")
		if err != nil {
			os.RemoveAll(root)
			return nil, fmt.Errorf("running as root without runuser: %w", err)
		}
		p.runAs = []string{runuser, "-u", "postgres", "--"}
	}
	return p, nil
}

// postgresBin finds the directory holding initdb and pg_ctl.
func postgresBin() (string, error) {
	if b := os.Getenv("NATVERK_PG_BIN"); b != "" {
		return b, nil
	}
	if dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin"); len(dirs) > 0 {
		slices.SortFunc(dirs, func(a, b string) int {
			va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
			vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
			return va - vb
		})
		return dirs[len(dirs)-1], nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("no initdb in /usr/lib/postgresql/*/bin or on PATH")
}

func (p *Postgres) run(name string, args ...string) (string, error) {
	argv := append(slices.Clone(p.runAs), name)
	argv = append(argv, args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = os.TempDir()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (p *Postgres) pgctl(args ...string) (string, error) {
	return p.run(filepath.Join(p.bin, "pg_ctl"), append([]string{"-D", p.Dir}, args...)...)
}

// URL is the connection URL of database postgres.
func (p *Postgres) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.Port)
}

// Start starts the server and waits until it accepts connections.
func (p *Postgres) Start() error {
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200", p.Port, p.Dir)
	if out, err := p.pgctl("start", "-w", "-t", "60", "-l", p.logTo, "-o", opts); err != nil {
		return fmt.Errorf("harness: pg_ctl start: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		conn, err := pgx.Connect(ctx, p.URL())
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("harness: private PostgreSQL on port %d: %w", p.Port, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop stops the server in the given mode: "fast" (clean) or "immediate"
// (like a crash: recovery runs on the next start).
func (p *Postgres) Stop(mode string) error {
	if out, err := p.pgctl("stop", "-w", "-m", mode); err != nil {
		return fmt.Errorf("harness: pg_ctl stop: %v\n%s", err, strings.TrimSpace(out))
	}
	return nil
}
