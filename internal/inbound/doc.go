// Package inbound receives the calendar replies members send from Gmail,
// Outlook, Apple Mail and Thunderbird when they press Accept, Maybe or
// Decline on a Nätverk invitation (RFC 6047 iMIP carrying RFC 5546
// REPLY and COUNTER messages), and records them as answers.
//
// Every invitation names a per-member, per-series reply address as its
// ORGANIZER ("rsvp+<token>@<mail domain>", see links.Builder.ReplyAddress),
// so a reply arrives addressed to a signed token that says which member
// and which series it answers. A [Processor] reads one message: it finds
// the iCalendar body in the MIME tree (RFC 2045/2046, with caps on size,
// part count and nesting, and recovery from parser panics), reads METHOD
// from that body (never from the Content-Type parameter or the localized
// Subject), matches the VEVENT to the series by UID, to an occurrence by
// RECURRENCE-ID compared as an instant against the stored series, and to
// the member by the single ATTENDEE, and records ACCEPTED, TENTATIVE or
// DECLINED through the store, where the later answer wins. Mail to the
// List-Unsubscribe mailto address ("unsubscribe+<token>@…", RFC 2369)
// unsubscribes the member. Every message read is stored with its outcome
// (natverk.InboundApplied, Ignored, Refused, Review, Failed or Other), and
// no reply is ever answered automatically (RFC 3834).
//
// Messages reach the Processor through a [Server], an SMTP endpoint
// (RFC 5321, github.com/emersion/go-smtp) an MX record or a relay points
// at, or through a [Poller] that fetches them from an IMAP mailbox
// (RFC 9051, github.com/emersion/go-imap/v2).
package inbound
