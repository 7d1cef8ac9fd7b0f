package pgtest

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestWithSearchPath(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"URL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "postgres://postgres@127.0.0.1:5432/test?search_path=t_1&sslmode=disable"},
		{"URLReplaces", "postgresql://u@h/db?search_path=public", "postgresql://u@h/db?search_path=t_1"},
		{"KeywordValue", "host=127.0.0.1 dbname=test", "host=127.0.0.1 dbname=test search_path=t_1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := WithSearchPath(tc.in, "t_1")
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"NoPassword", "postgres://postgres@h/test", "postgres://postgres@h/test"},
		{"UserInfo", "postgres://u:secret@h/test", "postgres://u:xxxxx@h/test"},
		{"QueryParam", "postgres://u@h/test?password=secret", "postgres://u@h/test?password=xxxxx"},
		{"KeywordValue", "host=h password=secret dbname=test", "host=h password=xxxxx dbname=test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := redact(tc.in); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFresh(t *testing.T) {
	var schema string
	t.Run("Use", func(t *testing.T) {
		u := Fresh(t)
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
			t.Fatal(err)
		}
		if len(schema) < 3 || schema[:2] != "t_" {
			t.Fatalf("current_schema() = %q, want the fresh t_ schema", schema)
		}
		if _, err := conn.Exec(ctx, `CREATE TABLE probe (id int)`); err != nil {
			t.Fatal(err)
		}
		var where string
		if err := conn.QueryRow(ctx, `SELECT table_schema FROM information_schema.tables WHERE table_name = 'probe' AND table_schema = current_schema()`).Scan(&where); err != nil || where != schema {
			t.Fatalf("probe table in %q (%v), want %q", where, err, schema)
		}
	})
	if schema == "" {
		return // skipped: no server
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname = $1`, schema).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("schema %s still exists after the test ended", schema)
	}
}

// TestUnreachable runs URL against a closed port in a child test process:
// it must skip with the start command outside CI and fail under CI=true.
func TestUnreachable(t *testing.T) {
	if os.Getenv("PGTEST_CHILD") == "1" {
		URL(t)
		t.Log("URL returned without skipping")
		return
	}
	for _, tc := range []struct {
		name, ci string
		wantErr  bool
		want     string
	}{
		{"Skip", "", false, "--- SKIP: TestUnreachable"},
		{"FailInCI", "true", true, "--- FAIL: TestUnreachable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestUnreachable$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), "PGTEST_CHILD=1", "CI="+tc.ci,
				"NATVERK_TEST_POSTGRES_URL=postgres://postgres:secret@127.0.0.1:1/test?sslmode=disable&connect_timeout=2")
			out, err := cmd.CombinedOutput()
			if (err != nil) != tc.wantErr {
				t.Fatalf("child err = %v, want error %v\n%s", err, tc.wantErr, out)
			}
			if !strings.Contains(string(out), tc.want) || !strings.Contains(string(out), "127.0.0.1:1") {
				t.Fatalf("child output lacks %q:\n%s", tc.want, out)
			}
			if strings.Contains(string(out), "secret") {
				t.Fatalf("child output shows the password:\n%s", out)
			}
			if tc.ci == "" && !strings.Contains(string(out), "pg_ctlcluster") {
				t.Fatalf("skip message does not say how to start Postgres:\n%s", out)
			}
		})
	}
}
