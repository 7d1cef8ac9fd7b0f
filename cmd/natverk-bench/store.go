package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// env is the service's configuration for one store.
type env map[string]string

func (e env) with(kv ...string) env {
	out := env{}
	for k, v := range e {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// runStore runs every wanted scenario against one store.
func (b *bench) runStore(ctx context.Context, st store) {
	b.log.Printf("== %s", st.name)
	dir := filepath.Join(b.work, st.name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.add(failed("setup", st.name, err))
		return
	}
	e, cleanup, err := b.serviceEnv(ctx, st, dir)
	if err != nil {
		b.add(failed("setup", st.name, err))
		return
	}
	defer cleanup()

	needMembers := b.wants("import") || b.wants("directory") || b.wants("fanout") || b.wants("rsvp")
	ps := people(b.sizes.members, 1)
	if needMembers {
		b.phase(ctx, st, e, func(svc *service) error {
			if err := b.benchImport(ctx, st, svc, e["DATABASE_URL"], ps); err != nil {
				return err
			}
			if b.wants("directory") {
				b.benchDirectory(ctx, st, svc, ps)
			}
			return nil
		})
	}
	// Invitees: a warm-up group whose first message is captured as the
	// references' message, then the fan-out group, for each DKIM setting.
	const warm = smtpConns
	n := b.sizes.fanout
	if b.wants("fanout") || b.wants("rsvp") || b.wants("feed") {
		var fan *fanout
		b.phase(ctx, st, e, func(svc *service) error {
			if b.wants("fanout") || b.wants("rsvp") {
				var err error
				fan, err = b.benchFanout(ctx, st, svc, false, ps[:warm], ps[warm:warm+n])
				if err != nil {
					b.add(failed("fanout", st.name, err))
				} else if b.wants("rsvp") {
					b.benchRSVP(ctx, st, svc, fan)
				}
			}
			if b.wants("feed") {
				b.benchFeed(ctx, st, svc)
			}
			return nil
		})
		if b.wants("fanout") {
			key, err := dkimKey(dir)
			if err != nil {
				b.add(failed("fanout_dkim", st.name, err))
			} else {
				de := e.with("NATVERK_DKIM_DOMAIN", "natverk.localhost", "NATVERK_DKIM_SELECTOR", "bench", "NATVERK_DKIM_KEY_FILE", key)
				b.phase(ctx, st, de, func(svc *service) error {
					if _, err := b.benchFanout(ctx, st, svc, true, ps[2*warm+n:3*warm+n], ps[3*warm+n:3*warm+2*n]); err != nil {
						b.add(failed("fanout_dkim", st.name, err))
					}
					return nil
				})
			}
			if fan != nil {
				b.add(fan.memory)
			}
		}
	}
	if b.wants("pipeline") {
		if err := b.benchPipeline(ctx, st, dir); err != nil {
			b.add(failed("event_pipeline", st.name, err))
		}
	}
}

// phase runs fn against a freshly started service and stops it after.
func (b *bench) phase(ctx context.Context, st store, e env, fn func(*service) error) {
	svc, err := startService(ctx, b.natverk, e)
	if err != nil {
		b.add(failed("service", st.name, err))
		return
	}
	if err := fn(svc); err != nil {
		b.add(failed("service", st.name, err))
	}
	if err := svc.stop(); err != nil {
		b.add(failed("service", st.name, err))
	}
}

// serviceEnv returns the service's environment for the store: its own
// data directory and ports, a fresh Postgres schema, SMTP to the sink's
// port, known admin token and link keys, a rate limit far above the load
// and an SMTP pool as large as the references' connection count.
func (b *bench) serviceEnv(ctx context.Context, st store, dir string) (env, func(), error) {
	var ports [3]int
	for i := range ports {
		p, err := freePort()
		if err != nil {
			return nil, nil, err
		}
		ports[i] = p
	}
	var key [32]byte
	rand.Read(key[:])
	e := env{
		"NATVERK_DATA":         filepath.Join(dir, "data"),
		"NATVERK_HTTP_ADDR":    "127.0.0.1:" + strconv.Itoa(ports[0]),
		"NATVERK_NATS_PORT":    strconv.Itoa(ports[1]),
		"NATVERK_INBOUND_ADDR": "off",
		"NATVERK_ADMIN_TOKEN":  "bench-admin-" + hex.EncodeToString(key[:8]),
		"NATVERK_TOKEN_KEYS":   "1:" + hex.EncodeToString(key[:]),
		"NATVERK_LOG_LEVEL":    "warn",
		"NATVERK_RATE_LIMIT":   "1000000",
		"NATVERK_SMTP_POOL":    strconv.Itoa(smtpConns),
		"SMTP_URL":             fmt.Sprintf("smtp://127.0.0.1:%d?tls=none", ports[2]),
		"DATABASE_URL":         "",
	}
	cleanup := func() {}
	if st.name == "postgres" {
		u, drop, err := freshSchema(ctx, st.url, "bench")
		if err != nil {
			return nil, nil, err
		}
		e["DATABASE_URL"], cleanup = u, drop
	}
	return e, cleanup, nil
}

// sinkPort is the port of the service's SMTP_URL.
func (e env) sinkPort() int {
	var p int
	fmt.Sscanf(e["SMTP_URL"], "smtp://127.0.0.1:%d", &p)
	return p
}

// dkimKey writes a new 2048-bit RSA key (the common DKIM choice) as a
// PKCS#8 PEM file and returns its path.
func dkimKey(dir string) (string, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "dkim.pem")
	return path, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
}
