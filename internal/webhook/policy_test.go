package webhook_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/webhook"
)

// TestCheckURL is the registration-time guard: what an admin may register
// with and without an allow list.
func TestCheckURL(t *testing.T) {
	tests := []struct {
		name  string
		allow []string
		url   string
		// wantErr is a fragment of the refusal; "" = accepted.
		wantErr string
	}{
		{"Loopback", nil, "https://127.0.0.1/hook", "loopback"},
		{"LoopbackOtherAddress", nil, "https://127.8.9.10:8443/hook", "loopback"},
		{"TenNet", nil, "https://10.0.0.1/hook", "private"},
		{"OneNineTwo", nil, "https://192.168.1.20/hook", "private"},
		{"OneSevenTwo", nil, "https://172.16.5.4/hook", "private"},
		{"CloudMetadata", nil, "https://169.254.169.254/latest/meta-data/", "link-local"},
		{"IPv6Loopback", nil, "https://[::1]/hook", "loopback"},
		{"IPv4MappedLoopback", nil, "https://[::ffff:127.0.0.1]/hook", "loopback"},
		{"IPv6UniqueLocal", nil, "https://[fd00::1]/hook", "private"},
		{"IPv6LinkLocal", nil, "https://[fe80::1]/hook", "link-local"},
		{"Unspecified", nil, "https://0.0.0.0/hook", "unspecified"},
		{"Multicast", nil, "https://224.0.0.1/hook", "multicast"},
		{"CarrierGradeNAT", nil, "https://100.64.0.1/hook", "carrier-grade"},
		{"Broadcast", nil, "https://255.255.255.255/hook", "reserved"},
		{"NameResolvingToLoopback", nil, "https://localhost:8443/hook", "resolves to"},
		{"PlainHTTP", nil, "http://93.184.216.34/hook", "https"},
		{"NotHTTP", nil, "ftp://93.184.216.34/hook", "https"},
		{"Credentials", nil, "https://user:pw@93.184.216.34/hook", "password"},
		{"Fragment", nil, "https://93.184.216.34/hook#x", "fragment"},
		{"NoHost", nil, "https:///hook", "host"},
		{"DoesNotResolve", nil, "https://nothing.invalid/hook", "does not resolve"},
		{"PublicAddress", nil, "https://93.184.216.34/hook?token=x", ""},

		{"AllowedName", []string{"localhost"}, "https://localhost:8443/hook", ""},
		{"AllowedNameHTTP", []string{"LOCALHOST."}, "http://localhost:8080/hook", ""},
		{"AllowedAddress", []string{"127.0.0.1"}, "https://127.0.0.1/hook", ""},
		{"AllowedAddressHTTP", []string{"127.0.0.1"}, "http://127.0.0.1:8080/hook", ""},
		{"AllowedPrefix", []string{"10.0.0.0/8"}, "https://10.1.2.3/hook", ""},
		{"AllowedIPv6", []string{"::1"}, "https://[::1]/hook", ""},
		{"OtherPrefixStillRefused", []string{"10.0.0.0/8"}, "https://192.168.1.1/hook", "private"},
		{"AllowedNameDoesNotOpenOthers", []string{"hooks.internal"}, "https://127.0.0.1/hook", "loopback"},
		{"AllowedAddressNotHTTPForNames", []string{"127.0.0.1"}, "http://localhost/hook", "https"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := webhook.NewPolicy(tc.allow)
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.CheckURL(ctx(), tc.url)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted %s, want a refusal mentioning %q", tc.url, tc.wantErr)
			}
			if natverk.ErrorCode(err) != natverk.EINVALID || !strings.Contains(natverk.ErrorMessage(err), tc.wantErr) {
				t.Fatalf("error = %v (%s), want EINVALID mentioning %q", err, natverk.ErrorMessage(err), tc.wantErr)
			}
			if fs := natverk.ErrorFields(err); len(fs) != 1 || fs[0].Field != "url" {
				t.Fatalf("fields = %v, want url", fs)
			}
		})
	}
}

func TestNewPolicyRejectsGarbage(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "host name", "user@host", "a:b:c:zz"} {
		if _, err := webhook.NewPolicy([]string{bad}); err == nil || !strings.HasPrefix(err.Error(), "webhook: ") {
			t.Errorf("NewPolicy(%q) = %v, want an error", bad, err)
		}
	}
	if _, err := webhook.NewPolicy([]string{"", " hooks.internal ", "10.0.0.0/8", "[::1]"}); err != nil {
		t.Fatal(err)
	}
}

func TestClassify(t *testing.T) {
	for addr, want := range map[string]string{
		"93.184.216.34": "", "2606:2800:220:1::248": "", "127.0.0.1": "loopback", "10.1.1.1": "private",
		"169.254.169.254": "link-local", "::": "unspecified", "ff02::1": "multicast", "64:ff9b::7f00:1": "NAT64",
		"2002:7f00:1::": "6to4", "::ffff:192.168.0.1": "private", "198.18.0.1": "benchmarking",
	} {
		if got := webhook.Classify(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Classify(%s) = %q, want %q", addr, got, want)
		}
	}
}

