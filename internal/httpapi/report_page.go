package httpapi

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/natverk/natverk/internal/natverk"
)

// The organizer's report page, GET /organize/{token}/report (the
// organizer link's token): the year's attendance with a chart, the
// active and lapsed members, a form to record who came to a meeting,
// the waiting lists of the coming meetings with a capacity, and the open
// poll on the meeting time with its tally and a button per option. Every
// form POSTs with a CSRF token; a GET changes nothing.

// reportPage is the data of the report page.
type reportPage struct {
	Lang, Title string
	Network     *natverk.Network
	Base, CSRF  string
	Done, Error string
	Year        int
	Prev, Next  string
	CSV         string
	Report      natverk.AttendanceReport
	RatePct     string
	Rows        []reportRow
	Chart       template.HTML
	// Marking lists the meetings attendance can be recorded for; Mark is
	// the one the form is for.
	Marking   []orgChoice
	Mark      markForm
	Waitlists []waitlistView
	Polls     []pollPage
}

type reportRow struct {
	When, Summary              string
	Attended, Absent, Expected int
	RatePct                    string
}

// markForm records the attendance of one meeting.
type markForm struct {
	Key, Label string
	Members    []markMember
}

type markMember struct {
	ID   int64
	Name string
	Came bool
}

// waitlistView is one coming meeting with a capacity.
type waitlistView struct {
	When               string
	Capacity           int
	Confirmed, Waiting []string
}

// pollPage is a poll on the report page.
type pollPage struct {
	ID      int64
	Title   string
	Open    bool
	Voters  int
	Options []pollOptionPage
}

type pollOptionPage struct {
	ID                int64
	When              string
	Yes, IfNeedBe, No int
	Suggested, Picked bool
}

// percent writes a rate as "62,5 %" ("62.5%").
func percent(lang string, r float64) string {
	v := strconv.FormatFloat(r*100, 'f', 1, 64)
	if lang == "en" {
		return v + "%"
	}
	return strings.Replace(v, ".", ",", 1) + " %"
}

// handleOrganizerReport shows the report page.
func (s *Server) handleOrganizerReport(w http.ResponseWriter, r *http.Request) error {
	oc, err := s.loadOrganizer(r, r.PathValue("token"))
	if err != nil {
		s.orgError(w, r, err)
		return nil
	}
	p, err := s.reportData(r.Context(), r, oc, r.URL.Query())
	if natverk.ErrorCode(err) == natverk.EINVALID {
		p.Error = t(oc.lang, "org.error") + " " + formMessage(oc.lang, err)
		s.renderFeaturePage(w, http.StatusUnprocessableEntity, "report", p)
		return nil
	} else if err != nil {
		return err
	}
	switch r.URL.Query().Get("done") {
	case "attendance":
		p.Done = ft(oc.lang, "report.saved")
	case "decided":
		p.Done = ft(oc.lang, "poll.picked")
	}
	s.renderFeaturePage(w, http.StatusOK, "report", p)
	return nil
}

// handleOrganizerReportCSV downloads the year's report as CSV.
func (s *Server) handleOrganizerReportCSV(w http.ResponseWriter, r *http.Request) error {
	oc, err := s.loadOrganizer(r, r.PathValue("token"))
	if err != nil {
		s.orgError(w, r, err)
		return nil
	}
	year, err := s.reportYear(r, oc.network)
	if err != nil {
		return err
	}
	rep, err := s.attendanceReport(r.Context(), oc.network, year)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeReportCSV(w, oc.network, rep)
}

