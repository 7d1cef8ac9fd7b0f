package httpapi

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/token"
)

// The organizer view: GET /organize/{token}, where the token is an
// organizer's magic link (links.OrganizerToken: member, network, epoch,
// expiry). It shows the network's coming meetings with every invitee's
// answer, the addresses that bounce, the directory search with its count,
// and forms to invite, cancel or move a meeting, close the network and ask
// the board for support. Every form POSTs to /organize/{token}/{action}
// with a CSRF token; a GET never changes anything.

// orgContext is what an organizer link names, loaded and checked.
type orgContext struct {
	tok     string
	member  *natverk.Member
	network *natverk.Network
	lang    string
}

// base is the organizer view's path.
func (oc *orgContext) base() string { return "/organize/" + oc.tok }

// loadOrganizer verifies an organizer link: signature, kind, expiry, the
// member's token epoch, and that the member still organizes the network
// (EFORBIDDEN if not).
func (s *Server) loadOrganizer(r *http.Request, tok string) (*orgContext, error) {
	c, m, err := s.memberFromToken(r, tok, token.Organizer)
	if err != nil {
		return nil, err
	}
	n, err := s.Store.FindNetworkByID(r.Context(), c.NetworkID)
	if err != nil {
		return nil, err
	}
	ms, err := s.Store.FindMembership(r.Context(), n.ID, m.ID)
	if natverk.ErrorCode(err) == natverk.ENOTFOUND || err == nil && !ms.Organizer {
		return nil, natverk.Errorf(natverk.EFORBIDDEN, "The member does not organize this network.")
	} else if err != nil {
		return nil, err
	}
	return &orgContext{tok: tok, member: m, network: n, lang: langFor(r, m.Locale)}, nil
}

// orgError renders the page for a failed organizer link.
func (s *Server) orgError(w http.ResponseWriter, r *http.Request, err error) {
	lang := langFor(r, "")
	if natverk.ErrorCode(err) == natverk.EFORBIDDEN {
		s.renderPage(w, http.StatusForbidden, "message", messagePage{Lang: lang, Title: t(lang, "org.forbidden.title"),
			Heading: t(lang, "org.forbidden.title"), Text: t(lang, "org.forbidden.text")})
		return
	}
	s.pageError(w, r, lang, err)
}

// organizerPage is the data of the organizer view.
type organizerPage struct {
	Lang, Title string
	Network     *natverk.Network
	Closed      bool
	// Base is the view's path; the forms post to Base/<action>.
	Base        string
	CSRF        string
	Done, Error string
	// Invited and Joined count the members who receive the invitations.
	Invited, Joined int
	Meetings        []orgMeeting
	// Choices are the meetings that can be cancelled, moved or named in a
	// support request.
	Choices  []orgChoice
	Chart    template.HTML
	Bouncing []orgBounce
	Search   orgSearch
	Support  []orgSupport
	Page     string
	Feed     pageFeed
	// Form refills the form that failed.
	Form orgForm

	// Report links the report page (attendance, waiting lists, polls);
	// Texts are its labels (report.go's texts, features.go).
	Report string
	Texts  map[string]string
}

// orgMeeting is a coming meeting with who answered what.
type orgMeeting struct {
	pageMeeting
	Short                string
	Yes, Maybe, No, None []string

	// Waiting are, at a meeting with a capacity, those on its waiting
	// list in order.
	Waiting []string
}

// orgChoice is one meeting in a select.
type orgChoice struct{ Key, Label string }

// orgBounce is a member whose address bounces.
type orgBounce struct{ Name, Email, Reason string }

// orgSearch is the invite-by-search form and its count.
type orgSearch struct {
	Q, Town, Industry, Company string
	Searched                   bool
	// Matches is how many members the search finds; Invite how many of
	// them an invitation would reach now; Skipped why the others not.
	Matches int
	Invite  int
	Skipped []orgSkip
}

type orgSkip struct {
	Reason string
	N      int
}

// orgSupport is one support request as the view lists it.
type orgSupport struct {
	What, Status, Meeting, Created string
	CostSEK                        int64
}

// orgForm holds what was typed into a form that failed, to show it again.
type orgForm struct {
	Action                                          string
	Occurrence, Reason, Start, Location, What, Cost string
	SupportOccurrence, Note                         string
}

// occurrenceKey names an occurrence in a form: series id and original
// start, "12@2026-12-08T17:00:00Z".
func occurrenceKey(seriesID int64, rid time.Time) string {
	return itoa(seriesID) + "@" + rid.UTC().Format(time.RFC3339)
}

