package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/natverk/natverk/internal/natverk"
)

// maxOrganizerForm caps an organizer form's body.
const maxOrganizerForm = 16 << 10

// organizerPost starts every organizer form POST: it checks the link,
// reads the form and checks its CSRF token and Origin. When it returns
// nil the answer was written (an error page, or the view with "the form
// had expired").
func (s *Server) organizerPost(w http.ResponseWriter, r *http.Request) *orgContext {
	r.Body = http.MaxBytesReader(w, r.Body, maxOrganizerForm)
	oc, err := s.loadOrganizer(r, r.PathValue("token"))
	if err != nil {
		s.orgError(w, r, err)
		return nil
	}
	if err := r.ParseForm(); err != nil || !s.checkCSRF(r, oc.tok) {
		s.organizerFailed(w, r, oc, http.StatusForbidden, t(oc.lang, "csrf"), orgForm{})
		return nil
	}
	return oc
}

// organizerFailed shows the view again with the problem and what was
// typed.
func (s *Server) organizerFailed(w http.ResponseWriter, r *http.Request, oc *orgContext, status int, msg string, form orgForm) {
	p, err := s.organizerData(r.Context(), oc, nil)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	p.Error, p.Form = msg, form
	s.renderPage(w, status, "organizer", p)
}

// organizerResult answers a form POST: on success a 303 back to the view
// saying what was done (so a reload does not post again); an invalid
// form shows the view with the reason (422); other errors are problems.
func (s *Server) organizerResult(w http.ResponseWriter, r *http.Request, oc *orgContext, err error, done, anchor string, form orgForm) error {
	switch code := natverk.ErrorCode(err); {
	case err == nil:
		http.Redirect(w, r, oc.base()+"?done="+done+"#"+anchor, http.StatusSeeOther)
		return nil
	case code == natverk.EINVALID || code == natverk.ECONFLICT || code == natverk.ENOTFOUND:
		form.Action = anchor
		s.organizerFailed(w, r, oc, http.StatusUnprocessableEntity, t(oc.lang, "org.error")+" "+formMessage(oc.lang, err), form)
		return nil
	default:
		return err
	}
}

// occurrenceOf returns the network's series and the occurrence's
// original start named by a form's occurrence key.
func (s *Server) occurrenceOf(r *http.Request, oc *orgContext, key string) (*natverk.Series, string, error) {
	invalid := natverk.Invalid(natverk.FieldError{Field: "occurrence", Reason: "is not a meeting of this network"})
	id, rid, ok := parseOccurrenceKey(key)
	if !ok {
		return nil, "", invalid
	}
	sr, err := s.Store.FindSeriesByID(r.Context(), id)
	if natverk.ErrorCode(err) == natverk.ENOTFOUND || err == nil && sr.NetworkID != oc.network.ID {
		return nil, "", invalid
	}
	return sr, rid, err
}

// handleOrganizerInvite invites the members a search finds.
func (s *Server) handleOrganizerInvite(w http.ResponseWriter, r *http.Request) error {
	oc := s.organizerPost(w, r)
	if oc == nil {
		return nil
	}
	f, err := searchFilter(r.PostForm)
	if err == nil {
		_, err = s.Store.Invite(r.Context(), oc.network.ID, natverk.InviteRequest{Search: &f, Via: "search"})
	}
	return s.organizerResult(w, r, oc, err, "invited", "invite", orgForm{})
}

