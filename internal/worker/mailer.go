package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/natverk/natverk/calendar"
	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/feeds"
	"github.com/natverk/natverk/internal/links"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/mailer"
)

// MailStore is what the mailer reads and records.
type MailStore interface {
	natverk.MemberStore
	natverk.NetworkStore
	natverk.SeriesStore
	natverk.MembershipStore
	natverk.RSVPStore
	natverk.MailStore
	natverk.SupportStore
	natverk.JobStore
	natverk.AttendanceStore
	natverk.PollStore
}

// MailMetrics counts outcomes (nil = none).
type MailMetrics interface {
	MailSent(kind string)
	MailDeferred(kind string)
	MailBounced(kind string)
	MailSkipped(kind, reason string)
}

// Mailer sends the mail an event asks for.
type Mailer struct {
	Store    MailStore
	Composer *mailer.Composer
	Sender   mailer.Sender
	Links    *links.Builder
	Metrics  MailMetrics
	Log      *slog.Logger
	// ClaimTTL is how long a send may take before another worker may try
	// the same message (default 2 minutes).
	ClaimTTL time.Duration
	Now      func() time.Time

	// unrecorded holds outcomes of sends the store refused to record (a
	// full disk): while any is left, no new message is claimed, so that a
	// restart before the store recovers repeats at most the messages in
	// flight when it stopped taking writes.
	mu         sync.Mutex
	unrecorded []outcome

	// prepared keeps the series being sent validated and expanded once.
	prepared preparedSeries
}

// outcome is the record of one finished send.
type outcome struct {
	key, status string
	bounce      bool
	detail      string
	code        int
	at          time.Time
}

// recordOutcome writes a finished send's outcome; when the store refuses it, the
// outcome is kept to be written before the next claim.
func (w *Mailer) recordOutcome(ctx context.Context, o outcome) error {
	err := w.Store.CompleteMail(ctx, o.key, o.status, o.bounce, o.detail, o.code, o.at)
	if err != nil {
		w.mu.Lock()
		w.unrecorded = append(w.unrecorded, o)
		w.mu.Unlock()
		w.log().Warn("mail sent but not recorded; holding new sends until it is", "key", o.key, "err", err)
	}
	return err
}

// flushUnrecorded writes the outcomes the store refused before. It fails
// while the store still refuses them.
func (w *Mailer) flushUnrecorded(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.unrecorded) > 0 {
		o := w.unrecorded[0]
		if err := w.Store.CompleteMail(ctx, o.key, o.status, o.bounce, o.detail, o.code, o.at); err != nil {
			return fmt.Errorf("worker: %d sent messages not yet recorded: %w", len(w.unrecorded), err)
		}
		w.unrecorded = w.unrecorded[1:]
	}
	return nil
}

func (w *Mailer) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Mailer) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Subjects are the subjects the mailer consumes.
var MailerSubjects = []string{events.MemberInvited, events.MailQueued}

// Handle handles one event.
func (w *Mailer) Handle(ctx context.Context, e events.Envelope) error {
	switch e.Type {
	case events.MemberInvited:
		var p events.MembershipPayload
		if err := e.Decode(&p); err != nil {
			return events.Permanent(err)
		}
		for _, sid := range p.SeriesIDs {
			job := events.MailPayload{Kind: natverk.MailInvitation, NetworkID: p.NetworkID, SeriesID: sid, MemberID: p.MemberID}
			if err := w.send(ctx, job); err != nil {
				return err
			}
		}
		return nil
	case events.MailQueued:
		var p events.MailPayload
		if err := e.Decode(&p); err != nil {
			return events.Permanent(err)
		}
		return w.send(ctx, p)
	}
	return nil
}

// skip is returned by build when a message must not be sent; it is not
// an error.
type skip struct{ reason string }

func (s *skip) Error() string { return "skip: " + s.reason }

