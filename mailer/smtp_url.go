package mailer

import (
	"net"
	"net/url"
	"strconv"
	"strings"
)

// tlsMode is how a connection to the relay is protected.
type tlsMode int

const (
	tlsOpportunistic tlsMode = iota // STARTTLS when the server offers it (smtp:// default)
	tlsRequired                     // STARTTLS or fail (smtp://…?tls=required)
	tlsNone                         // never STARTTLS (smtp://…?tls=none)
	tlsImplicit                     // TLS from the first byte (smtps://, RFC 8314)
)

func (m tlsMode) String() string {
	switch m {
	case tlsRequired:
		return "required"
	case tlsNone:
		return "none"
	case tlsImplicit:
		return "implicit"
	}
	return "opportunistic"
}

// smtpTarget is a parsed SMTP_URL.
type smtpTarget struct {
	host, addr         string // host name and host:port
	mode               tlsMode
	username, password string
	hasAuth            bool
}

// parseSMTPURL parses smtp://user:pass@host:port?tls=required|none and
// smtps://user:pass@host:port. The default ports are 587 (submission) and
// 465 (submissions).
func parseSMTPURL(raw string) (smtpTarget, error) {
	var t smtpTarget
	u, err := url.Parse(raw)
	if err != nil {
		return t, invalidf("SMTP URL: %v", redactURLError(err))
	}
	port := ""
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		t.mode, port = tlsOpportunistic, "587"
	case "smtps":
		t.mode, port = tlsImplicit, "465"
	default:
		return t, invalidf("SMTP URL scheme %q is not smtp or smtps", u.Scheme)
	}
	t.host = u.Hostname()
	if t.host == "" {
		return t, invalidf("SMTP URL has no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return t, invalidf("SMTP URL port %q is not a port number", p)
		}
		port = p
	}
	t.addr = net.JoinHostPort(t.host, port)
	if u.User != nil {
		t.username = u.User.Username()
		t.password, _ = u.User.Password()
		t.hasAuth = t.username != ""
	}
	if u.Path != "" && u.Path != "/" {
		return t, invalidf("SMTP URL has a path %q; only host, port, user and ?tls= are used", u.Path)
	}
	for key, vals := range u.Query() {
		switch key {
		case "tls":
			if t.mode == tlsImplicit {
				return t, invalidf("SMTP URL: smtps:// always uses TLS; drop ?tls=")
			}
			switch strings.ToLower(vals[len(vals)-1]) {
			case "required":
				t.mode = tlsRequired
			case "none":
				t.mode = tlsNone
			case "opportunistic", "":
				t.mode = tlsOpportunistic
			default:
				return t, invalidf("SMTP URL: tls=%q is not required, none or opportunistic", vals[len(vals)-1])
			}
		default:
			return t, invalidf("SMTP URL: unknown parameter %q", key)
		}
	}
	if t.hasAuth && t.mode == tlsNone && !isLoopback(t.host) {
		return t, invalidf("SMTP URL: refusing to send the password unencrypted to %s (tls=none)", t.host)
	}
	return t, nil
}

// redactURLError drops the URL from a url.Error, which may hold a password.
func redactURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// isLoopback reports whether host is localhost or a loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