// TestSendRefusedAtConnection is the connection-time guard: an endpoint
// whose URL passed no check (stored before, or its name now resolving
// elsewhere) is still refused when the address dialled is loopback, and
// the server never sees a request.
func TestSendRefusedAtConnection(t *testing.T) {
	ep := newEndpoint(t)
	strict, err := webhook.NewSender(webhook.Options{RootCAs: certPool(ep)})
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{natverk.NewWebhookSecret()}
	port := ep.URL[strings.LastIndex(ep.URL, ":")+1:]
	for _, url := range []string{
		ep.URL + "/hook",                           // https://127.0.0.1:port
		"https://localhost:" + port + "/hook",      // a name that resolves to loopback
		"https://[::ffff:127.0.0.1]:" + port + "/", // a mapped address
	} {
		res := strict.Send(ctx(), url, secrets, "01KBC5ZQ3M8W9X1Y2Z3A4B5C6D", []byte(`{}`))
		if res.OK() || !webhook.IsBlocked(res.Err) || res.Code != 0 {
			t.Errorf("%s: result %+v, want a blocked dial", url, res)
		}
	}
	if n := len(ep.requests()); n != 0 {
		t.Fatalf("the endpoint got %d requests", n)
	}
	// The same sender allowed by address reaches it.
	allowed := newSender(t, ep)
	if res := allowed.Send(ctx(), ep.URL+"/hook", secrets, "01KBC5ZQ3M8W9X1Y2Z3A4B5C6D", []byte(`{}`)); !res.OK() || res.Code != http.StatusNoContent {
		t.Fatalf("allowed send = %+v", res)
	}
	// Plain http only to allowed hosts.
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer plain.Close()
	if res := strict.Send(ctx(), plain.URL, secrets, "id", []byte(`{}`)); res.OK() || !strings.Contains(res.Err.Error(), "https") {
		t.Fatalf("plain http with no allow list = %+v", res)
	}
	if res := allowed.Send(ctx(), plain.URL, secrets, "id", []byte(`{}`)); !res.OK() {
		t.Fatalf("plain http to an allowed address = %+v", res)
	}
}

// TestSendDoesNotFollowRedirects: a 3xx is a failed delivery and the
// target of the redirect gets nothing.
func TestSendDoesNotFollowRedirects(t *testing.T) {
	target := newEndpoint(t)
	redirect := httptest.NewTLSServer(http.RedirectHandler(target.URL+"/stolen", http.StatusTemporaryRedirect))
	defer redirect.Close()
	pool := certPool(target)
	pool.AddCert(redirect.Certificate())
	s, err := webhook.NewSender(webhook.Options{AllowHosts: []string{"127.0.0.1"}, RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	res := s.Send(ctx(), redirect.URL, []string{natverk.NewWebhookSecret()}, "id", []byte(`{}`))
	if res.OK() || res.Code != http.StatusTemporaryRedirect || !strings.Contains(res.Err.Error(), "not followed") {
		t.Fatalf("result = %+v", res)
	}
	if n := len(target.requests()); n != 0 {
		t.Fatalf("the redirect target got %d requests", n)
	}
}

// TestSendLimits: a slow endpoint fails at the timeout; an endpoint that
// answers an endless body is read only up to the cap; an oversized body is
// not sent; a failing answer's text is kept short.
func TestSendLimits(t *testing.T) {
	stop := make(chan struct{})
	// Deferred calls run last-first: the handlers are released before the
	// servers' Close waits for them.
	slow := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	endless := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		chunk := []byte(strings.Repeat("x", 32<<10))
		for {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			select {
			case <-stop:
				return
			default:
			}
		}
	}))
	defer endless.Close()
	chatty := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("line one\nline two " + strings.Repeat("é", 500)))
	}))
	defer chatty.Close()
	defer close(stop)
	pool := certPool()
	for _, s := range []*httptest.Server{slow, endless, chatty} {
		pool.AddCert(s.Certificate())
	}
	s, err := webhook.NewSender(webhook.Options{AllowHosts: []string{"127.0.0.1"}, RootCAs: pool, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{natverk.NewWebhookSecret()}
	if res := s.Send(ctx(), slow.URL, secrets, "id", []byte(`{}`)); res.OK() || res.Code != 0 {
		t.Errorf("slow endpoint = %+v, want a timeout", res)
	}
	if res := s.Send(ctx(), endless.URL, secrets, "id", []byte(`{}`)); !res.OK() || res.Code != http.StatusOK {
		t.Errorf("endless answer = %+v, want success after reading the capped prefix", res)
	}
	res := s.Send(ctx(), chatty.URL, secrets, "id", []byte(`{}`))
	if res.OK() || res.Code != 500 || strings.Contains(res.Err.Error(), "\n") || len(res.Err.Error()) > 400 || !strings.Contains(res.Err.Error(), "line one line two") {
		t.Errorf("chatty endpoint = %q", res.Err)
	}
	big := make([]byte, webhook.MaxBody+1)
	if res := s.Send(ctx(), chatty.URL, secrets, "id", big); res.OK() || !strings.Contains(res.Err.Error(), "limit") {
		t.Errorf("oversized body = %+v", res)
	}
	if res := s.Send(ctx(), chatty.URL, nil, "id", []byte(`{}`)); res.OK() || !strings.Contains(res.Err.Error(), "secret") {
		t.Errorf("no secret = %+v", res)
	}
}
