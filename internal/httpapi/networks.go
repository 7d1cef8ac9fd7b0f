package httpapi

import (
	"crypto/rand"
	"encoding/base32"
	"net/http"
	"strings"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/links"
	"github.com/natverk/natverk/internal/natverk"
)

// newFeedToken returns an unguessable private-feed token (160 bits).
func newFeedToken() string {
	b := make([]byte, 20)
	rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// networkView is a network as the API shows it, with its feed links.
type networkView struct {
	*natverk.Network
	Feed     links.FeedLinks `json:"feed"`
	Page     string          `json:"page,omitempty"`
	Meetings []*seriesView   `json:"meetings,omitempty"`
}

func (s *Server) viewNetwork(n *natverk.Network) networkView {
	v := networkView{Network: n, Feed: s.Links.NetworkFeed(n)}
	if n.FeedVisibility == natverk.FeedPublic {
		v.Page = s.Links.NetworkPage(n)
	}
	return v
}

// createNetworkRequest creates a network, optionally with its recurring
// meeting.
type createNetworkRequest struct {
	natverk.NetworkInput
	Meeting *natverk.SeriesInput `json:"meeting,omitempty"`
}

// handleCreateNetwork creates a network. An organizer's token makes its
// member an organizer of the new network.
func (s *Server) handleCreateNetwork(w http.ResponseWriter, r *http.Request) error {
	var req createNetworkRequest
	if err := decodeJSON(w, r, s.MaxBody, &req); err != nil {
		return err
	}
	a := natverk.ActorFromContext(r.Context())
	if a.Role == natverk.RoleOrganizer && !containsID(req.Organizers, a.MemberID) {
		req.Organizers = append(req.Organizers, a.MemberID)
	}
	in, err := req.NetworkInput.Normalize(s.Checks.Zone)
	if err != nil {
		return err
	}
	// Validate the meeting before anything is stored.
	var series *natverk.Series
	if req.Meeting != nil {
		probe := &natverk.Network{Name: in.Name, TimeZone: in.TimeZone}
		if series, err = req.Meeting.Build(probe, s.Checks); err != nil {
			return prefixFields(err, "meeting.")
		}
	}
	n, err := s.Store.CreateNetwork(r.Context(), in, newFeedToken())
	if err != nil {
		return err
	}
	v := s.viewNetwork(n)
	if series != nil {
		series.NetworkID = n.ID
		series.UID = newUID(s.Links.MailDomain)
		addSkips(series)
		stored, err := s.Store.CreateSeries(r.Context(), series)
		if err != nil {
			return err
		}
		v.Meetings = append(v.Meetings, s.viewSeries(stored))
	}
	w.Header().Set("Location", "/api/v1/networks/"+itoa(n.ID))
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func prefixFields(err error, prefix string) error {
	e, ok := err.(*natverk.Error)
	if !ok {
		return err
	}
	for i := range e.Fields {
		e.Fields[i].Field = prefix + e.Fields[i].Field
	}
	if len(e.Fields) == 1 {
		e.Message = e.Fields[0].Field + ": " + e.Fields[0].Reason
	}
	return e
}

// newUID returns a UID for a new series: unique, stable for its life.
func newUID(domain string) string {
	return strings.ToLower(events.NewID(timeNow())) + "@" + domain
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// network loads the network in the path and checks that the actor may
// manage it. Another organizer's network answers 404, so its existence
// is not revealed.
func (s *Server) network(r *http.Request) (*natverk.Network, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	if a := natverk.ActorFromContext(r.Context()); !a.CanManage(id) {
		return nil, natverk.Errorf(natverk.ENOTFOUND, "No such network.")
	}
	return s.Store.FindNetworkByID(r.Context(), id)
}

// handleGetNetwork shows a network with its meetings.
func (s *Server) handleGetNetwork(w http.ResponseWriter, r *http.Request) error {
	n, err := s.network(r)
	if err != nil {
		return err
	}
	v := s.viewNetwork(n)
	series, err := s.Store.FindSeries(r.Context(), n.ID)
	if err != nil {
		return err
	}
	for _, sr := range series {
		v.Meetings = append(v.Meetings, s.viewSeries(sr))
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// handleListNetworks lists the networks the actor may manage.
func (s *Server) handleListNetworks(w http.ResponseWriter, r *http.Request) error {
	a := natverk.ActorFromContext(r.Context())
	f := natverk.NetworkFilter{Status: r.URL.Query().Get("status"), Limit: natverk.MaxPageSize}
	if !a.IsAdmin() {
		f.OrganizerID = a.MemberID
	}
	ns, total, err := s.Store.FindNetworks(r.Context(), f)
	if err != nil {
		return err
	}
	out := struct {
		Total    int           `json:"total"`
		Networks []networkView `json:"networks"`
	}{Total: total, Networks: []networkView{}}
	for _, n := range ns {
		out.Networks = append(out.Networks, s.viewNetwork(n))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleUpdateNetwork changes a network's description or feed settings.
func (s *Server) handleUpdateNetwork(w http.ResponseWriter, r *http.Request) error {
	n, err := s.network(r)
	if err != nil {
		return err
	}
	var u natverk.NetworkUpdate
	if err := decodeJSON(w, r, s.MaxBody, &u); err != nil {
		return err
	}
	tok := ""
	if u.RotateFeedToken {
		tok = newFeedToken()
	}
	up, err := s.Store.UpdateNetwork(r.Context(), n.ID, u, tok)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.viewNetwork(up))
	return nil
}

// handleCloseNetwork closes a network: every future meeting is cancelled
// in every invitee's calendar, and the feed shows the series ended.
func (s *Server) handleCloseNetwork(w http.ResponseWriter, r *http.Request) error {
	n, err := s.network(r)
	if err != nil {
		return err
	}
	var req struct {
		Note string `json:"note,omitempty"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, s.MaxBody, &req); err != nil {
			return err
		}
	}
	if len([]rune(req.Note)) > 1000 {
		return natverk.Invalid(natverk.FieldError{Field: "note", Reason: "is longer than 1000 characters"})
	}
	up, err := s.Store.CloseNetwork(r.Context(), n.ID, req.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.viewNetwork(up))
	return nil
}

// handleNetworkMembers lists a network's members with their status
// (organizers and the admin only: a network's member list is private).
func (s *Server) handleNetworkMembers(w http.ResponseWriter, r *http.Request) error {
	n, err := s.network(r)
	if err != nil {
		return err
	}
	ms, err := s.Store.FindMemberships(r.Context(), natverk.MembershipFilter{NetworkID: n.ID})
	if err != nil {
		return err
	}
	type row struct {
		memberView
		Status    string `json:"status"`
		Organizer bool   `json:"organizer,omitempty"`
	}
	out := struct {
		Total   int   `json:"total"`
		Members []row `json:"members"`
	}{Members: []row{}}
	for _, m := range ms {
		mem, err := s.Store.FindMemberByID(r.Context(), m.MemberID)
		if err != nil {
			return err
		}
		v := viewMember(mem, true)
		out.Members = append(out.Members, row{memberView: v, Status: m.Status, Organizer: m.Organizer})
	}
	out.Total = len(out.Members)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleSetMembership joins, leaves or unsubscribes a member (API side;
// members use their signed links).
func (s *Server) handleSetMembership(w http.ResponseWriter, r *http.Request) error {
	n, err := s.network(r)
	if err != nil {
		return err
	}
	mid, err := pathID(r, "member_id")
	if err != nil {
		return err
	}
	var req struct {
		Status    string `json:"status"`
		Organizer *bool  `json:"organizer,omitempty"`
	}
	if err := decodeJSON(w, r, s.MaxBody, &req); err != nil {
		return err
	}
	if req.Status != "" {
		if req.Status == natverk.StatusInvited {
			return natverk.Invalid(natverk.FieldError{Field: "status", Reason: "must be joined, left or unsubscribed (invite through /invitations)"})
		}
		if _, err := s.Store.SetMembership(r.Context(), n.ID, mid, req.Status, "api"); err != nil {
			return err
		}
	}
	if req.Organizer != nil {
		if !natverk.ActorFromContext(r.Context()).IsAdmin() && !*req.Organizer && mid == natverk.ActorFromContext(r.Context()).MemberID {
			return natverk.Errorf(natverk.ECONFLICT, "You cannot remove yourself as organizer; ask another organizer or the admin.")
		}
		if err := s.Store.SetOrganizer(r.Context(), n.ID, mid, *req.Organizer); err != nil {
			return err
		}
	}
	m, err := s.Store.FindMembership(r.Context(), n.ID, mid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// inviteRequest invites by address, id, or search.
type inviteRequest struct {
	Emails    []string `json:"emails,omitempty"`
	MemberIDs []int64  `json:"member_ids,omitempty"`
	Search    *struct {
		Q        string `json:"q,omitempty"`
		Town     string `json:"town,omitempty"`
		Industry string `json:"industry,omitempty"`
		Company  string `json:"company,omitempty"`
	} `json:"search,omitempty"`
	DryRun bool `json:"dry_run,omitempty"`
}

// maxInviteList caps the addresses and ids of one call.
const maxInviteList = 100_000

// handleInvite invites members to a network's meetings.
func (s *Server) handleInvite(w http.ResponseWriter, r *http.Request) error {
	n, err := s.network(r)
	if err != nil {
		return err
	}
	var req inviteRequest
	if err := decodeJSON(w, r, max(s.MaxBody, 8<<20), &req); err != nil {
		return err
	}
	if len(req.Emails) == 0 && len(req.MemberIDs) == 0 && req.Search == nil {
		return natverk.Invalid(natverk.FieldError{Field: "emails", Reason: "give emails, member_ids or a search"})
	}
	if len(req.Emails)+len(req.MemberIDs) > maxInviteList {
		return natverk.Invalid(natverk.FieldError{Field: "emails", Reason: "at most 100000 per call"})
	}
	ir := natverk.InviteRequest{Emails: req.Emails, MemberIDs: req.MemberIDs, DryRun: req.DryRun, Via: "api"}
	if req.Search != nil {
		f := natverk.MemberFilter{Q: req.Search.Q, Town: req.Search.Town, Industry: req.Search.Industry, Company: req.Search.Company}
		if strings.TrimSpace(f.Q+f.Town+f.Industry+f.Company) == "" {
			return natverk.Invalid(natverk.FieldError{Field: "search", Reason: "needs q, town, industry or company (inviting the whole register by accident is not allowed)"})
		}
		ir.Search, ir.Via = &f, "search"
	}
	res, err := s.Store.Invite(r.Context(), n.ID, ir)
	if err != nil {
		return err
	}
	if !natverk.ActorFromContext(r.Context()).IsAdmin() {
		// Hidden members appear in no count but the admin's.
		delete(res.Skipped, natverk.SkipHidden)
	}
	status := http.StatusOK
	if !req.DryRun && res.Invited > 0 {
		status = http.StatusAccepted // the invitations are on their way
	}
	writeJSON(w, status, res)
	return nil
}
