package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/natverk/natverk/calendar"
	"github.com/natverk/natverk/internal/feeds"
	"github.com/natverk/natverk/internal/natverk"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// timeNow is the wall clock for identifiers; handlers use s.now().
var timeNow = time.Now

// seriesView is a meeting series as the API shows it.
type seriesView struct {
	*natverk.Series
	DurationMinutes int    `json:"duration_minutes"`
	StartLocal      string `json:"start_local"`
	Schedule        string `json:"schedule"`
}

func (s *Server) viewSeries(sr *natverk.Series) *seriesView {
	cs := feeds.CalendarSeries(sr, calendar.Person{}, "")
	return &seriesView{Series: sr, DurationMinutes: sr.DurationMinutes(), StartLocal: sr.Start.Format("2006-01-02T15:04"), Schedule: calendar.Describe(cs, natverk.LocaleSV)}
}

// handleCreateSeries schedules a meeting series (or a one-off event) for a
// network; everyone invited gets the invitation.
func (s *Server) handleCreateSeries(w http.ResponseWriter, r *http.Request) error {
	n, err := s.network(r)
	if err != nil {
		return err
	}
	var in natverk.SeriesInput
	if err := decodeJSON(w, r, s.MaxBody, &in); err != nil {
		return err
	}
	sr, err := in.Build(n, s.Checks)
	if err != nil {
		return err
	}
	sr.UID = newUID(s.Links.MailDomain)
	addSkips(sr)
	stored, err := s.Store.CreateSeries(r.Context(), sr)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/meetings/"+itoa(stored.ID))
	writeJSON(w, http.StatusCreated, s.viewSeries(stored))
	return nil
}

// addSkips cancels, before anyone is invited, the occurrences the
// series skips: Swedish public holidays and the summer break, over the
// ten years a series may span. They become EXDATEs in the invitation, so
// members get one invitation instead of a cancellation per date.
func addSkips(sr *natverk.Series) {
	rules := calendar.SkipRules{Holidays: sr.SkipHolidays}
	if from, to, ok := natverk.ParseSummerBreak(sr.SummerBreak); ok {
		rules.SummerFrom = calendar.MonthDay{Month: time.Month(from[0]), Day: from[1]}
		rules.SummerTo = calendar.MonthDay{Month: time.Month(to[0]), Day: to[1]}
	}
	if !rules.Holidays && rules.SummerFrom.Month == 0 {
		return
	}
	cs := feeds.CalendarSeries(sr, calendar.Person{}, "")
	for _, t := range calendar.Skips(cs, rules, sr.Start, sr.Start.AddDate(calendar.MaxYears, 0, 0)) {
		reason := "Sommaruppehåll"
		if rules.Holidays && isHoliday(t.In(sr.Start.Location())) {
			reason = "Röd dag"
		}
		sr.Exceptions = append(sr.Exceptions, natverk.Exception{RecurrenceID: t, Cancelled: true, Reason: reason})
	}
}

// isHoliday reports whether t's date is a Swedish holiday or day-off eve.
func isHoliday(t time.Time) bool {
	d := calendar.DateOf(t)
	for _, h := range calendar.SwedishHolidays(t.Year()) {
		if h.Date == d {
			return true
		}
	}
	return false
}

// series loads the series in the path and checks the actor manages its
// network.
func (s *Server) series(r *http.Request) (*natverk.Series, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	sr, err := s.Store.FindSeriesByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if !natverk.ActorFromContext(r.Context()).CanManage(sr.NetworkID) {
		return nil, natverk.Errorf(natverk.ENOTFOUND, "Meeting series not found.")
	}
	return sr, nil
}

// handleListSeries lists a network's series.
func (s *Server) handleListSeries(w http.ResponseWriter, r *http.Request) error {
	n, err := s.network(r)
	if err != nil {
		return err
	}
	ss, err := s.Store.FindSeries(r.Context(), n.ID)
	if err != nil {
		return err
	}
	out := []*seriesView{}
	for _, sr := range ss {
		out = append(out, s.viewSeries(sr))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleGetSeries shows a series.
func (s *Server) handleGetSeries(w http.ResponseWriter, r *http.Request) error {
	sr, err := s.series(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.viewSeries(sr))
	return nil
}

// handleUpdateSeries changes a series; attendees get an update with a
// higher SEQUENCE.
func (s *Server) handleUpdateSeries(w http.ResponseWriter, r *http.Request) error {
	sr, err := s.series(r)
	if err != nil {
		return err
	}
	var u natverk.SeriesUpdate
	if err := decodeJSON(w, r, s.MaxBody, &u); err != nil {
		return err
	}
	n, err := s.Store.FindNetworkByID(r.Context(), sr.NetworkID)
	if err != nil {
		return err
	}
	next, err := u.Input(sr).Build(n, s.Checks)
	if err != nil {
		return err
	}
	up, err := s.Store.UpdateSeries(r.Context(), sr.ID, next, natverk.Significant(sr, next))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.viewSeries(up))
	return nil
}

// occurrenceRequest cancels or moves one occurrence.
type occurrenceRequest struct {
	// Occurrence is the original local start ("2026-03-10T18:00") or an
	// RFC 3339 instant.
	Occurrence      string  `json:"occurrence"`
	Start           string  `json:"start,omitempty"`
	DurationMinutes int     `json:"duration_minutes,omitempty"`
	Location        *string `json:"location,omitempty"`
	Reason          string  `json:"reason,omitempty"`
}

// parseInstant reads a local date-time in the series zone or an RFC 3339
// instant.
func parseInstant(v string, loc *time.Location) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.In(loc), true
	}
	return natverk.ParseLocal(v, loc)
}

