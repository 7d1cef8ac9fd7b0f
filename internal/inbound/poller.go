package inbound

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/natverk/natverk/internal/natverk"
)

// Poller defaults.
const (
	DefaultPollEvery    = time.Minute
	DefaultDoneFolder   = "Natverk/Done"
	DefaultFailedFolder = "Natverk/Failed"
	// pollBatch is how many messages are fetched at a time.
	pollBatch   = 20
	dialTimeout = 30 * time.Second
)

// Poller is the IMAP alternative to the SMTP endpoint, for a mail domain
// whose mail the service cannot receive directly: it reads the replies
// from a mailbox that receives the reply addresses (a catch-all, or
// plus-addressing on one account) over IMAP (RFC 9051). Each unseen
// message is processed like one received over SMTP (answers are recorded
// with natverk.SourceIMAP), then moved: applied, ignored and other mail
// to DoneFolder, refused, failed and review mail to FailedFolder, so the
// mailbox keeps what was handled and a person can look at the rest. A
// message whose processing failed for lack of the store stays where it
// is, unseen, and is tried again at the next poll.
//
// The recipients are read from the Delivered-To, X-Original-To, To and
// Cc headers, as there is no SMTP envelope.
type Poller struct {
	// URL names the account and mailbox: imaps://user:pass@host:993/INBOX
	// (TLS), or imap://user:pass@host:143/INBOX (STARTTLS, required).
	// User and password are URL-encoded; the mailbox defaults to INBOX.
	URL       string
	Processor *Processor
	// Every is the time between polls (default DefaultPollEvery).
	Every time.Duration
	// DoneFolder and FailedFolder receive the processed messages
	// (defaults DefaultDoneFolder and DefaultFailedFolder, "/" standing
	// for the server's hierarchy separator); they are created if missing.
	DoneFolder, FailedFolder string
	// TLSConfig verifies the server (nil = the system roots and the URL's
	// host name).
	TLSConfig *tls.Config
	// Log receives a line per failed poll (nil = discard).
	Log *slog.Logger
}

func (p *Poller) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.New(slog.DiscardHandler)
}

// imapTarget is a parsed Poller URL.
type imapTarget struct {
	implicitTLS    bool
	addr, host     string
	user, password string
	mailbox        string
}

func parseIMAPURL(raw string) (imapTarget, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return imapTarget{}, fmt.Errorf("inbound: IMAP URL: %w", err)
	}
	var t imapTarget
	port := ""
	switch strings.ToLower(u.Scheme) {
	case "imaps":
		t.implicitTLS, port = true, "993"
	case "imap":
		port = "143"
	default:
		return imapTarget{}, fmt.Errorf("inbound: IMAP URL: scheme %q, want imaps or imap", u.Scheme)
	}
	t.host = u.Hostname()
	if t.host == "" {
		return imapTarget{}, errors.New("inbound: IMAP URL: no host")
	}
	if u.Port() != "" {
		port = u.Port()
	}
	t.addr = net.JoinHostPort(t.host, port)
	if u.User == nil || u.User.Username() == "" {
		return imapTarget{}, errors.New("inbound: IMAP URL: no user name")
	}
	t.user = u.User.Username()
	t.password, _ = u.User.Password()
	t.mailbox = strings.Trim(u.Path, "/")
	if t.mailbox == "" {
		t.mailbox = "INBOX"
	}
	return t, nil
}

// Run polls until ctx ends, then returns nil. A failed poll is logged and
// tried again after Every; a URL that cannot be used is an error at once.
func (p *Poller) Run(ctx context.Context) error {
	if _, err := parseIMAPURL(p.URL); err != nil {
		return err
	}
	if p.Processor == nil {
		return errors.New("inbound: the poller needs a Processor")
	}
	every := p.Every
	if every <= 0 {
		every = DefaultPollEvery
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if n, err := p.Poll(ctx); err != nil && ctx.Err() == nil {
			p.log().Warn("inbound: IMAP poll failed", "processed", n, "err", err)
		}
		t.Reset(every)
	}
}

// Poll connects once, processes every unseen message in the mailbox and
// moves each to its folder. It returns how many messages were processed.
func (p *Poller) Poll(ctx context.Context) (int, error) {
	target, err := parseIMAPURL(p.URL)
	if err != nil {
		return 0, err
	}
	if p.Processor == nil {
		return 0, errors.New("inbound: the poller needs a Processor")
	}
	c, err := p.dial(ctx, target)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	// imapclient commands take no context: closing the connection ends
	// any command waiting when ctx does.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	n, err := p.poll(ctx, c, target)
	if err == nil {
		err = c.Logout().Wait()
	}
	if ctx.Err() != nil {
		return n, ctx.Err()
	}
	return n, err
}

