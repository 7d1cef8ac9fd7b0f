package inbound

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/natverk/natverk/calendar"
	"github.com/natverk/natverk/internal/links"
	"github.com/natverk/natverk/internal/natverk"
)

// Store is what the processor reads and records. internal/sqlite and
// internal/postgres implement it.
type Store interface {
	natverk.SeriesStore
	natverk.MemberStore
	natverk.MembershipStore
	natverk.RSVPStore
	natverk.InboundStore
	natverk.NetworkStore
}

// Metrics counts processed messages by outcome (a natverk.Inbound*
// status). Implementations must be safe for concurrent use.
type Metrics interface {
	Inbound(outcome string)
}

// Forwarder passes on a message that is not a calendar reply (a human
// answer, an out-of-office notice) to the organizers of the network it
// concerns; networkID is 0 when no network could be told. It must not
// answer the sender. The message is stored before Forward is called, so
// a failure loses nothing: it is logged and the message stays in the
// store for the admin.
type Forwarder func(ctx context.Context, original []byte, networkID int64) error

// DefaultMaxBytes is the largest message a Processor reads when MaxBytes
// is not set.
const DefaultMaxBytes = 1 << 20

// Processor reads inbound mail and records the calendar replies in it.
// Its fields are set before first use and not changed after; Process is
// safe for concurrent use.
type Processor struct {
	// Store records the answers and keeps every message read.
	Store Store
	// Links verifies reply and unsubscribe addresses; its MailDomain is the
	// domain they are in.
	Links *links.Builder
	// Log receives a line per message that could not be forwarded (nil =
	// discard). Outcomes are returned and stored, not logged.
	Log *slog.Logger
	// Now returns the current time (default time.Now).
	Now func() time.Time
	// Metrics counts outcomes (nil = none).
	Metrics Metrics
	// Forward passes on mail that is not a calendar reply (nil = keep it
	// in the store for the admin only).
	Forward Forwarder
	// MaxBytes is the largest message read (default DefaultMaxBytes); a
	// larger one is stored as failed. The stored copy of a message kept
	// for review is cut to this size too.
	MaxBytes int64
}

// Result is the outcome of one message.
type Result struct {
	// Status is one of natverk.InboundApplied, InboundIgnored,
	// InboundRefused, InboundReview, InboundFailed and InboundOther.
	Status string
	// Reason says why, for the log and the admin.
	Reason   string
	SeriesID int64
	MemberID int64
}

// outcome is a result and what to do with the message besides storing it.
type outcome struct {
	Result
	// forward asks for the message to be passed on to the network's
	// organizers (NetworkID, 0 if unknown).
	forward   bool
	networkID int64
}

func (p *Processor) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Processor) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (p *Processor) maxBytes() int64 {
	if p.MaxBytes > 0 {
		return p.MaxBytes
	}
	return DefaultMaxBytes
}

// Process reads one message delivered from envFrom (the SMTP MAIL FROM,
// "" if unknown) to rcpts (the RCPT TO addresses, nil if unknown, when
// the headers are read instead), records what it says, and stores the
// message with its outcome. A message whose Message-ID was stored before
// is a duplicate: it is reported as ignored and changes nothing.
//
// The error is for infrastructure failures only (the store is down): the
// message was not stored and the sender should retry (an answer recorded
// before the failure is recorded again without effect). Every other
// outcome, a refused or unreadable message included, is a Result.
func (p *Processor) Process(ctx context.Context, envFrom string, rcpts []string, raw []byte) (Result, error) {
	return p.process(ctx, natverk.SourceReply, envFrom, rcpts, raw)
}