// send composes and sends one message, exactly once per dedup key.
func (w *Mailer) send(ctx context.Context, job events.MailPayload) error {
	msg, rec, err := w.build(ctx, job)
	var sk *skip
	if errors.As(err, &sk) {
		w.log().Info("mail skipped", "kind", job.Kind, "member_id", job.MemberID, "series_id", job.SeriesID, "reason", sk.reason)
		if w.Metrics != nil {
			w.Metrics.MailSkipped(job.Kind, sk.reason)
		}
		return nil
	}
	if err != nil {
		if c := natverk.ErrorCode(err); c == natverk.ENOTFOUND || c == natverk.EINVALID {
			return events.Permanent(err)
		}
		return err
	}
	if err := w.flushUnrecorded(ctx); err != nil {
		return err
	}
	now := w.now()
	stored, claimed, err := w.Store.ClaimMail(ctx, *rec, now, w.claimTTL())
	if err != nil {
		return err
	}
	if !claimed {
		if stored != nil && stored.Status != natverk.MailSending {
			return nil // sent (or failed for good) before: a redelivery
		}
		return fmt.Errorf("worker: %s is being sent by another worker", rec.Key)
	}
	msg.MessageID = stored.MessageID // a repeat after a crash keeps the Message-ID
	raw, err := w.Composer.Compose(msg)
	if err != nil {
		// A message that cannot be composed is a bug or bad data: release
		// the claim and dead-letter the event, so `natverk dlq retry`
		// sends it once the cause is fixed.
		w.Store.CompleteMail(context.WithoutCancel(ctx), rec.Key, "retry", false, "compose: "+err.Error(), 0, w.now())
		return events.Permanent(fmt.Errorf("worker: compose %s: %w", rec.Key, err))
	}
	sendErr := w.Sender.Send(ctx, mailer.Envelope{From: w.Links.BounceAddress(), To: []string{msg.To.Email}}, raw)
	// The outcome is recorded even when ctx ends: the SMTP server has
	// answered, and the record is what stops a second copy.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if sendErr == nil {
		if w.Metrics != nil {
			w.Metrics.MailSent(job.Kind)
		}
		return w.recordOutcome(rctx, outcome{key: rec.Key, status: natverk.MailSent, code: 250, at: w.now()})
	}
	code := 0
	var se *mailer.SendError
	if errors.As(sendErr, &se) {
		code = se.Code
	}
	if mailer.IsPermanent(sendErr) {
		w.log().Warn("mail bounced", "kind", job.Kind, "member_id", job.MemberID, "code", code, "err", sendErr)
		if w.Metrics != nil {
			w.Metrics.MailBounced(job.Kind)
		}
		if err := w.recordOutcome(rctx, outcome{key: rec.Key, status: natverk.MailFailed, bounce: true, detail: sendErr.Error(), code: code, at: w.now()}); err != nil {
			return err
		}
		if job.MemberID != 0 && job.Kind != natverk.MailBounceNotice && job.Kind != natverk.MailDigest {
			if m, err := w.Store.FindMemberByID(rctx, job.MemberID); err == nil {
				return w.queueBounceNotices(rctx, job.NetworkID, m, sendErr.Error())
			}
		}
		return nil
	}
	if d, ok := events.DeliveryOf(ctx); ok && d.Last() {
		// Nothing retries forever: the last attempt records the failure.
		w.Store.CompleteMail(rctx, rec.Key, natverk.MailFailed, false, "gave up: "+sendErr.Error(), code, w.now())
	} else {
		w.Store.CompleteMail(rctx, rec.Key, "retry", false, sendErr.Error(), code, w.now())
	}
	if w.Metrics != nil {
		w.Metrics.MailDeferred(job.Kind)
	}
	return fmt.Errorf("worker: send %s: %w", rec.Key, sendErr)
}

func (w *Mailer) claimTTL() time.Duration {
	if w.ClaimTTL > 0 {
		return w.ClaimTTL
	}
	return 2 * time.Minute
}

