// Package config reads Nätverk's configuration from the environment
// (12-factor). Every setting has a default that selects the embedded,
// zero-configuration mode; secrets may come from a file named by the
// setting's _FILE variant (DATABASE_URL_FILE, SMTP_URL_FILE, …). There is
// no global: Load returns a value, and Validate reports every problem at
// once.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Role names of `natverk serve --roles`.
const (
	RoleAPI       = "api"
	RoleRelay     = "relay"
	RoleMailer    = "mailer"
	RoleCalendar  = "calendar"
	RoleInbound   = "inbound"
	RoleScheduler = "scheduler"
	RoleWebhooks  = "webhooks"
)

// AllRoles are the roles a process runs by default.
var AllRoles = []string{RoleAPI, RoleRelay, RoleMailer, RoleCalendar, RoleInbound, RoleScheduler, RoleWebhooks}

// Config is the whole configuration.
type Config struct {
	// DataDir holds the embedded mode's files: SQLite, JetStream, Maildir,
	// generated secrets.
	DataDir string
	// HTTPAddr is where the HTTP server listens.
	HTTPAddr string
	// MetricsAddr, for processes without the api role, is where /metrics,
	// /healthz and /readyz are served ("" = not served).
	MetricsAddr string
	// BaseURL is the public URL of the HTTP server, used in mails and feeds.
	BaseURL string
	// DatabaseURL selects Postgres; empty means SQLite in DataDir.
	DatabaseURL string
	// NATSURL selects an external NATS; empty means an in-process server.
	NATSURL string
	// NATSPort is the embedded server's client port on 127.0.0.1.
	NATSPort int
	// NATSCredsFile is a credentials file for an external NATS.
	NATSCredsFile string
	// StreamReplicas, StreamMaxAge and StreamMaxBytes configure the
	// NATVERK stream.
	StreamReplicas int
	StreamMaxAge   time.Duration
	StreamMaxBytes int64
	// SMTPURL selects an SMTP relay; empty means a Maildir in DataDir.
	SMTPURL string
	// SMTPPool is the number of reused SMTP connections (and concurrent
	// sends); SMTPRate caps messages per second (0 = no cap).
	SMTPPool int
	SMTPRate float64
	// MailDomain is the domain of the service's addresses and
	// Message-IDs.
	MailDomain string
	// BoardEmail receives support requests.
	BoardEmail string
	// AdminToken is the admin's API token; empty means generate one into
	// DataDir/admin-token on first start.
	AdminToken string
	// TokenKeys signs link tokens ("id:secret,…", the first signs); empty
	// means generate one into DataDir/token-keys.
	TokenKeys string
	// InboundAddr is where the inbound SMTP endpoint listens ("" = off).
	InboundAddr string
	// InboundMaxBytes caps one inbound message.
	InboundMaxBytes int64
	// IMAPURL, when set, polls a mailbox for calendar replies
	// (imaps://user:pass@host/INBOX).
	IMAPURL string
	// DKIM signing: domain, selector and a PEM private key file.
	DKIMDomain   string
	DKIMSelector string
	DKIMKeyFile  string
	// MailClaimTTL is how long a message being sent stays reserved for its
	// sender; a crashed mailer's messages are sent again after it.
	MailClaimTTL time.Duration
	// RetryBackoff is the delay before each retry of a failed event
	// handler; after the last, the event is dead-lettered.
	RetryBackoff []time.Duration
	// ReminderBefore is how long before an occurrence reminders go out.
	ReminderBefore time.Duration
	// DigestEvery is the longest an organizer waits for news of answers.
	DigestEvery time.Duration
	// FeedPast is how far back feeds keep meetings.
	FeedPast time.Duration
	// OutboxRetention is how long published outbox rows are kept.
	OutboxRetention time.Duration
	// Roles lists what this process runs.
	Roles []string
	// LogFormat is text or json; LogLevel debug, info, warn or error.
	LogFormat string
	LogLevel  string
	// MaxBodyBytes caps request bodies of the JSON API.
	MaxBodyBytes int64
	// ImportMaxBytes caps one member import.
	ImportMaxBytes int64
	// RateLimit is requests per second per client on public endpoints.
	RateLimit float64
	// AllowWebhookHosts lists hosts that webhooks may reach even when they
	// resolve to private addresses.
	AllowWebhookHosts []string
}

// Setting describes one environment variable, for the README table and
// `natverk config`.
type Setting struct {
	Env     string
	Default string
	Doc     string
	Secret  bool
}