// parseOccurrenceKey reads an occurrence key.
func parseOccurrenceKey(v string) (int64, string, bool) {
	id, rid, ok := strings.Cut(v, "@")
	n, err := strconv.ParseInt(id, 10, 64)
	if !ok || err != nil || n <= 0 || len(rid) > 40 {
		return 0, "", false
	}
	return n, rid, true
}

// handleOrganizerView shows the organizer view. The search form is a GET
// to the same page: its count comes from a dry run of the invitation.
func (s *Server) handleOrganizerView(w http.ResponseWriter, r *http.Request) error {
	oc, err := s.loadOrganizer(r, r.PathValue("token"))
	if err != nil {
		s.orgError(w, r, err)
		return nil
	}
	p, err := s.organizerData(r.Context(), oc, r.URL.Query())
	if natverk.ErrorCode(err) == natverk.EINVALID {
		p.Error = t(oc.lang, "org.error") + " " + formMessage(oc.lang, err)
		s.renderPage(w, http.StatusUnprocessableEntity, "organizer", p)
		return nil
	} else if err != nil {
		return err
	}
	if done := r.URL.Query().Get("done"); done != "" && hasText("org.done."+done) {
		p.Done = t(oc.lang, "org.done."+done)
	}
	s.renderPage(w, http.StatusOK, "organizer", p)
	return nil
}

// organizerData loads everything the view shows. query holds the search
// (q, town, industry, company); an invalid search is EINVALID with the
// rest of the page filled in.
func (s *Server) organizerData(ctx context.Context, oc *orgContext, query url.Values) (organizerPage, error) {
	lang, n := oc.lang, oc.network
	p := organizerPage{
		Lang: lang, Title: t(lang, "org.title") + " — " + n.Name, Network: n, Closed: n.Status == natverk.NetworkClosed,
		Base: oc.base(), CSRF: s.csrfFor(oc.tok), Feed: toPageFeed(s.Links.NetworkFeed(n)),
		Report: oc.base() + "/report", Texts: organizerTexts(lang),
	}
	if n.FeedVisibility == natverk.FeedPublic {
		p.Page = s.Links.NetworkPage(n)
	}
	invitees, err := s.Store.FindMemberships(ctx, natverk.MembershipFilter{NetworkID: n.ID, Statuses: natverk.InvitedStatuses})
	if err != nil {
		return p, err
	}
	names := map[int64]string{}
	for _, ms := range invitees {
		if ms.Status == natverk.StatusJoined {
			p.Joined++
		} else {
			p.Invited++
		}
		m, err := s.Store.FindMemberByID(ctx, ms.MemberID)
		if err != nil {
			return p, err
		}
		names[m.ID] = m.Name
		if m.Bouncing {
			p.Bouncing = append(p.Bouncing, orgBounce{Name: m.Name, Email: m.Email, Reason: m.BounceReason})
		}
	}
	series, err := s.Store.FindSeries(ctx, n.ID)
	if err != nil {
		return p, err
	}
	meetings, answers, err := s.upcomingMeetings(ctx, lang, series, invitees, organizerPerSeries)
	if err != nil {
		return p, err
	}
	var rows []chartRow
	for _, pm := range meetings {
		om := orgMeeting{pageMeeting: pm, Short: formatShort(lang, pm.start.In(seriesZone(series, pm.SeriesID)))}
		if !pm.Cancelled {
			om.Yes, om.Maybe, om.No, om.None = answerNames(invitees, names, answers[pm.SeriesID], pm.RecurrenceID)
			om.Waiting = waitingNames(series, pm.SeriesID, invitees, names, answers[pm.SeriesID], pm.RecurrenceID)
			label := om.Short
			if pm.Moved {
				label += " (" + t(lang, "moved") + ")"
			}
			p.Choices = append(p.Choices, orgChoice{Key: occurrenceKey(pm.SeriesID, pm.RecurrenceID), Label: label})
			rows = append(rows, chartRow{Label: om.Short, Counts: pm.Counts})
		}
		p.Meetings = append(p.Meetings, om)
	}
	if len(rows) > 0 {
		p.Chart = answerChart(lang, rows)
	}
	reqs, err := s.Store.FindSupportRequests(ctx, n.ID)
	if err != nil {
		return p, err
	}
	for _, sr := range reqs {
		v := orgSupport{What: sr.What, Status: sr.Status, CostSEK: sr.CostSEK, Created: formatDate(lang, sr.CreatedAt.In(zoneOf(n)))}
		if sr.Occurrence != nil {
			v.Meeting = formatShort(lang, sr.Occurrence.In(zoneOf(n)))
		}
		p.Support = append(p.Support, v)
	}
	return p, s.organizerSearch(ctx, oc, query, &p.Search)
}

