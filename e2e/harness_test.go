package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// The service under test is the natverk binary, built once per test run
// and started per test like `go run ./cmd/natverk` with a fresh data
// directory. cmd/natverk's own tests call its run() in-process; run() is
// in package main and so cannot be imported here, which is why these
// tests start the real binary instead (built with -race when the tests
// are).

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// natverkBinary builds cmd/natverk once.
func natverkBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			buildErr = err
			return
		}
		if buildDir, err = os.MkdirTemp("", "natverk-e2e-"); err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(buildDir, "natverk")
		args := []string{"build", "-o", binPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, "./cmd/natverk")...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/natverk: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
		dir = parent
	}
}

// service is a running natverk process.
type service struct {
	t     *testing.T
	base  string
	token string
	http  *http.Client
}

const adminToken = "e2e-admin-token-0123456789abcdef"

// startService starts `natverk serve` with every role on embedded
// components (SQLite, in-process NATS without a port), a random HTTP
// port and the settings in env, and waits for its "listening" line. It
// stops with SIGINT when the test ends.
func startService(t *testing.T, env map[string]string) *service {
	t.Helper()
	bin := natverkBinary(t)
	vars := map[string]string{
		"NATVERK_DATA":         t.TempDir(),
		"NATVERK_HTTP_ADDR":    "127.0.0.1:0",
		"NATVERK_NATS_PORT":    "-1",
		"NATVERK_INBOUND_ADDR": "off",
		"NATVERK_ADMIN_TOKEN":  adminToken,
		"NATVERK_LOG_LEVEL":    "warn",
		"NATVERK_RATE_LIMIT":   "1000",
	}
	for k, v := range env {
		vars[k] = v
	}
	cmd := exec.Command(bin, "serve")
	// The machine's environment, less any Nätverk setting a developer may
	// have exported, plus the test's.
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "NATVERK_") || k == "DATABASE_URL" || k == "NATS_URL" || k == "NATS_CREDS" || strings.HasPrefix(k, "SMTP_URL") {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	base := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		re := regexp.MustCompile(`listening on (\S+)\)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				base <- "http://" + m[1]
			}
		}
		io.Copy(io.Discard, stdout)
		exited <- cmd.Wait()
	}()
	s := &service{t: t, token: adminToken, http: &http.Client{Timeout: 30 * time.Second}}
	select {
	case s.base = <-base:
	case err := <-exited:
		t.Fatalf("natverk stopped: %v\n%s", err, stderr.String())
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("natverk did not start within 60s\n%s", stderr.String())
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("natverk exited: %v\n%s", err, stderr.String())
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Errorf("natverk did not stop within 30s")
		}
		if bytes.Contains(stderr.Bytes(), []byte("DATA RACE")) || bytes.Contains(stderr.Bytes(), []byte("panic")) {
			t.Errorf("natverk's log:\n%s", stderr.String())
		}
	})
	return s
}

// lockedBuffer is a bytes.Buffer written by the process and read by the
// test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

func (b *lockedBuffer) String() string { return string(b.Bytes()) }

// api calls the JSON API as the admin and decodes the answer into out.
func (s *service) api(method, path, contentType, body string, want int, out any) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		s.t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

// get fetches a URL and returns the status, the ETag and the body.
func (s *service) get(u string) (int, string, string) {
	s.t.Helper()
	resp, err := s.http.Get(u)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("ETag"), string(b)
}

// unfold joins iCalendar's folded lines (RFC 5545 §3.1).
func unfold(s string) string { return strings.ReplaceAll(s, "\r\n ", "") }

// waitFeed waits until the feed at u holds want, and returns it.
func (s *service) waitFeed(u, want string) string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, _, body := s.get(u)
		if status == http.StatusOK && strings.Contains(unfold(body), want) {
			return body
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the feed %s never showed %q (status %d):\n%s", u, want, status, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