// Settings lists every environment variable Load reads.
var Settings = []Setting{
	{"NATVERK_DATA", "./var", "directory for the embedded mode's files (SQLite, JetStream, Maildir, generated secrets)", false},
	{"NATVERK_HTTP_ADDR", "127.0.0.1:8080", "HTTP listen address", false},
	{"NATVERK_METRICS_ADDR", "", "where a process without the api role serves /metrics, /healthz and /readyz", false},
	{"NATVERK_BASE_URL", "http://<NATVERK_HTTP_ADDR>", "public base URL used in mails and feed links", false},
	{"DATABASE_URL", "(SQLite in $NATVERK_DATA/natverk.db)", "postgres://… selects Postgres", true},
	{"NATS_URL", "(in-process server)", "nats://… selects an external NATS (cluster URLs comma-separated)", false},
	{"NATS_CREDS", "", "credentials file for an external NATS", true},
	{"NATVERK_NATS_PORT", "4250", "client port of the in-process NATS server on 127.0.0.1 (-1 = none)", false},
	{"NATVERK_STREAM_REPLICAS", "1", "replicas of the NATVERK stream (3 on a cluster)", false},
	{"NATVERK_STREAM_MAX_AGE", "720h", "how long the stream keeps events", false},
	{"NATVERK_STREAM_MAX_BYTES", "1073741824", "size limit of the stream", false},
	{"SMTP_URL", "(Maildir in $NATVERK_DATA/mail)", "smtp://user:pass@host:587 (STARTTLS) or smtps://…:465", true},
	{"NATVERK_SMTP_POOL", "8", "reused SMTP connections (= concurrent sends)", false},
	{"NATVERK_SMTP_RATE", "0", "messages per second cap (0 = none)", false},
	{"NATVERK_MAIL_DOMAIN", "natverk.localhost", "domain of the service's addresses (ORGANIZER, Message-ID)", false},
	{"NATVERK_BOARD_EMAIL", "styrelsen@<NATVERK_MAIL_DOMAIN>", "where support requests go", false},
	{"NATVERK_ADMIN_TOKEN", "(generated into $NATVERK_DATA/admin-token)", "the admin's API token", true},
	{"NATVERK_TOKEN_KEYS", "(generated into $NATVERK_DATA/token-keys)", "link-signing keys id:secret,… (first signs; add a new first key to rotate)", true},
	{"NATVERK_INBOUND_ADDR", "127.0.0.1:2525", "inbound SMTP endpoint for calendar replies (off = none)", false},
	{"NATVERK_INBOUND_MAX_BYTES", "1048576", "largest inbound message accepted", false},
	{"NATVERK_IMAP_URL", "", "imaps://user:pass@host/INBOX: poll a mailbox for replies", true},
	{"NATVERK_DKIM_DOMAIN", "", "DKIM signing domain (with selector and key file)", false},
	{"NATVERK_DKIM_SELECTOR", "", "DKIM selector", false},
	{"NATVERK_DKIM_KEY_FILE", "", "PEM private key (RSA or Ed25519)", false},
	{"NATVERK_MAIL_CLAIM_TTL", "2m", "how long a mail being sent is reserved for its sender (a crashed mailer's mail goes out again after it)", false},
	{"NATVERK_RETRY_BACKOFF", "1s,5s,30s,2m,10m", "delays before each retry of a failed event; then it is dead-lettered", false},
	{"NATVERK_REMINDER_BEFORE", "72h", "when reminders go out before a meeting", false},
	{"NATVERK_DIGEST_EVERY", "24h", "at most one answer digest per network per period", false},
	{"NATVERK_FEED_PAST", "8760h", "how far back feeds keep meetings", false},
	{"NATVERK_OUTBOX_RETENTION", "168h", "how long published outbox rows are kept", false},
	{"NATVERK_ROLES", "api,relay,mailer,calendar,inbound,scheduler,webhooks", "roles this process runs (also --roles)", false},
	{"NATVERK_LOG_FORMAT", "text", "text or json", false},
	{"NATVERK_LOG_LEVEL", "info", "debug, info, warn or error", false},
	{"NATVERK_MAX_BODY_BYTES", "1048576", "largest JSON request body", false},
	{"NATVERK_IMPORT_MAX_BYTES", "67108864", "largest member import", false},
	{"NATVERK_RATE_LIMIT", "20", "requests per second per client on public pages and feeds", false},
	{"NATVERK_WEBHOOK_ALLOW_HOSTS", "", "hosts webhooks may reach on private addresses", false},
}

