package webhook_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/webhook"
)

// TestSignSpecVector checks Sign against the example the Standard
// Webhooks project publishes with its reference libraries.
func TestSignSpecVector(t *testing.T) {
	got, err := webhook.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
		time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

// TestSignatureHeaderVerifies signs with two secrets and checks each
// signature with the test's own implementation.
func TestSignatureHeaderVerifies(t *testing.T) {
	a, b, other := natverk.NewWebhookSecret(), natverk.NewWebhookSecret(), natverk.NewWebhookSecret()
	now := time.Now()
	body := []byte(`{"type":"natverk.rsvp.recorded","data":{"answer":"ACCEPTED"}}`)
	h, err := webhook.SignatureHeader([]string{a, b}, "01KBC5ZQ3M8W9X1Y2Z3A4B5C6D", now, body)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Split(h, " ")); n != 2 {
		t.Fatalf("header %q has %d signatures, want 2", h, n)
	}
	r := request{header: map[string][]string{}, body: body}
	r.header.Set("webhook-id", "01KBC5ZQ3M8W9X1Y2Z3A4B5C6D")
	r.header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	r.header.Set("webhook-signature", h)
	if got := verify(t, r, now, a, b, other); !got[0] || !got[1] || got[2] {
		t.Fatalf("verified = %v, want [true true false]", got)
	}
	// A changed body no longer verifies.
	r.body = append([]byte(nil), body...)
	r.body[len(r.body)-3] = 'X'
	if got := verify(t, r, now, a, b); got[0] || got[1] {
		t.Fatalf("tampered body verified: %v", got)
	}
}

func TestDecodeSecret(t *testing.T) {
	tests := []struct {
		name, secret, wantErr string
	}{
		{"New", natverk.NewWebhookSecret(), ""},
		{"NoPrefix", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "prefix"},
		{"NotBase64", "whsec_not base64!", "base64"},
		{"TooShort", "whsec_c2hvcnQ=", "bytes"},
		{"TooLong", "whsec_" + strings.Repeat("QUFB", 30), "bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key, err := webhook.DecodeSecret(tc.secret)
			if tc.wantErr == "" {
				if err != nil || len(key) != 32 {
					t.Fatalf("key of %d bytes, err %v", len(key), err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "webhook: ") {
				t.Fatalf("error = %v, want one mentioning %q", err, tc.wantErr)
			}
			if _, err := webhook.Sign(tc.secret, "id", time.Now(), nil); err == nil {
				t.Fatal("Sign accepted the bad secret")
			}
		})
	}
}
