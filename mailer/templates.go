package mailer

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"
)

// templateFS holds the message templates. For each locale L and kind K,
// templates/L/K.txt and templates/L/K.html define "content"; they are parsed
// together with templates/L/partials.{txt,html} (localized shared blocks:
// meeting details, RSVP buttons, subscribe links, footer) and the
// language-free frame templates/layout.{txt,html}.
//
//go:embed templates
var templateFS embed.FS

// templateSet is the parsed text and HTML template of one kind and locale.
type templateSet struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// parseTemplates parses the templates of every kind for one locale.
func parseTemplates(l *locale) (map[Kind]templateSet, error) {
	funcs := map[string]any{
		"lines":  lines,
		"answer": l.answer,
		"stamp":  l.stamp,
		"date":   l.date,
		"when":   l.when,
		"list":   func(v ...any) []any { return v },
		"inc":    func(i int) int { return i + 1 },
	}
	sets := make(map[Kind]templateSet, len(Kinds()))
	for _, k := range Kinds() {
		dir := "templates/" + l.tag + "/"
		tt, err := texttemplate.New("layout.txt").Funcs(funcs).ParseFS(templateFS,
			"templates/layout.txt", dir+"partials.txt", dir+string(k)+".txt")
		if err != nil {
			return nil, fmt.Errorf("mailer: parse %s text template: %w", l.tag+"/"+string(k), err)
		}
		ht, err := htmltemplate.New("layout.html").Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", dir+"partials.html", dir+string(k)+".html")
		if err != nil {
			return nil, fmt.Errorf("mailer: parse %s html template: %w", l.tag+"/"+string(k), err)
		}
		sets[k] = templateSet{text: tt, html: ht}
	}
	return sets, nil
}

// lines splits s into its lines, without the line ends, dropping leading
// and trailing blank lines.
func lines(s string) []string {
	s = strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n"))
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// view is what the templates see.
type view struct {
	Kind      Kind
	Lang      string
	Subject   string
	From      Address
	To        Address
	ReplyTo   *Address
	C         *Content
	Audience  string // who gets it: "member", "former", "organizer" or "board"
	Greeting  string // the member's name, or "" for a neutral greeting
	When      string // Start–End in full
	OldWhen   string // OldStart in full
	Answer    string // the member's answer, localized
	Answered  bool
	Webcal    htmltemplate.URL // validated, so html/template keeps the webcal: scheme
	HasRSVP   bool
	HasSub    bool
	HasAbout  bool
	HasFooter bool
	Answers   []answerView
	Support   *supportView
}

type answerView struct {
	Name, Email, Answer, Occurrence, At string
}

type supportView struct {
	ID, When, What, Cost, Status, Note, Organizer string
}

// newView prepares the template data of m.
func newView(l *locale, m *Message, subj string) *view {
	c := &m.Content
	v := &view{
		Kind:     m.Kind,
		Lang:     l.tag,
		Subject:  subj,
		From:     m.From,
		To:       m.To,
		ReplyTo:  m.ReplyTo,
		C:        c,
		Audience: audience(m.Kind),
		Greeting: strings.TrimSpace(c.MemberName),
		When:     l.when(c.Start, c.End),
		Answer:   l.answer(c.Answer),
		Answered: c.Answer != "",
		Webcal:   htmltemplate.URL(c.Subscribe.Webcal),
		HasRSVP:  c.RSVP.Yes != "" || c.RSVP.Maybe != "" || c.RSVP.No != "" || c.RSVP.Page != "",
		HasSub:   c.Subscribe.HTTPS != "" || c.Subscribe.Webcal != "" || c.Subscribe.Google != "" || c.Subscribe.Outlook != "" || c.PersonalFeed != "",
		HasAbout: strings.TrimSpace(c.About+c.Have+c.Need) != "",
		HasFooter: c.UnsubscribeURL != "" || c.LeaveURL != "" || c.HideURL != "" ||
			c.NetworkURL != "",
	}
	if !c.OldStart.IsZero() {
		v.OldWhen = l.when(c.OldStart, time.Time{})
	}
	for _, a := range c.Answers {
		av := answerView{Name: a.Name, Email: a.Email, Answer: l.answer(a.Answer), At: l.stamp(a.At)}
		if a.Occurrence != nil {
			av.Occurrence = l.dateShort(*a.Occurrence) + " " + a.Occurrence.Format("15:04")
		}
		v.Answers = append(v.Answers, av)
	}
	if s := c.Support; s != nil {
		sv := &supportView{What: s.What, Status: l.status(s.Status), Note: s.Note, Organizer: s.Organizer}
		if s.RequestID != 0 {
			sv.ID = strconv.FormatInt(s.RequestID, 10)
		}
		if s.Occurrence != nil {
			sv.When = l.when(*s.Occurrence, time.Time{})
		}
		if s.CostSEK != 0 {
			sv.Cost = l.money(s.CostSEK)
		}
		v.Support = sv
	}
	return v
}

// audience says who receives a kind, for the footer's "why you get this".
func audience(k Kind) string {
	switch k {
	case Removed:
		return "former"
	case Digest, BounceNotice, SupportDecided, OrganizerLink:
		return "organizer"
	case SupportRequest:
		return "board"
	}
	return "member"
}

// render executes the text and HTML templates of one message.
func (ts templateSet) render(v *view) (text, html string, err error) {
	var tb, hb bytes.Buffer
	if err := ts.text.Execute(&tb, v); err != nil {
		return "", "", fmt.Errorf("mailer: render %s text: %w", v.Kind, err)
	}
	if err := ts.html.Execute(&hb, v); err != nil {
		return "", "", fmt.Errorf("mailer: render %s html: %w", v.Kind, err)
	}
	return tidyText(tb.String()), tidyHTML(hb.String()), nil
}

// tidyText removes trailing spaces (keeping the "-- " signature separator),
// runs of more than one blank line and blank lines at both ends, so that
// templates can be written for readability.
func tidyText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	blank := 0
	started := false
	for _, line := range strings.Split(s, "\n") {
		if line != "-- " {
			line = strings.TrimRight(line, " \t\r")
		}
		if line == "" {
			blank++
			continue
		}
		if started && blank > 0 {
			b.WriteString("\n")
		}
		blank = 0
		started = true
		b.WriteString(line)
		b.WriteString("\n")
	}
	return b.String()
}

// tidyHTML drops the blank lines and indentation the template layout
// leaves behind.
func tidyHTML(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		b.WriteString(line)
		b.WriteString("\n")
	}
	return b.String()
}
