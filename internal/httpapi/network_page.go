package httpapi

import (
	"net/http"
	"time"

	"github.com/natverk/natverk/calendar"
	"github.com/natverk/natverk/internal/feeds"
	"github.com/natverk/natverk/internal/links"
	"github.com/natverk/natverk/internal/natverk"
)

type networkPage struct {
	Lang, Title string
	Network     *natverk.Network
	Closed      bool
	Meetings    []pageMeeting
	Feed        links.FeedLinks
	QR          string
}

type pageMeeting struct {
	When      string
	Location  string
	Moved     bool
	Cancelled bool
	Counts    natverk.Counts
	start     time.Time
}

// handleNetworkPage shows a public network: what it is, what it has and
// needs, the next meetings (cancelled and moved ones marked) with counts
// of who is coming (never names), and how to subscribe.
func (s *Server) handleNetworkPage(w http.ResponseWriter, r *http.Request) error {
	lang := langFor(r, "")
	n, err := s.Store.FindNetworkBySlug(r.Context(), r.PathValue("slug"))
	if err != nil || n.FeedVisibility != natverk.FeedPublic {
		s.renderPage(w, http.StatusNotFound, "message", messagePage{Lang: lang, Title: t(lang, "notfound.title"), Heading: t(lang, "notfound.title"), Text: t(lang, "notfound.text")})
		return nil
	}
	p := networkPage{Lang: lang, Title: n.Name, Network: n, Closed: n.Status == natverk.NetworkClosed, Feed: s.Links.NetworkFeed(n)}
	p.QR = s.qrDataURL(p.Feed.HTTPS)
	series, err := s.Store.FindSeries(r.Context(), n.ID)
	if err != nil {
		return err
	}
	invitees, err := s.Store.FindMemberships(r.Context(), natverk.MembershipFilter{NetworkID: n.ID, Statuses: natverk.InvitedStatuses})
	if err != nil {
		return err
	}
	now := s.now()
	for _, sr := range series {
		cs := feeds.CalendarSeries(sr, calendar.Person{}, "")
		loc := sr.Start.Location()
		rsvps, err := s.Store.FindRSVPs(r.Context(), natverk.RSVPFilter{SeriesID: sr.ID})
		if err != nil {
			return err
		}
		if sr.Status != natverk.SeriesCancelled {
			occs, err := cs.Occurrences(now, now.AddDate(0, 4, 0), 12)
			if err != nil {
				return err
			}
			for _, o := range occs {
				loc2 := sr.Location
				if o.Override != nil && o.Override.Location != "" {
					loc2 = o.Override.Location
				}
				p.Meetings = append(p.Meetings, pageMeeting{When: formatWhen(lang, o.Start.In(loc), o.End.In(loc)), Location: loc2, Moved: o.Override != nil,
					Counts: feeds.Count(invitees, rsvps, o.RecurrenceID), start: o.Start})
			}
		}
		for _, ex := range sr.Exceptions {
			if ex.Cancelled && ex.RecurrenceID.After(now) && ex.RecurrenceID.Before(now.AddDate(0, 4, 0)) {
				p.Meetings = append(p.Meetings, pageMeeting{When: formatWhen(lang, ex.RecurrenceID.In(loc), ex.RecurrenceID.Add(sr.Duration).In(loc)), Location: sr.Location, Cancelled: true, start: ex.RecurrenceID})
			}
		}
	}
	sortMeetings(p.Meetings)
	s.renderPage(w, http.StatusOK, "network", p)
	return nil
}

func sortMeetings(ms []pageMeeting) {
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && ms[j].start.Before(ms[j-1].start); j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}

// qrDataURL is replaced by a real QR encoder in qr.go.
func (s *Server) qrDataURL(string) string { return "" }