// reportData loads everything the page shows.
func (s *Server) reportData(ctx context.Context, r *http.Request, oc *orgContext, q url.Values) (reportPage, error) {
	lang, n := oc.lang, oc.network
	zone := zoneOf(n)
	p := reportPage{Lang: lang, Title: ft(lang, "report.title") + " — " + n.Name, Network: n, Base: oc.base(), CSRF: s.csrfFor(oc.tok)}
	year, err := s.reportYear(r, n)
	if err != nil {
		return p, err
	}
	p.Year = year
	p.Prev, p.Next = p.Base+"/report?year="+strconv.Itoa(year-1), p.Base+"/report?year="+strconv.Itoa(year+1)
	p.CSV = p.Base + "/report.csv?year=" + strconv.Itoa(year)
	if p.Report, err = s.attendanceReport(ctx, n, year); err != nil {
		return p, err
	}
	p.RatePct = percent(lang, p.Report.Rate)
	var bars []attendanceBar
	for _, m := range p.Report.Meetings {
		when := formatShort(lang, m.Occurrence.In(zone))
		p.Rows = append(p.Rows, reportRow{When: when, Summary: m.Summary, Attended: m.Attended, Absent: m.Absent, Expected: m.Expected, RatePct: percent(lang, m.Rate)})
		bars = append(bars, attendanceBar{Label: when, Came: m.Attended, Expected: m.Expected})
	}
	if len(bars) > 0 {
		p.Chart = attendanceChart(lang, bars)
	}
	series, err := s.Store.FindSeries(ctx, n.ID)
	if err != nil {
		return p, err
	}
	invitees, err := s.Store.FindMemberships(ctx, natverk.MembershipFilter{NetworkID: n.ID, Statuses: natverk.InvitedStatuses})
	if err != nil {
		return p, err
	}
	names := map[int64]string{}
	for _, ms := range invitees {
		m, err := s.Store.FindMemberByID(ctx, ms.MemberID)
		if err != nil {
			return p, err
		}
		names[m.ID] = m.Name
	}
	if err := s.markingData(ctx, &p, series, invitees, names, q.Get("meeting")); err != nil {
		return p, err
	}
	if err := s.waitlistData(ctx, &p, series, invitees, names); err != nil {
		return p, err
	}
	return p, s.pollData(ctx, &p)
}

// markingData lists the meetings of the last 120 days that have started,
// newest first, and fills the form for the one chosen (key) or the
// latest.
func (s *Server) markingData(ctx context.Context, p *reportPage, series []*natverk.Series, invitees []*natverk.Membership, names map[int64]string, key string) error {
	now := s.now()
	type past struct {
		sr  *natverk.Series
		rid time.Time
	}
	var all []past
	for _, sr := range series {
		if sr.Status == natverk.SeriesCancelled {
			continue
		}
		for _, rid := range sr.Upcoming(now.Add(-120*24*time.Hour), now, 60) {
			if natverk.CheckAttendanceOccurrence(sr, rid, now) == nil {
				all = append(all, past{sr, rid})
			}
		}
	}
	slices.SortFunc(all, func(a, b past) int { return b.rid.Compare(a.rid) })
	if len(all) > 20 {
		all = all[:20]
	}
	var chosen *past
	for i, m := range all {
		k := occurrenceKey(m.sr.ID, m.rid)
		p.Marking = append(p.Marking, orgChoice{Key: k, Label: formatShort(p.Lang, m.rid.In(m.sr.Start.Location()))})
		if k == key || chosen == nil && key == "" {
			chosen = &all[i]
		}
	}
	if chosen == nil {
		return nil
	}
	recs, err := s.Store.FindAttendance(ctx, natverk.AttendanceFilter{SeriesID: chosen.sr.ID, From: chosen.rid, To: chosen.rid.Add(time.Second)})
	if err != nil {
		return err
	}
	came := map[int64]bool{}
	for _, a := range recs {
		came[a.MemberID] = a.Attended
	}
	p.Mark = markForm{Key: occurrenceKey(chosen.sr.ID, chosen.rid), Label: formatShort(p.Lang, chosen.rid.In(chosen.sr.Start.Location()))}
	for _, ms := range invitees {
		p.Mark.Members = append(p.Mark.Members, markMember{ID: ms.MemberID, Name: names[ms.MemberID], Came: came[ms.MemberID]})
	}
	slices.SortFunc(p.Mark.Members, func(a, b markMember) int { return strings.Compare(natverk.Fold(a.Name), natverk.Fold(b.Name)) })
	return nil
}

