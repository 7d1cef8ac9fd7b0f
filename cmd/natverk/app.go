package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natverk/natverk/calendar"
	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/config"
	"github.com/natverk/natverk/internal/embedded"
	"github.com/natverk/natverk/internal/links"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/postgres"
	"github.com/natverk/natverk/internal/sqlite"
	"github.com/natverk/natverk/internal/token"
	"github.com/natverk/natverk/mailer"
)

// checks are the calendar rules the domain validates input with.
var checks = natverk.Checks{Zone: calendar.ValidateTimeZone, Rule: calendar.ValidateRule}

// openStore opens Postgres when DATABASE_URL is set, else the SQLite
// file in the data directory. Both migrate on open.
func openStore(ctx context.Context, cfg config.Config) (natverk.Store, string, error) {
	if cfg.DatabaseURL != "" {
		db, err := postgres.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, "", err
		}
		return db, "Postgres " + redactURL(cfg.DatabaseURL), nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, "", fmt.Errorf("create data directory: %w", err)
	}
	path := cfg.Path("natverk.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, "", err
	}
	return db, "SQLite " + path, nil
}

// redactURL hides a URL's password.
func redactURL(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		if j := strings.LastIndex(s, "@"); j > i {
			if k := strings.Index(s[i+3:j], ":"); k >= 0 {
				return s[:i+3+k] + ":***" + s[j:]
			}
		}
	}
	return s
}

// secret returns the configured value, or the one kept in the data
// directory, generating it on first start.
func secret(cfg config.Config, value, file string, gen func() string) (string, error) {
	if value != "" {
		return value, nil
	}
	path := cfg.Path(file)
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return "", err
	}
	v := gen()
	if err := os.WriteFile(path, []byte(v+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return v, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// adminToken returns the admin token.
func adminToken(cfg config.Config) (string, error) {
	return secret(cfg, cfg.AdminToken, "admin-token", func() string { return "adm_" + randomHex(24) })
}

// signer returns the link signer from the configured or generated keys.
func signer(cfg config.Config) (*token.Signer, []byte, error) {
	keys, err := secret(cfg, cfg.TokenKeys, "token-keys", func() string { return "1:" + randomHex(32) })
	if err != nil {
		return nil, nil, err
	}
	parsed, err := token.ParseKeys(keys)
	if err != nil {
		return nil, nil, fmt.Errorf("NATVERK_TOKEN_KEYS: %w", err)
	}
	s, err := token.NewSigner(parsed...)
	if err != nil {
		return nil, nil, fmt.Errorf("NATVERK_TOKEN_KEYS: %w", err)
	}
	// The CSRF key is derived from the signing key, so it rotates with it.
	csrf := append([]byte("csrf:"), parsed[0].Secret...)
	return s, csrf, nil
}

// broker is a connection to NATS, embedded or external.
type broker struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	server *embedded.NATS // nil for an external NATS
	desc   string
}

func (b *broker) close() {
	if b.nc != nil {
		b.nc.Drain()
		for i := 0; i < 50 && !b.nc.IsClosed(); i++ {
			time.Sleep(20 * time.Millisecond)
		}
		b.nc.Close()
	}
	if b.server != nil {
		b.server.Shutdown()
	}
}

// connectBroker starts the in-process nats-server (data under
// DataDir/nats) or connects to NATS_URL, and makes sure the stream
// exists.
func connectBroker(ctx context.Context, cfg config.Config, log *slog.Logger) (*broker, error) {
	b := &broker{}
	opts := []nats.Option{nats.Name("natverk"), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { log.Info("nats reconnected", "url", nc.ConnectedUrlRedacted()) })}
	if cfg.NATSURL == "" {
		nopts := embedded.NATSOptions{StoreDir: cfg.Path("nats"), Port: cfg.NATSPort, Logger: serverLogger(log)}
		if cfg.NATSPort == -1 {
			nopts.Port, nopts.DontListen = 0, true
		}
		srv, err := embedded.StartNATS(ctx, nopts)
		if err != nil {
			return nil, fmt.Errorf("start the embedded NATS server (set NATVERK_NATS_PORT if port %d is taken): %w", cfg.NATSPort, err)
		}
		b.server = srv
		nc, err := srv.Connect(opts...)
		if err != nil {
			srv.Shutdown()
			return nil, err
		}
		b.nc = nc
		b.desc = "embedded, " + srv.ClientURL()
		if nopts.DontListen {
			b.desc = "embedded, in-process only"
		}
	} else {
		if cfg.NATSCredsFile != "" {
			opts = append(opts, nats.UserCredentials(cfg.NATSCredsFile))
		}
		opts = append(opts, nats.RetryOnFailedConnect(true))
		nc, err := nats.Connect(cfg.NATSURL, opts...)
		if err != nil {
			return nil, fmt.Errorf("connect to NATS at %s: %w", redactURL(cfg.NATSURL), err)
		}
		b.nc = nc
		b.desc = redactURL(cfg.NATSURL)
	}
	// Publishes nobody answers give their slot back after 30 s.
	js, err := jetstream.New(b.nc, jetstream.WithPublishAsyncMaxPending(4096), jetstream.WithPublishAsyncTimeout(30*time.Second))
	if err != nil {
		b.close()
		return nil, err
	}
	b.js = js
	// JetStream may be unavailable for a while: a cluster electing a meta
	// leader after a node restarted, a server still starting.
	err = untilJetStream(ctx, log, "create the NATVERK stream", func() error {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_, err := events.EnsureStream(actx, js, events.StreamConfig{Replicas: cfg.StreamReplicas, MaxAge: cfg.StreamMaxAge, MaxBytes: cfg.StreamMaxBytes})
		return err
	})
	if err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

// untilJetStream runs op, a start-up request to JetStream, until it
// succeeds or ctx ends, waiting between attempts and saying so. Each
// attempt is bounded (by op, or by the client's default timeout). Errors
// that say JetStream is not ready yet (no answer in time, no responders,
// a cluster not available) are waited out; others are returned.
func untilJetStream(ctx context.Context, log *slog.Logger, what string, op func() error) error {
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || !jetStreamNotReady(err) {
			return fmt.Errorf("%s: %w", what, err)
		}
		log.Warn("waiting for JetStream", "to", what, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, err)
		case <-time.After(min(time.Duration(attempt)*time.Second, 5*time.Second)):
		}
	}
}

