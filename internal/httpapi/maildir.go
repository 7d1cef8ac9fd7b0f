package httpapi

import (
	"bufio"
	"html/template"
	"mime"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

var mailListTmpl = template.Must(template.New("mail").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Outgoing mail (embedded mode)</title><link rel="stylesheet" href="/static/site.css"></head>
<body><main><h1>Outgoing mail</h1>
<p class="muted">Embedded mode: every message is written to the Maildir <code>{{.Dir}}</code> (open it with <code>mutt -f {{.Dir}}</code>). Newest first; {{len .Items}} shown.</p>
<table class="meetings"><thead><tr><th scope="col">To</th><th scope="col">Subject</th><th scope="col">Message</th></tr></thead><tbody>
{{range .Items}}<tr><td>{{.To}}</td><td>{{.Subject}}</td><td><a href="/mail/{{.Name}}">{{.Name}}</a></td></tr>{{end}}
</tbody></table></main></body></html>`))

type mailItem struct{ Name, To, Subject string }

// handleMailList lists the embedded Maildir (development aid; admin token
// not required because the embedded server listens on loopback only).
func (s *Server) handleMailList(w http.ResponseWriter, r *http.Request) error {
	dir := filepath.Join(s.MailDir, "new")
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	type ent struct {
		name string
		mod  int64
	}
	var es []ent
	for _, e := range entries {
		if info, err := e.Info(); err == nil && !e.IsDir() {
			es = append(es, ent{e.Name(), info.ModTime().UnixNano()})
		}
	}
	sort.Slice(es, func(i, j int) bool { return es[i].mod > es[j].mod || es[i].mod == es[j].mod && es[i].name > es[j].name })
	if len(es) > 200 {
		es = es[:200]
	}
	data := struct {
		Dir   string
		Items []mailItem
	}{Dir: s.MailDir}
	dec := new(mime.WordDecoder)
	for _, e := range es {
		it := mailItem{Name: e.name}
		if f, err := os.Open(filepath.Join(dir, e.name)); err == nil {
			h, _ := textproto.NewReader(bufio.NewReader(f)).ReadMIMEHeader()
			f.Close()
			it.To = h.Get("To")
			if subj, err := dec.DecodeHeader(h.Get("Subject")); err == nil {
				it.Subject = subj
			}
			if to, err := dec.DecodeHeader(it.To); err == nil {
				it.To = to
			}
		}
		data.Items = append(data.Items, it)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", csp)
	return mailListTmpl.Execute(w, data)
}

// handleMailFile serves one message as text.
func (s *Server) handleMailFile(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if name == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
		http.NotFound(w, r)
		return nil
	}
	b, err := os.ReadFile(filepath.Join(s.MailDir, "new", name))
	if err != nil {
		http.NotFound(w, r)
		return nil
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="`+safeFilename(strings.ToLower(name))+`.eml"`)
	w.Write(b)
	return nil
}
