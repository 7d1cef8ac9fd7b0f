package harness

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// maxKeptLines bounds the output lines of one run kept in memory for
// [Proc.Await]; everything goes to the log file regardless.
const maxKeptLines = 5000

// Proc is an OS process a test starts, kills and restarts. Its stdout and
// stderr go to one log file, which survives restarts (each run is
// headed by a marker line).
type Proc struct {
	// Name names the process in messages and its log file.
	Name string
	// LogPath is the log file.
	LogPath string

	path string
	args []string
	env  []string

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{}
	err    error
	lines  []string
	notify chan struct{}
	runs   int
}

// NewProc prepares a process; Start runs it. The log goes to dir.
func NewProc(name, dir, path string, args, env []string) *Proc {
	return &Proc{Name: name, LogPath: dir + "/" + name + ".log", path: path, args: args, env: env}
}

// Start runs the process (again, after it exited or was killed).
func (p *Proc) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && !p.exitedLocked() {
		return fmt.Errorf("harness: %s is already running", p.Name)
	}
	f, err := os.OpenFile(p.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("harness: %w", err)
	}
	p.runs++
	fmt.Fprintf(f, "==== harness: run %d of %s at %s: %s %s\n", p.runs, p.Name, time.Now().Format(time.RFC3339Nano), p.path, strings.Join(p.args, " "))
	cmd := exec.Command(p.path, p.args...)
	cmd.Env = p.env
	cmd.SysProcAttr = sysProcAttr()
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("harness: start %s: %w", p.Name, err)
	}
	p.cmd, p.done, p.err, p.lines, p.notify = cmd, make(chan struct{}), nil, nil, make(chan struct{}, 1)
	copied := make(chan struct{})
	go func(notify chan struct{}) {
		defer close(copied)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(f, line)
			p.mu.Lock()
			if p.notify == notify && len(p.lines) < maxKeptLines {
				p.lines = append(p.lines, line)
			}
			p.mu.Unlock()
			select {
			case notify <- struct{}{}:
			default:
			}
		}
		io.Copy(io.Discard, pr)
	}(p.notify)
	go func(done chan struct{}) {
		err := cmd.Wait()
		pw.Close()
		<-copied
		f.Close()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(done)
	}(p.done)
	return nil
}

func (p *Proc) exitedLocked() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Running reports whether the process runs.
func (p *Proc) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil && !p.exitedLocked()
}

// Pid is the process id of the current run (0 before the first).
func (p *Proc) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Await waits until a line of the current run matches re and returns its
// submatches. It fails when the process exits first or after timeout.
func (p *Proc) Await(re *regexp.Regexp, timeout time.Duration) ([]string, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	seen := 0
	for {
		p.mu.Lock()
		lines, notify, done := p.lines[seen:], p.notify, p.done
		p.mu.Unlock()
		for _, l := range lines {
			if m := re.FindStringSubmatch(l); m != nil {
				return m, nil
			}
		}
		seen += len(lines)
		select {
		case <-notify:
		case <-done:
			// Read what came last before giving up.
			p.mu.Lock()
			rest := p.lines[seen:]
			err := p.err
			p.mu.Unlock()
			for _, l := range rest {
				if m := re.FindStringSubmatch(l); m != nil {
					return m, nil
				}
			}
			return nil, fmt.Errorf("harness: %s exited (%v) before printing %q; see %s", p.Name, err, re, p.LogPath)
		case <-deadline.C:
			return nil, fmt.Errorf("harness: %s printed no line matching %q within %s; see %s", p.Name, re, timeout, p.LogPath)
		}
	}
}

// Signal sends sig to the running process.
func (p *Proc) Signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.exitedLocked() {
		return fmt.Errorf("harness: %s is not running", p.Name)
	}
	return p.cmd.Process.Signal(sig)
}

// Kill sends SIGKILL and waits until the process is gone.
func (p *Proc) Kill() error {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return nil
	}
	cmd.Process.Kill() // SIGKILL ends a stopped (SIGSTOP) process too
	<-done
	return nil
}

// Stop sends SIGTERM and waits up to grace for the process to exit, then
// kills it. It returns the process's exit error (nil for a clean exit),
// or an error saying it had to be killed.
func (p *Proc) Stop(grace time.Duration) error {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	default:
	}
	cmd.Process.Signal(syscall.SIGCONT)
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		p.mu.Lock()
		err := p.err
		p.mu.Unlock()
		return err
	case <-time.After(grace):
		cmd.Process.Kill()
		<-done
		return fmt.Errorf("harness: %s did not stop within %s of SIGTERM; killed", p.Name, grace)
	}
}

// Exited returns a channel closed when the current run ends.
func (p *Proc) Exited() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done == nil {
		c := make(chan struct{})
		close(c)
		return c
	}
	return p.done
}

// Tail returns the last n lines of the log file.
func (p *Proc) Tail(n int) string {
	b, err := os.ReadFile(p.LogPath)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// manage stops p when the test ends and prints its log's tail if the
// test failed.
func manage(tb testing.TB, p *Proc) {
	tb.Cleanup(func() {
		if err := p.Stop(30 * time.Second); err != nil && !isSignalExit(err) {
			tb.Logf("%s: %v", p.Name, err)
		}
		if tb.Failed() {
			tb.Logf("---- last lines of %s (%s):\n%s", p.Name, p.LogPath, p.Tail(25))
		}
	})
}

// isSignalExit reports an exit caused by a signal the harness sent.
func isSignalExit(err error) bool {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return true
		}
	}
	return false
}

// LogDir is where a test's process logs go: under $NATVERK_TEST_LOGDIR
// when set (kept after the test, for a look after a failure), else in the
// test's temporary directory.
func LogDir(tb testing.TB) string {
	tb.Helper()
	root := os.Getenv("NATVERK_TEST_LOGDIR")
	if root == "" {
		return tb.TempDir()
	}
	dir := root + "/" + strings.NewReplacer("/", "_", " ", "_").Replace(tb.Name()) + "-" + time.Now().Format("150405")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}