// process is Process with the answer source (SourceReply over SMTP,
// SourceIMAP from the Poller).
func (p *Processor) process(ctx context.Context, source, envFrom string, rcpts []string, raw []byte) (Result, error) {
	if p.Store == nil || p.Links == nil || p.Links.Signer == nil {
		return Result{}, errors.New("inbound: the processor needs a Store and Links with a Signer")
	}
	rec := &natverk.InboundMessage{From: clip(plainAddress(envFrom), 254), Size: len(raw)}
	out, err := p.judge(ctx, source, envFrom, rcpts, raw, rec)
	if err != nil {
		return Result{}, err
	}
	// Reasons quote the message (a malformed header line, an address):
	// keep them printable.
	out.Reason = printable(out.Reason, 1000)
	rec.Status, rec.Reason, rec.SeriesID, rec.MemberID = out.Status, out.Reason, out.SeriesID, out.MemberID
	// Every text column takes valid UTF-8 without NUL (PostgreSQL
	// refuses anything else), whatever the message held.
	rec.MessageID, rec.From, rec.To = printable(rec.MessageID, 255), printable(rec.From, 254), printable(rec.To, 254)
	switch out.Status {
	case natverk.InboundReview, natverk.InboundRefused, natverk.InboundFailed, natverk.InboundOther:
		rec.Raw = raw
		if int64(len(raw)) > p.maxBytes() {
			rec.Raw = raw[:p.maxBytes()]
		}
	}
	// The record is saved after the answer is applied, so that a failure
	// in between leaves nothing stored and the sender's retry applies it.
	// A duplicate is therefore found here, after its answer was applied a
	// second time; that changes nothing, since the store keeps the later
	// answer and does not replace an equal one (no second rsvp.recorded),
	// and an unsubscribe is idempotent. Forwarding waits for the save, so
	// a duplicate is not passed on twice.
	if err := p.Store.SaveInbound(ctx, rec); err != nil {
		if natverk.ErrorCode(err) != natverk.ECONFLICT {
			return Result{}, fmt.Errorf("inbound: store message %s: %w", rec.MessageID, err)
		}
		out = outcome{Result: Result{Status: natverk.InboundIgnored, Reason: "duplicate: a message with Message-ID <" + rec.MessageID + "> was received before",
			SeriesID: out.SeriesID, MemberID: out.MemberID}}
	}
	if out.forward && p.Forward != nil {
		if err := p.Forward(ctx, raw, out.networkID); err != nil {
			p.log().Warn("inbound: forward failed; the message is kept for the admin", "message_id", rec.MessageID, "network_id", out.networkID, "err", err)
		}
	}
	if p.Metrics != nil {
		p.Metrics.Inbound(out.Status)
	}
	return out.Result, nil
}

// judge decides what a message is and applies it, filling the stored
// record's header fields on the way. Only store failures are errors.
func (p *Processor) judge(ctx context.Context, source, envFrom string, rcpts []string, raw []byte, rec *natverk.InboundMessage) (outcome, error) {
	now := p.now()
	if int64(len(raw)) > p.maxBytes() {
		rec.MessageID = syntheticMessageID(raw)
		a := classify(p.Links, rcpts, nil, now)
		rec.To = a.to
		return failed(fmt.Sprintf("the message is larger than %d bytes", p.maxBytes())), nil
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		rec.MessageID = syntheticMessageID(raw)
		rec.To = classify(p.Links, rcpts, nil, now).to
		return failed("the message is empty"), nil
	}
	msg, perr := readMessage(raw)
	rec.MessageID, rec.Subject = msg.messageID, msg.subject
	if msg.from != "" {
		rec.From = clip(msg.from, 254)
	}
	addr := classify(p.Links, rcpts, msg.recipients, now)
	rec.To = addr.to
	if perr != nil {
		return failed(perr.Error()), nil
	}
	if addr.hasUnsubscribe {
		return p.unsubscribe(ctx, addr.unsubscribe, now)
	}
	// An automatic reply is judged by its calendar part too: a client
	// that accepts invitations by itself sends a real REPLY, and an
	// out-of-office notice carries none.
	if len(msg.calendars) == 0 {
		return p.other(ctx, addr, firstOf(msg.autoReply, "no calendar part: not a calendar reply"))
	}
	replies, err := readReplies(msg.calendars, defaultZone())
	var nr *notReplyError
	if errors.As(err, &nr) {
		return p.other(ctx, addr, firstOf(msg.autoReply, nr.Error()))
	}
	if err != nil {
		return failed(err.Error()), nil
	}
	return p.applyReplies(ctx, replyContext{
		source: source, addr: addr, msg: msg, envFrom: plainAddress(envFrom), now: now,
		reread: func(zone *time.Location) ([]calendar.Reply, error) { return readReplies(msg.calendars, zone) },
	}, replies)
}

// other is the outcome of mail that is not a calendar reply: kept, and
// passed on to the organizers of the network the reply address names.
func (p *Processor) other(ctx context.Context, addr addressing, reason string) (outcome, error) {
	out := outcome{Result: Result{Status: natverk.InboundOther, Reason: reason}, forward: true}
	if addr.hasReply {
		out.SeriesID, out.MemberID = addr.reply.SeriesID, addr.reply.MemberID
		s, err := p.Store.FindSeriesByID(ctx, addr.reply.SeriesID)
		switch {
		case err == nil:
			out.networkID = s.NetworkID
		case natverk.ErrorCode(err) != natverk.ENOTFOUND:
			return outcome{}, fmt.Errorf("inbound: find series %d: %w", addr.reply.SeriesID, err)
		}
	}
	return out, nil
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func failed(reason string) outcome {
	return outcome{Result: Result{Status: natverk.InboundFailed, Reason: reason}}
}

// isAnswer reports whether a store error is the store's verdict on the
// request (not found, forbidden, invalid, conflict) rather than a
// failure to reach it.
func isAnswer(err error) bool {
	switch natverk.ErrorCode(err) {
	case natverk.ENOTFOUND, natverk.EFORBIDDEN, natverk.EINVALID, natverk.ECONFLICT, natverk.EGONE:
		return true
	}
	return false
}