// handleChangeOccurrence cancels (POST …/cancel) or moves (POST …/move)
// one occurrence.
func (s *Server) handleChangeOccurrence(cancel bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		sr, err := s.series(r)
		if err != nil {
			return err
		}
		var req occurrenceRequest
		if err := decodeJSON(w, r, s.MaxBody, &req); err != nil {
			return err
		}
		up, err := s.changeOccurrence(r.Context(), sr, req, cancel)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, s.viewSeries(up))
		return nil
	}
}

// occurrenceView is one meeting with its answer counts.
type occurrenceView struct {
	RecurrenceID time.Time      `json:"recurrence_id"`
	Start        time.Time      `json:"start"`
	End          time.Time      `json:"end"`
	Moved        bool           `json:"moved,omitempty"`
	Cancelled    bool           `json:"cancelled,omitempty"`
	Counts       natverk.Counts `json:"counts"`
	// Capacity and Roster: a meeting with a limited number of places,
	// and who has one or waits (member ids in order).
	Capacity int             `json:"capacity,omitempty"`
	Roster   *natverk.Roster `json:"roster,omitempty"`
	Answers  []answerView    `json:"answers,omitempty"`
}

type answerView struct {
	MemberID int64  `json:"member_id"`
	Name     string `json:"name"`
	Answer   string `json:"answer"`
	// Place is "confirmed" or "waitlisted" at a meeting with a capacity;
	// Waitlist is the place on the waiting list.
	Place    string `json:"place,omitempty"`
	Waitlist int    `json:"waitlist,omitempty"`
}

