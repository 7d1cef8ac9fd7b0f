package worker

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/natverk/natverk/calendar"
	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/token"
	"github.com/natverk/natverk/mailer"
)

// The parts of member mail that capacity, quorum and attendance add: the
// member's place on a waitlist, the "we miss you" line for lapsed
// members, the words of a quorum cancellation — and the poll mail.

// featureContent adds to c what the features know about the member and
// the occurrence concerned (occ, or else the next one).
func (w *Mailer) featureContent(ctx context.Context, c *mailer.Content, n *natverk.Network, s *natverk.Series, cs *calendar.Series, m *natverk.Member, ms *natverk.Membership, occ *time.Time, job events.MailPayload) error {
	if job.Kind == natverk.MailOccurrenceCancelled {
		if yes, min, ok := natverk.ParseQuorumNote(job.Note); ok {
			c.Note = quorumText(m.Locale, yes, min)
		}
		return nil
	}
	rid := time.Time{}
	switch {
	case occ != nil:
		rid = occ.UTC()
	default:
		if next, ok := cs.Next(w.now()); ok {
			rid = next.RecurrenceID.UTC()
		}
	}
	switch job.Kind {
	case natverk.MailInvitation, natverk.MailUpdate, natverk.MailReminder, natverk.MailConfirmed:
		place, err := w.place(ctx, s, m.ID, rid)
		if err != nil {
			return err
		}
		c.Waitlist = place
	}
	switch job.Kind {
	case natverk.MailInvitation, natverk.MailReminder, natverk.MailConfirmed:
		if ms == nil {
			return nil
		}
		lapsed, err := w.lapsed(ctx, n.ID, m.ID, ms.InvitedAt)
		if err != nil {
			return err
		}
		c.Lapsed = lapsed
	}
	return nil
}

// place returns the member's place on the waitlist of the occurrence
// (0: confirmed, no yes, or no capacity).
func (w *Mailer) place(ctx context.Context, s *natverk.Series, memberID int64, rid time.Time) (int, error) {
	if rid.IsZero() || s.CapacityAt(rid) == 0 {
		return 0, nil
	}
	rsvps, err := w.Store.FindRSVPs(ctx, natverk.RSVPFilter{SeriesID: s.ID})
	if err != nil {
		return 0, err
	}
	if natverk.AnswersFor(rsvps, rid)[memberID] != natverk.AnswerYes {
		return 0, nil
	}
	invitees, err := w.Store.FindMemberships(ctx, natverk.MembershipFilter{NetworkID: s.NetworkID, Statuses: natverk.InvitedStatuses})
	if err != nil {
		return 0, err
	}
	place, _ := natverk.SeriesRoster(s, invitees, rsvps, rid).Place(memberID)
	return place, nil
}

// lapsed reports whether the member missed natverk.LapsedAfter recorded
// meetings of the network in a row since they were invited.
func (w *Mailer) lapsed(ctx context.Context, networkID, memberID int64, invitedAt time.Time) (bool, error) {
	meetings, err := w.Store.AttendanceMeetings(ctx, networkID)
	if err != nil || len(meetings) < natverk.LapsedAfter {
		return false, err
	}
	own, err := w.Store.FindAttendance(ctx, natverk.AttendanceFilter{NetworkID: networkID, MemberID: memberID})
	if err != nil {
		return false, err
	}
	return natverk.IsLapsed(meetings, own, invitedAt), nil
}

// quorumText says why a meeting was cancelled by its quorum rule.
func quorumText(locale string, yes, min int) string {
	if locale == natverk.LocaleEN {
		return fmt.Sprintf("Too few signed up: the meeting needed %d yes answers and had %d. The other meetings take place as usual.", min, yes)
	}
	return fmt.Sprintf("För få anmälda: mötet behövde %d ja-svar i förväg och fick %d. Övriga möten blir av som vanligt.", min, yes)
}

// VoteToken signs the link with which a member votes on a network's
// poll: token.Vote, with the poll's id in the SeriesID claim.
func VoteToken(signer *token.Signer, m *natverk.Member, networkID, pollID int64) string {
	return signer.Sign(token.Claims{Kind: token.Vote, MemberID: m.ID, NetworkID: networkID, SeriesID: pollID, Epoch: int64(m.TokenEpoch)})
}

// buildPoll builds the mail asking a member to vote on the network's
// open poll; a poll decided meanwhile sends nothing.
func (w *Mailer) buildPoll(ctx context.Context, job events.MailPayload) (*mailer.Message, *natverk.MailRecord, error) {
	m, err := w.Store.FindMemberByID(ctx, job.MemberID)
	if err != nil {
		return nil, nil, err
	}
	if m.Erased || m.Bouncing {
		return nil, nil, &skip{"address unusable"}
	}
	n, err := w.Store.FindNetworkByID(ctx, job.NetworkID)
	if err != nil {
		return nil, nil, err
	}
	ms, err := w.Store.FindMembership(ctx, n.ID, m.ID)
	if err != nil && natverk.ErrorCode(err) != natverk.ENOTFOUND {
		return nil, nil, err
	}
	if ms == nil || !natverk.ReceivesInvitations(ms.Status) || n.Status != natverk.NetworkActive {
		return nil, nil, &skip{"no longer invited"}
	}
	polls, err := w.Store.FindPolls(ctx, n.ID)
	if err != nil {
		return nil, nil, err
	}
	var p *natverk.Poll
	for _, x := range polls {
		if x.Status == natverk.PollOpen {
			p = x
			break
		}
	}
	if p == nil {
		return nil, nil, &skip{"no open poll"}
	}
	tok := VoteToken(w.Links.Signer, m, n.ID, p.ID)
	c := mailer.Content{
		NetworkName: n.Name, NetworkURL: w.Links.NetworkPage(n), MemberName: m.Name, Summary: p.Title, TimeZone: n.TimeZone,
		Action: mailer.Link{Label: map[bool]string{true: "Rösta på tiderna", false: "Vote on the times"}[m.Locale != natverk.LocaleEN], URL: w.Links.BaseURL + "/vote/" + tok},
	}
	for _, o := range p.Options {
		c.Options = append(c.Options, o.Describe(m.Locale))
	}
	unsub := w.Links.Unsubscribe(w.Links.UnsubscribeToken(m, n.ID))
	c.UnsubscribeURL, c.LeaveURL, c.HideURL = unsub, unsub+"?do=leave", unsub+"?do=hide"
	key := natverk.MailKey(job.Kind, m.ID, 0, nil, 0, "p"+strconv.FormatInt(p.ID, 10))
	msg := &mailer.Message{
		Kind: mailer.Poll, Locale: m.Locale,
		From:        mailer.Address{Name: n.Name, Email: "natverk@" + w.Links.MailDomain},
		To:          mailer.Address{Name: m.Name, Email: m.Email},
		MessageID:   w.Links.MessageID(key),
		ListID:      w.Links.ListID(n),
		Unsubscribe: w.unsubscribe(w.Links.UnsubscribeToken(m, n.ID)),
		Date:        w.now().UTC(),
		Content:     c,
	}
	if n.ContactEmail != "" {
		msg.ReplyTo = &mailer.Address{Name: n.ContactName, Email: n.ContactEmail}
	}
	return msg, w.record(key, job, n, m), nil
}
