package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// service is a natverk process started by the bench.
type service struct {
	cmd   *exec.Cmd
	base  string
	admin string
	http  *http.Client
	done  chan error
	env   env

	mu     sync.Mutex
	stderr bytes.Buffer // the last 64 KiB of its log
}

// freePort returns a TCP port on 127.0.0.1 that nothing listens on now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startService runs `natverk serve` with env (added to the bench's own
// environment) and waits until it listens.
func startService(ctx context.Context, bin string, e env) (*service, error) {
	s := &service{admin: e["NATVERK_ADMIN_TOKEN"], env: e, done: make(chan error, 1),
		http: newClient(2*time.Minute, 100)}
	s.cmd = exec.Command(bin, "serve")
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM} // never outlive the bench
	s.cmd.Env = os.Environ()
	for k, v := range e {
		s.cmd.Env = append(s.cmd.Env, k+"="+v)
	}
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s.cmd.Stderr = tailWriter{s}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`listening on (\S+)\)`)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case a := <-addr:
		s.base = "http://" + a
	case err := <-s.done:
		return nil, fmt.Errorf("natverk stopped at start (%v):\n%s", err, s.log())
	case <-time.After(90 * time.Second):
		s.kill()
		return nil, fmt.Errorf("natverk did not start within 90 s:\n%s", s.log())
	case <-ctx.Done():
		s.kill()
		return nil, ctx.Err()
	}
	return s, nil
}

// tailWriter keeps the end of the service's log for error messages.
type tailWriter struct{ s *service }

func (t tailWriter) Write(p []byte) (int, error) {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	t.s.stderr.Write(p)
	if n := t.s.stderr.Len(); n > 64<<10 {
		t.s.stderr.Next(n - 64<<10)
	}
	return len(p), nil
}

// log returns the end of the service's log (the last 4 KiB).
func (s *service) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.stderr.Bytes()
	if len(b) > 4<<10 {
		b = b[len(b)-4<<10:]
	}
	return string(b)
}

func (s *service) pid() int { return s.cmd.Process.Pid }

// stop ends the service with SIGTERM, as an operator would, and kills it
// if it has not stopped in 30 s.
func (s *service) stop() error {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			return fmt.Errorf("natverk exited with %v:\n%s", err, s.log())
		}
		return nil
	case <-time.After(30 * time.Second):
		s.kill()
		return errors.New("natverk did not stop within 30 s of SIGTERM")
	}
}

func (s *service) kill() {
	s.cmd.Process.Kill()
	<-s.done
}

// api calls the JSON API as the admin, checks the status and decodes the
// answer into out (when not nil).
func (s *service) api(ctx context.Context, method, path, contentType string, body []byte, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.admin)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d: %.500s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return nil
}

// procStatus reads one kB figure (VmHWM, VmRSS) of /proc/<pid>/status.
func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/%d/status %s: %w", pid, field, err)
			}
			return kb, nil
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, field)
}

// resetPeakRSS resets the process's VmHWM to its current RSS (Linux 4.0
// and later, as root or the process's owner), so that the peak read
// later belongs to what ran in between.
func resetPeakRSS(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// newClient returns an HTTP client keeping up to conns connections per
// host. It asks for no compression, as wrk does not, so every client of
// the bench sees the same bytes.
func newClient(timeout time.Duration, conns int) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{MaxIdleConnsPerHost: conns, DisableCompression: true}}
}