// waitlistData shows, for the next meetings with a capacity, who has a
// place and who waits, in order.
func (s *Server) waitlistData(ctx context.Context, p *reportPage, series []*natverk.Series, invitees []*natverk.Membership, names map[int64]string) error {
	for _, sr := range series {
		occs := sr.CapacityOccurrences(s.now())
		if len(occs) == 0 {
			continue
		}
		rsvps, err := s.Store.FindRSVPs(ctx, natverk.RSVPFilter{SeriesID: sr.ID})
		if err != nil {
			return err
		}
		for _, rid := range occs[:min(len(occs), 6)] {
			ro := natverk.SeriesRoster(sr, invitees, rsvps, rid)
			v := waitlistView{When: formatShort(p.Lang, rid.In(sr.Start.Location())), Capacity: ro.Capacity}
			for _, id := range ro.Confirmed {
				v.Confirmed = append(v.Confirmed, names[id])
			}
			for _, id := range ro.Waitlist {
				v.Waiting = append(v.Waiting, names[id])
			}
			p.Waitlists = append(p.Waitlists, v)
		}
	}
	return nil
}

// pollData shows the network's polls with their tallies.
func (s *Server) pollData(ctx context.Context, p *reportPage) error {
	polls, err := s.Store.FindPolls(ctx, p.Network.ID)
	if err != nil {
		return err
	}
	for _, poll := range polls {
		votes, err := s.Store.FindVotes(ctx, poll.ID)
		if err != nil {
			return err
		}
		tally := natverk.Tally(poll, votes)
		pp := pollPage{ID: poll.ID, Title: poll.Title, Open: poll.Status == natverk.PollOpen && p.Network.Status == natverk.NetworkActive, Voters: tally.Voters}
		for i, o := range poll.Options {
			c := tally.Options[i]
			pp.Options = append(pp.Options, pollOptionPage{ID: o.ID, When: o.Describe(p.Lang), Yes: c.Yes, IfNeedBe: c.IfNeedBe, No: c.No,
				Suggested: pp.Open && o.ID == tally.Suggested, Picked: o.ID == poll.DecidedOption})
		}
		p.Polls = append(p.Polls, pp)
	}
	return nil
}

// reportPost starts a POST from the report page: the link, the form and
// its CSRF token.
func (s *Server) reportPost(w http.ResponseWriter, r *http.Request) *orgContext {
	r.Body = http.MaxBytesReader(w, r.Body, maxOrganizerForm)
	oc, err := s.loadOrganizer(r, r.PathValue("token"))
	if err != nil {
		s.orgError(w, r, err)
		return nil
	}
	if err := r.ParseForm(); err != nil || !s.checkCSRF(r, oc.tok) {
		s.reportFailed(w, r, oc, http.StatusForbidden, t(oc.lang, "csrf"))
		return nil
	}
	return oc
}

// reportFailed shows the page again with the problem.
func (s *Server) reportFailed(w http.ResponseWriter, r *http.Request, oc *orgContext, status int, msg string) {
	p, err := s.reportData(r.Context(), r, oc, url.Values{"meeting": {r.PostFormValue("meeting")}})
	if err != nil && natverk.ErrorCode(err) != natverk.EINVALID {
		s.writeProblem(w, r, err)
		return
	}
	p.Error = msg
	s.renderFeaturePage(w, status, "report", p)
}

// reportResult answers a POST: a 303 back to the page on success, the
// page with the reason for an invalid form.
func (s *Server) reportResult(w http.ResponseWriter, r *http.Request, oc *orgContext, err error, done string) error {
	switch code := natverk.ErrorCode(err); {
	case err == nil:
		http.Redirect(w, r, oc.base()+"/report?done="+done, http.StatusSeeOther)
		return nil
	case code == natverk.EINVALID || code == natverk.ECONFLICT || code == natverk.ENOTFOUND:
		s.reportFailed(w, r, oc, http.StatusUnprocessableEntity, t(oc.lang, "org.error")+" "+formMessage(oc.lang, err))
		return nil
	default:
		return err
	}
}

