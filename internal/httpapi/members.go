package httpapi

import (
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/register"
)

// importResponse is the answer to an import.
type importResponse struct {
	natverk.ImportResult
	DryRun bool `json:"dry_run,omitempty"`
}

// handleImportMembers imports the register from CSV (text/csv) or JSON.
func (s *Server) handleImportMembers(w http.ResponseWriter, r *http.Request) error {
	body := http.MaxBytesReader(w, r.Body, s.MaxImport)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var res *register.Result
	var err error
	switch ct {
	case "text/csv", "application/csv", "text/plain":
		res, err = register.ParseCSV(body)
	case "application/json", "":
		res, err = register.ParseJSON(body)
	default:
		return natverk.Errorf(natverk.EINVALID, "Send the register as text/csv or application/json (got %q).", ct)
	}
	if err != nil {
		return jsonError2(err)
	}
	out := importResponse{DryRun: r.URL.Query().Get("dry_run") == "true"}
	if !out.DryRun && len(res.Rows) > 0 {
		out.ImportResult, err = s.Store.ImportMembers(r.Context(), res.Rows)
		if err != nil {
			return err
		}
	}
	out.Rejected = append(res.Rejected, out.Rejected...)
	if out.Rejected == nil {
		out.Rejected = []natverk.RejectedRow{}
	}
	out.UnknownColumns = res.UnknownColumns
	writeJSON(w, http.StatusOK, out)
	return nil
}

// jsonError2 passes application errors through and maps read errors
// (too large) to clear ones.
func jsonError2(err error) error {
	if natverk.ErrorCode(err) != natverk.EINTERNAL {
		return err
	}
	return jsonError(err)
}

// memberView is what the API shows of a member; email and flags only to
// the admin.
type memberView struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Town     string `json:"town,omitempty"`
	Industry string `json:"industry,omitempty"`
	Company  string `json:"company,omitempty"`
	Title    string `json:"title,omitempty"`
	Email    string `json:"email,omitempty"`
	Locale   string `json:"locale,omitempty"`
	Hidden   *bool  `json:"hidden,omitempty"`
	Bouncing *bool  `json:"bouncing,omitempty"`
	Reason   string `json:"bounce_reason,omitempty"`
}

func viewMember(m *natverk.Member, admin bool) memberView {
	v := memberView{ID: m.ID, Name: m.Name, Town: m.Town, Industry: m.Industry, Company: m.Company, Title: m.Title}
	if admin {
		v.Email, v.Locale, v.Hidden, v.Bouncing, v.Reason = m.Email, m.Locale, &m.Hidden, &m.Bouncing, m.BounceReason
	}
	return v
}

// filterFromQuery reads a directory search from query parameters.
func filterFromQuery(q map[string][]string) (natverk.MemberFilter, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	f := natverk.MemberFilter{Q: get("q"), Town: get("town"), Industry: get("industry"), Company: get("company")}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"limit", &f.Limit}, {"offset", &f.Offset}} {
		if v := get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return f, natverk.Invalid(natverk.FieldError{Field: p.name, Reason: "must be a whole number ≥ 0"})
			}
			*p.dst = n
		}
	}
	if len(f.Q) > 200 {
		return f, natverk.Invalid(natverk.FieldError{Field: "q", Reason: "is longer than 200 characters"})
	}
	return f, nil
}

// membersResponse is a page of the directory, the total first.
type membersResponse struct {
	Total   int          `json:"total"`
	Offset  int          `json:"offset"`
	Limit   int          `json:"limit"`
	Members []memberView `json:"members"`
}

// handleSearchMembers searches the directory: "how many members match?"
// first, then a page of them. Hidden members are counted and shown only
// to the admin.
func (s *Server) handleSearchMembers(w http.ResponseWriter, r *http.Request) error {
	a := natverk.ActorFromContext(r.Context())
	f, err := filterFromQuery(r.URL.Query())
	if err != nil {
		return err
	}
	f.IncludeHidden = a.IsAdmin() && r.URL.Query().Get("hidden") != "exclude"
	f.Viewer = a.MemberID
	f = f.Normalize()
	ms, total, err := s.Store.FindMembers(r.Context(), f)
	if err != nil {
		return err
	}
	out := membersResponse{Total: total, Offset: f.Offset, Limit: f.Limit, Members: []memberView{}}
	for _, m := range ms {
		out.Members = append(out.Members, viewMember(m, a.IsAdmin()))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, natverk.Errorf(natverk.ENOTFOUND, "No such %s.", strings.TrimSuffix(name, "_id"))
	}
	return id, nil
}

// handleGetMember shows one member (admin).
func (s *Server) handleGetMember(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	m, err := s.Store.FindMemberByID(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewMember(m, true))
	return nil
}

// handleUpdateMember changes a member (admin): profile, hidden, bounce.
func (s *Server) handleUpdateMember(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var u natverk.MemberUpdate
	if err := decodeJSON(w, r, s.MaxBody, &u); err != nil {
		return err
	}
	m, err := s.Store.UpdateMember(r.Context(), id, u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewMember(m, true))
	return nil
}

// handleEraseMember erases a member's personal data (GDPR).
func (s *Server) handleEraseMember(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.Store.EraseMember(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// memberExport is everything stored about a member (GDPR access).
type memberExport struct {
	Member      *natverk.Member       `json:"member"`
	Memberships []*natverk.Membership `json:"memberships"`
	Answers     []*natverk.RSVP       `json:"answers"`
	Mail        []*natverk.MailRecord `json:"mail"`
	Networks    map[int64]string      `json:"networks"`
}

// handleExportMember exports a member's data (admin).
func (s *Server) handleExportMember(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	m, err := s.Store.FindMemberByID(ctx, id)
	if err != nil {
		return err
	}
	out := memberExport{Member: m, Networks: map[int64]string{}}
	if out.Memberships, err = s.Store.FindMemberships(ctx, natverk.MembershipFilter{MemberID: id}); err != nil {
		return err
	}
	if out.Answers, err = s.Store.FindRSVPs(ctx, natverk.RSVPFilter{MemberID: id}); err != nil {
		return err
	}
	if out.Mail, err = s.Store.FindMail(ctx, natverk.MailFilter{MemberID: id, Limit: natverk.MaxPageSize}); err != nil {
		return err
	}
	for _, ms := range out.Memberships {
		if n, err := s.Store.FindNetworkByID(ctx, ms.NetworkID); err == nil {
			out.Networks[n.ID] = n.Name
		}
	}
	w.Header().Set("Content-Disposition", `attachment; filename="member-`+strconv.FormatInt(id, 10)+`.json"`)
	writeJSON(w, http.StatusOK, out)
	return nil
}

var _ = io.EOF
