package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sink is a running postfix smtp-sink that exits after accepting a given
// number of messages: its exit time is when the last one was accepted.
type sink struct {
	cmd    *exec.Cmd
	done   chan struct{}
	err    error
	exited time.Time
	stderr bytes.Buffer
}

// startSink starts smtp-sink on 127.0.0.1:port to accept count messages
// and exit. dumpDir, if not empty, receives one file per message.
func startSink(ctx context.Context, bin string, port, count int, dumpDir string) (*sink, error) {
	args := []string{}
	if os.Geteuid() == 0 {
		args = append(args, "-u", "nobody") // smtp-sink refuses to run as root
	}
	args = append(args, "-M", strconv.Itoa(count))
	if dumpDir != "" {
		if err := os.MkdirAll(dumpDir, 0o777); err != nil {
			return nil, err
		}
		os.Chmod(dumpDir, 0o777) // written by nobody
		args = append(args, "-d", filepath.Join(dumpDir, "msg."))
	}
	args = append(args, fmt.Sprintf("127.0.0.1:%d", port), "256")
	s := &sink{cmd: exec.Command(bin, args...), done: make(chan struct{})}
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the bench
	s.cmd.Stderr = &s.stderr
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start smtp-sink: %w", err)
	}
	go func() {
		s.err = s.cmd.Wait()
		s.exited = time.Now()
		close(s.done)
	}()
	// Wait until it listens (a session that sends nothing is not a
	// message).
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return s, nil
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("smtp-sink exited at start: %v: %s", s.err, s.stderr.String())
		case <-ctx.Done():
			s.kill()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.kill()
			return nil, errors.New("smtp-sink did not listen within 10 s")
		}
	}
}

// wait waits until the sink has accepted its messages and exited, and
// returns when that was.
func (s *sink) wait(ctx context.Context, timeout time.Duration) (time.Time, error) {
	select {
	case <-s.done:
		if s.err != nil {
			return s.exited, fmt.Errorf("smtp-sink: %v: %s", s.err, s.stderr.String())
		}
		return s.exited, nil
	case <-time.After(timeout):
		s.kill()
		return time.Time{}, fmt.Errorf("smtp-sink did not receive its messages within %s", timeout)
	case <-ctx.Done():
		s.kill()
		return time.Time{}, ctx.Err()
	}
}

func (s *sink) kill() {
	s.cmd.Process.Kill()
	<-s.done
}

// capturedMessage reads the first message an smtp-sink -d dumped, without
// the trace headers smtp-sink puts in front (X-Client-*, X-Helo-Args,
// X-Mail-Args, X-Rcpt-Args and its own Received header). Lines end in
// LF, as smtp-source -F wants them.
func capturedMessage(dir string) ([]byte, error) {
	names, err := filepath.Glob(filepath.Join(dir, "msg.*"))
	if err != nil || len(names) == 0 {
		return nil, fmt.Errorf("no message dumped in %s", dir)
	}
	sort.Strings(names)
	b, err := os.ReadFile(names[0])
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	skipping, inReceived, received := true, false, false
	for sc.Scan() {
		line := sc.Text()
		if skipping {
			switch {
			case strings.HasPrefix(line, "X-Client-") || strings.HasPrefix(line, "X-Helo-Args:") ||
				strings.HasPrefix(line, "X-Mail-Args:") || strings.HasPrefix(line, "X-Rcpt-Args:"):
				continue
			case !received && strings.HasPrefix(line, "Received: ") && strings.Contains(line, "smtp-sink") ||
				!received && strings.HasPrefix(line, "Received: from"):
				inReceived, received = true, true
				continue
			case inReceived && (strings.HasPrefix(line, "\t") || strings.HasPrefix(line, " ")):
				continue
			}
			skipping = false
		}
		out.WriteString(line)
		out.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if out.Len() == 0 {
		return nil, fmt.Errorf("dumped message %s is empty", names[0])
	}
	return out.Bytes(), nil
}

// wireSize is a message's size on the wire: LF line ends become CRLF.
func wireSize(msg []byte) int { return len(msg) + bytes.Count(msg, []byte("\n")) }

// smtpSource runs postfix's smtp-source: count copies of the message in
// file over conns reused connections (-d) to 127.0.0.1:port.
func smtpSource(ctx context.Context, bin string, port, count, conns int, file string) error {
	cmd := exec.CommandContext(ctx, bin, "-d", "-s", strconv.Itoa(conns), "-m", strconv.Itoa(count),
		"-f", "bounces@natverk.localhost", "-t", "m1@medlem.example.org", "-F", file, fmt.Sprintf("127.0.0.1:%d", port))
	out, err := cmd.CombinedOutput()
	// The sink exits after the last message; smtp-source may then see the
	// connection close before its QUIT is answered, which is no failure.
	if err != nil && !bytes.Contains(out, []byte("lost connection")) {
		return fmt.Errorf("smtp-source: %v: %s", err, out)
	}
	return nil
}
