package mailer

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"

	"github.com/emersion/go-msgauth/dkim"
)

// DKIM algorithms (RFC 6376 §3.3, RFC 8463).
const (
	DKIMRSASHA256     = "rsa-sha256"
	DKIMEd25519SHA256 = "ed25519-sha256"
)

// DKIM configures DKIM signing (RFC 6376). The public key must be published
// as a TXT record at <Selector>._domainkey.<Domain>; Domain should be the
// From domain or its organisational domain, so DMARC aligns.
type DKIM struct {
	Domain   string        // d=, e.g. "kalender.example.se"
	Selector string        // s=, e.g. "natverk2025"
	Signer   crypto.Signer // *rsa.PrivateKey (at least 1024 bits) or ed25519.PrivateKey
	// Algorithm is "rsa-sha256" or "ed25519-sha256". Empty picks the one
	// that matches Signer's key.
	Algorithm string
}

// dkimHeaders returns the header fields every signature covers. Fields a
// message lacks are still listed (RFC 6376 §5.4.2): a relay cannot then add
// one, such as a List-Unsubscribe, without breaking the signature. RFC 8058
// requires List-Unsubscribe and List-Unsubscribe-Post to be signed.
func dkimHeaders() []string {
	return []string{
		"From", "To", "Subject", "Date", "Message-ID", "Reply-To",
		"In-Reply-To", "References", "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post",
		"Auto-Submitted", "MIME-Version", "Content-Type",
	}
}

// validate checks the configuration and fills in Algorithm.
func (d *DKIM) validate() error {
	if !isDotAtom(d.Domain) || !bytes.ContainsRune([]byte(d.Domain), '.') {
		return invalidf("DKIM domain %q is not a domain name", d.Domain)
	}
	if !isDotAtom(d.Selector) {
		return invalidf("DKIM selector %q is not a valid selector", d.Selector)
	}
	if d.Signer == nil {
		return invalidf("DKIM signer is nil")
	}
	var keyAlg string
	switch pub := d.Signer.Public().(type) {
	case *rsa.PublicKey:
		if pub.N.BitLen() < 1024 {
			return invalidf("DKIM RSA key has %d bits; RFC 8301 requires at least 1024", pub.N.BitLen())
		}
		keyAlg = DKIMRSASHA256
	case ed25519.PublicKey:
		keyAlg = DKIMEd25519SHA256
	default:
		return invalidf("DKIM key type %T is not supported (want RSA or Ed25519)", pub)
	}
	switch d.Algorithm {
	case "":
		d.Algorithm = keyAlg
	case keyAlg:
	case DKIMRSASHA256, DKIMEd25519SHA256:
		return invalidf("DKIM algorithm %s does not match the %s key", d.Algorithm, keyAlg)
	default:
		return invalidf("DKIM algorithm %q is not supported (want %s or %s)", d.Algorithm, DKIMRSASHA256, DKIMEd25519SHA256)
	}
	return nil
}

// sign returns raw with a DKIM-Signature header prepended, relaxed/relaxed
// canonicalization. go-mail's own signer is not used: it hashes the
// unfolded tag list but writes a header folded in the middle of a tag, so
// relaxed signatures over List-Unsubscribe fail to verify.
func (d *DKIM) sign(raw []byte) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(len(raw) + 512)
	err := dkim.Sign(&out, bytes.NewReader(raw), &dkim.SignOptions{
		Domain:                 d.Domain,
		Selector:               d.Selector,
		Signer:                 d.Signer,
		Hash:                   crypto.SHA256,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed,
		BodyCanonicalization:   dkim.CanonicalizationRelaxed,
		HeaderKeys:             dkimHeaders(),
	})
	if err != nil {
		return nil, fmt.Errorf("mailer: DKIM sign: %w", err)
	}
	return out.Bytes(), nil
}
