package inbound

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/natverk/natverk/calendar"
	"github.com/natverk/natverk/internal/feeds"
	"github.com/natverk/natverk/internal/natverk"
)

// defaultZone reads floating times and unresolvable TZIDs before the
// series is known: most networks meet in it.
var defaultZone = sync.OnceValue(func() *time.Location {
	if loc, err := time.LoadLocation(natverk.DefaultTimeZone); err == nil {
		return loc
	}
	return time.UTC
})

// replyContext is what the matching of a reply needs besides the reply.
type replyContext struct {
	source  string
	addr    addressing
	msg     *mailMessage
	envFrom string
	now     time.Time
	// reread reads the replies again with another fallback zone.
	reread func(zone *time.Location) ([]calendar.Reply, error)
}

// checked is a reply VEVENT that passed every check.
type checked struct {
	reply      calendar.Reply
	series     *natverk.Series
	occurrence time.Time // original start, UTC; zero for the whole series
}

func refused(reason string, seriesID, memberID int64) outcome {
	return outcome{Result: Result{Status: natverk.InboundRefused, Reason: reason, SeriesID: seriesID, MemberID: memberID}}
}

// applyReplies checks every VEVENT of a reply against the store and, if
// all pass, records the answers. A check that fails refuses the whole
// message (or queues it for review when the responder is unknown):
// nothing of it is applied.
func (p *Processor) applyReplies(ctx context.Context, rc replyContext, replies []calendar.Reply) (outcome, error) {
	claims := rc.addr.reply
	var tokenSeries, tokenMember int64
	if rc.addr.hasReply {
		tokenSeries, tokenMember = claims.SeriesID, claims.MemberID
	}
	if rc.addr.badReply {
		return refused("the reply address carries a token that does not verify (altered, or not issued by this service)", 0, 0), nil
	}
	seriesByUID := map[string]*natverk.Series{}
	find := func(uid string) (*natverk.Series, error) {
		if s, ok := seriesByUID[uid]; ok {
			return s, nil
		}
		s, err := p.Store.FindSeriesByUID(ctx, uid)
		if err != nil {
			return nil, err
		}
		seriesByUID[uid] = s
		return s, nil
	}
	first, err := find(replies[0].UID)
	if err != nil {
		if isAnswer(err) {
			return refused(fmt.Sprintf("unknown UID %q: no series of ours has it", clip(replies[0].UID, 120)), tokenSeries, tokenMember), nil
		}
		return outcome{}, fmt.Errorf("inbound: find series by UID: %w", err)
	}
	// Floating and unresolvable times mean the series' own wall clock.
	if first.TimeZone != natverk.DefaultTimeZone {
		if loc, err := time.LoadLocation(first.TimeZone); err == nil {
			if rs, err := rc.reread(loc); err == nil && len(rs) > 0 {
				replies = rs
			}
		}
	}
	var member *natverk.Member
	if rc.addr.hasReply {
		m, err := p.Store.FindMemberByID(ctx, claims.MemberID)
		switch {
		case err != nil && !isAnswer(err):
			return outcome{}, fmt.Errorf("inbound: find member %d: %w", claims.MemberID, err)
		case err != nil || m.Erased:
			return refused("the reply address names a member who is no longer in the register", tokenSeries, tokenMember), nil
		}
		member = m
	}
	var responder *natverk.Member
	var notes []string
	var todo []checked
	for _, r := range replies {
		s, err := find(r.UID)
		if err != nil {
			if isAnswer(err) {
				return refused(fmt.Sprintf("unknown UID %q: no series of ours has it", clip(r.UID, 120)), tokenSeries, tokenMember), nil
			}
			return outcome{}, fmt.Errorf("inbound: find series by UID: %w", err)
		}
		if rc.addr.hasReply && s.ID != claims.SeriesID {
			return refused(fmt.Sprintf("the UID is that of series %d, not of series %d the reply address was issued for", s.ID, claims.SeriesID), tokenSeries, tokenMember), nil
		}
		switch n := len(r.Attendees); {
		case n == 0:
			return refused("the reply names no ATTENDEE", s.ID, tokenMember), nil
		case n > 1:
			return refused(fmt.Sprintf("several attendees (%d) in one reply: a reply answers for one person", n), s.ID, tokenMember), nil
		}
		who, note, out, err := p.responder(ctx, rc, member, r.Attendees[0].Email, s)
		if err != nil || out != nil {
			if out != nil {
				return *out, nil
			}
			return outcome{}, err
		}
		if responder != nil && responder.ID != who.ID {
			return refused("the reply's events answer for different people", s.ID, tokenMember), nil
		}
		responder = who
		if note != "" && !slices.Contains(notes, note) {
			notes = append(notes, note)
		}
		occ, err := occurrenceOf(s, r)
		if err != nil {
			return refused(err.Error(), s.ID, who.ID), nil
		}
		todo = append(todo, checked{reply: r, series: s, occurrence: occ})
	}
	return p.record(ctx, rc, responder, todo, notes)
}

