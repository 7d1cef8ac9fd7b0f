package httpapi

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/token"
)

// pollID returns the id of an open poll in a network organized by the
// organizer of network (created on first use), for the authorization
// matrix.
func (e *apiEnv) pollID(network string) int64 {
	e.t.Helper()
	ctx := context.Background()
	slug := network + "-poll"
	n, err := e.store.FindNetworkBySlug(ctx, slug)
	if natverk.ErrorCode(err) == natverk.ENOTFOUND {
		in, _ := natverk.NetworkInput{Name: "Omröstning " + network, Slug: slug, Organizers: e.net[network].Organizers}.Normalize(testChecks.Zone)
		if n, err = e.store.CreateNetwork(ctx, in, "feedtoken"+slug+"0123456789"); err != nil {
			e.t.Fatal(err)
		}
		p, err := natverk.PollInput{Options: []natverk.PollOption{{Start: "2027-02-02T18:00", RRule: "FREQ=WEEKLY"}, {Start: "2027-02-03T18:00", RRule: "FREQ=WEEKLY"}}}.Build(n, testChecks)
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.store.CreatePoll(ctx, p); err != nil {
			e.t.Fatal(err)
		}
	} else if err != nil {
		e.t.Fatal(err)
	}
	ps, err := e.store.FindPolls(ctx, n.ID)
	if err != nil || len(ps) == 0 {
		e.t.Fatalf("polls of %s: %v", slug, err)
	}
	return ps[0].ID
}