// Load reads the configuration through getenv (os.Getenv in production).
// A variable X may instead be given as X_FILE naming a file that holds
// the value.
func Load(getenv func(string) string) (Config, error) {
	var errs []error
	get := func(name string) string {
		if v := getenv(name); v != "" {
			return strings.TrimSpace(v)
		}
		if f := getenv(name + "_FILE"); f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s_FILE: %w", name, err))
				return ""
			}
			return strings.TrimSpace(string(b))
		}
		return ""
	}
	str := func(name, def string) string {
		if v := get(name); v != "" {
			return v
		}
		return def
	}
	integer := func(name string, def int) int {
		v := get(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not a whole number", name, v))
		}
		return n
	}
	dur := func(name string, def time.Duration) time.Duration {
		v := get(name)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not a duration such as 72h or 30m", name, v))
		}
		return d
	}
	durList := func(name string, def []time.Duration) []time.Duration {
		v := get(name)
		if v == "" {
			return def
		}
		var out []time.Duration
		for _, p := range splitList(v) {
			d, err := time.ParseDuration(p)
			if err != nil || d <= 0 {
				errs = append(errs, fmt.Errorf("%s: %q is not a list of durations such as 1s,5s,30s", name, v))
				return def
			}
			out = append(out, d)
		}
		if len(out) == 0 || len(out) > 20 {
			errs = append(errs, fmt.Errorf("%s: give 1 to 20 durations", name))
			return def
		}
		return out
	}
	float := func(name string, def float64) float64 {
		v := get(name)
		if v == "" {
			return def
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not a number", name, v))
		}
		return f
	}
	c := Config{
		DataDir:           str("NATVERK_DATA", "./var"),
		HTTPAddr:          str("NATVERK_HTTP_ADDR", "127.0.0.1:8080"),
		BaseURL:           get("NATVERK_BASE_URL"),
		MetricsAddr:       get("NATVERK_METRICS_ADDR"),
		DatabaseURL:       get("DATABASE_URL"),
		NATSURL:           get("NATS_URL"),
		NATSCredsFile:     get("NATS_CREDS"),
		NATSPort:          integer("NATVERK_NATS_PORT", 4250),
		StreamReplicas:    integer("NATVERK_STREAM_REPLICAS", 1),
		StreamMaxAge:      dur("NATVERK_STREAM_MAX_AGE", 720*time.Hour),
		StreamMaxBytes:    int64(integer("NATVERK_STREAM_MAX_BYTES", 1<<30)),
		SMTPURL:           get("SMTP_URL"),
		SMTPPool:          integer("NATVERK_SMTP_POOL", 8),
		SMTPRate:          float("NATVERK_SMTP_RATE", 0),
		MailDomain:        str("NATVERK_MAIL_DOMAIN", "natverk.localhost"),
		BoardEmail:        get("NATVERK_BOARD_EMAIL"),
		AdminToken:        get("NATVERK_ADMIN_TOKEN"),
		TokenKeys:         get("NATVERK_TOKEN_KEYS"),
		InboundAddr:       str("NATVERK_INBOUND_ADDR", "127.0.0.1:2525"),
		InboundMaxBytes:   int64(integer("NATVERK_INBOUND_MAX_BYTES", 1<<20)),
		IMAPURL:           get("NATVERK_IMAP_URL"),
		DKIMDomain:        get("NATVERK_DKIM_DOMAIN"),
		DKIMSelector:      get("NATVERK_DKIM_SELECTOR"),
		DKIMKeyFile:       get("NATVERK_DKIM_KEY_FILE"),
		MailClaimTTL:      dur("NATVERK_MAIL_CLAIM_TTL", 2*time.Minute),
		RetryBackoff:      durList("NATVERK_RETRY_BACKOFF", []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute}),
		ReminderBefore:    dur("NATVERK_REMINDER_BEFORE", 72*time.Hour),
		DigestEvery:       dur("NATVERK_DIGEST_EVERY", 24*time.Hour),
		FeedPast:          dur("NATVERK_FEED_PAST", 365*24*time.Hour),
		OutboxRetention:   dur("NATVERK_OUTBOX_RETENTION", 7*24*time.Hour),
		Roles:             splitList(str("NATVERK_ROLES", strings.Join(AllRoles, ","))),
		LogFormat:         str("NATVERK_LOG_FORMAT", "text"),
		LogLevel:          str("NATVERK_LOG_LEVEL", "info"),
		MaxBodyBytes:      int64(integer("NATVERK_MAX_BODY_BYTES", 1<<20)),
		ImportMaxBytes:    int64(integer("NATVERK_IMPORT_MAX_BYTES", 64<<20)),
		RateLimit:         float("NATVERK_RATE_LIMIT", 20),
		AllowWebhookHosts: splitList(get("NATVERK_WEBHOOK_ALLOW_HOSTS")),
	}
	if c.InboundAddr == "off" {
		c.InboundAddr = ""
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.HTTPAddr
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.BoardEmail == "" {
		c.BoardEmail = "styrelsen@" + c.MailDomain
	}
	if err := c.Validate(); err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Validate checks the configuration and returns every problem at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		bad("NATVERK_HTTP_ADDR: %q is not host:port", c.HTTPAddr)
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("NATVERK_BASE_URL: %q is not an http(s) URL", c.BaseURL)
	}
	if c.DatabaseURL != "" {
		if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			bad("DATABASE_URL: must be a postgres:// URL")
		}
	}
	if c.NATSURL != "" {
		for _, s := range strings.Split(c.NATSURL, ",") {
			if u, err := url.Parse(strings.TrimSpace(s)); err != nil || u.Host == "" {
				bad("NATS_URL: %q is not a nats://host:port URL", s)
			}
		}
	}
	if c.SMTPURL != "" {
		if u, err := url.Parse(c.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
			bad("SMTP_URL: must be smtp://[user:pass@]host[:port] or smtps://…")
		}
	}
	if c.SMTPPool < 1 || c.SMTPPool > 256 {
		bad("NATVERK_SMTP_POOL: %d is not between 1 and 256", c.SMTPPool)
	}
	if c.SMTPRate < 0 {
		bad("NATVERK_SMTP_RATE: must not be negative")
	}
	if c.StreamReplicas < 1 || c.StreamReplicas > 5 {
		bad("NATVERK_STREAM_REPLICAS: %d is not between 1 and 5", c.StreamReplicas)
	}
	if c.NATSPort < -1 || c.NATSPort > 65535 {
		bad("NATVERK_NATS_PORT: %d is not a port", c.NATSPort)
	}
	if strings.ContainsAny(c.MailDomain, " @<>\r\n") || !strings.Contains(c.MailDomain, ".") {
		bad("NATVERK_MAIL_DOMAIN: %q is not a domain", c.MailDomain)
	}
	if !strings.Contains(c.BoardEmail, "@") {
		bad("NATVERK_BOARD_EMAIL: %q is not an address", c.BoardEmail)
	}
	if c.AdminToken != "" && len(c.AdminToken) < 24 {
		bad("NATVERK_ADMIN_TOKEN: use at least 24 characters")
	}
	if c.MailClaimTTL < 5*time.Second {
		bad("NATVERK_MAIL_CLAIM_TTL: %s is shorter than a send may take; give 5s or more", c.MailClaimTTL)
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			bad("NATVERK_METRICS_ADDR: %q is not host:port", c.MetricsAddr)
		}
	}
	if c.InboundAddr != "" {
		if _, _, err := net.SplitHostPort(c.InboundAddr); err != nil {
			bad("NATVERK_INBOUND_ADDR: %q is not host:port", c.InboundAddr)
		}
	}
	if (c.DKIMDomain != "" || c.DKIMSelector != "" || c.DKIMKeyFile != "") && (c.DKIMDomain == "" || c.DKIMSelector == "" || c.DKIMKeyFile == "") {
		bad("NATVERK_DKIM_DOMAIN, NATVERK_DKIM_SELECTOR and NATVERK_DKIM_KEY_FILE go together")
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"NATVERK_REMINDER_BEFORE", c.ReminderBefore}, {"NATVERK_DIGEST_EVERY", c.DigestEvery}, {"NATVERK_FEED_PAST", c.FeedPast}, {"NATVERK_OUTBOX_RETENTION", c.OutboxRetention}, {"NATVERK_STREAM_MAX_AGE", c.StreamMaxAge}} {
		if d.v < 0 {
			bad("%s: must not be negative", d.name)
		}
	}
	known := map[string]bool{}
	for _, r := range AllRoles {
		known[r] = true
	}
	for _, r := range c.Roles {
		if !known[r] {
			bad("roles: unknown role %q (known: %s)", r, strings.Join(AllRoles, ", "))
		}
	}
	if len(c.Roles) == 0 {
		bad("roles: at least one role is required")
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("NATVERK_LOG_FORMAT: %q is not text or json", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("NATVERK_LOG_LEVEL: %q is not debug, info, warn or error", c.LogLevel)
	}
	if c.MaxBodyBytes < 1024 || c.ImportMaxBytes < 1024 || c.InboundMaxBytes < 1024 {
		bad("size limits must be at least 1024 bytes")
	}
	return errors.Join(errs...)
}

// Has reports whether the process runs the role.
func (c Config) Has(role string) bool {
	for _, r := range c.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// Embedded reports which components run embedded.
func (c Config) Embedded() (store, nats, mail bool) {
	return c.DatabaseURL == "", c.NATSURL == "", c.SMTPURL == ""
}

// Path returns a path under the data directory.
func (c Config) Path(elem ...string) string {
	return filepath.Join(append([]string{c.DataDir}, elem...)...)
}

// SortedRoles returns the roles sorted, for display.
func (c Config) SortedRoles() []string {
	r := append([]string(nil), c.Roles...)
	sort.Strings(r)
	return r
}