// responder identifies who answered. With a reply token the single
// ATTENDEE must be the member the invitation went to, or else the sender
// (envelope or From) must be; anything else is forged. Without a token
// the attendee, then the sender, is looked up in the register, and an
// unknown responder waits for an organizer's review.
func (p *Processor) responder(ctx context.Context, rc replyContext, tokenMember *natverk.Member, attendee string, s *natverk.Series) (*natverk.Member, string, *outcome, error) {
	if tokenMember != nil {
		if sameAddress(attendee, tokenMember.Email) {
			return tokenMember, "", nil, nil
		}
		// An attendee address that is another member's is an answer
		// given for that member with someone else's reply address.
		other, err := p.Store.FindMemberByEmail(ctx, plainAddress(attendee))
		switch {
		case err != nil && !isAnswer(err):
			return nil, "", nil, fmt.Errorf("inbound: find member by email: %w", err)
		case err == nil && other.ID != tokenMember.ID:
			out := refused(fmt.Sprintf("forged: the ATTENDEE %s is another member's address than the one the reply address was issued to", clip(attendee, 120)), s.ID, tokenMember.ID)
			return nil, "", &out, nil
		}
		if sameAddress(rc.msg.from, tokenMember.Email) || sameAddress(rc.envFrom, tokenMember.Email) {
			return tokenMember, fmt.Sprintf("the ATTENDEE %s is not the member's address but the sender is the member", clip(attendee, 120)), nil, nil
		}
		out := refused(fmt.Sprintf("forged: the ATTENDEE %s is not the member the reply address was issued to, and neither is the sender", clip(attendee, 120)), s.ID, tokenMember.ID)
		return nil, "", &out, nil
	}
	for i, addr := range []string{attendee, rc.msg.from, rc.envFrom} {
		if plainAddress(addr) == "" {
			continue
		}
		m, err := p.Store.FindMemberByEmail(ctx, plainAddress(addr))
		if err != nil {
			if isAnswer(err) {
				continue
			}
			return nil, "", nil, fmt.Errorf("inbound: find member by email: %w", err)
		}
		if m.Erased {
			continue
		}
		note := "no reply token: the responder was found by the ATTENDEE address"
		if i > 0 {
			note = "no reply token: the responder was found by the sender address"
		}
		return m, note, nil, nil
	}
	out := outcome{Result: Result{Status: natverk.InboundReview, SeriesID: s.ID,
		Reason: fmt.Sprintf("unknown responder %s (no reply token, not in the register): waiting for an organizer", clip(attendee, 120))}}
	return nil, "", &out, nil
}

