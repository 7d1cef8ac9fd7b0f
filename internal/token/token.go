// Package token signs and verifies the opaque tokens in the links and
// addresses Nätverk mails to members: RSVP links, unsubscribe links,
// personal feed URLs and the per-member reply address of an invitation.
//
// A token carries its claims (what it is for, which member, series or
// network, occurrence, revocation epoch, expiry) and an HMAC-SHA256 tag
// truncated to 128 bits, keyed by a server key that can be rotated: the
// first key signs, every configured key verifies. Tokens are encoded in
// lower-case base32 so that they survive mail systems that change the
// case of an address's local part. Verification compares tags in
// constant time.
package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind says what a token is for. A token of one kind never passes as
// another.
type Kind byte

// Token kinds.
const (
	RSVP        Kind = 'r' // answer a series or one occurrence
	Unsubscribe Kind = 'u' // stop a network's invitations, hide from the directory
	Feed        Kind = 'f' // a member's personal feed
	Reply       Kind = 'p' // the reply address of an invitation (ORGANIZER)
	Organizer   Kind = 'o' // an organizer's magic link
	Vote        Kind = 'v' // a vote on a meeting time
)

func (k Kind) valid() bool {
	switch k {
	case RSVP, Unsubscribe, Feed, Reply, Organizer, Vote:
		return true
	}
	return false
}

// Claims are what a token says.
type Claims struct {
	Kind     Kind
	MemberID int64
	// NetworkID and SeriesID name what the token concerns (0 = none).
	NetworkID int64
	SeriesID  int64
	// Occurrence is the original start of one occurrence (unix seconds),
	// 0 for the whole series.
	Occurrence int64
	// Epoch is the member's token epoch when issued; raising the member's
	// epoch revokes every token issued before.
	Epoch int64
	// Expires is when the token stops working (unix seconds), 0 = never.
	Expires int64
}

// Errors returned by Verify.
var (
	ErrMalformed = errors.New("token: malformed")
	ErrSignature = errors.New("token: bad signature")
	ErrExpired   = errors.New("token: expired")
	ErrKind      = errors.New("token: wrong kind")
)

// Key is one signing key.
type Key struct {
	// ID tells keys apart during rotation (0-255).
	ID     byte
	Secret []byte
}

// Signer signs with its first key and verifies with all of them.
type Signer struct {
	keys []Key
}

// tagSize is the MAC size in bytes: 128 bits.
const tagSize = 16

// version of the token layout.
const version = 1

var enc = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewSigner returns a signer. Each key must have at least 32 bytes of
// secret and a distinct ID.
func NewSigner(keys ...Key) (*Signer, error) {
	if len(keys) == 0 {
		return nil, errors.New("token: at least one key is required")
	}
	seen := map[byte]bool{}
	for _, k := range keys {
		if len(k.Secret) < 32 {
			return nil, fmt.Errorf("token: key %d is shorter than 32 bytes", k.ID)
		}
		if seen[k.ID] {
			return nil, fmt.Errorf("token: key id %d appears twice", k.ID)
		}
		seen[k.ID] = true
	}
	return &Signer{keys: append([]Key(nil), keys...)}, nil
}

// Sign returns the token for the claims.
func (s *Signer) Sign(c Claims) string {
	k := s.keys[0]
	buf := make([]byte, 0, 64)
	buf = append(buf, version, byte(c.Kind), k.ID)
	for _, v := range []int64{c.MemberID, c.NetworkID, c.SeriesID, c.Occurrence, c.Epoch, c.Expires} {
		buf = binary.AppendVarint(buf, v)
	}
	buf = append(buf, tag(k.Secret, buf)...)
	return enc.EncodeToString(buf)
}

func tag(secret, msg []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(msg)
	return m.Sum(nil)[:tagSize]
}

// maxLen bounds a token's encoded length before any decoding work.
const maxLen = 128

// Verify checks the token and returns its claims if it is of kind want,
// signed by a configured key and not expired at now. Revocation by epoch
// is checked by the caller against the member's current epoch.
func (s *Signer) Verify(tok string, want Kind, now time.Time) (Claims, error) {
	if len(tok) < 8 || len(tok) > maxLen {
		return Claims{}, ErrMalformed
	}
	raw, err := enc.DecodeString(strings.ToLower(tok))
	if err != nil || len(raw) < 3+6+tagSize {
		return Claims{}, ErrMalformed
	}
	body, got := raw[:len(raw)-tagSize], raw[len(raw)-tagSize:]
	if body[0] != version {
		return Claims{}, ErrMalformed
	}
	var key *Key
	for i := range s.keys {
		if s.keys[i].ID == body[2] {
			key = &s.keys[i]
		}
	}
	if key == nil || !hmac.Equal(tag(key.Secret, body), got) {
		return Claims{}, ErrSignature
	}
	c := Claims{Kind: Kind(body[1])}
	rest := body[3:]
	fields := []*int64{&c.MemberID, &c.NetworkID, &c.SeriesID, &c.Occurrence, &c.Epoch, &c.Expires}
	for _, f := range fields {
		v, n := binary.Varint(rest)
		if n <= 0 {
			return Claims{}, ErrMalformed
		}
		*f, rest = v, rest[n:]
	}
	if len(rest) != 0 || !c.Kind.valid() {
		return Claims{}, ErrMalformed
	}
	if c.Kind != want {
		return Claims{}, ErrKind
	}
	if c.Expires != 0 && now.Unix() >= c.Expires {
		return c, ErrExpired
	}
	return c, nil
}

// ParseKeys parses a key list "id:secret,id:secret" (the first signs;
// each secret at least 32 characters).
func ParseKeys(s string) ([]Key, error) {
	var keys []Key
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, secret, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("token: key %q: want id:secret", redact(part))
		}
		var n int
		if _, err := fmt.Sscanf(id, "%d", &n); err != nil || n < 0 || n > 255 {
			return nil, fmt.Errorf("token: key id %q: want 0-255", id)
		}
		keys = append(keys, Key{ID: byte(n), Secret: []byte(secret)})
	}
	if len(keys) == 0 {
		return nil, errors.New("token: no keys")
	}
	return keys, nil
}

func redact(s string) string {
	if i := strings.IndexByte(s, ':'); i >= 0 {
		return s[:i] + ":…"
	}
	return "…"
}
