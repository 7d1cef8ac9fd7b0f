package harness

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// Secrets shared by every process of a deployment (the token keys must be
// identical so any process verifies links any other signed).
const (
	AdminToken = "adm_reliability_0123456789abcdef0123456789abcdef"
	TokenKeys  = "1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
)

// startTimeout bounds a natverk process's start (migrations, the stream).
const startTimeout = 90 * time.Second

var (
	reReady   = regexp.MustCompile(`^Stop with Ctrl-C\.`)
	reHTTP    = regexp.MustCompile(`listening on (\S+)\)`)
	reMetrics = regexp.MustCompile(`"msg":"metrics listening".*"addr":"([^"]+)"`)
)

// Deployment is one Nätverk installation: the settings every process
// shares (store, NATS, secrets) and the processes started so far.
type Deployment struct {
	tb   testing.TB
	dir  string
	logs string
	env  map[string]string
}

// NewDeployment prepares a deployment whose processes all get env on top
// of the harness defaults: a random HTTP port, metrics on a random port
// for worker processes, JSON logs, no inbound SMTP, the shared admin
// token and token keys, a small SMTP pool.
func NewDeployment(tb testing.TB, env map[string]string) *Deployment {
	tb.Helper()
	if _, err := Build(); err != nil {
		tb.Fatal(err)
	}
	base := map[string]string{
		"NATVERK_HTTP_ADDR":    "127.0.0.1:0",
		"NATVERK_INBOUND_ADDR": "off",
		"NATVERK_NATS_PORT":    "-1",
		"NATVERK_ADMIN_TOKEN":  AdminToken,
		"NATVERK_TOKEN_KEYS":   TokenKeys,
		"NATVERK_LOG_FORMAT":   "json",
		"NATVERK_LOG_LEVEL":    "info",
		"NATVERK_RATE_LIMIT":   "10000",
		"NATVERK_SMTP_POOL":    "4",
		"NATVERK_MAIL_DOMAIN":  "natverk.test",
		// A killed mailer's claims lapse after this; the default (2m)
		// makes every crash test wait two minutes.
		"NATVERK_MAIL_CLAIM_TTL": "20s",
	}
	maps.Copy(base, env)
	return &Deployment{tb: tb, dir: tb.TempDir(), logs: LogDir(tb), env: base}
}

// Env returns a shared setting.
func (d *Deployment) Env(key string) string { return d.env[key] }

// Natverk is one natverk process of a deployment.
type Natverk struct {
	*Proc
	// Roles are the roles it runs (NATVERK_ROLES).
	Roles string
	// BaseURL is the API's base URL (api role), else "".
	BaseURL string
	// MetricsURL is where its /metrics are served.
	MetricsURL string

	tb  testing.TB
	env map[string]string
}

// Start starts `natverk serve` with roles ("" = all) and extra settings,
// and waits until it is ready: it printed its banner, and its HTTP or
// metrics address is known. The process is stopped when the test ends.
func (d *Deployment) Start(name, roles string, extra map[string]string) *Natverk {
	d.tb.Helper()
	n := d.Prepare(name, roles, extra)
	n.Restart()
	return n
}

// Prepare makes the process without starting it; Restart starts it.
func (d *Deployment) Prepare(name, roles string, extra map[string]string) *Natverk {
	d.tb.Helper()
	env := maps.Clone(d.env)
	if roles != "" {
		env["NATVERK_ROLES"] = roles
	}
	if !slices.Contains(strings.Split(roles, ","), "api") && roles != "" {
		env["NATVERK_METRICS_ADDR"] = "127.0.0.1:0"
	}
	if env["NATVERK_DATA"] == "" {
		env["NATVERK_DATA"] = d.dir + "/" + name + "-data"
	}
	maps.Copy(env, extra)
	bins, _ := Build()
	n := &Natverk{Proc: NewProc(name, d.logs, bins.Natverk, []string{"serve"}, environ(env)), Roles: roles, tb: d.tb, env: env}
	manage(d.tb, n.Proc)
	return n
}

// Env returns one of the process's settings.
func (n *Natverk) Env(key string) string { return n.env[key] }

// Restart starts the process (again) and waits until it is ready. The
// HTTP and metrics ports are chosen anew.
func (n *Natverk) Restart() {
	n.tb.Helper()
	if err := n.TryRestart(); err != nil {
		n.tb.Fatal(err)
	}
}

// TryRestart is Restart returning the error.
func (n *Natverk) TryRestart() error {
	if err := n.Start(); err != nil {
		return err
	}
	if _, err := n.Await(reReady, startTimeout); err != nil {
		return fmt.Errorf("%w\n%s", err, n.Tail(20))
	}
	n.BaseURL, n.MetricsURL = "", ""
	if m, err := n.Await(reHTTP, time.Second); err == nil {
		n.BaseURL = "http://" + m[1]
		n.MetricsURL = n.BaseURL + "/metrics"
	} else if m, err := n.Await(reMetrics, 5*time.Second); err == nil {
		n.MetricsURL = "http://" + m[1] + "/metrics"
	}
	return nil
}

// Client returns an API client for this process (admin token).
func (n *Natverk) Client() *Client {
	n.tb.Helper()
	if n.BaseURL == "" {
		n.tb.Fatalf("%s runs no api role", n.Name)
	}
	return NewClient(n.BaseURL, AdminToken)
}

// Command runs a one-off natverk subcommand (`dlq list`, say) with the
// process's settings and returns its combined output.
func (n *Natverk) Command(args ...string) (string, error) {
	bins, _ := Build()
	cmd := exec.Command(bins.Natverk, args...)
	cmd.Env = environ(n.env)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// environ is the test's environment without any Nätverk setting, plus env.
func environ(env map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "NATVERK_") || k == "DATABASE_URL" || k == "NATS_URL" || k == "SMTP_URL" || strings.HasPrefix(k, "NATS_CREDS") {
			continue
		}
		out = append(out, kv)
	}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}

// SetEnv changes a setting for the process's next run.
func (n *Natverk) SetEnv(key, value string) {
	n.env[key] = value
	n.Proc.env = environ(n.env)
}
