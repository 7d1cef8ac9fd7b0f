package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/natverk/natverk/calendar"
	"github.com/natverk/natverk/internal/feeds"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/token"
)

// rsvpPage is the data of the RSVP page.
type rsvpPage struct {
	Lang, Title   string
	Network       *natverk.Network
	Summary       string
	When          string
	Schedule      string
	Location      string
	LocationURL   string
	Answer        string
	Choice        string
	Recorded      bool
	Error         string
	OneOccurrence bool
	// Cancelled: the link's occurrence is cancelled; Closed: the network
	// closed (or the series was cancelled). Neither takes answers.
	Cancelled bool
	Closed    bool
	CanAnswer bool
	// ShowCalendar offers the calendar links once the member answered.
	ShowCalendar bool
	Action       string
	CSRF         string
	ICS          string
	Feed         pageFeed
	// Personal is the member's own feed: every network, with their answers.
	Personal pageFeed
	// StopURL and LeaveURL open the unsubscribe page with the choice
	// preselected; Page is the public network page ("" if private).
	StopURL, LeaveURL string
	Page              string

	// Place says, at a meeting with a capacity, whether the member's yes
	// has a place or waits (and where).
	Place string
}

// rsvpContext is what an RSVP link names, loaded.
type rsvpContext struct {
	claims  token.Claims
	member  *natverk.Member
	network *natverk.Network
	series  *natverk.Series
	cal     *calendar.Series
	occ     time.Time // zero: the whole series
}

func (s *Server) loadRSVP(r *http.Request, tok string) (*rsvpContext, error) {
	c, m, err := s.memberFromToken(r, tok, token.RSVP)
	if err != nil {
		return nil, err
	}
	sr, err := s.Store.FindSeriesByID(r.Context(), c.SeriesID)
	if err != nil {
		return nil, err
	}
	n, err := s.networks.byID(r.Context(), s.Store, sr.NetworkID)
	if err != nil {
		return nil, err
	}
	rc := &rsvpContext{claims: c, member: m, network: n, series: sr, cal: feeds.CalendarSeries(sr, calendar.Person{}, s.Links.NetworkPage(n))}
	if c.Occurrence != 0 {
		rc.occ = time.Unix(c.Occurrence, 0).UTC()
	}
	return rc, nil
}

// currentAnswer returns the member's answer for the link's occurrence (or
// the series).
func (s *Server) currentAnswer(r *http.Request, rc *rsvpContext) (string, error) {
	rs, err := s.Store.FindRSVPs(r.Context(), natverk.RSVPFilter{SeriesID: rc.series.ID, MemberID: rc.member.ID})
	if err != nil {
		return "", err
	}
	var series, occ string
	for _, a := range rs {
		if a.Occurrence.IsZero() {
			series = a.Answer
		} else if !rc.occ.IsZero() && a.Occurrence.Equal(rc.occ) {
			occ = a.Answer
		}
	}
	return natverk.EffectiveAnswer(series, occ), nil
}