// build loads what a message needs and returns it with its bookkeeping
// record, or a *skip.
func (w *Mailer) build(ctx context.Context, job events.MailPayload) (*mailer.Message, *natverk.MailRecord, error) {
	switch job.Kind {
	case natverk.MailSupportRequest:
		return w.buildSupportRequest(ctx, job)
	case natverk.MailSupportDecided:
		return w.buildSupportDecided(ctx, job)
	case natverk.MailDigest:
		return w.buildDigest(ctx, job)
	case natverk.MailBounceNotice:
		return w.buildBounceNotice(ctx, job)
	case natverk.MailOrganizerLink:
		return w.buildOrganizerLink(ctx, job)
	case natverk.MailPoll:
		return w.buildPoll(ctx, job)
	}
	m, err := w.Store.FindMemberByID(ctx, job.MemberID)
	if err != nil {
		return nil, nil, err
	}
	if m.Erased {
		return nil, nil, &skip{"member erased"}
	}
	if m.Bouncing {
		return nil, nil, &skip{"address bouncing"}
	}
	n, err := w.Store.FindNetworkByID(ctx, job.NetworkID)
	if err != nil {
		return nil, nil, err
	}
	s, err := w.Store.FindSeriesByID(ctx, job.SeriesID)
	if err != nil {
		return nil, nil, err
	}
	ms, err := w.Store.FindMembership(ctx, n.ID, m.ID)
	if err != nil && natverk.ErrorCode(err) != natverk.ENOTFOUND {
		return nil, nil, err
	}
	status := ""
	if ms != nil {
		status = ms.Status
	}
	switch job.Kind {
	case natverk.MailRemoved, natverk.MailNetworkClosed:
		// Sent whatever the status: the member's calendar holds the series.
	default:
		// Continuity: invited and joined members get everything, whatever
		// they answered before; only leaving or unsubscribing stops it.
		if !natverk.ReceivesInvitations(status) {
			return nil, nil, &skip{"membership " + status}
		}
		if n.Status != natverk.NetworkActive {
			return nil, nil, &skip{"network closed"}
		}
	}
	answer, occAnswers, err := w.answers(ctx, s.ID, m.ID)
	if err != nil {
		return nil, nil, err
	}
	var occ *time.Time
	if job.Occurrence != nil {
		o := job.Occurrence.In(s.Start.Location())
		occ = &o
	}
	if (job.Kind == natverk.MailReminder || job.Kind == natverk.MailConfirmed) && occ != nil {
		// Continuity stops only at a no to this very meeting.
		a := answer
		if oa, ok := occAnswers[occ.Unix()]; ok {
			a = oa
		}
		if a == natverk.AnswerNo {
			return nil, nil, &skip{"declined this meeting"}
		}
	}
	seq := job.Sequence
	if job.Kind == natverk.MailInvitation {
		seq = s.Sequence
	}
	key := natverk.MailKey(job.Kind, m.ID, s.ID, job.Occurrence, seq, "")
	organizer := calendar.Person{Name: n.Name, Email: w.Links.ReplyAddress(m.ID, s.ID)}
	cs := feeds.CalendarSeries(s, organizer, w.Links.NetworkPage(n))
	partstat := calendar.PartStat(answer)
	if job.Kind == natverk.MailUpdate || partstat == "" {
		partstat = calendar.NeedsAction
	}
	att := calendar.Attendee{Person: calendar.Person{Name: m.Name, Email: m.Email}, PartStat: partstat}
	stamp := w.now().UTC().Truncate(time.Second)
	var method string
	var ics []byte
	kind := mailer.Kind(job.Kind)
	var prep *calendar.Prepared
	switch job.Kind {
	case natverk.MailInvitation, natverk.MailUpdate, natverk.MailOccurrenceMoved, natverk.MailOccurrenceCancelled,
		natverk.MailNetworkClosed, natverk.MailRemoved, natverk.MailWaitlistPromoted:
		// The series is the same for every message of a fan-out (only
		// ORGANIZER, the signed reply address, differs): validate and
		// expand it once.
		if prep, err = w.prepared.get(s.ID, cs); err != nil {
			return nil, nil, fmt.Errorf("worker: calendar for %s: %w", key, err)
		}
	}
	switch job.Kind {
	case natverk.MailInvitation, natverk.MailUpdate, natverk.MailOccurrenceMoved:
		method = calendar.MethodRequest
		ics, err = prep.Request(organizer, att, stamp)
	case natverk.MailOccurrenceCancelled:
		if occ == nil {
			return nil, nil, natverk.Invalid(natverk.FieldError{Field: "occurrence", Reason: "is required"})
		}
		method = calendar.MethodCancel
		ics, err = prep.CancelOccurrence(organizer, *occ, att, stamp)
	case natverk.MailNetworkClosed:
		method = calendar.MethodCancel
		ics, err = prep.CancelSeries(organizer, att, stamp)
	case natverk.MailRemoved:
		method = calendar.MethodCancel
		ics, err = prep.RemoveAttendee(organizer, att, stamp)
	case natverk.MailWaitlistPromoted:
		// The member now has a place: their copy shows them attending.
		method = calendar.MethodRequest
		att.PartStat = calendar.Accepted
		ics, err = prep.Request(organizer, att, stamp)
	case natverk.MailReminder, natverk.MailConfirmed:
		// A reminder carries RSVP buttons for its occurrence, no calendar.
	default:
		return nil, nil, &skip{"unknown mail kind " + job.Kind}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("worker: calendar for %s: %w", key, err)
	}
	c, err := w.content(n, s, cs, m, answer, occ, occAnswers, job)
	if err != nil {
		return nil, nil, err
	}
	if err := w.featureContent(ctx, &c, n, s, cs, m, ms, occ, job); err != nil {
		return nil, nil, err
	}
	unsubTok := w.Links.UnsubscribeToken(m, n.ID)
	msg := &mailer.Message{
		Kind:        kind,
		Locale:      m.Locale,
		From:        mailer.Address{Name: n.Name, Email: organizer.Email},
		To:          mailer.Address{Name: m.Name, Email: m.Email},
		ListID:      w.Links.ListID(n),
		Unsubscribe: w.unsubscribe(unsubTok),
		Date:        stamp,
		Content:     c,
	}
	if n.ContactEmail != "" {
		msg.ReplyTo = &mailer.Address{Name: n.ContactName, Email: n.ContactEmail}
	}
	if ics != nil {
		msg.Calendar = &mailer.CalendarPart{Method: method, Data: ics}
	}
	if job.Kind != natverk.MailInvitation {
		first, err := w.Store.FirstMessageID(ctx, m.ID, s.ID)
		if err != nil {
			return nil, nil, err
		}
		msg.InReplyTo = first
	}
	rec := &natverk.MailRecord{Key: key, MessageID: w.Links.MessageID(key), Kind: job.Kind, NetworkID: n.ID, SeriesID: s.ID, MemberID: m.ID, To: m.Email}
	msg.MessageID = rec.MessageID
	return msg, rec, nil
}

