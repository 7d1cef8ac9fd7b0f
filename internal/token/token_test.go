package token_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/natverk/natverk/internal/token"
)

func signer(t testing.TB, keys ...token.Key) *token.Signer {
	t.Helper()
	if len(keys) == 0 {
		keys = []token.Key{{ID: 1, Secret: bytes.Repeat([]byte("k"), 32)}}
	}
	s, err := token.NewSigner(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRoundTrip(t *testing.T) {
	s := signer(t)
	now := time.Unix(1_800_000_000, 0)
	c := token.Claims{Kind: token.RSVP, MemberID: 42, NetworkID: 7, SeriesID: 9, Occurrence: 1_800_100_000, Epoch: 3, Expires: now.Add(time.Hour).Unix()}
	tok := s.Sign(c)
	if tok != strings.ToLower(tok) || len(tok) > 64 {
		t.Fatalf("token %q: want lower case, at most 64 chars", tok)
	}
	got, err := s.Verify(tok, token.RSVP, now)
	if err != nil || got != c {
		t.Fatalf("verify = %+v, %v", got, err)
	}
	// Mail systems may upper-case a local part.
	if _, err := s.Verify(strings.ToUpper(tok), token.RSVP, now); err != nil {
		t.Fatalf("upper-cased token refused: %v", err)
	}
}

func TestRefused(t *testing.T) {
	s := signer(t)
	now := time.Unix(1_800_000_000, 0)
	tok := s.Sign(token.Claims{Kind: token.RSVP, MemberID: 42, SeriesID: 9, Expires: now.Add(time.Hour).Unix()})
	other := signer(t, token.Key{ID: 1, Secret: bytes.Repeat([]byte("x"), 32)})
	flip := []byte(tok)
	flip[10] = map[bool]byte{true: 'b', false: 'a'}[flip[10] == 'a']
	for _, tc := range []struct {
		name string
		tok  string
		kind token.Kind
		at   time.Time
		want error
	}{
		{"WrongKind", tok, token.Unsubscribe, now, token.ErrKind},
		{"Expired", tok, token.RSVP, now.Add(2 * time.Hour), token.ErrExpired},
		{"Truncated", tok[:len(tok)-3], token.RSVP, now, token.ErrSignature},
		{"Tampered", string(flip), token.RSVP, now, token.ErrSignature},
		{"Empty", "", token.RSVP, now, token.ErrMalformed},
		{"Garbage", "!!!!!!!!!!!!", token.RSVP, now, token.ErrMalformed},
		{"Huge", strings.Repeat("a", 10000), token.RSVP, now, token.ErrMalformed},
		{"OtherKey", other.Sign(token.Claims{Kind: token.RSVP, MemberID: 42}), token.RSVP, now, token.ErrSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Verify(tc.tok, tc.kind, tc.at)
			if !errors.Is(err, tc.want) && !(tc.name == "Truncated" && errors.Is(err, token.ErrMalformed)) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	old := token.Key{ID: 1, Secret: bytes.Repeat([]byte("o"), 32)}
	neu := token.Key{ID: 2, Secret: bytes.Repeat([]byte("n"), 32)}
	before := signer(t, old)
	tok := before.Sign(token.Claims{Kind: token.Feed, MemberID: 1})
	after := signer(t, neu, old)
	if _, err := after.Verify(tok, token.Feed, time.Now()); err != nil {
		t.Fatalf("old token refused after rotation: %v", err)
	}
	retired := signer(t, neu)
	if _, err := retired.Verify(tok, token.Feed, time.Now()); !errors.Is(err, token.ErrSignature) {
		t.Fatalf("token of a retired key: %v", err)
	}
}

func TestNewSignerChecks(t *testing.T) {
	if _, err := token.NewSigner(); err == nil {
		t.Error("no keys accepted")
	}
	if _, err := token.NewSigner(token.Key{ID: 1, Secret: []byte("short")}); err == nil {
		t.Error("short key accepted")
	}
	k := token.Key{ID: 1, Secret: bytes.Repeat([]byte("k"), 32)}
	if _, err := token.NewSigner(k, k); err == nil {
		t.Error("duplicate key id accepted")
	}
	keys, err := token.ParseKeys("2:" + strings.Repeat("a", 40) + ", 1:" + strings.Repeat("b", 40))
	if err != nil || len(keys) != 2 || keys[0].ID != 2 {
		t.Fatalf("ParseKeys = %v %v", keys, err)
	}
	if _, err := token.ParseKeys("x"); err == nil {
		t.Error("bad key list accepted")
	}
}

func FuzzVerify(f *testing.F) {
	s := signer(f)
	f.Add(s.Sign(token.Claims{Kind: token.RSVP, MemberID: 1, SeriesID: 2}))
	f.Add("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	f.Add("")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := s.Verify(tok, token.RSVP, time.Now())
		if err == nil && c.Kind != token.RSVP {
			t.Fatalf("accepted kind %c", c.Kind)
		}
	})
}

func BenchmarkSign(b *testing.B) {
	s := signer(b)
	c := token.Claims{Kind: token.RSVP, MemberID: 123456, SeriesID: 789, NetworkID: 12, Epoch: 1}
	b.ReportAllocs()
	for b.Loop() {
		s.Sign(c)
	}
}

func BenchmarkVerify(b *testing.B) {
	s := signer(b)
	tok := s.Sign(token.Claims{Kind: token.RSVP, MemberID: 123456, SeriesID: 789, NetworkID: 12, Epoch: 1})
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Verify(tok, token.RSVP, now); err != nil {
			b.Fatal(err)
		}
	}
}
