package mailer

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// NewMessageID returns a new globally unique Message-ID on domain, without
// angle brackets: "<unix time base 36>.<128 random bits>@domain". Use it
// rather than go-mail's SetMessageID, which puts the host name on the
// right-hand side (RFC 5322 §3.6.4).
func NewMessageID(domain string) (string, error) {
	if !isDotAtom(domain) || !strings.Contains(domain, ".") {
		return "", invalidf("message id domain %q is not a domain name", domain)
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("mailer: message id: %w", err)
	}
	enc := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])
	return strconv.FormatInt(time.Now().Unix(), 36) + "." + strings.ToLower(enc) + "@" + strings.ToLower(domain), nil
}
