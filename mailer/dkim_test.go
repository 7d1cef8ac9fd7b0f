package mailer_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/natverk/natverk/mailer"
)

const (
	dkimDomain   = "kalender.example.se"
	rsaSelector  = "rsa2025"
	edSelector   = "ed2025"
	dkimTXTLabel = "._domainkey." + dkimDomain
)

// dkimKeys holds one RSA and one Ed25519 signing configuration and the TXT
// records a verifier would find for them.
type dkimKeys struct {
	rsa, ed *mailer.DKIM
	txt     map[string]string
}

func newDKIMKeys(t testing.TB) *dkimKeys {
	t.Helper()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return &dkimKeys{
		rsa: &mailer.DKIM{Domain: dkimDomain, Selector: rsaSelector, Signer: rsaKey},
		ed:  &mailer.DKIM{Domain: dkimDomain, Selector: edSelector, Signer: edKey, Algorithm: mailer.DKIMEd25519SHA256},
		txt: map[string]string{
			rsaSelector + dkimTXTLabel: "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der),
			edSelector + dkimTXTLabel:  "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub),
		},
	}
}

func (k *dkimKeys) lookupTXT(domain string) ([]string, error) {
	if rec, ok := k.txt[domain]; ok {
		return []string{rec}, nil
	}
	return nil, fmt.Errorf("no TXT record for %s", domain)
}

// verify checks that raw carries exactly one DKIM signature, that it
// verifies, and that it covers the RFC 8058 headers.
func (k *dkimKeys) verify(t testing.TB, raw []byte) *dkim.Verification {
	t.Helper()
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{LookupTXT: k.lookupTXT})
	if err != nil {
		t.Fatalf("DKIM verify: %v", err)
	}
	if len(vs) != 1 {
		t.Fatalf("found %d DKIM signatures, want 1", len(vs))
	}
	v := vs[0]
	if v.Err != nil {
		t.Fatalf("DKIM signature does not verify: %v", v.Err)
	}
	if v.Domain != dkimDomain {
		t.Errorf("DKIM d= %q, want %q", v.Domain, dkimDomain)
	}
	for _, h := range []string{"from", "to", "subject", "date", "message-id", "list-unsubscribe", "list-unsubscribe-post", "mime-version", "content-type"} {
		if !slices.ContainsFunc(v.HeaderKeys, func(k string) bool { return strings.EqualFold(k, h) }) {
			t.Errorf("DKIM signature does not cover %s (h=%v)", h, v.HeaderKeys)
		}
	}
	return v
}

// TestDKIMEveryKind signs every kind in both locales with RSA and Ed25519
// keys, relaxed/relaxed, and verifies each with go-msgauth.
func TestDKIMEveryKind(t *testing.T) {
	keys := newDKIMKeys(t)
	for _, cfg := range []struct {
		name string
		dkim *mailer.DKIM
		alg  string
	}{{"rsa-sha256", keys.rsa, "a=rsa-sha256"}, {"ed25519-sha256", keys.ed, "a=ed25519-sha256"}} {
		c := newComposer(t, mailer.ComposerOptions{DKIM: cfg.dkim})
		for _, k := range mailer.Kinds() {
			for _, loc := range locales {
				t.Run(cfg.name+"/"+string(k)+"/"+loc, func(t *testing.T) {
					raw, err := c.Compose(testMessage(t, k, loc))
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.HasPrefix(raw, []byte("DKIM-Signature: ")) {
						t.Fatalf("message does not start with DKIM-Signature")
					}
					sig, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
					if !bytes.Contains(sig, []byte(cfg.alg)) || !bytes.Contains(sig, []byte("c=relaxed/relaxed")) {
						t.Errorf("signature lacks %s or c=relaxed/relaxed", cfg.alg)
					}
					keys.verify(t, raw)
				})
			}
		}
	}
}

// TestDKIMDetectsTampering changes a signed header and the body after
// signing; verification must fail.
func TestDKIMDetectsTampering(t *testing.T) {
	keys := newDKIMKeys(t)
	c := newComposer(t, mailer.ComposerOptions{DKIM: keys.rsa})
	raw, err := c.Compose(testMessage(t, mailer.Invitation, "sv"))
	if err != nil {
		t.Fatal(err)
	}
	// A digest has no List-Unsubscribe, but the signature lists it anyway,
	// so a relay cannot add one.
	digest, err := c.Compose(testMessage(t, mailer.Digest, "sv"))
	if err != nil {
		t.Fatal(err)
	}
	tampered := map[string][]byte{
		"List-Unsubscribe": bytes.Replace(raw, []byte("<https://kalender.example.se/u/tok-asa-123>"), []byte("<https://evil.example/u>"), 1),
		"added header":     bytes.Replace(digest, []byte("\r\nMIME-Version:"), []byte("\r\nList-Unsubscribe: <https://evil.example/u>\r\nMIME-Version:"), 1),
		"body":             bytes.Replace(raw, []byte("Hej =C3=85sa!"), []byte("Hej Eva!"), 1),
	}
	for name, msg := range tampered {
		if bytes.Equal(msg, raw) {
			t.Fatalf("%s: tampering changed nothing", name)
		}
		vs, err := dkim.VerifyWithOptions(bytes.NewReader(msg), &dkim.VerifyOptions{LookupTXT: keys.lookupTXT})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(vs) != 1 || vs[0].Err == nil {
			t.Errorf("%s: tampered message still verifies", name)
		}
	}
}

// TestDKIMConfig checks that NewComposer refuses bad DKIM settings.
func TestDKIMConfig(t *testing.T) {
	keys := newDKIMKeys(t)
	t.Setenv("GODEBUG", "rsa1024min=0") // let crypto/rsa make the weak key we want refused
	small, err := rsa.GenerateKey(rand.Reader, 512)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		dkim mailer.DKIM
		want string
	}{
		{"no domain", mailer.DKIM{Selector: "s", Signer: keys.rsa.Signer}, "DKIM domain"},
		{"no selector", mailer.DKIM{Domain: dkimDomain, Signer: keys.rsa.Signer}, "selector"},
		{"no signer", mailer.DKIM{Domain: dkimDomain, Selector: "s"}, "signer is nil"},
		{"weak rsa", mailer.DKIM{Domain: dkimDomain, Selector: "s", Signer: small}, "1024"},
		{"algorithm mismatch", mailer.DKIM{Domain: dkimDomain, Selector: "s", Signer: keys.rsa.Signer, Algorithm: mailer.DKIMEd25519SHA256}, "does not match"},
		{"unknown algorithm", mailer.DKIM{Domain: dkimDomain, Selector: "s", Signer: keys.rsa.Signer, Algorithm: "rsa-sha1"}, "not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mailer.NewComposer(mailer.ComposerOptions{DKIM: &tt.dkim})
			checkInvalid(t, err, tt.want)
		})
	}
	cfg := *keys.rsa
	if _, err := mailer.NewComposer(mailer.ComposerOptions{DKIM: &cfg}); err != nil || cfg.Algorithm != "" {
		t.Errorf("NewComposer changed the caller's DKIM (Algorithm %q) or failed: %v", cfg.Algorithm, err)
	}
}
