// Package links builds every URL and address Nätverk puts in mails,
// pages and API answers: signed RSVP and unsubscribe links, feed URLs
// (https, webcal, and the subscribe links of Google Calendar and
// Outlook), network pages, and the per-member reply address that is an
// invitation's ORGANIZER.
package links

import (
	"crypto/sha256"
	"encoding/base32"
	"net/url"
	"strings"
	"time"

	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/token"
)

// Builder builds links under a base URL and addresses in a mail domain.
type Builder struct {
	// BaseURL is the public URL of the HTTP server, without a trailing
	// slash.
	BaseURL string
	// MailDomain is the domain of the service's addresses.
	MailDomain string
	Signer     *token.Signer
}

// RSVPToken signs an RSVP token for the member and series (and one
// occurrence, for reminders: occurrence is the original start, or zero).
func (b *Builder) RSVPToken(m *natverk.Member, seriesID, networkID int64, occurrence time.Time) string {
	c := token.Claims{Kind: token.RSVP, MemberID: m.ID, SeriesID: seriesID, NetworkID: networkID, Epoch: int64(m.TokenEpoch)}
	if !occurrence.IsZero() {
		c.Occurrence = occurrence.Unix()
	}
	return b.Signer.Sign(c)
}

// RSVP returns the RSVP page URL; choice ("yes", "maybe", "no") preselects
// an answer on the page (a GET never records it).
func (b *Builder) RSVP(tok, choice string) string {
	u := b.BaseURL + "/rsvp/" + tok
	if choice != "" {
		u += "?a=" + url.QueryEscape(choice)
	}
	return u
}

// UnsubscribeToken signs an unsubscribe token for the member and network.
func (b *Builder) UnsubscribeToken(m *natverk.Member, networkID int64) string {
	return b.Signer.Sign(token.Claims{Kind: token.Unsubscribe, MemberID: m.ID, NetworkID: networkID, Epoch: int64(m.TokenEpoch)})
}

// Unsubscribe returns the unsubscribe page URL (and RFC 8058 one-click
// target).
func (b *Builder) Unsubscribe(tok string) string { return b.BaseURL + "/unsubscribe/" + tok }

// UnsubscribeMailto returns the mailto: unsubscribe URI.
func (b *Builder) UnsubscribeMailto(tok string) string {
	return "mailto:unsubscribe+" + tok + "@" + b.MailDomain + "?subject=unsubscribe"
}

// ReplyAddress is the ORGANIZER and From address of the member's
// invitations to a series: calendar clients send their REPLY there. It
// carries a token naming member and series and no revocation epoch, so it
// never changes for a UID.
func (b *Builder) ReplyAddress(memberID, seriesID int64) string {
	return "rsvp+" + b.Signer.Sign(token.Claims{Kind: token.Reply, MemberID: memberID, SeriesID: seriesID}) + "@" + b.MailDomain
}

// ParseReplyAddress returns the claims in a reply address, if it is one.
func (b *Builder) ParseReplyAddress(addr string, now time.Time) (token.Claims, bool) {
	local, domain, ok := strings.Cut(strings.TrimSpace(addr), "@")
	if !ok || !strings.EqualFold(domain, b.MailDomain) {
		return token.Claims{}, false
	}
	tag, found := strings.CutPrefix(strings.ToLower(local), "rsvp+")
	if !found {
		return token.Claims{}, false
	}
	c, err := b.Signer.Verify(tag, token.Reply, now)
	return c, err == nil
}

// BounceAddress is the SMTP envelope sender of outgoing mail.
func (b *Builder) BounceAddress() string { return "bounces@" + b.MailDomain }

// MemberFeedToken signs a member's personal feed token.
func (b *Builder) MemberFeedToken(m *natverk.Member) string {
	return b.Signer.Sign(token.Claims{Kind: token.Feed, MemberID: m.ID, Epoch: int64(m.TokenEpoch)})
}

// MemberFeed returns a member's personal feed URLs.
func (b *Builder) MemberFeed(m *natverk.Member, name string) FeedLinks {
	return b.feed("/feeds/m/"+b.MemberFeedToken(m)+".ics", name)
}

// NetworkFeed returns a network's feed URLs: /feeds/<slug>.ics for a
// public network, /feeds/p/<token>/<slug>.ics for a private one.
func (b *Builder) NetworkFeed(n *natverk.Network) FeedLinks {
	path := "/feeds/" + n.Slug + ".ics"
	if n.FeedVisibility == natverk.FeedPrivate {
		path = "/feeds/p/" + n.FeedToken + "/" + n.Slug + ".ics"
	}
	return b.feed(path, n.Name)
}

// NetworkPage returns the public page of a network.
func (b *Builder) NetworkPage(n *natverk.Network) string { return b.BaseURL + "/n/" + n.Slug }

// OrganizerToken signs an organizer's magic link token, valid for ttl.
func (b *Builder) OrganizerToken(m *natverk.Member, networkID int64, now time.Time, ttl time.Duration) string {
	return b.Signer.Sign(token.Claims{Kind: token.Organizer, MemberID: m.ID, NetworkID: networkID, Epoch: int64(m.TokenEpoch), Expires: now.Add(ttl).Unix()})
}

// OrganizerView returns the organizer view URL for a magic link token.
func (b *Builder) OrganizerView(tok string) string { return b.BaseURL + "/organize/" + tok }

// FeedLinks are the ways to subscribe to one feed.
type FeedLinks struct {
	HTTPS   string `json:"https"`
	Webcal  string `json:"webcal"`
	Google  string `json:"google"`
	Outlook string `json:"outlook"`
	Office  string `json:"office365"`
}

func (b *Builder) feed(path, name string) FeedLinks {
	https := b.BaseURL + path
	webcal := https
	if i := strings.Index(webcal, "://"); i >= 0 {
		webcal = "webcal" + webcal[i:]
	}
	q := func(k, v string) string { return k + "=" + url.QueryEscape(v) }
	return FeedLinks{
		HTTPS:  https,
		Webcal: webcal,
		// Google wants the webcal:// form in cid=; an https cid fails.
		Google:  "https://calendar.google.com/calendar/r?" + q("cid", webcal),
		Outlook: "https://outlook.live.com/calendar/0/addfromweb?" + q("url", https) + "&" + q("name", name),
		Office:  "https://outlook.office.com/calendar/addfromweb?" + q("url", https) + "&" + q("name", name),
	}
}

// MessageID returns a stable Message-ID (without angle brackets) for a
// mail dedup key: a repeated send of the same message carries the same
// Message-ID, so receivers can drop the copy.
func (b *Builder) MessageID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return msgIDEnc.EncodeToString(sum[:15]) + "@" + b.MailDomain
}

var msgIDEnc = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// ListID returns the List-Id of a network's mail.
func (b *Builder) ListID(n *natverk.Network) string { return n.Slug + "." + b.MailDomain }