// jetStreamNotReady reports whether err means JetStream did not answer or
// is temporarily unavailable, rather than refusing the request.
func jetStreamNotReady(err error) bool {
	var apiErr *jetstream.APIError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout),
		errors.Is(err, nats.ErrNoResponders), errors.Is(err, jetstream.ErrJetStreamNotEnabled),
		errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, nats.ErrConnectionReconnecting),
		errors.Is(err, nats.ErrNoServers):
		return true
	case errors.As(err, &apiErr):
		return apiErr.Code == 503 || apiErr.Code == 408
	}
	return false
}

// mailTransport returns the SMTP sender, or the Maildir in embedded mode.
func mailTransport(cfg config.Config) (mailer.Sender, string, error) {
	if cfg.SMTPURL != "" {
		s, err := mailer.NewSMTP(cfg.SMTPURL, mailer.SMTPOptions{Pool: cfg.SMTPPool, RatePerSecond: cfg.SMTPRate, HelloName: cfg.MailDomain})
		if err != nil {
			return nil, "", err
		}
		return s, "SMTP " + redactURL(cfg.SMTPURL), nil
	}
	dir := cfg.Path("mail")
	m, err := mailer.NewMaildir(dir)
	if err != nil {
		return nil, "", err
	}
	return m, "Maildir " + dir + " (mutt -f " + dir + ")", nil
}

// composer returns the message composer, signing with DKIM when a key is
// configured.
func composer(cfg config.Config) (*mailer.Composer, error) {
	opts := mailer.ComposerOptions{MessageIDDomain: cfg.MailDomain}
	if cfg.DKIMKeyFile != "" {
		key, err := loadKey(cfg.DKIMKeyFile)
		if err != nil {
			return nil, fmt.Errorf("NATVERK_DKIM_KEY_FILE: %w", err)
		}
		opts.DKIM = &mailer.DKIM{Domain: cfg.DKIMDomain, Selector: cfg.DKIMSelector, Signer: key}
	}
	return mailer.NewComposer(opts)
}

// loadKey reads a PEM private key (PKCS#8, or PKCS#1 RSA).
func loadKey(path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("no PEM block")
	}
	if k, err := x509.ParsePKCS8PrivateKey(blk.Bytes); err == nil {
		if s, ok := k.(crypto.Signer); ok {
			return s, nil
		}
	}
	if k, err := x509.ParsePKCS1PrivateKey(blk.Bytes); err == nil {
		return k, nil
	}
	return nil, errors.New("not an RSA or Ed25519 private key")
}

// linkBuilder builds the service's links.
func linkBuilder(cfg config.Config, s *token.Signer) *links.Builder {
	return &links.Builder{BaseURL: cfg.BaseURL, MailDomain: cfg.MailDomain, Signer: s}
}

// serverLogger passes the embedded nats-server's warnings and errors on,
// not its start-up notices (the banner says what matters).
func serverLogger(log *slog.Logger) *slog.Logger {
	return slog.New(minLevel{log.Handler(), slog.LevelWarn}).With("component", "nats-server")
}

// minLevel drops records below a level.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(as), h.min}
}
func (h minLevel) WithGroup(g string) slog.Handler { return minLevel{h.Handler.WithGroup(g), h.min} }