// occurrenceOf returns the original start of the occurrence a reply
// answers (zero for the whole series). RECURRENCE-ID is compared as an
// instant with our stored series, expanded around it, or with one of its
// exceptions; a DATE value names the occurrence on that day. Rules in the
// mail are never expanded.
func occurrenceOf(s *natverk.Series, r calendar.Reply) (time.Time, error) {
	if r.RecurrenceID == nil {
		return time.Time{}, nil
	}
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		loc = s.Start.Location()
	}
	cs := feeds.CalendarSeries(s, calendar.Person{}, "")
	if !r.RecurrenceDate {
		rid := r.RecurrenceID.UTC()
		if ex := s.Exception(rid); ex != nil {
			if ex.Cancelled {
				return time.Time{}, fmt.Errorf("the occurrence of %s was cancelled", rid.Format(time.RFC3339))
			}
			return rid, nil
		}
		occs, err := cs.Occurrences(rid, rid.Add(time.Second), 16)
		if err != nil {
			return time.Time{}, fmt.Errorf("RECURRENCE-ID %s cannot be checked against the series: %v", rid.Format(time.RFC3339), err)
		}
		for _, o := range occs {
			if o.RecurrenceID.Equal(rid) {
				return rid, nil
			}
		}
		return time.Time{}, fmt.Errorf("RECURRENCE-ID %s is not an occurrence of the series", rid.Format(time.RFC3339))
	}
	y, m, d := r.RecurrenceID.In(loc).Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, loc)
	next := day.AddDate(0, 0, 1)
	in := func(t time.Time) bool { return !t.Before(day) && t.Before(next) }
	for _, ex := range s.Exceptions {
		if in(ex.RecurrenceID) {
			if ex.Cancelled {
				return time.Time{}, fmt.Errorf("the occurrence on %s was cancelled", day.Format(time.DateOnly))
			}
			return ex.RecurrenceID.UTC(), nil
		}
	}
	occs, err := cs.Occurrences(day, next, 16)
	if err != nil {
		return time.Time{}, fmt.Errorf("RECURRENCE-ID %s cannot be checked against the series: %v", day.Format(time.DateOnly), err)
	}
	for _, o := range occs {
		if o.Override == nil && in(o.RecurrenceID) {
			return o.RecurrenceID.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("RECURRENCE-ID %s is not a day the series meets", day.Format(time.DateOnly))
}

// record stores the answers of checked replies and sums up the outcome:
// applied if any answer was recorded, else refused if the store refused
// one, else ignored.
func (p *Processor) record(ctx context.Context, rc replyContext, who *natverk.Member, todo []checked, notes []string) (outcome, error) {
	out := outcome{Result: Result{Status: natverk.InboundIgnored, SeriesID: todo[0].series.ID, MemberID: who.ID}}
	var reasons []string
	applied, refusedOne := false, false
	for _, c := range todo {
		status, reason, err := p.recordOne(ctx, rc, who, c)
		if err != nil {
			return outcome{}, err
		}
		switch status {
		case natverk.InboundApplied:
			applied = true
		case natverk.InboundRefused:
			refusedOne = true
		}
		reasons = append(reasons, reason)
	}
	switch {
	case applied:
		out.Status = natverk.InboundApplied
	case refusedOne:
		out.Status = natverk.InboundRefused
	}
	out.Reason = strings.Join(append(reasons, notes...), "; ")
	return out, nil
}

// recordOne records one VEVENT's answer.
func (p *Processor) recordOne(ctx context.Context, rc replyContext, who *natverk.Member, c checked) (status, reason string, err error) {
	r := c.reply
	what := "the series"
	if !c.occurrence.IsZero() {
		what = "the occurrence of " + c.occurrence.Format(time.RFC3339)
	}
	var answer string
	var proposed *time.Time
	if r.Method == calendar.MethodCounter {
		// A COUNTER proposes another time: the member may come, if.
		answer = natverk.AnswerMaybe
		if r.Proposed != nil {
			t := r.Proposed.UTC()
			proposed = &t
		}
	} else {
		switch ps := string(r.Attendees[0].PartStat); ps {
		case natverk.AnswerYes, natverk.AnswerMaybe, natverk.AnswerNo:
			answer = ps
		default:
			return natverk.InboundIgnored, fmt.Sprintf("PARTSTAT %s for %s is not an answer", clip(ps, 40), what), nil
		}
	}
	var notes []string
	at := r.Stamp
	switch {
	case !at.IsZero():
	case !rc.msg.date.IsZero():
		at = rc.msg.date
		notes = append(notes, "no DTSTAMP: the Date header was used")
	default:
		at = rc.now
		notes = append(notes, "no DTSTAMP or Date: the time of receipt was used")
	}
	if at.After(rc.now) {
		// A stamp in the future would outrank every later answer.
		at = rc.now
		notes = append(notes, "DTSTAMP in the future: the time of receipt was used")
	}
	at = at.UTC().Truncate(time.Microsecond)
	stored, changed, err := p.Store.RecordRSVP(ctx, natverk.RSVP{
		SeriesID: c.series.ID, MemberID: who.ID, Occurrence: c.occurrence, Answer: answer, Source: rc.source,
		AnsweredAt: at, Sequence: r.Sequence, Proposed: proposed,
	})
	if err != nil {
		if isAnswer(err) {
			return natverk.InboundRefused, natverk.ErrorMessage(err), nil
		}
		return "", "", fmt.Errorf("inbound: record answer: %w", err)
	}
	switch {
	case stored != nil && (stored.AnsweredAt.After(at) || stored.AnsweredAt.Equal(at) && stored.Sequence > r.Sequence):
		status, reason = natverk.InboundIgnored, fmt.Sprintf("%s for %s is older than the answer on file (%s given %s)",
			answer, what, stored.Answer, stored.AnsweredAt.Format(time.RFC3339))
	case stored != nil && stored.AnsweredAt.Equal(at) && stored.Answer != answer:
		status, reason = natverk.InboundIgnored, fmt.Sprintf("%s for %s conflicts with the answer on file with the same DTSTAMP (%s)", answer, what, stored.Answer)
	case changed:
		status, reason = natverk.InboundApplied, fmt.Sprintf("recorded %s for %s", answer, what)
	default:
		status, reason = natverk.InboundApplied, fmt.Sprintf("%s for %s is already on file", answer, what)
	}
	if proposed != nil {
		reason += ", proposing " + proposed.Format(time.RFC3339)
	}
	if status == natverk.InboundApplied && r.Sequence < c.series.Sequence {
		notes = append(notes, fmt.Sprintf("answered an old version (SEQUENCE %d, now %d)", r.Sequence, c.series.Sequence))
	}
	if len(notes) > 0 {
		reason += " (" + strings.Join(notes, "; ") + ")"
	}
	return status, reason, nil
}
