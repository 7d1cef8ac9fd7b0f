package httpapi

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/natverk/natverk/internal/natverk"
)

// attendanceRequest marks who came to one meeting.
type attendanceRequest struct {
	// Occurrence is the meeting's original start ("2026-03-10T18:00" or
	// RFC 3339).
	Occurrence string  `json:"occurrence"`
	Attended   []int64 `json:"attended"`
	Absent     []int64 `json:"absent"`
}

// handlePutAttendance records who came: PUT /api/v1/meetings/{id}/attendance
// with JSON {occurrence, attended, absent}, or a CSV (Content-Type
// text/csv, the meeting in ?occurrence=) with a header row naming
// member_id or email and attended (ja/yes/1/x/true, or nej/no/0/false
// or empty for absent).
func (s *Server) handlePutAttendance(w http.ResponseWriter, r *http.Request) error {
	sr, err := s.series(r)
	if err != nil {
		return err
	}
	var req attendanceRequest
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "text/csv" {
		req.Occurrence = r.URL.Query().Get("occurrence")
		req.Attended, req.Absent, err = s.attendanceCSV(r.Context(), sr.NetworkID, http.MaxBytesReader(w, r.Body, s.MaxBody))
		if err != nil {
			return err
		}
	} else if err := decodeJSON(w, r, s.MaxBody, &req); err != nil {
		return err
	}
	occ, ok := parseInstant(req.Occurrence, sr.Start.Location())
	if !ok {
		return natverk.Invalid(natverk.FieldError{Field: "occurrence", Reason: `must be the meeting's original start, e.g. "2026-03-10T18:00"`})
	}
	in := natverk.AttendanceInput{Occurrence: occ, Attended: req.Attended, Absent: req.Absent, RecordedBy: natverk.ActorFromContext(r.Context()).MemberID}
	res, err := s.Store.RecordAttendance(r.Context(), sr.ID, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// attendanceCSV reads an attendance CSV: each row names a member (by id
// or address) and whether they came.
func (s *Server) attendanceCSV(ctx context.Context, networkID int64, body io.Reader) (attended, absent []int64, err error) {
	cr := csv.NewReader(body)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, nil, natverk.Invalid(natverk.FieldError{Field: "csv", Reason: "needs a header row: member_id or email, and attended"})
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	idCol, hasID := col["member_id"]
	emailCol, hasEmail := col["email"]
	cameCol, hasCame := col["attended"]
	if !hasID && !hasEmail || !hasCame {
		return nil, nil, natverk.Invalid(natverk.FieldError{Field: "csv", Reason: "the header row must name member_id or email, and attended"})
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, nil, &natverk.Error{Code: natverk.ETOOLARGE, Message: "The CSV is too large."}
		}
		if err != nil {
			return nil, nil, natverk.Invalid(natverk.FieldError{Field: "csv", Reason: "row " + strconv.Itoa(line) + ": " + err.Error()})
		}
		field := func(i int) string {
			if i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		row := func(reason string) error {
			return natverk.Invalid(natverk.FieldError{Field: "csv", Reason: "row " + strconv.Itoa(line) + ": " + reason})
		}
		var id int64
		switch {
		case hasID && field(idCol) != "":
			if id, err = strconv.ParseInt(field(idCol), 10, 64); err != nil || id <= 0 {
				return nil, nil, row("member_id is not a number")
			}
		case hasEmail && field(emailCol) != "":
			m, err := s.Store.FindMemberByEmail(ctx, field(emailCol))
			if natverk.ErrorCode(err) == natverk.ENOTFOUND {
				return nil, nil, row("no member has the address " + field(emailCol))
			} else if err != nil {
				return nil, nil, err
			}
			id = m.ID
		default:
			if strings.Join(rec, "") == "" {
				continue // a blank line
			}
			return nil, nil, row("names no member")
		}
		came, ok := parseAttended(field(cameCol))
		if !ok {
			return nil, nil, row(`attended must be yes or no (ja/nej, 1/0, x or empty)`)
		}
		if came {
			attended = append(attended, id)
		} else {
			absent = append(absent, id)
		}
	}
	return attended, absent, nil
}

// parseAttended reads an attended cell.
func parseAttended(v string) (came, ok bool) {
	switch strings.ToLower(v) {
	case "ja", "yes", "1", "x", "true", "j", "y":
		return true, true
	case "nej", "no", "0", "false", "", "n", "-":
		return false, true
	}
	return false, false
}

// attendanceView is one record with the member's name.
type attendanceView struct {
	*natverk.Attendance
	Name string `json:"name"`
}

// handleGetAttendance lists what is recorded for one meeting
// (?occurrence=) or every meeting of the series.
func (s *Server) handleGetAttendance(w http.ResponseWriter, r *http.Request) error {
	sr, err := s.series(r)
	if err != nil {
		return err
	}
	f := natverk.AttendanceFilter{SeriesID: sr.ID}
	if v := r.URL.Query().Get("occurrence"); v != "" {
		occ, ok := parseInstant(v, sr.Start.Location())
		if !ok {
			return natverk.Invalid(natverk.FieldError{Field: "occurrence", Reason: "must be the meeting's original start"})
		}
		f.From, f.To = occ.Truncate(time.Second), occ.Truncate(time.Second).Add(time.Second)
	}
	recs, err := s.Store.FindAttendance(r.Context(), f)
	if err != nil {
		return err
	}
	out := []attendanceView{}
	for _, a := range recs {
		m, err := s.Store.FindMemberByID(r.Context(), a.MemberID)
		if err != nil {
			return err
		}
		out = append(out, attendanceView{Attendance: a, Name: m.Name})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// attendanceReport builds a network's report for a year.
func (s *Server) attendanceReport(ctx context.Context, n *natverk.Network, year int) (natverk.AttendanceReport, error) {
	series, err := s.Store.FindSeries(ctx, n.ID)
	if err != nil {
		return natverk.AttendanceReport{}, err
	}
	invitees, err := s.Store.FindMemberships(ctx, natverk.MembershipFilter{NetworkID: n.ID, Statuses: natverk.InvitedStatuses})
	if err != nil {
		return natverk.AttendanceReport{}, err
	}
	recs, err := s.Store.FindAttendance(ctx, natverk.AttendanceFilter{NetworkID: n.ID})
	if err != nil {
		return natverk.AttendanceReport{}, err
	}
	rep := natverk.BuildAttendanceReport(natverk.ReportInput{Network: n, Year: year, Zone: zoneOf(n), Series: series, Invitees: invitees, Records: recs})
	for i := range rep.Lapsed {
		m, err := s.Store.FindMemberByID(ctx, rep.Lapsed[i].MemberID)
		if err != nil {
			return rep, err
		}
		rep.Lapsed[i].Name = m.Name
	}
	return rep, nil
}

// reportYear reads ?year= (default: this year in the network's zone).
func (s *Server) reportYear(r *http.Request, n *natverk.Network) (int, error) {
	v := r.URL.Query().Get("year")
	if v == "" {
		return s.now().In(zoneOf(n)).Year(), nil
	}
	y, err := strconv.Atoi(v)
	if err != nil || y < 2000 || y > 2200 {
		return 0, natverk.Invalid(natverk.FieldError{Field: "year", Reason: "must be a year such as 2027"})
	}
	return y, nil
}

// wantsCSV reports whether the request asks for CSV (?format=csv or an
// Accept header preferring text/csv).
func wantsCSV(r *http.Request) bool {
	if f := r.URL.Query().Get("format"); f != "" {
		return f == "csv"
	}
	return strings.HasPrefix(strings.TrimSpace(r.Header.Get("Accept")), "text/csv")
}

// handleReport answers GET /api/v1/networks/{id}/report?year=2027: the
// network's attendance over the year, as JSON or as CSV for the board.
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) error {
	n, err := s.network(r)
	if err != nil {
		return err
	}
	year, err := s.reportYear(r, n)
	if err != nil {
		return err
	}
	rep, err := s.attendanceReport(r.Context(), n, year)
	if err != nil {
		return err
	}
	if wantsCSV(r) {
		return writeReportCSV(w, n, rep)
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// writeReportCSV writes the report as CSV: one row per meeting, then the
// year's totals and the lapsed members.
func writeReportCSV(w http.ResponseWriter, n *natverk.Network, rep natverk.AttendanceReport) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+safeFilename(n.Slug)+`-`+strconv.Itoa(rep.Year)+`.csv"`)
	cw := csv.NewWriter(w)
	zone := zoneOf(n)
	pct := func(r float64) string { return strconv.FormatFloat(r*100, 'f', 1, 64) }
	cw.Write([]string{"date", "time", "series_id", "meeting", "attended", "absent", "expected", "rate_percent"})
	for _, m := range rep.Meetings {
		at := m.Occurrence.In(zone)
		cw.Write([]string{at.Format("2006-01-02"), at.Format("15:04"), strconv.FormatInt(m.SeriesID, 10), csvSafe(m.Summary),
			strconv.Itoa(m.Attended), strconv.Itoa(m.Absent), strconv.Itoa(m.Expected), pct(m.Rate)})
	}
	cw.Write(nil)
	cw.Write([]string{"year", "network", "meetings", "rate_percent", "members", "active", "lapsed"})
	cw.Write([]string{strconv.Itoa(rep.Year), csvSafe(n.Name), strconv.Itoa(len(rep.Meetings)), pct(rep.Rate),
		strconv.Itoa(rep.Members), strconv.Itoa(rep.Active), strconv.Itoa(len(rep.Lapsed))})
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from reading a text as a formula (a cell
// starting with = + - @ is prefixed with an apostrophe).
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
