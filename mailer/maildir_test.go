package mailer_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/natverk/natverk/mailer"
)

// TestMaildir delivers composed messages into a Maildir and reads them back
// the way a mail reader would.
func TestMaildir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	md, err := mailer.NewMaildir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer md.Close()
	c := newComposer(t, mailer.ComposerOptions{})
	kinds := []mailer.Kind{mailer.Invitation, mailer.Reminder, mailer.Digest, mailer.OccurrenceCancelled}
	for _, k := range kinds {
		m := testMessage(t, k, "sv")
		raw, err := c.Compose(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := md.Send(t.Context(), mailer.Envelope{From: bounceAddress, To: []string{m.To.Email}}, raw); err != nil {
			t.Fatalf("%s: Send: %v", k, err)
		}
	}
	for _, sub := range []string{"tmp", "cur"} {
		if entries, err := os.ReadDir(filepath.Join(dir, sub)); err != nil || len(entries) != 0 {
			t.Errorf("%s/ holds %d entries (%v), want none", sub, len(entries), err)
		}
	}
	entries, err := os.ReadDir(filepath.Join(dir, "new"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(kinds) {
		t.Fatalf("new/ holds %d messages, want %d", len(entries), len(kinds))
	}
	seen := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if strings.ContainsAny(name, "/:") || strings.HasPrefix(name, ".") {
			t.Errorf("file name %q is not a valid Maildir name", name)
		}
		info, err := e.Info()
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v (%v), want 0600", name, info.Mode().Perm(), err)
		}
		data, err := os.ReadFile(filepath.Join(dir, "new", name))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte("\r")) {
			t.Errorf("%s: stored with CR line ends, want LF", name)
		}
		h, root := parseMessage(t, data)
		if got := h.Get("Return-Path"); got != "<"+bounceAddress+">" {
			t.Errorf("%s: Return-Path = %q", name, got)
		}
		if h.Get("Delivered-To") == "" {
			t.Errorf("%s: no Delivered-To", name)
		}
		id, err := h.MessageID()
		if err != nil || seen[id] {
			t.Errorf("%s: Message-ID %q (%v) missing or repeated", name, id, err)
		}
		seen[id] = true
		if cal := root.find("text/calendar"); cal != nil {
			if !bytes.Equal(cal.Body, readFixture(t, "cancel-occurrence.ics")) && !bytes.Equal(cal.Body, readFixture(t, "request.ics")) {
				t.Errorf("%s: calendar bytes changed on the way into the Maildir", name)
			}
		}
	}
	if md.Dir() != dir {
		t.Errorf("Dir() = %q, want %q", md.Dir(), dir)
	}
}

// TestMaildirRejects: invalid envelopes are permanent errors; a closed
// Maildir and a cancelled context are temporary.
func TestMaildirRejects(t *testing.T) {
	md, err := mailer.NewMaildir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	err = md.Send(t.Context(), mailer.Envelope{From: bounceAddress, To: []string{"a@example.org", "b@example.org"}}, testRaw(1))
	checkInvalid(t, err, "one message per recipient")
	checkInvalid(t, md.Send(t.Context(), testEnvelope("a@example.org"), nil), "empty")

	ctx, cancel := contextCancelled(t)
	defer cancel()
	if err := md.Send(ctx, testEnvelope("a@example.org"), testRaw(1)); err == nil || mailer.IsPermanent(err) {
		t.Errorf("Send with a cancelled context = %v, want a temporary error", err)
	}
	_ = md.Close()
	if err := md.Send(t.Context(), testEnvelope("a@example.org"), testRaw(1)); !errors.Is(err, mailer.ErrClosed) || mailer.IsPermanent(err) {
		t.Errorf("Send after Close = %v, want temporary ErrClosed", err)
	}
	if _, err := mailer.NewMaildir(""); err == nil {
		t.Errorf("NewMaildir(\"\") succeeded")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := mailer.NewMaildir(file); err == nil {
		t.Errorf("NewMaildir over a regular file succeeded")
	}
}
