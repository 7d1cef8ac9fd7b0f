package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"

	"github.com/natverk/natverk/internal/natverk"
)

// Policy decides where webhooks may go. By default only https URLs whose
// host resolves to public addresses; the allow list (the setting
// NATVERK_WEBHOOK_ALLOW_HOSTS) opens more:
//
//   - a host name ("hooks.internal"): that host may be reached on any
//     address, over http too;
//   - an IP address or a CIDR prefix ("10.1.2.3", "10.1.0.0/16", "::1"):
//     those addresses may be reached, whatever name leads there, and an
//     URL naming such an address directly may use http.
//
// The zero Policy allows no exceptions.
type Policy struct {
	hosts    map[string]bool
	prefixes []netip.Prefix
	// Resolver looks host names up for CheckURL; nil is net.DefaultResolver.
	Resolver *net.Resolver
}

// NewPolicy builds a policy from allow-list entries (host names, IP
// addresses, CIDR prefixes; blank entries are ignored).
func NewPolicy(allow []string) (*Policy, error) {
	p := &Policy{hosts: map[string]bool{}}
	for _, a := range allow {
		a = strings.TrimSpace(a)
		switch {
		case a == "":
			continue
		case strings.Contains(a, "/"):
			pre, err := netip.ParsePrefix(a)
			if err != nil {
				return nil, fmt.Errorf("webhook: allowed host %q is not a CIDR prefix: %w", a, err)
			}
			p.prefixes = append(p.prefixes, pre.Masked())
		default:
			if ip, err := netip.ParseAddr(strings.Trim(a, "[]")); err == nil {
				p.prefixes = append(p.prefixes, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
				continue
			}
			if strings.ContainsAny(a, " \t:@?#") {
				return nil, fmt.Errorf("webhook: allowed host %q is not a host name, address or CIDR prefix", a)
			}
			p.hosts[canonicalHost(a)] = true
		}
	}
	return p, nil
}

func canonicalHost(h string) string { return strings.TrimSuffix(strings.ToLower(h), ".") }

// hostAllowed reports whether host is named in the allow list.
func (p *Policy) hostAllowed(host string) bool {
	return p != nil && p.hosts[canonicalHost(host)]
}

// ipListed reports whether ip is in an allowed prefix.
func (p *Policy) ipListed(ip netip.Addr) bool {
	if p == nil {
		return false
	}
	ip = ip.Unmap()
	for _, pre := range p.prefixes {
		if pre.Contains(ip) {
			return true
		}
	}
	return false
}

// BlockedError says that an address may not be reached.
type BlockedError struct {
	// Host is the host name or address the URL named.
	Host string
	// Addr is the address refused.
	Addr netip.Addr
	// Reason names the kind of address (loopback, private, …).
	Reason string
}

// Error implements error.
func (e *BlockedError) Error() string {
	if e.Host != "" && e.Host != e.Addr.String() {
		return fmt.Sprintf("webhook: %s resolves to %s, a %s address, which webhooks may not reach (see NATVERK_WEBHOOK_ALLOW_HOSTS)", e.Host, e.Addr, e.Reason)
	}
	return fmt.Sprintf("webhook: %s is a %s address, which webhooks may not reach (see NATVERK_WEBHOOK_ALLOW_HOSTS)", e.Addr, e.Reason)
}

// special lists address ranges beyond the standard library's classes that
// no webhook should reach, with what they are.
var special = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "this-network"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared (carrier-grade NAT)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignment"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"}, // and 255.255.255.255
	{netip.MustParsePrefix("::/96"), "IPv4-compatible"},
	{netip.MustParsePrefix("64:ff9b::/96"), "NAT64"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "NAT64"},
	{netip.MustParsePrefix("100::/64"), "discard"},
	{netip.MustParsePrefix("2001::/32"), "Teredo"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("2002::/16"), "6to4"},
	{netip.MustParsePrefix("fec0::/10"), "site-local"},
}

// Classify names the kind of a non-public address ("loopback",
// "private", "link-local", …), or returns "" for a public one.
func Classify(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid():
		return "invalid"
	case ip.IsUnspecified():
		return "unspecified"
	case ip.IsLoopback():
		return "loopback"
	case ip.IsPrivate():
		return "private"
	case ip.IsLinkLocalUnicast():
		return "link-local"
	case ip.IsMulticast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return "multicast"
	}
	for _, s := range special {
		if s.prefix.Contains(ip) {
			return s.reason
		}
	}
	return ""
}

// checkAddr returns a *BlockedError if ip may not be reached.
func (p *Policy) checkAddr(host string, ip netip.Addr) error {
	ip = ip.Unmap()
	if reason := Classify(ip); reason != "" && !p.ipListed(ip) {
		return &BlockedError{Host: host, Addr: ip, Reason: reason}
	}
	return nil
}

// checkScheme refuses plain http unless the host is allowed by name, or
// is an address literal in an allowed prefix.
func (p *Policy) checkScheme(u *url.URL) error {
	if u.Scheme == "https" {
		return nil
	}
	host := u.Hostname()
	if p.hostAllowed(host) {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil && p.ipListed(ip) {
		return nil
	}
	return fmt.Errorf("webhook: %s: plain http is allowed only to hosts in NATVERK_WEBHOOK_ALLOW_HOSTS; use https", host)
}

// CheckURL checks an endpoint URL before it is stored: its form (see
// natverk.NormalizeWebhookURL), its scheme, and that its host resolves
// only to addresses webhooks may reach. It returns the normalized URL,
// or an EINVALID error naming the problem.
func (p *Policy) CheckURL(ctx context.Context, raw string) (string, error) {
	norm, fe := natverk.NormalizeWebhookURL(raw)
	if fe != nil {
		return norm, natverk.Invalid(*fe)
	}
	u, err := url.Parse(norm)
	if err != nil {
		return norm, natverk.Invalid(natverk.FieldError{Field: "url", Reason: "is not a valid URL"})
	}
	invalid := func(err error) error {
		return natverk.Invalid(natverk.FieldError{Field: "url", Reason: strings.TrimPrefix(err.Error(), "webhook: ")})
	}
	if err := p.checkScheme(u); err != nil {
		return norm, invalid(err)
	}
	host := u.Hostname()
	if p.hostAllowed(host) {
		return norm, nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if err := p.checkAddr("", ip); err != nil {
			return norm, invalid(err)
		}
		return norm, nil
	}
	r := net.DefaultResolver
	if p != nil && p.Resolver != nil {
		r = p.Resolver
	}
	ips, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return norm, natverk.Invalid(natverk.FieldError{Field: "url", Reason: fmt.Sprintf("host %s does not resolve", host)})
	}
	for _, ip := range ips {
		if err := p.checkAddr(host, ip); err != nil {
			return norm, invalid(err)
		}
	}
	return norm, nil
}

// control is a net.Dialer Control function: it runs after the name was
// resolved, with the address about to be connected to, and refuses one
// the policy does not allow. A host that resolved to a public address
// when it was registered and to 127.0.0.1 now (DNS rebinding) is refused
// here.
func (p *Policy) control(host string) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("webhook: dial %s: unexpected address %q: %w", network, address, err)
		}
		return p.checkAddr(host, ap.Addr())
	}
}

// IsBlocked reports whether err says the policy refused an address.
func IsBlocked(err error) bool {
	var b *BlockedError
	return errors.As(err, &b)
}