// organizerSearch counts what the search in query finds: the members it
// matches (as the organizer sees the directory: hidden members are not
// found) and, by a dry run of the invitation, how many of them an
// invitation would reach now.
func (s *Server) organizerSearch(ctx context.Context, oc *orgContext, query url.Values, out *orgSearch) error {
	out.Q, out.Town, out.Industry, out.Company = query.Get("q"), query.Get("town"), query.Get("industry"), query.Get("company")
	if strings.TrimSpace(out.Q+out.Town+out.Industry+out.Company) == "" || oc.network.Status != natverk.NetworkActive {
		return nil
	}
	f, err := searchFilter(query)
	if err != nil {
		return err
	}
	out.Searched = true
	count := f
	count.Viewer, count.Limit = oc.member.ID, 1
	if _, out.Matches, err = s.Store.FindMembers(ctx, count.Normalize()); err != nil {
		return err
	}
	res, err := s.Store.Invite(ctx, oc.network.ID, natverk.InviteRequest{Search: &f, DryRun: true, Via: "search"})
	if err != nil {
		return err
	}
	out.Invite = res.Invited
	for reason, n := range res.Skipped {
		// Hidden members are in no count an organizer sees.
		if n > 0 && reason != natverk.SkipHidden {
			out.Skipped = append(out.Skipped, orgSkip{Reason: reason, N: n})
		}
	}
	slices.SortFunc(out.Skipped, func(a, b orgSkip) int { return strings.Compare(a.Reason, b.Reason) })
	return nil
}

// searchFilter reads a directory search from form or query values; at
// least one field must be filled in (inviting the whole register by
// accident is not possible).
func searchFilter(v url.Values) (natverk.MemberFilter, error) {
	f, err := filterFromQuery(url.Values{"q": {v.Get("q")}, "town": {v.Get("town")}, "industry": {v.Get("industry")}, "company": {v.Get("company")}})
	if err != nil {
		return f, err
	}
	for _, x := range []string{f.Town, f.Industry, f.Company} {
		if len(x) > 200 {
			return f, natverk.Invalid(natverk.FieldError{Field: "search", Reason: "a field is longer than 200 characters"})
		}
	}
	if strings.TrimSpace(f.Q+f.Town+f.Industry+f.Company) == "" {
		return f, natverk.Invalid(natverk.FieldError{Field: "search", Reason: "needs q, town, industry or company"})
	}
	return f, nil
}

// answerNames sorts the invitees' names by their answer to one
// occurrence (an answer to the occurrence wins over one to the series).
func answerNames(invitees []*natverk.Membership, names map[int64]string, rsvps []*natverk.RSVP, occ time.Time) (yes, maybe, no, none []string) {
	series, byOcc := map[int64]string{}, map[int64]string{}
	for _, a := range rsvps {
		switch {
		case a.Occurrence.IsZero():
			series[a.MemberID] = a.Answer
		case a.Occurrence.Equal(occ):
			byOcc[a.MemberID] = a.Answer
		}
	}
	for _, ms := range invitees {
		name := names[ms.MemberID]
		switch natverk.EffectiveAnswer(series[ms.MemberID], byOcc[ms.MemberID]) {
		case natverk.AnswerYes:
			yes = append(yes, name)
		case natverk.AnswerMaybe:
			maybe = append(maybe, name)
		case natverk.AnswerNo:
			no = append(no, name)
		default:
			none = append(none, name)
		}
	}
	for _, l := range [][]string{yes, maybe, no, none} {
		slices.SortFunc(l, func(a, b string) int { return strings.Compare(natverk.Fold(a), natverk.Fold(b)) })
	}
	return yes, maybe, no, none
}

// seriesZone returns the zone of the series with the id (UTC if none).
func seriesZone(series []*natverk.Series, id int64) *time.Location {
	for _, sr := range series {
		if sr.ID == id {
			return sr.Start.Location()
		}
	}
	return time.UTC
}

// zoneOf returns the network's time zone (UTC if it cannot be loaded).
func zoneOf(n *natverk.Network) *time.Location {
	if loc, err := time.LoadLocation(n.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// formMessage says in the page's language what was wrong with a form:
// one phrase per invalid field, or the error's own message.
func formMessage(lang string, err error) string {
	fields := natverk.ErrorFields(err)
	if len(fields) == 0 {
		if natverk.ErrorCode(err) == natverk.ECONFLICT {
			return t(lang, "err.conflict")
		}
		return natverk.ErrorMessage(err)
	}
	var parts []string
	for _, f := range fields {
		if hasText("err." + f.Field) {
			parts = append(parts, t(lang, "err."+f.Field))
		} else {
			parts = append(parts, f.Field+": "+f.Reason)
		}
	}
	return strings.Join(parts, "; ") + "."
}