// jsonCall calls the API and decodes a JSON answer into out (when not
// nil); it returns the status.
func (e *apiEnv) jsonCall(method, path, bearer string, body any, out any) int {
	e.t.Helper()
	var r *strings.Reader
	if s, ok := body.(string); ok {
		r = strings.NewReader(s)
	} else {
		b, _ := json.Marshal(body)
		r = strings.NewReader(string(b))
	}
	ct := "application/json"
	if method == "GET" {
		ct, r = "", strings.NewReader("")
	}
	resp := e.call(method, path, bearer, ct, r, nil)
	b := readAll(e.t.(*testing.T), resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

// TestCapacityAPI: a capacity on the series and on one meeting; the
// occurrences list shows who has a place and who waits, in order.
func TestCapacityAPI(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	sr := e.series["goteborg"]
	path := "/api/v1/meetings/" + itoa(sr.ID)
	var view struct {
		Capacity   int                 `json:"capacity"`
		Exceptions []natverk.Exception `json:"exceptions"`
	}
	if got := e.jsonCall("PUT", path+"/capacity", e.tokens["anna"], map[string]any{"capacity": 1}, &view); got != 200 || view.Capacity != 1 {
		t.Fatalf("set capacity: %d %+v", got, view)
	}
	for _, m := range []*natverk.Member{e.m["anna"], e.m["bo"]} {
		if _, _, err := e.store.RecordRSVP(ctx, natverk.RSVP{SeriesID: sr.ID, MemberID: m.ID, Answer: natverk.AnswerYes, Source: natverk.SourceAPI}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	var occs []occurrenceView
	if got := e.jsonCall("GET", path+"/occurrences?names=true&from=2027-01-01T00:00&to=2027-03-01T00:00", e.tokens["anna"], nil, &occs); got != 200 || len(occs) != 2 {
		t.Fatalf("occurrences: %d %d", got, len(occs))
	}
	first := occs[0]
	if first.Capacity != 1 || first.Roster == nil || first.Roster.Confirmed[0] != e.m["anna"].ID || first.Roster.Waitlist[0] != e.m["bo"].ID || first.Counts.Waitlist != 1 {
		t.Fatalf("first meeting: %+v", first)
	}
	for _, a := range first.Answers {
		want := map[int64]string{e.m["anna"].ID: "confirmed", e.m["bo"].ID: "waitlisted"}[a.MemberID]
		if a.Place != want || a.MemberID == e.m["bo"].ID && a.Waitlist != 1 {
			t.Errorf("answer %+v, want place %q", a, want)
		}
	}
	// Two places at the second meeting only.
	if got := e.jsonCall("PUT", path+"/capacity", e.tokens["anna"], map[string]any{"occurrence": "2027-02-09T18:00", "capacity": 2}, &view); got != 200 {
		t.Fatalf("occurrence capacity: %d", got)
	}
	e.jsonCall("GET", path+"/occurrences?names=true&from=2027-01-01T00:00&to=2027-03-01T00:00", e.tokens["anna"], nil, &occs)
	if occs[1].Capacity != 2 || len(occs[1].Roster.Waitlist) != 0 || len(occs[0].Roster.Waitlist) != 1 {
		t.Fatalf("after the occurrence capacity: %+v / %+v", occs[0], occs[1])
	}
	for _, tc := range []struct {
		name string
		body any
		want int
	}{
		{"NoCapacity", map[string]any{}, 422},
		{"Negative", map[string]any{"capacity": -2}, 422},
		{"NotAMeeting", map[string]any{"occurrence": "2027-02-10T18:00", "capacity": 2}, 422},
		{"BadTime", map[string]any{"occurrence": "soon", "capacity": 2}, 422},
	} {
		if got := e.jsonCall("PUT", path+"/capacity", e.tokens["anna"], tc.body, nil); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	if got := e.jsonCall("PUT", path+"/capacity", e.tokens["olle"], map[string]any{"capacity": 3}, nil); got != 404 {
		t.Errorf("another network's organizer: %d", got)
	}
}

// TestAttendanceAPIAndReport: attendance by JSON and by CSV, listed with
// names, and the yearly report as JSON and CSV.
func TestAttendanceAPIAndReport(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	n := e.net["goteborg"]
	in, _ := natverk.SeriesInput{Start: "2026-09-01T18:00", RRule: "FREQ=WEEKLY;COUNT=8", Summary: "Höstträffar"}.Build(n, testChecks)
	in.UID = "host@natverk.test"
	sr, err := e.store.CreateSeries(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/meetings/" + itoa(sr.ID) + "/attendance"
	var res natverk.AttendanceResult
	body := map[string]any{"occurrence": "2026-09-01T18:00", "attended": []int64{e.m["anna"].ID}, "absent": []int64{e.m["bo"].ID}}
	if got := e.jsonCall("PUT", path, e.tokens["anna"], body, &res); got != 200 || res.Attended != 1 || res.Absent != 1 {
		t.Fatalf("JSON: %d %+v", got, res)
	}
	csvBody := "email,attended\nanna@example.org,ja\nbo@example.org,x\n"
	resp := e.call("PUT", path+"?occurrence=2026-09-08T18:00", e.tokens["anna"], "text/csv; charset=utf-8", strings.NewReader(csvBody), nil)
	if b := readAll(t, resp.Body); resp.StatusCode != 200 || !strings.Contains(string(b), `"attended": 2`) {
		t.Fatalf("CSV: %d %s", resp.StatusCode, b)
	}
	for _, tc := range []struct {
		name, query, body string
		want              int
	}{
		{"NoHeader", "?occurrence=2026-09-15T18:00", "", 422},
		{"NoAttendedColumn", "?occurrence=2026-09-15T18:00", "email\nanna@example.org\n", 422},
		{"UnknownAddress", "?occurrence=2026-09-15T18:00", "email,attended\nnobody@example.org,ja\n", 422},
		{"BadCell", "?occurrence=2026-09-15T18:00", "member_id,attended\n" + itoa(e.m["bo"].ID) + ",perhaps\n", 422},
		{"NotInNetwork", "?occurrence=2026-09-15T18:00", "email,attended\nolle@example.org,ja\n", 422},
		{"Future", "?occurrence=2026-12-22T18:00", "email,attended\nanna@example.org,ja\n", 422},
	} {
		r := e.call("PUT", path+tc.query, e.tokens["anna"], "text/csv", strings.NewReader(tc.body), nil)
		if r.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d: %s", tc.name, r.StatusCode, tc.want, readAll(t, r.Body))
		}
	}
	var list []attendanceView
	if got := e.jsonCall("GET", path+"?occurrence=2026-09-08T18:00", e.tokens["anna"], nil, &list); got != 200 || len(list) != 2 || list[0].Name == "" || !list[1].Attended {
		t.Fatalf("list: %d %+v", got, list)
	}
	// The report for 2026: two meetings recorded, three of four came.
	var rep natverk.AttendanceReport
	reportPath := "/api/v1/networks/" + itoa(n.ID) + "/report?year=2026"
	if got := e.jsonCall("GET", reportPath, e.tokens["anna"], nil, &rep); got != 200 || len(rep.Meetings) != 2 || rep.Rate != 0.75 || rep.Active != 2 {
		t.Fatalf("report: %d %+v", got, rep)
	}
	if rep.Meetings[0].Summary != "Höstträffar" {
		t.Errorf("meeting summary %q", rep.Meetings[0].Summary)
	}
	for _, how := range []struct {
		query  string
		accept string
	}{{"&format=csv", ""}, {"", "text/csv"}} {
		r := e.call("GET", reportPath+how.query, e.tokens["anna"], "", nil, map[string]string{"Accept": how.accept})
		b := readAll(t, r.Body)
		if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !strings.Contains(r.Header.Get("Content-Disposition"), "goteborg-2026.csv") {
			t.Fatalf("CSV report %q/%q: %d %v", how.query, how.accept, r.StatusCode, r.Header)
		}
		cr := csv.NewReader(strings.NewReader(string(b)))
		cr.FieldsPerRecord = -1
		rows, err := cr.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 5 || rows[0][0] != "date" || rows[1][0] != "2026-09-01" || rows[1][3] != "Höstträffar" || rows[2][4] != "2" || rows[4][3] != "75.0" {
			t.Fatalf("CSV rows: %q", rows)
		}
	}
	if got := e.jsonCall("GET", "/api/v1/networks/"+itoa(n.ID)+"/report?year=nineteen", e.tokens["anna"], nil, nil); got != 422 {
		t.Errorf("bad year: %d", got)
	}
}

// TestPollAPI: an organizer offers times, members vote, the tally
// suggests one and the decision creates the meeting series.
func TestPollAPI(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	var created struct {
		ID int64 `json:"id"`
	}
	if got := e.jsonCall("POST", "/api/v1/networks", e.tokens["anna"], map[string]any{"name": "Nya chefer", "kind": "interest"}, &created); got != 201 {
		t.Fatalf("create network: %d", got)
	}
	if _, err := e.store.Invite(ctx, created.ID, natverk.InviteRequest{MemberIDs: []int64{e.m["bo"].ID}}); err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"title": "När ska vi ses?", "options": []map[string]any{
		{"start": "2027-02-02T18:00", "rrule": "FREQ=WEEKLY;BYDAY=TU", "location": "Biblioteket"},
		{"start": "2027-02-04T17:30", "rrule": "FREQ=MONTHLY;BYDAY=1TH", "duration_minutes": 90},
	}}
	var pv struct {
		natverk.Poll
		Described []string          `json:"options_described"`
		Tally     natverk.PollTally `json:"tally"`
	}
	polls := "/api/v1/networks/" + itoa(created.ID) + "/polls"
	if got := e.jsonCall("POST", polls, e.tokens["anna"], body, &pv); got != 201 || len(pv.Options) != 2 || pv.Described[1] != "första torsdagen varje månad kl. 17:30–19:00, första gången 4 februari 2027" {
		t.Fatalf("create poll: %d %+v", got, pv)
	}
	bad := map[string]any{"options": []map[string]any{{"start": "2027-02-02T18:00", "rrule": "FREQ=SECONDLY"}}}
	resp := e.call("POST", polls, e.tokens["anna"], "application/json", strings.NewReader(mustJSON(bad)), nil)
	if p := problemOf(t, resp); resp.StatusCode != 422 || len(p.Errors) != 2 {
		t.Fatalf("bad poll: %d %+v", resp.StatusCode, p)
	}
	if got := e.jsonCall("POST", polls, e.tokens["anna"], body, nil); got != 409 {
		t.Fatalf("second open poll: %d", got)
	}
	o1, o2 := pv.Options[0].ID, pv.Options[1].ID
	if err := e.store.RecordVotes(ctx, pv.ID, e.m["anna"].ID, map[int64]string{o1: natverk.VoteIfNeedBe, o2: natverk.VoteYes}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.RecordVotes(ctx, pv.ID, e.m["bo"].ID, map[int64]string{o1: natverk.VoteNo, o2: natverk.VoteYes}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	pollPath := "/api/v1/polls/" + itoa(pv.ID)
	if got := e.jsonCall("GET", pollPath, e.tokens["anna"], nil, &pv); got != 200 || pv.Tally.Suggested != o2 || pv.Tally.Voters != 2 {
		t.Fatalf("tally: %d %+v", got, pv.Tally)
	}
	if got := e.jsonCall("GET", pollPath, e.tokens["olle"], nil, nil); got != 404 {
		t.Fatalf("another organizer sees the poll: %d", got)
	}
	var list []json.RawMessage
	if got := e.jsonCall("GET", polls, e.tokens["anna"], nil, &list); got != 200 || len(list) != 1 {
		t.Fatalf("list: %d %d", got, len(list))
	}
	if got := e.jsonCall("POST", pollPath+"/decide", e.tokens["anna"], map[string]any{"option_id": 999}, nil); got != 422 {
		t.Fatalf("unknown option: %d", got)
	}
	var decided struct {
		Poll    natverk.Poll `json:"poll"`
		Meeting seriesView   `json:"meeting"`
	}
	resp = e.call("POST", pollPath+"/decide", e.tokens["anna"], "", strings.NewReader(""), nil) // no body: the suggestion
	if err := json.Unmarshal(readAll(t, resp.Body), &decided); err != nil || resp.StatusCode != 200 {
		t.Fatalf("decide: %d %v", resp.StatusCode, err)
	}
	if decided.Poll.Status != natverk.PollDecided || decided.Poll.DecidedOption != o2 || decided.Meeting.Rule != "FREQ=MONTHLY;BYDAY=1TH" || decided.Meeting.DurationMinutes != 90 {
		t.Fatalf("decided: %+v", decided)
	}
	evs, _ := e.store.PendingOutbox(ctx, 1000)
	invitations := 0
	for _, ev := range evs {
		var p struct {
			Kind     string `json:"kind"`
			SeriesID int64  `json:"series_id"`
		}
		if ev.Event.Type == "natverk.mail.queued" && json.Unmarshal(ev.Event.Payload, &p) == nil && p.Kind == natverk.MailInvitation && p.SeriesID == decided.Meeting.ID {
			invitations++
		}
	}
	if invitations != 2 {
		t.Fatalf("%d invitations to the decided series, want both invitees", invitations)
	}
	if got := e.jsonCall("POST", pollPath+"/decide", e.tokens["anna"], map[string]any{"option_id": o1}, nil); got != 409 {
		t.Fatalf("second decision: %d", got)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// votePath is a member's link to vote on a poll.
func (e *pagesEnv) votePath(m *natverk.Member, networkID, pollID int64) string {
	return "/vote/" + e.s.Signer.Sign(token.Claims{Kind: token.Vote, MemberID: m.ID, NetworkID: networkID, SeriesID: pollID, Epoch: int64(m.TokenEpoch)})
}

// TestVotePage: the page shows the times; a GET changes nothing; a POST
// with its form token records the votes; once decided it shows the time.
func TestVotePage(t *testing.T) {
	e := newPagesEnv(t)
	ctx := context.Background()
	n := e.mustNetwork("Ny grupp", natverk.FeedPublic, e.m["asa"].ID)
	if _, err := e.store.Invite(ctx, n.ID, natverk.InviteRequest{MemberIDs: []int64{e.m["bo"].ID}}); err != nil {
		t.Fatal(err)
	}
	p, err := natverk.PollInput{Title: "Vilken kväll?", Options: []natverk.PollOption{
		{Start: "2027-02-02T18:00", RRule: "FREQ=WEEKLY;BYDAY=TU"}, {Start: "2027-02-04T18:00", RRule: "FREQ=WEEKLY;BYDAY=TH"},
	}}.Build(n, testChecks)
	if err != nil {
		t.Fatal(err)
	}
	if p, err = e.store.CreatePoll(ctx, p); err != nil {
		t.Fatal(err)
	}
	path := e.votePath(e.m["bo"], n.ID, p.ID)
	pg := e.get(path, nil)
	if pg.status != 200 {
		t.Fatalf("GET: %d\n%s", pg.status, pg.body)
	}
	mustContain(t, "vote page", pg.body, "Vilken kväll?", "varje tisdag kl. 18:00–20:00, första gången 2 februari 2027", `type="radio"`, "Om det behövs")
	if votes, _ := e.store.FindVotes(ctx, p.ID); len(votes) != 0 {
		t.Fatal("a GET recorded votes")
	}
	f1, f2 := fmt.Sprintf("o%d", p.Options[0].ID), fmt.Sprintf("o%d", p.Options[1].ID)
	if got := e.post(path, url.Values{f1: {"yes"}}); got.status != http.StatusForbidden {
		t.Fatalf("POST without a form token: %d", got.status)
	}
	got := e.post(path, url.Values{"csrf": {csrfIn(t, pg.body)}, f1: {"yes"}, f2: {"if_need_be"}})
	if got.status != 200 || !strings.Contains(got.body, "Tack! Dina svar är sparade") {
		t.Fatalf("POST: %d\n%s", got.status, got.body)
	}
	votes, _ := e.store.FindVotes(ctx, p.ID)
	if len(votes) != 2 || votes[0].Vote != natverk.VoteYes || votes[1].Vote != natverk.VoteIfNeedBe {
		t.Fatalf("votes = %+v", votes)
	}
	if again := e.get(path, nil); !strings.Contains(again.body, `value="if_need_be" checked`) {
		t.Fatal("the page does not show the stored vote")
	}
	// English for an English member, a bad link, and after the decision.
	eva := e.get(e.votePath(e.m["eva"], n.ID, p.ID), nil)
	mustContain(t, "English vote page", eva.body, "If need be", "every Tuesday at 18:00–20:00")
	if bad := e.get("/vote/"+e.s.Signer.Sign(token.Claims{Kind: token.RSVP, MemberID: e.m["bo"].ID, NetworkID: n.ID, SeriesID: p.ID}), nil); bad.status != 404 {
		t.Fatalf("an RSVP token on the vote page: %d", bad.status)
	}
	sr, _ := p.Options[1].SeriesInput().Build(n, testChecks)
	sr.UID = newUID("natverk.test")
	if _, _, err := e.store.DecidePoll(ctx, p.ID, p.Options[1].ID, sr); err != nil {
		t.Fatal(err)
	}
	after := e.get(path, nil)
	mustContain(t, "decided vote page", after.body, "Tiden är bestämd: varje torsdag")
	mustNotContain(t, "decided vote page", after.body, `<form method="post"`)
	late := e.post(path, url.Values{"csrf": {csrfIn(t, pg.body)}, f1: {"no"}})
	if late.status != http.StatusConflict {
		t.Fatalf("a vote after the decision: %d", late.status)
	}
}

// TestRSVPPageSaysThePlace: at a meeting with a capacity the page says
// whether the member has a place or which place they wait at.
func TestRSVPPageSaysThePlace(t *testing.T) {
	e := newPagesEnv(t)
	ctx := context.Background()
	if _, err := e.store.SetCapacity(ctx, e.series.ID, time.Time{}, 1); err != nil {
		t.Fatal(err)
	}
	for _, m := range []*natverk.Member{e.m["asa"], e.m["bo"]} {
		if _, _, err := e.store.RecordRSVP(ctx, natverk.RSVP{SeriesID: e.series.ID, MemberID: m.ID, Answer: natverk.AnswerYes, Source: natverk.SourceLink, AnsweredAt: e.now()}); err != nil {
			t.Fatal(err)
		}
	}
	mustContain(t, "waiting member's page", e.get(e.rsvpPath(e.m["bo"], time.Time{}), nil).body, "Du står på reservlistan, plats 1")
	mustContain(t, "confirmed member's page", e.get(e.rsvpPath(e.m["asa"], time.Time{}), nil).body, "Du har en plats på mötet.")
}

// TestOrganizerReportPage: the report page records attendance from its
// form, shows the chart, the lapsed, the waiting list and the poll.
func TestOrganizerReportPage(t *testing.T) {
	e := newPagesEnv(t)
	ctx := context.Background()
	autumn := e.mustSeries(e.network, "2026-10-06T18:00", "FREQ=WEEKLY;COUNT=6")
	// Cia was invited in September, before the autumn meetings.
	e.store.Now = func() time.Time { return time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC) }
	if _, err := e.store.Invite(ctx, e.network.ID, natverk.InviteRequest{MemberIDs: []int64{e.m["cia"].ID}}); err != nil {
		t.Fatal(err)
	}
	e.store.Now = time.Now
	base := e.organizerPath(e.m["asa"], e.network.ID)
	pg := e.get(base+"/report", nil)
	if pg.status != 200 {
		t.Fatalf("GET: %d\n%s", pg.status, pg.body)
	}
	mustContain(t, "report page", pg.body, "Närvaro och rapport", "Registrera närvaro", `name="came"`, "tis 10 nov 18:00", "Ingen närvaro är registrerad")
	// Three meetings, Cia never ticked: lapsed.
	for _, day := range []string{"2026-10-27", "2026-11-03", "2026-11-10"} {
		rid := stockholm(t, day+"T18:00")
		key := occurrenceKey(autumn.ID, rid)
		form := e.get(base+"/report?meeting="+url.QueryEscape(key), nil)
		res := e.post(base+"/attendance", url.Values{"csrf": {csrfIn(t, form.body)}, "meeting": {key},
			"member": {itoa(e.m["asa"].ID), itoa(e.m["bo"].ID), itoa(e.m["cia"].ID)}, "came": {itoa(e.m["asa"].ID), itoa(e.m["bo"].ID)}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("POST attendance %s: %d\n%s", day, res.status, res.body)
		}
	}
	recs, _ := e.store.FindAttendance(ctx, natverk.AttendanceFilter{SeriesID: autumn.ID})
	if len(recs) != 9 {
		t.Fatalf("%d records, want 9", len(recs))
	}
	if bad := e.post(base+"/attendance", url.Values{"meeting": {occurrenceKey(autumn.ID, stockholm(t, "2026-10-27T18:00"))}}); bad.status != http.StatusForbidden {
		t.Fatalf("POST without a form token: %d", bad.status)
	}
	pg = e.get(base+"/report?year=2026", nil)
	mustContain(t, "report page", pg.body, `<svg class="chart" role="img" aria-labelledby="att-title att-desc"`, "2 / 3", "Cia Lund (3)", "66,7 %", "report.csv?year=2026")
	csvResp := e.get(base+"/report.csv?year=2026", nil)
	if csvResp.status != 200 || !strings.HasPrefix(csvResp.body, "date,time,series_id,meeting") {
		t.Fatalf("CSV: %d %q", csvResp.status, csvResp.body)
	}
	// A waiting list, and a poll decided from the page.
	if _, err := e.store.SetCapacity(ctx, e.series.ID, time.Time{}, 1); err != nil {
		t.Fatal(err)
	}
	for _, m := range []*natverk.Member{e.m["bo"], e.m["asa"]} {
		if _, _, err := e.store.RecordRSVP(ctx, natverk.RSVP{SeriesID: e.series.ID, MemberID: m.ID, Answer: natverk.AnswerYes, Source: natverk.SourceLink, AnsweredAt: e.now()}); err != nil {
			t.Fatal(err)
		}
	}
	mustContain(t, "report page", e.get(base+"/report", nil).body, `<ol class="waiting"><li>Åsa Öberg</li></ol>`)
	mustContain(t, "organizer view", e.get(base, nil).body, `<ol class="waiting"><li>Åsa Öberg</li></ol>`, `href="`+base+`/report">Närvaro och rapport</a>`)
	n := e.mustNetwork("Omröstning", natverk.FeedPublic, e.m["asa"].ID)
	p, _ := natverk.PollInput{Options: []natverk.PollOption{{Start: "2027-02-02T18:00", RRule: "FREQ=WEEKLY"}, {Start: "2027-02-03T18:00", RRule: "FREQ=WEEKLY"}}}.Build(n, testChecks)
	if p, err := e.store.CreatePoll(ctx, p); err != nil {
		t.Fatal(err)
	} else {
		pollBase := e.organizerPath(e.m["asa"], n.ID)
		page := e.get(pollBase+"/report", nil)
		mustContain(t, "poll on the report page", page.body, "föreslås", "Välj den här tiden")
		res := e.post(pollBase+"/decide", url.Values{"csrf": {csrfIn(t, page.body)}, "poll": {itoa(p.ID)}, "option": {itoa(p.Options[1].ID)}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("decide: %d\n%s", res.status, res.body)
		}
		if got, _ := e.store.FindPollByID(ctx, p.ID); got.Status != natverk.PollDecided || got.DecidedOption != p.Options[1].ID {
			t.Fatalf("poll = %+v", got)
		}
		// The other network's organizer link cannot decide it.
		other := e.post(base+"/decide", url.Values{"csrf": {csrfIn(t, pg.body)}, "poll": {itoa(p.ID)}, "option": {itoa(p.Options[0].ID)}})
		if other.status != http.StatusUnprocessableEntity {
			t.Fatalf("decide from another network: %d", other.status)
		}
	}
}

func TestFeatureTextsHaveBothLanguages(t *testing.T) {
	for key := range featureTexts["sv"] {
		if _, ok := featureTexts["en"][key]; !ok {
			t.Errorf("%q has no English text", key)
		}
	}
	for key := range featureTexts["en"] {
		if _, ok := featureTexts["sv"][key]; !ok {
			t.Errorf("%q has no Swedish text", key)
		}
	}
}

func TestAttendanceChartEscapes(t *testing.T) {
	svg := string(attendanceChart("sv", []attendanceBar{{Label: "<script>", Came: 3, Expected: 4}, {Label: "tom", Came: 0, Expected: 0}}))
	if strings.Contains(svg, "<script>") || !strings.Contains(svg, "&lt;script&gt;") || !strings.Contains(svg, "3 / 4") || !strings.Contains(svg, "0 / 0") {
		t.Fatalf("chart:\n%s", svg)
	}
}