func (s *Server) rsvpPageData(r *http.Request, tok string, rc *rsvpContext, lang string) rsvpPage {
	loc := rc.series.Start.Location()
	start := rc.occ
	cancelled := false
	if start.IsZero() {
		if next, ok := rc.cal.Next(s.now()); ok {
			start = next.Start
		} else {
			start = rc.series.Start
		}
	} else if ex := rc.series.Exception(start); ex != nil {
		if ex.Cancelled {
			cancelled = true
		} else if !ex.Start.IsZero() {
			start = ex.Start
		}
	}
	unsub := s.Links.Unsubscribe(s.Links.UnsubscribeToken(rc.member, rc.network.ID))
	closed := rc.network.Status == natverk.NetworkClosed || rc.series.Status == natverk.SeriesCancelled
	p := rsvpPage{
		Lang: lang, Title: rc.series.Summary + " — " + rc.network.Name,
		Network: rc.network, Summary: rc.series.Summary,
		When:     formatWhen(lang, start.In(loc), start.Add(rc.series.Duration).In(loc)),
		Schedule: calendar.Describe(rc.cal, lang),
		Location: rc.series.Location, LocationURL: rc.series.LocationURL,
		OneOccurrence: !rc.occ.IsZero(),
		Cancelled:     cancelled, Closed: closed, CanAnswer: !cancelled && !closed,
		Action: "/rsvp/" + tok, CSRF: s.csrfFor(tok),
		ICS:  "/rsvp/" + tok + "/invite.ics",
		Feed: toPageFeed(s.Links.NetworkFeed(rc.network)), Personal: toPageFeed(s.Links.MemberFeed(rc.member, "")), StopURL: unsub + "?do=unsubscribe", LeaveURL: unsub + "?do=leave",
	}
	if ex := rc.series.Exception(rc.occ); ex != nil && !ex.Cancelled && ex.Location != "" {
		p.Location = ex.Location
	}
	if rc.network.FeedVisibility == natverk.FeedPublic {
		p.Page = s.Links.NetworkPage(rc.network)
	}
	return p
}

// choiceOf is the button name of an answer ("yes", "maybe", "no").
func choiceOf(answer string) string {
	return map[string]string{natverk.AnswerYes: "yes", natverk.AnswerMaybe: "maybe", natverk.AnswerNo: "no"}[answer]
}

// handleRSVPPage shows the meeting, the member's answer and the three
// buttons. A GET never changes anything: mail scanners open every link.
func (s *Server) handleRSVPPage(w http.ResponseWriter, r *http.Request) error {
	tok := r.PathValue("token")
	rc, err := s.loadRSVP(r, tok)
	if err != nil {
		s.pageError(w, r, langFor(r, ""), err)
		return nil
	}
	lang := langFor(r, rc.member.Locale)
	p := s.rsvpPageData(r, tok, rc, lang)
	if p.Answer, err = s.currentAnswer(r, rc); err != nil {
		return err
	}
	p.Choice = choiceOf(p.Answer)
	switch c := r.URL.Query().Get("a"); c {
	case "yes", "maybe", "no":
		p.Choice = c
	}
	p.ShowCalendar = p.Answer != "" && !p.Closed
	if p.Place, err = s.placeNotice(r, rc, lang); err != nil {
		return err
	}
	s.renderPage(w, http.StatusOK, "rsvp", p)
	return nil
}

// handleRSVPPost records the answer a member pressed.
func (s *Server) handleRSVPPost(w http.ResponseWriter, r *http.Request) error {
	tok := r.PathValue("token")
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	rc, err := s.loadRSVP(r, tok)
	if err != nil {
		s.pageError(w, r, langFor(r, ""), err)
		return nil
	}
	lang := langFor(r, rc.member.Locale)
	p := s.rsvpPageData(r, tok, rc, lang)
	if err := r.ParseForm(); err != nil || !s.checkCSRF(r, tok) {
		p.Error = t(lang, "csrf")
		p.Answer, _ = s.currentAnswer(r, rc)
		s.renderPage(w, http.StatusForbidden, "rsvp", p)
		return nil
	}
	ans, ok := natverk.ParseAnswer(r.PostFormValue("answer"))
	if !ok {
		return natverk.Invalid(natverk.FieldError{Field: "answer", Reason: "must be yes, maybe or no"})
	}
	if !p.CanAnswer {
		p.Answer, _ = s.currentAnswer(r, rc)
		s.renderPage(w, http.StatusConflict, "rsvp", p)
		return nil
	}
	stored, _, err := s.Store.RecordRSVP(r.Context(), natverk.RSVP{
		SeriesID: rc.series.ID, MemberID: rc.member.ID, Occurrence: rc.occ, Answer: ans,
		Source: natverk.SourceLink, AnsweredAt: s.now(), Sequence: rc.series.Sequence,
	})
	if natverk.ErrorCode(err) == natverk.EFORBIDDEN {
		s.pageError(w, r, lang, err)
		return nil
	} else if err != nil {
		return err
	}
	if s.Feeds != nil {
		// The member's calendar app sees the answer on its next fetch.
		s.Feeds.Stale(natverk.MemberFeedKey(rc.member.ID))
	}
	p.Recorded, p.ShowCalendar = true, true
	p.Choice = choiceOf(ans)
	// The answer now stored for the link's occurrence (or the series) is
	// the member's current answer there: an older answer arriving late
	// leaves the newer one.
	p.Answer = stored.Answer
	if p.Place, err = s.placeNotice(r, rc, lang); err != nil {
		return err
	}
	s.renderPage(w, http.StatusOK, "rsvp", p)
	return nil
}

