package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/natverk/natverk/internal/config"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	store, nats, mail := c.Embedded()
	if !store || !nats || !mail {
		t.Fatal("defaults are not embedded")
	}
	if c.HTTPAddr != "127.0.0.1:8080" || c.BaseURL != "http://127.0.0.1:8080" || c.NATSPort != 4250 || c.DataDir != "./var" {
		t.Fatalf("defaults = %+v", c)
	}
	if c.ReminderBefore != 72*time.Hour || c.BoardEmail != "styrelsen@natverk.localhost" || !c.Has(config.RoleMailer) {
		t.Fatalf("defaults = %+v", c)
	}
}

func TestFileVariant(t *testing.T) {
	f := filepath.Join(t.TempDir(), "db")
	os.WriteFile(f, []byte("postgres://u:secret@db/natverk\n"), 0o600)
	c, err := config.Load(env(map[string]string{"DATABASE_URL_FILE": f, "NATVERK_INBOUND_ADDR": "off", "NATVERK_ROLES": "api, relay"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "postgres://u:secret@db/natverk" || c.InboundAddr != "" || len(c.Roles) != 2 || c.Has(config.RoleMailer) {
		t.Fatalf("config = %+v", c)
	}
}

func TestEveryProblemAtOnce(t *testing.T) {
	_, err := config.Load(env(map[string]string{
		"NATVERK_HTTP_ADDR":       "nope",
		"DATABASE_URL":            "mysql://x",
		"SMTP_URL":                "http://x",
		"NATVERK_SMTP_POOL":       "0",
		"NATVERK_REMINDER_BEFORE": "three days",
		"NATVERK_ROLES":           "api,cook",
		"NATVERK_LOG_FORMAT":      "xml",
		"NATVERK_DKIM_DOMAIN":     "example.se",
		"NATVERK_ADMIN_TOKEN":     "short",
	}))
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"NATVERK_REMINDER_BEFORE", "NATVERK_HTTP_ADDR", "DATABASE_URL", "SMTP_URL", "NATVERK_SMTP_POOL", "cook", "NATVERK_LOG_FORMAT", "DKIM", "NATVERK_ADMIN_TOKEN"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
}

func TestSettingsDocumentEveryVariable(t *testing.T) {
	seen := map[string]bool{}
	config.Load(func(k string) string {
		seen[k] = true
		return ""
	})
	documented := map[string]bool{}
	for _, s := range config.Settings {
		documented[s.Env] = true
	}
	for k := range seen {
		if strings.HasSuffix(k, "_FILE") && documented[strings.TrimSuffix(k, "_FILE")] || k == "NATVERK_DKIM_KEY_FILE" {
			continue
		}
		if !documented[k] {
			t.Errorf("%s is read but not in config.Settings", k)
		}
	}
	for k := range documented {
		if !seen[k] {
			t.Errorf("%s is documented but never read", k)
		}
	}
}
