package worker

import (
	"context"
	"strconv"
	"strings"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/mailer"
)

// supportStatus maps our statuses to the mailer's words.
var supportStatus = map[string]string{
	natverk.SupportRequested: "pending",
	natverk.SupportGranted:   "approved",
	natverk.SupportDeclined:  "rejected",
}

// buildSupportRequest builds the mail to the board.
func (w *Mailer) buildSupportRequest(ctx context.Context, job events.MailPayload) (*mailer.Message, *natverk.MailRecord, error) {
	r, n, err := w.support(ctx, job)
	if err != nil {
		return nil, nil, err
	}
	asker := "?"
	if r.RequestedBy != 0 {
		if m, err := w.Store.FindMemberByID(ctx, r.RequestedBy); err == nil {
			asker = m.Name + " <" + m.Email + ">"
		}
	}
	to := strings.TrimSpace(job.To)
	key := natverk.MailKey(job.Kind, 0, r.SeriesID, r.Occurrence, 0, "r"+strconv.FormatInt(r.ID, 10))
	c := mailer.Content{
		NetworkName: n.Name, NetworkURL: w.Links.NetworkPage(n), About: n.Description, Have: n.Have, Need: n.Need, TimeZone: n.TimeZone,
		Support: &mailer.SupportInfo{RequestID: r.ID, Occurrence: r.Occurrence, What: r.What, CostSEK: r.CostSEK, Status: supportStatus[r.Status], Organizer: asker},
	}
	msg := &mailer.Message{
		Kind: mailer.SupportRequest, Locale: natverk.LocaleSV,
		From:   mailer.Address{Name: "Nätverk", Email: "natverk@" + w.Links.MailDomain},
		To:     mailer.Address{Name: "Styrelsen", Email: to},
		ListID: w.Links.ListID(n), Date: w.now().UTC(), Content: c,
	}
	if n.ContactEmail != "" {
		msg.ReplyTo = &mailer.Address{Name: n.ContactName, Email: n.ContactEmail}
	}
	rec := &natverk.MailRecord{Key: key, MessageID: w.Links.MessageID(key), Kind: job.Kind, NetworkID: n.ID, SeriesID: r.SeriesID, To: to}
	msg.MessageID = rec.MessageID
	return msg, rec, nil
}

// buildSupportDecided builds the mail telling an organizer the decision.
func (w *Mailer) buildSupportDecided(ctx context.Context, job events.MailPayload) (*mailer.Message, *natverk.MailRecord, error) {
	r, n, err := w.support(ctx, job)
	if err != nil {
		return nil, nil, err
	}
	m, err := w.Store.FindMemberByID(ctx, job.MemberID)
	if err != nil {
		return nil, nil, err
	}
	if m.Erased || m.Bouncing {
		return nil, nil, &skip{"organizer address unusable"}
	}
	key := natverk.MailKey(job.Kind, m.ID, r.SeriesID, r.Occurrence, 0, "r"+strconv.FormatInt(r.ID, 10))
	c := mailer.Content{
		NetworkName: n.Name, NetworkURL: w.Links.NetworkPage(n), MemberName: m.Name, TimeZone: n.TimeZone,
		Support: &mailer.SupportInfo{RequestID: r.ID, Occurrence: r.Occurrence, What: r.What, CostSEK: r.CostSEK, Status: supportStatus[r.Status], Note: r.Note},
	}
	msg := &mailer.Message{
		Kind: mailer.SupportDecided, Locale: m.Locale,
		From:   mailer.Address{Name: "Nätverk", Email: "natverk@" + w.Links.MailDomain},
		To:     mailer.Address{Name: m.Name, Email: m.Email},
		ListID: w.Links.ListID(n), Date: w.now().UTC(), Content: c,
	}
	rec := &natverk.MailRecord{Key: key, MessageID: w.Links.MessageID(key), Kind: job.Kind, NetworkID: n.ID, SeriesID: r.SeriesID, MemberID: m.ID, To: m.Email}
	msg.MessageID = rec.MessageID
	return msg, rec, nil
}

func (w *Mailer) support(ctx context.Context, job events.MailPayload) (*natverk.SupportRequest, *natverk.Network, error) {
	r, err := w.Store.FindSupportRequestByID(ctx, job.RequestID)
	if err != nil {
		return nil, nil, err
	}
	n, err := w.Store.FindNetworkByID(ctx, r.NetworkID)
	if err != nil {
		return nil, nil, err
	}
	return r, n, nil
}