// handleOrganizerCancel cancels one meeting.
func (s *Server) handleOrganizerCancel(w http.ResponseWriter, r *http.Request) error {
	oc := s.organizerPost(w, r)
	if oc == nil {
		return nil
	}
	form := orgForm{Occurrence: r.PostFormValue("occurrence"), Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	sr, rid, err := s.occurrenceOf(r, oc, form.Occurrence)
	if err == nil {
		_, err = s.changeOccurrence(r.Context(), sr, occurrenceRequest{Occurrence: rid, Reason: form.Reason}, true)
	}
	return s.organizerResult(w, r, oc, err, "cancelled", "cancel", form)
}

// handleOrganizerMove moves one meeting to a new start (a datetime-local
// field, in the series' zone) and, when given, a new place.
func (s *Server) handleOrganizerMove(w http.ResponseWriter, r *http.Request) error {
	oc := s.organizerPost(w, r)
	if oc == nil {
		return nil
	}
	form := orgForm{Occurrence: r.PostFormValue("occurrence"), Reason: strings.TrimSpace(r.PostFormValue("reason")),
		Start: strings.TrimSpace(r.PostFormValue("start")), Location: strings.TrimSpace(r.PostFormValue("location"))}
	sr, rid, err := s.occurrenceOf(r, oc, form.Occurrence)
	if err == nil {
		req := occurrenceRequest{Occurrence: rid, Start: form.Start, Reason: form.Reason}
		if form.Location != "" {
			req.Location = &form.Location
		}
		if req.Start == "" {
			err = natverk.Invalid(natverk.FieldError{Field: "start", Reason: "is required"})
		} else {
			_, err = s.changeOccurrence(r.Context(), sr, req, false)
		}
	}
	return s.organizerResult(w, r, oc, err, "moved", "move", form)
}

// closePage is the data of the page that confirms closing a network.
type closePage struct {
	Lang, Title string
	Network     *natverk.Network
	Base, CSRF  string
	Error, Note string
}

// handleOrganizerClosePage asks the organizer to confirm closing the
// network; the button on it POSTs.
func (s *Server) handleOrganizerClosePage(w http.ResponseWriter, r *http.Request) error {
	oc, err := s.loadOrganizer(r, r.PathValue("token"))
	if err != nil {
		s.orgError(w, r, err)
		return nil
	}
	s.renderPage(w, http.StatusOK, "organizer_close", closePage{Lang: oc.lang, Title: t(oc.lang, "org.close") + " — " + oc.network.Name,
		Network: oc.network, Base: oc.base(), CSRF: s.csrfFor(oc.tok)})
	return nil
}

// handleOrganizerClose closes the network once confirmed: every coming
// meeting is cancelled in every invitee's calendar.
func (s *Server) handleOrganizerClose(w http.ResponseWriter, r *http.Request) error {
	oc := s.organizerPost(w, r)
	if oc == nil {
		return nil
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	p := closePage{Lang: oc.lang, Title: t(oc.lang, "org.close") + " — " + oc.network.Name, Network: oc.network, Base: oc.base(), CSRF: s.csrfFor(oc.tok), Note: note}
	if r.PostFormValue("confirm") != "yes" {
		s.renderPage(w, http.StatusOK, "organizer_close", p)
		return nil
	}
	if len([]rune(note)) > 1000 {
		p.Error = t(oc.lang, "org.error") + " " + t(oc.lang, "err.note") + "."
		s.renderPage(w, http.StatusUnprocessableEntity, "organizer_close", p)
		return nil
	}
	_, err := s.Store.CloseNetwork(r.Context(), oc.network.ID, note)
	return s.organizerResult(w, r, oc, err, "closed", "close", orgForm{Note: note})
}

// handleOrganizerSupport sends a support request to the board.
func (s *Server) handleOrganizerSupport(w http.ResponseWriter, r *http.Request) error {
	oc := s.organizerPost(w, r)
	if oc == nil {
		return nil
	}
	form := orgForm{What: r.PostFormValue("what"), Cost: strings.TrimSpace(r.PostFormValue("cost_sek")), SupportOccurrence: r.PostFormValue("occurrence")}
	in := natverk.SupportInput{What: form.What}
	var err error
	if form.Cost != "" {
		if in.CostSEK, err = strconv.ParseInt(strings.ReplaceAll(form.Cost, " ", ""), 10, 64); err != nil {
			err = natverk.Invalid(natverk.FieldError{Field: "cost_sek", Reason: "must be a whole number"})
		}
	}
	if err == nil && form.SupportOccurrence != "" {
		var sr *natverk.Series
		var rid string
		if sr, rid, err = s.occurrenceOf(r, oc, form.SupportOccurrence); err == nil {
			at, perr := time.Parse(time.RFC3339, rid)
			if perr != nil {
				err = natverk.Invalid(natverk.FieldError{Field: "occurrence", Reason: "is not a meeting of this network"})
			}
			in.SeriesID, in.Occurrence = sr.ID, &at
		}
	}
	if err == nil {
		err = in.Validate()
	}
	if err == nil {
		_, err = s.Store.CreateSupportRequest(r.Context(), oc.network.ID, oc.member.ID, in, s.BoardEmail)
	}
	return s.organizerResult(w, r, oc, err, "support", "support", form)
}
