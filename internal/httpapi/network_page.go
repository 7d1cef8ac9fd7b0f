package httpapi

import (
	"context"
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/natverk/natverk/calendar"
	"github.com/natverk/natverk/internal/feeds"
	"github.com/natverk/natverk/internal/natverk"
)

type networkPage struct {
	Lang, Title string
	Network     *natverk.Network
	Closed      bool
	Meetings    []pageMeeting
	Feed        pageFeed
	// Page is this page's own address, printed on the handout.
	Page string
	// QR is a PNG data: URL of a QR code of the feed ("" if it could not
	// be made).
	QR template.URL
}

// pageMeeting is one meeting as the pages list it.
type pageMeeting struct {
	// SeriesID and RecurrenceID name the occurrence (its original start).
	SeriesID     int64
	RecurrenceID time.Time
	When         string
	// Was is the original time of a moved meeting.
	Was       string
	Location  string
	Moved     bool
	Cancelled bool
	Reason    string
	Counts    natverk.Counts
	start     time.Time
}

// upcomingWindow is how far ahead the pages list meetings. The public
// page (and its printout) lists at most publicPerSeries meetings of each
// series, the organizer view organizerPerSeries.
const (
	upcomingWindow     = 4 * 31 * 24 * time.Hour
	publicPerSeries    = 6
	organizerPerSeries = 12
)

// upcomingMeetings lists the network's meetings from now on, within the
// window and at most perSeries of each series: the ones taking place (moved ones marked, with their original
// time) with the answer counts of the invitees, and the cancelled ones
// marked as such. Sorted by start.
func (s *Server) upcomingMeetings(ctx context.Context, lang string, series []*natverk.Series, invitees []*natverk.Membership, perSeries int) ([]pageMeeting, map[int64][]*natverk.RSVP, error) {
	now := s.now()
	until := now.Add(upcomingWindow)
	var out []pageMeeting
	answers := map[int64][]*natverk.RSVP{}
	for _, sr := range series {
		loc := sr.Start.Location()
		if sr.Status == natverk.SeriesCancelled {
			continue // an ended series still holds its meetings before the split
		}
		rsvps, err := s.Store.FindRSVPs(ctx, natverk.RSVPFilter{SeriesID: sr.ID})
		if err != nil {
			return nil, nil, err
		}
		answers[sr.ID] = rsvps
		cs := feeds.CalendarSeries(sr, calendar.Person{}, "")
		occs, err := cs.Occurrences(now, until, perSeries)
		if err != nil {
			return nil, nil, err
		}
		for _, o := range occs {
			m := pageMeeting{
				SeriesID: sr.ID, RecurrenceID: o.RecurrenceID,
				When: formatWhen(lang, o.Start.In(loc), o.End.In(loc)), Location: sr.Location,
				Counts: feeds.Count(invitees, rsvps, o.RecurrenceID), start: o.Start,
			}
			if o.Override != nil {
				m.Moved = true
				if o.Override.Location != "" {
					m.Location = o.Override.Location
				}
				if !o.Start.Equal(o.RecurrenceID) {
					m.Was = formatShort(lang, o.RecurrenceID.In(loc))
				}
			}
			out = append(out, m)
		}
		last := until // cancelled meetings are listed among the ones shown, not after them
		if len(occs) == perSeries {
			last = occs[len(occs)-1].Start
		}
		for _, ex := range sr.Exceptions {
			if ex.Cancelled && ex.RecurrenceID.After(now) && ex.RecurrenceID.Before(last) {
				out = append(out, pageMeeting{
					SeriesID: sr.ID, RecurrenceID: ex.RecurrenceID,
					When:     formatWhen(lang, ex.RecurrenceID.In(loc), ex.RecurrenceID.Add(sr.Duration).In(loc)),
					Location: sr.Location, Cancelled: true, Reason: ex.Reason, start: ex.RecurrenceID,
				})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b pageMeeting) int { return a.start.Compare(b.start) })
	return out, answers, nil
}

// handleNetworkPage shows a public network: what it is, what it has and
// needs, the next meetings (cancelled and moved ones marked) with counts
// of who is coming (never names), how to subscribe, and a QR code of the
// feed for a printed handout. A private network's page does not exist.
func (s *Server) handleNetworkPage(w http.ResponseWriter, r *http.Request) error {
	lang := langFor(r, "")
	n, err := s.Store.FindNetworkBySlug(r.Context(), r.PathValue("slug"))
	if natverk.ErrorCode(err) == natverk.ENOTFOUND || err == nil && n.FeedVisibility != natverk.FeedPublic {
		s.renderPage(w, http.StatusNotFound, "message", messagePage{Lang: lang, Title: t(lang, "notfound.title"), Heading: t(lang, "notfound.title"), Text: t(lang, "notfound.text")})
		return nil
	} else if err != nil {
		return err
	}
	p := networkPage{Lang: lang, Title: n.Name, Network: n, Closed: n.Status == natverk.NetworkClosed, Feed: toPageFeed(s.Links.NetworkFeed(n)), Page: s.Links.NetworkPage(n)}
	p.QR = qrDataURL(p.Feed.HTTPS)
	series, err := s.Store.FindSeries(r.Context(), n.ID)
	if err != nil {
		return err
	}
	invitees, err := s.Store.FindMemberships(r.Context(), natverk.MembershipFilter{NetworkID: n.ID, Statuses: natverk.InvitedStatuses})
	if err != nil {
		return err
	}
	if p.Meetings, _, err = s.upcomingMeetings(r.Context(), lang, series, invitees, publicPerSeries); err != nil {
		return err
	}
	for i := range p.Meetings {
		p.Meetings[i].Reason = "" // the reason was written for those invited, not for the public
	}
	s.renderPage(w, http.StatusOK, "network", p)
	return nil
}
