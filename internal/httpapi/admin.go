package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/natverk/natverk/internal/natverk"
)

// handleSupportRequest lets an organizer ask the board for support for a
// physical meeting; the board gets it by mail.
func (s *Server) handleSupportRequest(w http.ResponseWriter, r *http.Request) error {
	n, err := s.network(r)
	if err != nil {
		return err
	}
	var in natverk.SupportInput
	if err := decodeJSON(w, r, s.MaxBody, &in); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	req, err := s.Store.CreateSupportRequest(r.Context(), n.ID, natverk.ActorFromContext(r.Context()).MemberID, in, s.BoardEmail)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, req)
	return nil
}

// handleListSupport lists a network's support requests.
func (s *Server) handleListSupport(w http.ResponseWriter, r *http.Request) error {
	n, err := s.network(r)
	if err != nil {
		return err
	}
	list, err := s.Store.FindSupportRequests(r.Context(), n.ID)
	if err != nil {
		return err
	}
	if list == nil {
		list = []*natverk.SupportRequest{}
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

// handleAllSupport lists every support request (the board's view).
func (s *Server) handleAllSupport(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Store.FindSupportRequests(r.Context(), 0)
	if err != nil {
		return err
	}
	if list == nil {
		list = []*natverk.SupportRequest{}
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

// handleDecideSupport records the board's decision (admin).
func (s *Server) handleDecideSupport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var d natverk.SupportDecision
	if err := decodeJSON(w, r, s.MaxBody, &d); err != nil {
		return err
	}
	if err := d.Validate(); err != nil {
		return err
	}
	out, err := s.Store.DecideSupportRequest(r.Context(), id, d)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleCreateToken issues an organizer token for a member (admin). The
// token is shown once; only its hash is stored.
func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		MemberID int64  `json:"member_id"`
		Label    string `json:"label,omitempty"`
		Days     int    `json:"days,omitempty"`
	}
	if err := decodeJSON(w, r, s.MaxBody, &req); err != nil {
		return err
	}
	if _, err := s.Store.FindMemberByID(r.Context(), req.MemberID); err != nil {
		return natverk.Invalid(natverk.FieldError{Field: "member_id", Reason: "is not a member"})
	}
	if req.Days < 0 || req.Days > 3650 {
		return natverk.Invalid(natverk.FieldError{Field: "days", Reason: "must be between 0 (no expiry) and 3650"})
	}
	var exp *time.Time
	if req.Days > 0 {
		e := s.now().Add(time.Duration(req.Days) * 24 * time.Hour)
		exp = &e
	}
	tok, t := natverk.NewAPIToken(natverk.RoleOrganizer, req.MemberID, req.Label, exp)
	if err := s.Store.CreateAPIToken(r.Context(), t); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, struct {
		*natverk.APIToken
		Token string `json:"token"`
	}{t, tok})
	return nil
}

// handleRevokeToken revokes an organizer token (admin).
func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.Store.RevokeAPIToken(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleRevokeMemberLinks revokes every link ever mailed to a member
// (admin): the next mail carries new ones.
func (s *Server) handleRevokeMemberLinks(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.Store.RevokeMemberTokens(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleMail lists what was sent (admin; organizers see their networks).
func (s *Server) handleMail(w http.ResponseWriter, r *http.Request) error {
	a := natverk.ActorFromContext(r.Context())
	f := natverk.MailFilter{Status: r.URL.Query().Get("status"), Limit: 200}
	if v := r.URL.Query().Get("network_id"); v != "" {
		f.NetworkID, _ = strconv.ParseInt(v, 10, 64)
	}
	if !a.IsAdmin() && !a.CanManage(f.NetworkID) {
		return natverk.Errorf(natverk.EFORBIDDEN, "Name one of your networks: ?network_id=…")
	}
	list, err := s.Store.FindMail(r.Context(), f)
	if err != nil {
		return err
	}
	if list == nil {
		list = []*natverk.MailRecord{}
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

// handleInbound lists received replies (admin), e.g. ?status=review.
func (s *Server) handleInbound(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Store.FindInbound(r.Context(), r.URL.Query().Get("status"), 200)
	if err != nil {
		return err
	}
	if list == nil {
		list = []*natverk.InboundMessage{}
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

// handleDeadLetters lists dead letters (admin).
func (s *Server) handleDeadLetters(w http.ResponseWriter, r *http.Request) error {
	if s.DLQ == nil {
		return natverk.Errorf(natverk.EUNAVAILABLE, "The event backbone is not connected.")
	}
	list, err := s.DLQ.List(r.Context(), r.URL.Query().Get("consumer"))
	if err != nil {
		return natverk.Unavailable("The event backbone", err)
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

// handleRetryDeadLetter re-drives one dead letter, or all of a consumer's
// with seq "all" (admin).
func (s *Server) handleRetryDeadLetter(w http.ResponseWriter, r *http.Request) error {
	if s.DLQ == nil {
		return natverk.Errorf(natverk.EUNAVAILABLE, "The event backbone is not connected.")
	}
	if r.PathValue("seq") == "all" {
		n, err := s.DLQ.RetryAll(r.Context(), r.URL.Query().Get("consumer"))
		if err != nil {
			return natverk.Unavailable("The event backbone", err)
		}
		writeJSON(w, http.StatusOK, map[string]int{"retried": n})
		return nil
	}
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil {
		return natverk.Errorf(natverk.ENOTFOUND, "No such dead letter.")
	}
	if err := s.DLQ.Retry(r.Context(), seq); err != nil {
		return natverk.Errorf(natverk.ENOTFOUND, "No such dead letter: %v", err)
	}
	writeJSON(w, http.StatusOK, map[string]int{"retried": 1})
	return nil
}
