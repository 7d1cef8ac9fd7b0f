package httpapi

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/natverk/natverk/internal/links"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/token"
)

//go:embed templates/*.html templates/site.css
var templateFS embed.FS

var funcs = template.FuncMap{
	"t":       t,
	"answer":  func(lang, a string) string { return t(lang, "answer."+a) },
	"status":  func(lang, s string) string { return t(lang, "status."+s) },
	"kind":    func(lang, k string) string { return t(lang, "kind."+k) },
	"skip":    func(lang, k string) string { return t(lang, "skip."+k) },
	"support": func(lang, s string) string { return t(lang, "support."+s) },
}

// pageNames are the pages, each a template in templates/ drawn inside
// layout.html.
var pageNames = []string{"rsvp", "message", "unsubscribe", "network", "organizer", "organizer_close"}

// pageTemplates parses the layout with each page.
func pageTemplates() map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, page := range pageNames {
		out[page] = template.Must(template.New("layout").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+page+".html"))
	}
	return out
}

var pages = pageTemplates()

// csp allows no scripts and no inline styles: the pages work without
// JavaScript and load only their own stylesheet.
const csp = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// renderPage writes an HTML page.
func (s *Server) renderPage(w http.ResponseWriter, status int, page string, data any) {
	s.writePage(w, status, page, pages[page], data)
}

// writePage executes a page template into a buffer and writes it with the
// headers every page carries (CSP, no caching).
func (s *Server) writePage(w http.ResponseWriter, status int, page string, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		s.log().Error("render page", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

type messagePage struct {
	Lang, Title, Heading, Text string
}

// pageError renders the page for a failed link: a clear text and a 4xx.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, lang string, err error) {
	key, status := "invalid", http.StatusNotFound
	switch {
	case errors.Is(err, token.ErrExpired):
		key, status = "expired", http.StatusGone
	case natverk.ErrorCode(err) == natverk.EGONE:
		key, status = "revoked", http.StatusGone
	case natverk.ErrorCode(err) == natverk.EFORBIDDEN:
		key, status = "gone", http.StatusForbidden
	case errors.Is(err, token.ErrMalformed), errors.Is(err, token.ErrSignature), errors.Is(err, token.ErrKind), natverk.ErrorCode(err) == natverk.ENOTFOUND:
	default:
		s.writeProblem(w, r, err)
		return
	}
	s.renderPage(w, status, "message", messagePage{Lang: lang, Title: t(lang, key+".title"), Heading: t(lang, key+".title"), Text: t(lang, key+".text")})
}

// csrfFor returns the form token for a link token: an HMAC only the
// server can make, checked on POST (with the Origin header) so another
// site cannot post answers for a member.
func (s *Server) csrfFor(linkToken string) string {
	m := hmac.New(sha256.New, s.CSRFKey)
	m.Write([]byte("csrf:" + linkToken))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// checkCSRF verifies a form POST.
func (s *Server) checkCSRF(r *http.Request, linkToken string) bool {
	if o := r.Header.Get("Origin"); o != "" && o != "null" && o != s.origin() {
		return false
	}
	got := r.PostFormValue("csrf")
	return hmac.Equal([]byte(got), []byte(s.csrfFor(linkToken)))
}

func (s *Server) origin() string {
	u, err := url.Parse(s.Links.BaseURL)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// memberFromToken verifies a link token of the kind and loads its member,
// refusing tokens revoked by a raised epoch.
func (s *Server) memberFromToken(r *http.Request, tok string, kind token.Kind) (token.Claims, *natverk.Member, error) {
	c, err := s.Signer.Verify(tok, kind, s.now())
	if err != nil {
		return c, nil, err
	}
	m, err := s.Store.FindMemberByID(r.Context(), c.MemberID)
	if err != nil {
		return c, nil, err
	}
	if m.Erased {
		return c, nil, natverk.Errorf(natverk.ENOTFOUND, "Member not found.")
	}
	if int64(m.TokenEpoch) != c.Epoch {
		return c, m, natverk.Errorf(natverk.EGONE, "The link was revoked.")
	}
	return c, m, nil
}

// handleStatic serves the stylesheet.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	b, _ := templateFS.ReadFile("templates/site.css")
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	http.ServeContent(w, r, "site.css", time.Time{}, bytes.NewReader(b))
}

// pageFeed is a feed's subscribe links as the pages show them.
// html/template lets only http, https and mailto URLs into an href, so
// the webcal: link, which is our own feed URL with its scheme swapped, is
// marked safe here and nowhere else.
type pageFeed struct {
	HTTPS, Google, Outlook, Office string
	Webcal                         template.URL
}

func toPageFeed(f links.FeedLinks) pageFeed {
	p := pageFeed{HTTPS: f.HTTPS, Google: f.Google, Outlook: f.Outlook, Office: f.Office}
	if strings.HasPrefix(f.Webcal, "webcal://") && !strings.ContainsAny(f.Webcal, "\"'<> \t\r\n") {
		p.Webcal = template.URL(f.Webcal)
	}
	return p
}