// skipNote says, once in the invitation, which meetings the series
// skips, instead of a cancellation per date.
func skipNote(s *natverk.Series, locale string) string {
	var parts []string
	sv := locale != natverk.LocaleEN
	if s.SkipHolidays {
		parts = append(parts, map[bool]string{true: "på röda dagar", false: "on Swedish public holidays"}[sv])
	}
	if from, to, ok := natverk.ParseSummerBreak(s.SummerBreak); ok {
		span := fmt.Sprintf("%02d-%02d–%02d-%02d", from[0], from[1], to[0], to[1])
		parts = append(parts, map[bool]string{true: "under sommaruppehållet (" + span + ")", false: "during the summer break (" + span + ")"}[sv])
	}
	if len(parts) == 0 {
		return ""
	}
	if sv {
		return "Inga möten " + strings.Join(parts, " och ") + "; de datumen är redan borttagna ur kalendern."
	}
	return "No meetings " + strings.Join(parts, " or ") + "; those dates are already left out of the calendar."
}

// unsubscribe returns the List-Unsubscribe targets: mailto always, and
// the https one-click URL (RFC 8058 requires https) when the service is
// served over https.
func (w *Mailer) unsubscribe(tok string) *mailer.Unsubscribe {
	u := &mailer.Unsubscribe{Mailto: w.Links.UnsubscribeMailto(tok)}
	if strings.HasPrefix(w.Links.BaseURL, "https://") {
		u.HTTPS = w.Links.Unsubscribe(tok)
	}
	return u
}

