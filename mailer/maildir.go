package mailer

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

var _ Sender = (*Maildir)(nil)

// Maildir is a [Sender] for the embedded mode: it delivers each message as
// one file in a Maildir (dir/tmp, dir/new, dir/cur), the format mutt -f,
// Dovecot and most mail readers open directly. Following the Maildir
// specification, a message is written to tmp under a unique name, synced,
// and then renamed into new. Line ends are stored as LF, as local delivery
// agents do, and Return-Path and Delivered-To are prepended from the
// envelope.
type Maildir struct {
	dir  string
	host string

	mu     sync.Mutex
	seq    uint64
	closed bool
}

// NewMaildir creates dir and its tmp, new and cur subdirectories if needed
// (mode 0700) and returns a sender that writes into it.
func NewMaildir(dir string) (*Maildir, error) {
	if dir == "" {
		return nil, invalidf("maildir path is empty")
	}
	for _, sub := range []string{"tmp", "new", "cur"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("mailer: create maildir: %w", err)
		}
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	// The specification's escapes for the two characters a name may not hold.
	host = strings.NewReplacer("/", `\057`, ":", `\072`).Replace(host)
	return &Maildir{dir: dir, host: host}, nil
}

// Dir returns the Maildir's root directory.
func (m *Maildir) Dir() string { return m.dir }

// Send writes raw as a new message. The envelope is validated like
// [SMTP.Send] so that the embedded mode refuses what a relay would.
func (m *Maildir) Send(ctx context.Context, env Envelope, raw []byte) error {
	if err := checkEnvelope(env); err != nil {
		return &SendError{Err: err}
	}
	if len(raw) == 0 {
		return &SendError{Err: invalidf("message is empty")}
	}
	if err := ctx.Err(); err != nil {
		return &SendError{Temporary: true, Err: fmt.Errorf("maildir: %w", err)}
	}
	name, err := m.uniqueName()
	if err != nil {
		return &SendError{Temporary: true, Err: err}
	}
	tmp := filepath.Join(m.dir, "tmp", name)
	var body bytes.Buffer
	body.Grow(len(raw) + 128)
	body.WriteString("Return-Path: <" + env.From + ">\nDelivered-To: " + env.To[0] + "\n")
	body.Write(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")))
	if err := writeSynced(tmp, body.Bytes()); err != nil {
		_ = os.Remove(tmp)
		return &SendError{Temporary: true, Err: fmt.Errorf("maildir: %w", err)}
	}
	if err := os.Rename(tmp, filepath.Join(m.dir, "new", name)); err != nil {
		_ = os.Remove(tmp)
		return &SendError{Temporary: true, Err: fmt.Errorf("maildir: %w", err)}
	}
	return nil
}

// uniqueName returns "<seconds>.M<micros>P<pid>Q<n>R<random>.<host>", unique
// across processes and calls as the Maildir specification requires.
func (m *Maildir) uniqueName() (string, error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return "", fmt.Errorf("maildir: %w", ErrClosed)
	}
	m.seq++
	n := m.seq
	m.mu.Unlock()
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", fmt.Errorf("maildir: %w", err)
	}
	now := time.Now()
	return strconv.FormatInt(now.Unix(), 10) +
		".M" + strconv.Itoa(now.Nanosecond()/1000) +
		"P" + strconv.Itoa(os.Getpid()) +
		"Q" + strconv.FormatUint(n, 10) +
		"R" + hex.EncodeToString(rnd[:]) +
		"." + m.host, nil
}

// writeSynced creates path exclusively, writes data and syncs it.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// Close makes further Sends fail with [ErrClosed].
func (m *Maildir) Close() error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	return nil
}
