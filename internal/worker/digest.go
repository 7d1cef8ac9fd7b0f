package worker

import (
	"context"
	"sort"
	"strconv"
	"time"

	"github.com/natverk/natverk/calendar"
	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/feeds"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/mailer"
)

// organizerMail loads the organizer and network of a digest or notice.
func (w *Mailer) organizerMail(ctx context.Context, job events.MailPayload) (*natverk.Member, *natverk.Network, error) {
	m, err := w.Store.FindMemberByID(ctx, job.MemberID)
	if err != nil {
		return nil, nil, err
	}
	if m.Erased || m.Bouncing {
		return nil, nil, &skip{"organizer address unusable"}
	}
	n, err := w.Store.FindNetworkByID(ctx, job.NetworkID)
	if err != nil {
		return nil, nil, err
	}
	ms, err := w.Store.FindMembership(ctx, n.ID, m.ID)
	if err != nil || !ms.Organizer {
		return nil, nil, &skip{"no longer an organizer"}
	}
	return m, n, nil
}

// buildDigest builds an organizer's digest: the answers given in the
// window, the counts of the next meeting, and the bouncing addresses.
func (w *Mailer) buildDigest(ctx context.Context, job events.MailPayload) (*mailer.Message, *natverk.MailRecord, error) {
	if job.Since == nil || job.Until == nil {
		return nil, nil, natverk.Invalid(natverk.FieldError{Field: "since", Reason: "a digest needs its window"})
	}
	org, n, err := w.organizerMail(ctx, job)
	if err != nil {
		return nil, nil, err
	}
	rsvps, err := w.Store.FindRSVPs(ctx, natverk.RSVPFilter{NetworkID: n.ID})
	if err != nil {
		return nil, nil, err
	}
	c := mailer.Content{NetworkName: n.Name, NetworkURL: w.Links.NetworkPage(n), MemberName: org.Name, TimeZone: n.TimeZone}
	names := map[int64]*natverk.Member{}
	member := func(id int64) *natverk.Member {
		if m, ok := names[id]; ok {
			return m
		}
		m, _ := w.Store.FindMemberByID(ctx, id)
		names[id] = m
		return m
	}
	for _, r := range rsvps {
		if r.UpdatedAt.Before(*job.Since) || !r.UpdatedAt.Before(*job.Until) {
			continue
		}
		m := member(r.MemberID)
		if m == nil || m.Erased {
			continue
		}
		a := mailer.DigestAnswer{Name: m.Name, Email: m.Email, Answer: r.Answer, At: r.AnsweredAt}
		if !r.Occurrence.IsZero() {
			o := r.Occurrence
			a.Occurrence = &o
		}
		c.Answers = append(c.Answers, a)
	}
	sort.Slice(c.Answers, func(i, j int) bool { return c.Answers[i].At.Before(c.Answers[j].At) })
	invitees, err := w.Store.FindMemberships(ctx, natverk.MembershipFilter{NetworkID: n.ID, Statuses: natverk.InvitedStatuses})
	if err != nil {
		return nil, nil, err
	}
	for _, inv := range invitees {
		if m := member(inv.MemberID); m != nil && m.Bouncing {
			c.Bouncing = append(c.Bouncing, m.Email)
		}
	}
	// The counts and time of the next meeting of any series.
	series, err := w.Store.FindSeries(ctx, n.ID)
	if err != nil {
		return nil, nil, err
	}
	var next *calendar.Occurrence
	var nextSeries *natverk.Series
	for _, sr := range series {
		if sr.Status == natverk.SeriesCancelled {
			continue
		}
		if o, ok := feeds.CalendarSeries(sr, calendar.Person{}, "").Next(w.now()); ok && (next == nil || o.Start.Before(next.Start)) {
			next, nextSeries = &o, sr
		}
	}
	if next != nil {
		loc := nextSeries.Start.Location()
		c.Summary, c.Start, c.End, c.Location = nextSeries.Summary, next.Start.In(loc), next.End.In(loc), nextSeries.Location
		var rs []*natverk.RSVP
		for _, r := range rsvps {
			if r.SeriesID == nextSeries.ID {
				rs = append(rs, r)
			}
		}
		cnt := feeds.Count(invitees, rs, next.RecurrenceID)
		c.Counts.Yes, c.Counts.Maybe, c.Counts.No, c.Counts.None = cnt.Yes, cnt.Maybe, cnt.No, cnt.None
	}
	key := natverk.MailKey(job.Kind, org.ID, 0, nil, 0, "n"+strconv.FormatInt(n.ID, 10)+"/"+strconv.FormatInt(job.Until.Unix(), 10))
	return w.noticeMessage(mailer.Digest, org, n, key, job, c), w.record(key, job, n, org), nil
}