// handleRSVPICS downloads the series as a calendar file ("add to my
// calendar"), a REQUEST addressed to the member like the invitation.
func (s *Server) handleRSVPICS(w http.ResponseWriter, r *http.Request) error {
	tok := r.PathValue("token")
	rc, err := s.loadRSVP(r, tok)
	if err != nil {
		s.pageError(w, r, langFor(r, ""), err)
		return nil
	}
	ans, err := s.currentAnswer(r, rc)
	if err != nil {
		return err
	}
	rc.cal.Organizer = calendar.Person{Name: rc.network.Name, Email: s.Links.ReplyAddress(rc.member.ID, rc.series.ID)}
	att := calendar.Attendee{Person: calendar.Person{Name: rc.member.Name, Email: rc.member.Email}, PartStat: calendar.PartStat(ans)}
	body, err := calendar.Request(rc.cal, att, s.now())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8; method=REQUEST")
	w.Header().Set("Content-Disposition", `attachment; filename="`+safeFilename(rc.network.Slug)+`.ics"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(body)
	return nil
}

func safeFilename(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return -1
	}, s)
}

// weekday and month names for the pages.
var (
	weekdays = map[string][7]string{
		"sv": {"söndag", "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag"},
		"en": {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
	}
	months = map[string][12]string{
		"sv": {"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december"},
		"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	}
)

// formatWhen writes "tisdag 13 januari 2026 kl. 18:00–20:00 (CET)".
func formatWhen(lang string, start, end time.Time) string {
	if lang != "en" {
		lang = "sv"
	}
	day := weekdays[lang][start.Weekday()] + " " + itoa(int64(start.Day())) + " " + months[lang][start.Month()-1] + " " + itoa(int64(start.Year()))
	at := " kl. "
	if lang == "en" {
		at = ", "
	}
	return day + at + start.Format("15:04") + "–" + end.Format("15:04") + " (" + start.Format("MST") + ")"
}

// short weekday and month names for compact lists and charts.
var (
	shortWeekdays = map[string][7]string{
		"sv": {"sön", "mån", "tis", "ons", "tors", "fre", "lör"},
		"en": {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"},
	}
	shortMonths = map[string][12]string{
		"sv": {"jan", "feb", "mars", "apr", "maj", "juni", "juli", "aug", "sep", "okt", "nov", "dec"},
		"en": {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
	}
)

// formatShort writes "tis 8 dec 18:00" ("Tue 8 Dec 18:00"): a meeting in
// a list or a chart, in the zone of t.
func formatShort(lang string, t time.Time) string {
	if lang != "en" {
		lang = "sv"
	}
	return shortWeekdays[lang][t.Weekday()] + " " + itoa(int64(t.Day())) + " " + shortMonths[lang][t.Month()-1] + " " + t.Format("15:04")
}

// formatDate writes "8 december 2026" ("8 December 2026").
func formatDate(lang string, t time.Time) string {
	if lang != "en" {
		lang = "sv"
	}
	return itoa(int64(t.Day())) + " " + months[lang][t.Month()-1] + " " + itoa(int64(t.Year()))
}