// answers returns the member's answer to the whole series and to single
// occurrences.
func (w *Mailer) answers(ctx context.Context, seriesID, memberID int64) (string, map[int64]string, error) {
	rs, err := w.Store.FindRSVPs(ctx, natverk.RSVPFilter{SeriesID: seriesID, MemberID: memberID})
	if err != nil {
		return "", nil, err
	}
	series := ""
	occ := map[int64]string{}
	for _, r := range rs {
		if r.Occurrence.IsZero() {
			series = r.Answer
		} else {
			occ[r.Occurrence.Unix()] = r.Answer
		}
	}
	return series, occ, nil
}

// content fills the templates' data.
func (w *Mailer) content(n *natverk.Network, s *natverk.Series, cs *calendar.Series, m *natverk.Member, answer string, occ *time.Time, occAnswers map[int64]string, job events.MailPayload) (mailer.Content, error) {
	loc := s.Start.Location()
	c := mailer.Content{
		NetworkName: n.Name, NetworkURL: w.Links.NetworkPage(n),
		About: n.Description, Have: n.Have, Need: n.Need,
		MemberName: m.Name, Summary: s.Summary,
		Schedule: calendar.Describe(cs, m.Locale),
		TimeZone: s.TimeZone, Location: s.Location, LocationURL: s.LocationURL,
		Answer: answer, Note: job.Note,
	}
	if c.Note == "" && (job.Kind == natverk.MailInvitation || job.Kind == natverk.MailUpdate) {
		c.Note = skipNote(s, m.Locale)
	}
	// The occurrence concerned: the one named, else the next one.
	var when time.Time
	switch {
	case occ != nil:
		when = *occ
		c.OldStart = *occ
		if a, ok := occAnswers[occ.Unix()]; ok {
			c.Answer = a
		}
	default:
		if next, ok := cs.Next(w.now()); ok {
			when = next.RecurrenceID
		} else {
			when = s.Start
		}
	}
	c.Start, c.End = when.In(loc), when.Add(s.Duration).In(loc)
	if ex := s.Exception(when); ex != nil && !ex.Cancelled && !ex.Start.IsZero() {
		c.Start, c.End = ex.Start.In(loc), ex.Start.Add(ex.Duration).In(loc)
		if ex.Location != "" {
			c.Location = ex.Location
		}
	}
	var rsvpOcc time.Time
	if (job.Kind == natverk.MailReminder || job.Kind == natverk.MailConfirmed || job.Kind == natverk.MailWaitlistPromoted) && occ != nil {
		rsvpOcc = *occ
	}
	tok := w.Links.RSVPToken(m, s.ID, n.ID, rsvpOcc)
	c.RSVP.Yes, c.RSVP.Maybe, c.RSVP.No, c.RSVP.Page = w.Links.RSVP(tok, "yes"), w.Links.RSVP(tok, "maybe"), w.Links.RSVP(tok, "no"), w.Links.RSVP(tok, "")
	fl := w.Links.NetworkFeed(n)
	c.Subscribe.HTTPS, c.Subscribe.Webcal, c.Subscribe.Google, c.Subscribe.Outlook = fl.HTTPS, fl.Webcal, fl.Google, fl.Outlook
	c.PersonalFeed = w.Links.MemberFeed(m, "").HTTPS
	unsub := w.Links.Unsubscribe(w.Links.UnsubscribeToken(m, n.ID))
	c.UnsubscribeURL, c.LeaveURL, c.HideURL = unsub, unsub+"?do=leave", unsub+"?do=hide"
	return c, nil
}