func (p *Poller) dial(ctx context.Context, t imapTarget) (*imapclient.Client, error) {
	d := net.Dialer{Timeout: dialTimeout}
	conn, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, fmt.Errorf("inbound: IMAP dial %s: %w", t.addr, err)
	}
	cfg := &tls.Config{}
	if p.TLSConfig != nil {
		cfg = p.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = t.host
	}
	opts := &imapclient.Options{TLSConfig: cfg}
	if t.implicitTLS {
		tc := tls.Client(conn, cfg)
		hctx, cancel := context.WithTimeout(ctx, dialTimeout)
		defer cancel()
		if err := tc.HandshakeContext(hctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("inbound: IMAP TLS with %s: %w", t.addr, err)
		}
		c := imapclient.New(tc, opts)
		if err := c.WaitGreeting(); err != nil {
			c.Close()
			return nil, fmt.Errorf("inbound: IMAP greeting from %s: %w", t.addr, err)
		}
		return c, nil
	}
	c, err := imapclient.NewStartTLS(conn, opts)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("inbound: IMAP STARTTLS with %s: %w", t.addr, err)
	}
	return c, nil
}

func (p *Poller) poll(ctx context.Context, c *imapclient.Client, t imapTarget) (int, error) {
	if err := c.Login(t.user, t.password).Wait(); err != nil {
		return 0, fmt.Errorf("inbound: IMAP login as %s: %w", t.user, err)
	}
	done, failed, err := p.folders(c)
	if err != nil {
		return 0, err
	}
	if _, err := c.Select(t.mailbox, nil).Wait(); err != nil {
		return 0, fmt.Errorf("inbound: IMAP select %s: %w", t.mailbox, err)
	}
	found, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen, imap.FlagDeleted}}, nil).Wait()
	if err != nil {
		return 0, fmt.Errorf("inbound: IMAP search: %w", err)
	}
	uids := found.AllUIDs()
	// Read one byte beyond the limit, so an oversize message is seen as
	// such and stored as failed without being fetched whole.
	section := &imap.FetchItemBodySection{Peek: true, Partial: &imap.SectionPartial{Offset: 0, Size: p.Processor.maxBytes() + 1}}
	processed := 0
	for len(uids) > 0 && ctx.Err() == nil {
		batch := uids[:min(pollBatch, len(uids))]
		uids = uids[len(batch):]
		msgs, err := c.Fetch(imap.UIDSetNum(batch...), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
		if err != nil {
			return processed, fmt.Errorf("inbound: IMAP fetch: %w", err)
		}
		moves := map[string][]imap.UID{}
		var procErr error
		for _, m := range msgs {
			raw := m.FindBodySection(section)
			if m.UID == 0 || raw == nil {
				continue
			}
			res, err := p.Processor.process(ctx, natverk.SourceIMAP, "", nil, raw)
			if err != nil {
				procErr = err
				break
			}
			processed++
			dest := done
			switch res.Status {
			case natverk.InboundRefused, natverk.InboundFailed, natverk.InboundReview:
				dest = failed
			}
			moves[dest] = append(moves[dest], m.UID)
		}
		for dest, list := range moves {
			// UID MOVE, or COPY + STORE \Deleted + EXPUNGE on servers
			// without MOVE (imapclient falls back by itself).
			if _, err := c.Move(imap.UIDSetNum(list...), dest).Wait(); err != nil {
				return processed, fmt.Errorf("inbound: IMAP move to %s: %w", dest, err)
			}
		}
		if procErr != nil {
			return processed, procErr
		}
	}
	return processed, nil
}

// folders returns the Done and Failed folder names in the server's
// hierarchy, creating the folders that are missing.
func (p *Poller) folders(c *imapclient.Client) (done, failed string, err error) {
	delim := '/'
	if list, err := c.List("", "", nil).Collect(); err == nil && len(list) > 0 && list[0].Delim != 0 {
		delim = list[0].Delim
	}
	name := func(v, def string) string {
		if v == "" {
			v = def
		}
		return strings.ReplaceAll(v, "/", string(delim))
	}
	done, failed = name(p.DoneFolder, DefaultDoneFolder), name(p.FailedFolder, DefaultFailedFolder)
	for _, f := range []string{done, failed} {
		list, err := c.List("", f, nil).Collect()
		if err != nil {
			return "", "", fmt.Errorf("inbound: IMAP list %s: %w", f, err)
		}
		if len(list) > 0 {
			continue
		}
		if err := c.Create(f, nil).Wait(); err != nil {
			var ie *imap.Error
			if !errors.As(err, &ie) || ie.Code != imap.ResponseCodeAlreadyExists {
				return "", "", fmt.Errorf("inbound: IMAP create %s: %w", f, err)
			}
		}
	}
	return done, failed, nil
}