// handleOrganizerAttendance records the attendance form: the members
// ticked came, the other members listed did not.
func (s *Server) handleOrganizerAttendance(w http.ResponseWriter, r *http.Request) error {
	oc := s.reportPost(w, r)
	if oc == nil {
		return nil
	}
	sr, rid, err := s.occurrenceOf(r, oc, r.PostFormValue("meeting"))
	if err != nil {
		return s.reportResult(w, r, oc, err, "attendance")
	}
	occ, ok := parseInstant(rid, sr.Start.Location())
	if !ok {
		return s.reportResult(w, r, oc, natverk.Invalid(natverk.FieldError{Field: "occurrence", Reason: "is not a meeting of this network"}), "attendance")
	}
	came := map[int64]bool{}
	for _, v := range r.PostForm["came"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			came[id] = true
		}
	}
	in := natverk.AttendanceInput{Occurrence: occ, RecordedBy: oc.member.ID}
	for _, v := range r.PostForm["member"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		if came[id] {
			in.Attended = append(in.Attended, id)
		} else {
			in.Absent = append(in.Absent, id)
		}
	}
	_, err = s.Store.RecordAttendance(r.Context(), sr.ID, in)
	return s.reportResult(w, r, oc, err, "attendance")
}

// handleOrganizerDecide picks a poll's option from the report page.
func (s *Server) handleOrganizerDecide(w http.ResponseWriter, r *http.Request) error {
	oc := s.reportPost(w, r)
	if oc == nil {
		return nil
	}
	pollID, err1 := strconv.ParseInt(r.PostFormValue("poll"), 10, 64)
	option, err2 := strconv.ParseInt(r.PostFormValue("option"), 10, 64)
	if err1 != nil || err2 != nil {
		return s.reportResult(w, r, oc, natverk.Invalid(natverk.FieldError{Field: "option_id", Reason: "choose one of the options"}), "decided")
	}
	p, err := s.Store.FindPollByID(r.Context(), pollID)
	if err == nil && p.NetworkID != oc.network.ID {
		err = natverk.Errorf(natverk.ENOTFOUND, "Poll not found.")
	}
	if err == nil {
		_, _, err = s.decidePoll(r.Context(), p, option)
	}
	return s.reportResult(w, r, oc, err, "decided")
}

// attendanceBar is one meeting in the attendance chart.
type attendanceBar struct {
	Label          string
	Came, Expected int
}

// attendanceChart draws attendance per meeting as a server-rendered SVG
// (no script, no inline style): for each meeting a bar of those who came
// (class yes) within a bar of those expected (class none), with the
// numbers beside. The table on the page holds the same numbers as text.
func attendanceChart(lang string, bars []attendanceBar) template.HTML {
	scale := 1
	for _, b := range bars {
		scale = max(scale, b.Expected, b.Came)
	}
	height := chartTop + len(bars)*chartRowH + 4
	esc := template.HTMLEscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" role="img" aria-labelledby="att-title att-desc" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d">`, chartWidth, height, chartWidth, height)
	fmt.Fprintf(&b, `<title id="att-title">%s</title><desc id="att-desc">%s</desc>`, esc(ft(lang, "report.chart")), esc(ft(lang, "report.chart.desc")))
	x := 0
	for _, seg := range []struct{ class, key string }{{"yes", "report.came"}, {"none", "report.expected"}} {
		name := ft(lang, seg.key)
		fmt.Fprintf(&b, `<rect class="%s" x="%d" y="6" width="12" height="12"/><text x="%d" y="16">%s</text>`, seg.class, x, x+16, esc(name))
		x += 16 + 7*len([]rune(name)) + 18
	}
	for i, bar := range bars {
		y := chartTop + i*chartRowH
		fmt.Fprintf(&b, `<text x="0" y="%d">%s</text>`, y+chartBarH-3, esc(bar.Label))
		if bar.Expected > 0 {
			fmt.Fprintf(&b, `<rect class="none" x="%d" y="%d" width="%d" height="%d"/>`, chartBarX, y, max(bar.Expected*chartBarW/scale, 2), chartBarH)
		}
		if bar.Came > 0 {
			fmt.Fprintf(&b, `<rect class="yes" x="%d" y="%d" width="%d" height="%d"><title>%d %s</title></rect>`, chartBarX, y, max(bar.Came*chartBarW/scale, 2), chartBarH, bar.Came, esc(ft(lang, "report.came")))
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d">%d / %d</text>`, chartBarX+chartBarW+8, y+chartBarH-3, bar.Came, bar.Expected)
	}
	b.WriteString(`</svg>`)
	// Every piece of text above is escaped; the rest is fixed markup.
	return template.HTML(b.String())
}
