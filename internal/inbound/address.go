package inbound

import (
	"strings"
	"time"

	"github.com/natverk/natverk/internal/links"
	"github.com/natverk/natverk/internal/token"
)

// Local-part prefixes of the service's token addresses.
const (
	replyPrefix       = "rsvp+"
	unsubscribePrefix = "unsubscribe+"
)

// addressing is what the recipient addresses of a message say.
type addressing struct {
	// to is the recipient the message is filed under: the token address
	// used, else the first recipient.
	to string
	// reply holds the claims of the first valid reply address.
	reply    token.Claims
	hasReply bool
	// badReply is set when a reply address in our domain carries a token
	// that does not verify (tampered, truncated, or signed by another key)
	// and no valid one was found.
	badReply bool
	// unsubscribe is the token of an unsubscribe+<token> address, when
	// that is the first token address.
	unsubscribe    string
	hasUnsubscribe bool
}

// classify reads the recipients in order (envelope recipients first, then
// the Delivered-To, X-Original-To, To and Cc headers). The first token
// address in the mail domain decides whether the message is a reply or
// an unsubscribe request.
func classify(lb *links.Builder, rcpts, headerRcpts []string, now time.Time) addressing {
	var a addressing
	kind := ""
	for _, list := range [][]string{rcpts, headerRcpts} {
		for _, addr := range list {
			addr = strings.TrimSpace(strings.Trim(strings.TrimSpace(addr), "<>"))
			if addr == "" {
				continue
			}
			if a.to == "" {
				a.to = clip(addr, 254)
			}
			local, domain, ok := cutAddress(addr)
			if !ok || !strings.EqualFold(domain, lb.MailDomain) {
				continue
			}
			local = strings.ToLower(local)
			switch {
			case strings.HasPrefix(local, unsubscribePrefix):
				if kind == "" {
					kind = unsubscribePrefix
					a.to = clip(addr, 254)
					a.unsubscribe, a.hasUnsubscribe = strings.TrimPrefix(local, unsubscribePrefix), true
				}
			case strings.HasPrefix(local, replyPrefix):
				if kind == "" {
					kind = replyPrefix
					a.to = clip(addr, 254)
				}
				if kind != replyPrefix || a.hasReply {
					continue
				}
				if c, ok := lb.ParseReplyAddress(addr, now); ok {
					a.reply, a.hasReply, a.badReply = c, true, false
					a.to = clip(addr, 254)
				} else {
					a.badReply = true
				}
			}
		}
	}
	return a
}

// cutAddress splits an address at its last '@'.
func cutAddress(addr string) (local, domain string, ok bool) {
	i := strings.LastIndexByte(addr, '@')
	if i <= 0 || i == len(addr)-1 {
		return "", "", false
	}
	return addr[:i], addr[i+1:], true
}

// sameAddress compares two addresses as calendar clients and mail
// systems treat them: case-insensitively (an upper-case MAILTO: and
// Exchange's upper-cased addresses are the same mailbox), ignoring a
// "mailto:" prefix and surrounding space.
func sameAddress(a, b string) bool {
	a, b = plainAddress(a), plainAddress(b)
	return a != "" && strings.EqualFold(a, b)
}

func plainAddress(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 7 && strings.EqualFold(v[:7], "mailto:") {
		v = strings.TrimSpace(v[7:])
	}
	return strings.Trim(v, "<>")
}