// handleOccurrences lists the meetings in a window (default: the next
// 90 days) with answer counts, and names for organizers.
func (s *Server) handleOccurrences(w http.ResponseWriter, r *http.Request) error {
	sr, err := s.series(r)
	if err != nil {
		return err
	}
	loc := sr.Start.Location()
	from, to := s.now(), s.now().Add(90*24*time.Hour)
	if v := r.URL.Query().Get("from"); v != "" {
		t, ok := parseInstant(v, loc)
		if !ok {
			return natverk.Invalid(natverk.FieldError{Field: "from", Reason: "must be a date-time"})
		}
		from = t
	}
	if v := r.URL.Query().Get("to"); v != "" {
		t, ok := parseInstant(v, loc)
		if !ok {
			return natverk.Invalid(natverk.FieldError{Field: "to", Reason: "must be a date-time"})
		}
		to = t
	}
	if to.Sub(from) > 366*24*time.Hour || to.Before(from) {
		return natverk.Invalid(natverk.FieldError{Field: "to", Reason: "must be after from, at most a year later"})
	}
	cs := feeds.CalendarSeries(sr, calendar.Person{}, "")
	occs, err := cs.Occurrences(from, to, 400)
	if err != nil {
		return err
	}
	invitees, err := s.Store.FindMemberships(r.Context(), natverk.MembershipFilter{NetworkID: sr.NetworkID, Statuses: natverk.InvitedStatuses})
	if err != nil {
		return err
	}
	rsvps, err := s.Store.FindRSVPs(r.Context(), natverk.RSVPFilter{SeriesID: sr.ID})
	if err != nil {
		return err
	}
	names := r.URL.Query().Get("names") == "true"
	out := []occurrenceView{}
	for _, o := range occs {
		v := occurrenceView{RecurrenceID: o.RecurrenceID, Start: o.Start, End: o.End, Moved: o.Override != nil, Counts: feeds.Count(invitees, rsvps, o.RecurrenceID)}
		if names {
			v.Answers, err = s.answerNames(r, invitees, rsvps, o.RecurrenceID)
			if err != nil {
				return err
			}
		}
		addRoster(&v, sr, invitees, rsvps)
		out = append(out, v)
	}
	for _, ex := range sr.Exceptions {
		if ex.Cancelled && !ex.RecurrenceID.Before(from) && ex.RecurrenceID.Before(to) {
			out = append(out, occurrenceView{RecurrenceID: ex.RecurrenceID, Start: ex.RecurrenceID, End: ex.RecurrenceID.Add(sr.Duration), Cancelled: true})
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) answerNames(r *http.Request, invitees []*natverk.Membership, rsvps []*natverk.RSVP, occ time.Time) ([]answerView, error) {
	series, byOcc := map[int64]string{}, map[int64]string{}
	for _, a := range rsvps {
		if a.Occurrence.IsZero() {
			series[a.MemberID] = a.Answer
		} else if a.Occurrence.Equal(occ) {
			byOcc[a.MemberID] = a.Answer
		}
	}
	var out []answerView
	for _, m := range invitees {
		mem, err := s.Store.FindMemberByID(r.Context(), m.MemberID)
		if err != nil {
			return nil, err
		}
		out = append(out, answerView{MemberID: m.MemberID, Name: mem.Name, Answer: natverk.EffectiveAnswer(series[m.MemberID], byOcc[m.MemberID])})
	}
	return out, nil
}

// handleRecordAnswer records an answer through the API (an organizer
// entering what a member said by phone, or an integration).
func (s *Server) handleRecordAnswer(w http.ResponseWriter, r *http.Request) error {
	sr, err := s.series(r)
	if err != nil {
		return err
	}
	var req struct {
		MemberID   int64  `json:"member_id"`
		Answer     string `json:"answer"`
		Occurrence string `json:"occurrence,omitempty"`
	}
	if err := decodeJSON(w, r, s.MaxBody, &req); err != nil {
		return err
	}
	ans, ok := natverk.ParseAnswer(req.Answer)
	if !ok {
		return natverk.Invalid(natverk.FieldError{Field: "answer", Reason: "must be yes, maybe or no"})
	}
	rv := natverk.RSVP{SeriesID: sr.ID, MemberID: req.MemberID, Answer: ans, Source: natverk.SourceAPI, AnsweredAt: s.now(), Sequence: sr.Sequence}
	if req.Occurrence != "" {
		t, ok := parseInstant(req.Occurrence, sr.Start.Location())
		if !ok {
			return natverk.Invalid(natverk.FieldError{Field: "occurrence", Reason: "must be the meeting's original start"})
		}
		rv.Occurrence = t.UTC()
	}
	stored, changed, err := s.Store.RecordRSVP(r.Context(), rv)
	if err != nil {
		return err
	}
	if changed && s.Feeds != nil {
		s.Feeds.Stale(natverk.MemberFeedKey(req.MemberID))
	}
	writeJSON(w, http.StatusOK, map[string]any{"answer": stored, "changed": changed})
	return nil
}

// handleSplitSeries changes the series from one meeting on: the old
// series ends before it (UNTIL) and a new series with a new UID takes
// over, since clients handle RANGE=THISANDFUTURE poorly.
func (s *Server) handleSplitSeries(w http.ResponseWriter, r *http.Request) error {
	sr, err := s.series(r)
	if err != nil {
		return err
	}
	var req struct {
		From string `json:"from"`
		natverk.SeriesUpdate
	}
	if err := decodeJSON(w, r, s.MaxBody, &req); err != nil {
		return err
	}
	loc := sr.Start.Location()
	from, ok := parseInstant(req.From, loc)
	if !ok {
		return natverk.Invalid(natverk.FieldError{Field: "from", Reason: "must be the local start of the first meeting that changes"})
	}
	n, err := s.Store.FindNetworkByID(r.Context(), sr.NetworkID)
	if err != nil {
		return err
	}
	cs := feeds.CalendarSeries(sr, calendar.Person{}, "")
	ended, next, err := calendar.Split(cs, from, newUID(s.Links.MailDomain))
	if err != nil {
		return natverk.Invalid(natverk.FieldError{Field: "from", Reason: err.Error()})
	}
	in := req.SeriesUpdate.Input(sr)
	in.Start = next.Start.In(loc).Format("2006-01-02T15:04:05")
	if req.Start != nil {
		in.Start = *req.Start
	}
	if req.RRule == nil {
		in.RRule = next.Rule
	}
	nextSeries, err := in.Build(n, s.Checks)
	if err != nil {
		return err
	}
	nextSeries.UID = next.UID
	oldEnded := *sr
	oldEnded.Rule = ended.Rule
	stored, err := s.Store.SplitSeries(r.Context(), sr.ID, &oldEnded, nextSeries)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.viewSeries(stored))
	return nil
}