// buildBounceNotice tells an organizer that a member's address bounced.
func (w *Mailer) buildBounceNotice(ctx context.Context, job events.MailPayload) (*mailer.Message, *natverk.MailRecord, error) {
	org, n, err := w.organizerMail(ctx, job)
	if err != nil {
		return nil, nil, err
	}
	c := mailer.Content{NetworkName: n.Name, NetworkURL: w.Links.NetworkPage(n), MemberName: org.Name, TimeZone: n.TimeZone, Note: job.Note}
	c.Bouncing = []string{job.To}
	key := natverk.MailKey(job.Kind, org.ID, 0, nil, 0, "n"+strconv.FormatInt(n.ID, 10)+"/"+job.To)
	return w.noticeMessage(mailer.BounceNotice, org, n, key, job, c), w.record(key, job, n, org), nil
}

func (w *Mailer) noticeMessage(kind mailer.Kind, to *natverk.Member, n *natverk.Network, key string, job events.MailPayload, c mailer.Content) *mailer.Message {
	return &mailer.Message{
		Kind: kind, Locale: to.Locale,
		From:      mailer.Address{Name: n.Name, Email: "natverk@" + w.Links.MailDomain},
		To:        mailer.Address{Name: to.Name, Email: to.Email},
		MessageID: w.Links.MessageID(key), ListID: w.Links.ListID(n), Date: w.now().UTC(), Content: c,
	}
}

func (w *Mailer) record(key string, job events.MailPayload, n *natverk.Network, to *natverk.Member) *natverk.MailRecord {
	return &natverk.MailRecord{Key: key, MessageID: w.Links.MessageID(key), Kind: job.Kind, NetworkID: n.ID, MemberID: to.ID, To: to.Email}
}

// buildOrganizerLink mails an organizer the magic link to the network's
// organizer view, valid for job.Sequence days. The link is made here,
// at send time, so no secret travels through the event stream.
func (w *Mailer) buildOrganizerLink(ctx context.Context, job events.MailPayload) (*mailer.Message, *natverk.MailRecord, error) {
	org, n, err := w.organizerMail(ctx, job)
	if err != nil {
		return nil, nil, err
	}
	days := job.Sequence
	if days <= 0 {
		days = 30
	}
	tok := w.Links.OrganizerToken(org, n.ID, w.now(), time.Duration(days)*24*time.Hour)
	label := map[bool]string{true: "Öppna arrangörsvyn", false: "Open the organizer view"}[org.Locale != natverk.LocaleEN]
	c := mailer.Content{NetworkName: n.Name, NetworkURL: w.Links.NetworkPage(n), MemberName: org.Name, TimeZone: n.TimeZone,
		Action: mailer.Link{Label: label, URL: w.Links.OrganizerView(tok)}}
	// job.Note names the request, so a redelivery maps to the same key.
	key := natverk.MailKey(job.Kind, org.ID, 0, nil, 0, "n"+strconv.FormatInt(n.ID, 10)+"/"+job.Note)
	return w.noticeMessage(mailer.OrganizerLink, org, n, key, job, c), w.record(key, job, n, org), nil
}

// queueBounceNotices tells the organizers of the network that an address
// bounced, once per address.
func (w *Mailer) queueBounceNotices(ctx context.Context, networkID int64, bounced *natverk.Member, reason string) error {
	if networkID == 0 {
		return nil
	}
	ms, err := w.Store.FindMemberships(ctx, natverk.MembershipFilter{NetworkID: networkID})
	if err != nil {
		return err
	}
	var evs []events.Envelope
	now := w.now()
	for _, m := range ms {
		if m.Organizer && m.MemberID != bounced.ID {
			evs = append(evs, events.MustNew(events.MailQueued, now, events.Refs{NetworkID: networkID, MemberID: m.MemberID}, events.MailPayload{
				Kind: natverk.MailBounceNotice, NetworkID: networkID, MemberID: m.MemberID, To: bounced.Email, Note: reason,
			}))
		}
	}
	if len(evs) == 0 {
		return nil
	}
	_, err = w.Store.ScheduleOnce(ctx, "bounce/n"+strconv.FormatInt(networkID, 10)+"/m"+strconv.FormatInt(bounced.ID, 10)+"/"+strconv.FormatInt(now.Unix()/86400, 10), evs)
	return err
}
