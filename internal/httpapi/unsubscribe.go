package httpapi

import (
	"io"
	"net/http"
	"strings"

	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/token"
)

type unsubscribePage struct {
	Lang, Title string
	Network     *natverk.Network
	Status      string
	Hidden      bool
	// Confirm is the choice the link asked for (?do=), offered as the one
	// big button; Options are the other choices that apply.
	Confirm      string
	ConfirmLabel string
	Options      []unsubOption
	Done         string
	Error        string
	Action       string
	CSRF         string
}

// unsubOption is one choice on the unsubscribe page.
type unsubOption struct {
	Do, Label string
}

// unsubLabels names each choice's button.
var unsubLabels = map[string]string{
	"unsubscribe": "unsub.stop", "leave": "unsub.leave", "hide": "unsub.hide", "show": "unsub.show", "rejoin": "unsub.rejoin",
}

// unsubChoices returns the choices that apply to a member's status, in
// the order the page shows them.
func unsubChoices(status string, hidden bool) []string {
	var out []string
	if status == natverk.StatusInvited || status == natverk.StatusJoined {
		out = append(out, "unsubscribe")
	}
	if status != natverk.StatusLeft && status != "" {
		out = append(out, "leave")
	}
	if hidden {
		out = append(out, "show")
	} else {
		out = append(out, "hide")
	}
	if status == natverk.StatusLeft || status == natverk.StatusUnsubscribed {
		out = append(out, "rejoin")
	}
	return out
}

// withChoice sets the page's big button to the asked-for choice when it
// applies (the mail's unsubscribe link asks for "unsubscribe") and lists
// the others below it.
func (p *unsubscribePage) withChoice(asked string) {
	p.Confirm, p.ConfirmLabel, p.Options = "", "", nil
	choices := unsubChoices(p.Status, p.Hidden)
	for _, c := range choices {
		if c == asked && (c == "unsubscribe" || c == "leave" || c == "hide") {
			p.Confirm, p.ConfirmLabel = c, t(p.Lang, unsubLabels[c])
		}
	}
	for _, c := range choices {
		if c != p.Confirm {
			p.Options = append(p.Options, unsubOption{Do: c, Label: t(p.Lang, unsubLabels[c])})
		}
	}
}

// handleUnsubscribePage shows the member's choices, the one the link
// asked for first. GET changes nothing: mail scanners open every link.
func (s *Server) handleUnsubscribePage(w http.ResponseWriter, r *http.Request) error {
	tok := r.PathValue("token")
	c, m, err := s.memberFromToken(r, tok, token.Unsubscribe)
	if err != nil {
		s.pageError(w, r, langFor(r, ""), err)
		return nil
	}
	p, err := s.unsubscribeData(r, tok, c, m)
	if err != nil {
		s.pageError(w, r, langFor(r, m.Locale), err)
		return nil
	}
	asked := r.URL.Query().Get("do")
	if asked == "" {
		asked = "unsubscribe"
	}
	p.withChoice(asked)
	s.renderPage(w, http.StatusOK, "unsubscribe", p)
	return nil
}

func (s *Server) unsubscribeData(r *http.Request, tok string, c token.Claims, m *natverk.Member) (unsubscribePage, error) {
	n, err := s.Store.FindNetworkByID(r.Context(), c.NetworkID)
	if err != nil {
		return unsubscribePage{}, err
	}
	status := ""
	if ms, err := s.Store.FindMembership(r.Context(), n.ID, m.ID); err == nil {
		status = ms.Status
	} else if natverk.ErrorCode(err) != natverk.ENOTFOUND {
		return unsubscribePage{}, err
	}
	lang := langFor(r, m.Locale)
	return unsubscribePage{Lang: lang, Title: t(lang, "unsub.title") + " — " + n.Name, Network: n, Status: status, Hidden: m.Hidden,
		Action: "/unsubscribe/" + tok, CSRF: s.csrfFor(tok)}, nil
}

// handleUnsubscribePost applies the member's choice with one POST. It
// also answers the RFC 8058 one-click POST (body
// "List-Unsubscribe=One-Click", sent by the mail client without cookies
// or a form token) with a plain 200.
func (s *Server) handleUnsubscribePost(w http.ResponseWriter, r *http.Request) error {
	tok := r.PathValue("token")
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	c, m, err := s.memberFromToken(r, tok, token.Unsubscribe)
	if err != nil {
		if err2 := r.ParseForm(); err2 == nil && r.PostFormValue("List-Unsubscribe") == "One-Click" {
			return natverk.Errorf(natverk.ENOTFOUND, "The unsubscribe link is not valid.")
		}
		s.pageError(w, r, langFor(r, ""), err)
		return nil
	}
	if err := r.ParseForm(); err != nil {
		return natverk.Errorf(natverk.EINVALID, "The form could not be read.")
	}
	if r.PostFormValue("List-Unsubscribe") == "One-Click" {
		if _, err := s.Store.SetMembership(r.Context(), c.NetworkID, m.ID, natverk.StatusUnsubscribed, "one-click"); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "unsubscribed\n")
		return nil
	}
	p, err := s.unsubscribeData(r, tok, c, m)
	if err != nil {
		s.pageError(w, r, langFor(r, m.Locale), err)
		return nil
	}
	do := strings.TrimSpace(r.PostFormValue("do"))
	if !s.checkCSRF(r, tok) {
		p.Error = t(p.Lang, "csrf")
		p.withChoice(do)
		s.renderPage(w, http.StatusForbidden, "unsubscribe", p)
		return nil
	}
	switch do {
	case "unsubscribe":
		_, err = s.Store.SetMembership(r.Context(), c.NetworkID, m.ID, natverk.StatusUnsubscribed, "link")
	case "leave":
		_, err = s.Store.SetMembership(r.Context(), c.NetworkID, m.ID, natverk.StatusLeft, "link")
	case "rejoin":
		_, err = s.Store.SetMembership(r.Context(), c.NetworkID, m.ID, natverk.StatusJoined, "link")
	case "hide", "show":
		hidden := do == "hide"
		_, err = s.Store.UpdateMember(r.Context(), m.ID, natverk.MemberUpdate{Hidden: &hidden})
	default:
		return natverk.Invalid(natverk.FieldError{Field: "do", Reason: "must be unsubscribe, leave, rejoin, hide or show"})
	}
	if err != nil {
		return err
	}
	m, err = s.Store.FindMemberByID(r.Context(), m.ID)
	if err != nil {
		return err
	}
	p, err = s.unsubscribeData(r, tok, c, m)
	if err != nil {
		return err
	}
	p.Done = t(p.Lang, "unsub.done."+do)
	p.withChoice("")
	s.renderPage(w, http.StatusOK, "unsubscribe", p)
	return nil
}
