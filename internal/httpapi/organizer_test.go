package httpapi

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/token"
)

// organizerPath is Åsa's organizer view, valid for a week.
func (e *pagesEnv) organizerPath(m *natverk.Member, networkID int64) string {
	return "/organize/" + e.s.Links.OrganizerToken(m, networkID, e.clock, 7*24*time.Hour)
}

func TestOrganizerViewShowsAnswersAndNames(t *testing.T) {
	e := newPagesEnv(t)
	ctx := context.Background()
	dec22 := stockholm(t, "2026-12-22T18:00")
	for _, a := range []natverk.RSVP{
		{MemberID: e.m["bo"].ID, Answer: natverk.AnswerYes},
		{MemberID: e.m["eva"].ID, Answer: natverk.AnswerMaybe},
		{MemberID: e.m["bo"].ID, Answer: natverk.AnswerNo, Occurrence: dec22.UTC()},
	} {
		a.SeriesID, a.Source, a.AnsweredAt = e.series.ID, natverk.SourceLink, e.now()
		if _, _, err := e.store.RecordRSVP(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	p := e.get(e.organizerPath(e.m["asa"], e.network.ID), nil)
	if p.status != http.StatusOK {
		t.Fatalf("status %d:\n%s", p.status, p.body)
	}
	mustContain(t, "organizer view", p.body,
		"Arrangörsvy", "Chefer i Göteborg", "Medlemmar: <strong>2</strong> · Inbjudna som inte har tackat ja än: <strong>1</strong>",
		`<span class="when">tis 8 dec 18:00</span>`, "Bo Ek", "Eva Ström", "Åsa Öberg",
		// Bouncing addresses, with the reason.
		"eva@example.org", "550 5.1.1 no such user",
		`<svg class="chart" role="img"`, `<title id="chart-title">Svar per möte</title>`,
		`action="/organize/`, `/cancel"`, `/move"`, `/support"`, `type="datetime-local"`)
	// Per meeting: 8 Dec Bo yes, Eva maybe, Åsa no answer; 22 Dec Bo no.
	rows := regexp.MustCompile(`(?s)<tr>\s*<th scope="row">.*?</tr>`).FindAllString(p.body, -1)
	if len(rows) < 2 {
		t.Fatalf("%d meeting rows", len(rows))
	}
	cells := func(row string) []string {
		var out []string
		for _, m := range regexp.MustCompile(`<td>(\d*)</td>`).FindAllStringSubmatch(row, -1) {
			out = append(out, m[1])
		}
		return out
	}
	if diff := cmp.Diff([]string{"1", "1", "0", "1"}, cells(rows[0])); diff != "" {
		t.Errorf("8 Dec counts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"0", "1", "1", "1"}, cells(rows[1])); diff != "" {
		t.Errorf("22 Dec counts (-want +got):\n%s", diff)
	}
	names := regexp.MustCompile(`(?s)<dt>kan inte</dt><dd>(.*?)</dd>`).FindAllStringSubmatch(p.body, -1)
	if len(names) < 2 || names[0][1] != "ingen" || names[1][1] != "Bo Ek" {
		t.Errorf("who can't come: %v", names)
	}
	mustNotContain(t, "organizer view", p.body, "Dan Berg", "Cia Lund")
}

func TestOrganizerLinkChecks(t *testing.T) {
	e := newPagesEnv(t)
	other := e.mustNetwork("Bankfolk", natverk.FeedPublic, e.m["cia"].ID)
	expired := e.s.Links.OrganizerToken(e.m["asa"], e.network.ID, e.clock.Add(-48*time.Hour), 24*time.Hour)
	tests := []struct {
		name, path string
		status     int
		want       string
	}{
		{"the organizer", e.organizerPath(e.m["asa"], e.network.ID), http.StatusOK, "Arrangörsvy"},
		{"an invitee is not an organizer", e.organizerPath(e.m["bo"], e.network.ID), http.StatusForbidden, "Du är inte arrangör här"},
		{"an organizer of another network", e.organizerPath(e.m["cia"], e.network.ID), http.StatusForbidden, "Du är inte arrangör här"},
		{"the organizer of the other network", e.organizerPath(e.m["cia"], other.ID), http.StatusOK, "Bankfolk"},
		{"expired", "/organize/" + expired, http.StatusGone, "Länken har gått ut"},
		{"an RSVP token", "/organize/" + e.s.Links.RSVPToken(e.m["asa"], e.series.ID, e.network.ID, time.Time{}), http.StatusNotFound, "Länken fungerar inte"},
		{"garbage", "/organize/zzzz", http.StatusNotFound, "Länken fungerar inte"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := e.get(tc.path, nil)
			if p.status != tc.status {
				t.Fatalf("status %d, want %d", p.status, tc.status)
			}
			mustContain(t, "page", p.body, tc.want)
		})
	}
	t.Run("revoked with the member's links", func(t *testing.T) {
		path := e.organizerPath(e.m["asa"], e.network.ID)
		if err := e.store.RevokeMemberTokens(context.Background(), e.m["asa"].ID); err != nil {
			t.Fatal(err)
		}
		if p := e.get(path, nil); p.status != http.StatusGone {
			t.Fatalf("status %d", p.status)
		}
	})
	t.Run("no longer an organizer", func(t *testing.T) {
		path := e.organizerPath(e.m["cia"], other.ID)
		if err := e.store.SetOrganizer(context.Background(), other.ID, e.m["cia"].ID, false); err != nil {
			t.Fatal(err)
		}
		if p := e.get(path, nil); p.status != http.StatusForbidden {
			t.Fatalf("status %d", p.status)
		}
	})
}

func TestOrganizerSearchCount(t *testing.T) {
	e := newPagesEnv(t)
	base := e.organizerPath(e.m["asa"], e.network.ID)
	tests := []struct {
		name, query      string
		matches, invite  int
		skipped, absent  []string
		wantInviteButton bool
	}{
		// Göteborg: Åsa (member), Bo (invited), Eva (invited, her address
		// bounces); Dan is hidden and appears in no count.
		{"town without diacritics", "town=goteborg", 3, 0, []string{"Hoppas över: 1 redan inbjudna, 1 redan medlemmar, 1 adressen studsar"}, []string{"dolda"}, false},
		{"industry", "industry=bank", 1, 1, nil, []string{"dolda"}, true},
		{"free text", "q=malmo", 1, 1, nil, nil, true},
		{"no match", "company=nobody", 0, 0, nil, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := e.get(base+"?"+tc.query, nil)
			if p.status != http.StatusOK {
				t.Fatalf("status %d", p.status)
			}
			got := regexp.MustCompile(`<strong class="big">(\d+)</strong> medlemmar matchar sökningen. <strong class="big">(\d+)</strong>`).FindStringSubmatch(p.body)
			if got == nil || got[1] != strconv.Itoa(tc.matches) || got[2] != strconv.Itoa(tc.invite) {
				t.Fatalf("counts %v, want %d and %d", got, tc.matches, tc.invite)
			}
			mustContain(t, "page", p.body, tc.skipped...)
			mustNotContain(t, "page", p.body, tc.absent...)
			if has := strings.Contains(p.body, `action="`+base+`/invite"`); has != tc.wantInviteButton {
				t.Errorf("invite button shown: %v", has)
			}
		})
	}
	t.Run("the count changes nothing", func(t *testing.T) {
		if got := e.membership(e.network.ID, e.m["cia"]); got != "" {
			t.Fatalf("Cia is %q after a count", got)
		}
	})
}

func TestOrganizerActions(t *testing.T) {
	e := newPagesEnv(t)
	ctx := context.Background()
	base := e.organizerPath(e.m["asa"], e.network.ID)
	csrf := csrfIn(t, e.get(base, nil).body)
	key := func(local string) string { return occurrenceKey(e.series.ID, stockholm(t, local)) }
	other := e.mustNetwork("Bankfolk", natverk.FeedPublic, e.m["cia"].ID)
	otherSeries := e.mustSeries(other, "2026-12-09T18:00", "FREQ=WEEKLY;BYDAY=WE")

	tests := []struct {
		name   string
		action string
		form   url.Values
		status int
		done   string // the redirect's ?done=, or a text on the page
		check  func(t *testing.T)
	}{
		{"invite by search", "invite", url.Values{"town": {"malmo"}}, http.StatusSeeOther, "invited", func(t *testing.T) {
			if got := e.membership(e.network.ID, e.m["cia"]); got != natverk.StatusInvited {
				t.Errorf("Cia is %q", got)
			}
		}},
		{"an empty search invites nobody", "invite", url.Values{"q": {" "}}, http.StatusUnprocessableEntity, "fyll i minst ett sökfält", nil},
		{"cancel a meeting", "cancel", url.Values{"occurrence": {key("2026-12-22T18:00")}, "reason": {"Jullov"}}, http.StatusSeeOther, "cancelled", func(t *testing.T) {
			sr, _ := e.store.FindSeriesByID(ctx, e.series.ID)
			ex := sr.Exception(stockholm(t, "2026-12-22T18:00"))
			if ex == nil || !ex.Cancelled || ex.Reason != "Jullov" {
				t.Errorf("exception %+v", ex)
			}
		}},
		{"not a meeting of the series", "cancel", url.Values{"occurrence": {key("2026-12-23T18:00")}}, http.StatusUnprocessableEntity, "välj ett av de kommande mötena", nil},
		{"another network's meeting", "cancel", url.Values{"occurrence": {occurrenceKey(otherSeries.ID, stockholm(t, "2026-12-09T18:00"))}}, http.StatusUnprocessableEntity, "välj ett av de kommande mötena", func(t *testing.T) {
			sr, _ := e.store.FindSeriesByID(ctx, otherSeries.ID)
			if len(sr.Exceptions) != 0 {
				t.Errorf("the other network's series changed: %+v", sr.Exceptions)
			}
		}},
		{"a garbled occurrence", "cancel", url.Values{"occurrence": {"x@y"}}, http.StatusUnprocessableEntity, "välj ett av de kommande mötena", nil},
		{"a too long reason", "cancel", url.Values{"occurrence": {key("2027-01-05T18:00")}, "reason": {strings.Repeat("å", 501)}}, http.StatusUnprocessableEntity, "anledningen får vara högst 500 tecken", nil},
		{"move a meeting", "move", url.Values{"occurrence": {key("2027-01-05T18:00")}, "start": {"2027-01-07T17:30"}, "location": {"Stadsbiblioteket"}}, http.StatusSeeOther, "moved", func(t *testing.T) {
			sr, _ := e.store.FindSeriesByID(ctx, e.series.ID)
			ex := sr.Exception(stockholm(t, "2027-01-05T18:00"))
			if ex == nil || ex.Cancelled || !ex.Start.Equal(stockholm(t, "2027-01-07T17:30")) || ex.Location != "Stadsbiblioteket" || ex.Duration != 2*time.Hour {
				t.Errorf("exception %+v", ex)
			}
		}},
		{"a move needs a new start", "move", url.Values{"occurrence": {key("2027-01-19T18:00")}}, http.StatusUnprocessableEntity, "ange ny dag och tid", nil},
		{"a move needs a readable start", "move", url.Values{"occurrence": {key("2027-01-19T18:00")}, "start": {"next week"}}, http.StatusUnprocessableEntity, "ange ny dag och tid", nil},
		{"ask for support", "support", url.Values{"what": {"Lokalhyra och fika"}, "cost_sek": {"1 500"}, "occurrence": {key("2027-01-19T18:00")}}, http.StatusSeeOther, "support", func(t *testing.T) {
			reqs, err := e.store.FindSupportRequests(ctx, e.network.ID)
			if err != nil || len(reqs) != 1 {
				t.Fatalf("requests %v %v", reqs, err)
			}
			r := reqs[0]
			if r.What != "Lokalhyra och fika" || r.CostSEK != 1500 || r.RequestedBy != e.m["asa"].ID || r.SeriesID != e.series.ID ||
				r.Occurrence == nil || !r.Occurrence.Equal(stockholm(t, "2027-01-19T18:00")) {
				t.Errorf("request %+v", r)
			}
		}},
		{"support needs a what", "support", url.Values{"what": {""}}, http.StatusUnprocessableEntity, "skriv vad ni behöver", nil},
		{"support cost must be a number", "support", url.Values{"what": {"Fika"}, "cost_sek": {"mycket"}}, http.StatusUnprocessableEntity, "kostnaden ska vara ett heltal", nil},
		{"close asks first", "close", url.Values{"note": {"Tack för allt"}}, http.StatusOK, "Vill du verkligen avsluta nätverket?", func(t *testing.T) {
			if n, _ := e.store.FindNetworkByID(ctx, e.network.ID); n.Status != natverk.NetworkActive {
				t.Errorf("closed before confirming")
			}
		}},
		{"close with a too long note", "close", url.Values{"confirm": {"yes"}, "note": {strings.Repeat("x", 1001)}}, http.StatusUnprocessableEntity, "hälsningen får vara högst 1000 tecken", nil},
		{"close, confirmed", "close", url.Values{"confirm": {"yes"}, "note": {"Tack för allt"}}, http.StatusSeeOther, "closed", func(t *testing.T) {
			if n, _ := e.store.FindNetworkByID(ctx, e.network.ID); n.Status != natverk.NetworkClosed {
				t.Errorf("status %q", n.Status)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			form := url.Values{"csrf": {csrf}}
			for k, v := range tc.form {
				form[k] = v
			}
			p := e.post(base+"/"+tc.action, form)
			if p.status != tc.status {
				t.Fatalf("status %d, want %d:\n%s", p.status, tc.status, p.body)
			}
			if tc.status == http.StatusSeeOther {
				loc := p.header.Get("Location")
				if !strings.HasPrefix(loc, base+"?done="+tc.done+"#") {
					t.Fatalf("Location %q", loc)
				}
				mustContain(t, "view after "+tc.action, e.get(loc, nil).body, svText(t, "org.done."+tc.done))
			} else {
				mustContain(t, "answer", p.body, tc.done)
			}
			if tc.check != nil {
				tc.check(t)
			}
		})
	}
	t.Run("a closed network's view has no forms", func(t *testing.T) {
		p := e.get(base, nil)
		mustContain(t, "view", p.body, "Nätverket är avslutat.")
		mustNotContain(t, "view", p.body, "<form")
	})
}

// svText returns a Swedish text, failing the test when it does not
// exist.
func svText(tb testing.TB, key string) string {
	tb.Helper()
	if !hasText(key) {
		tb.Fatalf("no text %q", key)
	}
	return t("sv", key)
}

func TestOrganizerFormsNeedTheFormToken(t *testing.T) {
	e := newPagesEnv(t)
	base := e.organizerPath(e.m["asa"], e.network.ID)
	csrf := csrfIn(t, e.get(base, nil).body)
	occ := occurrenceKey(e.series.ID, stockholm(t, "2026-12-22T18:00"))
	for _, action := range []string{"invite", "cancel", "move", "support", "close"} {
		t.Run(action, func(t *testing.T) {
			form := url.Values{"town": {"malmo"}, "occurrence": {occ}, "start": {"2026-12-23T18:00"}, "what": {"Fika"}, "confirm": {"yes"}}
			if p := e.post(base+"/"+action, form); p.status != http.StatusForbidden {
				t.Errorf("without a token: status %d", p.status)
			}
			form.Set("csrf", csrf)
			if p := e.do("POST", base+"/"+action, form, map[string]string{"Origin": "https://evil.example"}); p.status != http.StatusForbidden {
				t.Errorf("from another site: status %d", p.status)
			}
		})
	}
	ctx := context.Background()
	sr, _ := e.store.FindSeriesByID(ctx, e.series.ID)
	n, _ := e.store.FindNetworkByID(ctx, e.network.ID)
	reqs, _ := e.store.FindSupportRequests(ctx, e.network.ID)
	if len(sr.Exceptions) != 0 || n.Status != natverk.NetworkActive || len(reqs) != 0 || e.membership(e.network.ID, e.m["cia"]) != "" {
		t.Fatalf("a refused form changed something: exceptions %v, status %q, requests %d", sr.Exceptions, n.Status, len(reqs))
	}
	t.Run("the close page is only a question", func(t *testing.T) {
		p := e.get(base+"/close", nil)
		mustContain(t, "close page", p.body, "Vill du verkligen avsluta nätverket?", `name="confirm" value="yes"`)
		if n, _ := e.store.FindNetworkByID(ctx, e.network.ID); n.Status != natverk.NetworkActive {
			t.Fatal("a GET closed the network")
		}
	})
}

func TestOrganizerLinkAPI(t *testing.T) {
	e := newPagesEnv(t)
	call := func(auth, body string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/networks/"+itoa(e.network.ID)+"/organizer-link", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+auth)
		req.Header.Set("Content-Type", "application/json")
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	status, body := call(testAdminToken, `{"member_id": `+itoa(e.m["asa"].ID)+`, "days": 14}`)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	var out organizerLinkResponse
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.URL, e.srv.URL+"/organize/") {
		t.Fatalf("url %q", out.URL)
	}
	if want := e.clock.Add(14 * 24 * time.Hour); out.ExpiresAt.Sub(want).Abs() > time.Minute {
		t.Errorf("expires %v, want about %v", out.ExpiresAt, want)
	}
	if p := e.get(out.URL, nil); p.status != http.StatusOK || !strings.Contains(p.body, "Arrangörsvy") {
		t.Fatalf("the link answers %d", p.status)
	}
	c, err := e.s.Signer.Verify(strings.TrimPrefix(out.URL, e.srv.URL+"/organize/"), token.Organizer, e.clock)
	if err != nil || c.MemberID != e.m["asa"].ID || c.NetworkID != e.network.ID {
		t.Fatalf("claims %+v %v", c, err)
	}

	secret, tok := natverk.NewAPIToken(natverk.RoleOrganizer, e.m["asa"].ID, "test", nil)
	if err := e.store.CreateAPIToken(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, auth, body string
		status           int
	}{
		{"not an organizer", testAdminToken, `{"member_id": ` + itoa(e.m["bo"].ID) + `}`, http.StatusUnprocessableEntity},
		{"no such member", testAdminToken, `{"member_id": 99999}`, http.StatusUnprocessableEntity},
		{"too long", testAdminToken, `{"member_id": ` + itoa(e.m["asa"].ID) + `, "days": 400}`, http.StatusUnprocessableEntity},
		{"an unknown field", testAdminToken, `{"member": 1}`, http.StatusUnprocessableEntity},
		{"organizers may not mint links", secret, `{"member_id": ` + itoa(e.m["asa"].ID) + `}`, http.StatusForbidden},
		{"no token", "", `{"member_id": ` + itoa(e.m["asa"].ID) + `}`, http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if status, body := call(tc.auth, tc.body); status != tc.status {
				t.Errorf("status %d, want %d: %s", status, tc.status, body)
			}
		})
	}
}

func TestAnswerChart(t *testing.T) {
	rows := []chartRow{
		{Label: "tis 8 dec 18:00", Counts: natverk.Counts{Yes: 6, Maybe: 2, No: 1, None: 1}},
		{Label: "<b>&", Counts: natverk.Counts{Yes: 1, None: 4}},
		{Label: "empty", Counts: natverk.Counts{}},
	}
	svg := string(answerChart("sv", rows))
	// Well-formed XML, and the label is escaped, not markup.
	var doc struct {
		XMLName xml.Name
		Rects   []struct {
			Class string `xml:"class,attr"`
			Y     int    `xml:"y,attr"`
			Width int    `xml:"width,attr"`
			Title string `xml:"title"`
		} `xml:"rect"`
		Texts []string `xml:"text"`
	}
	if err := xml.Unmarshal([]byte(svg), &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, svg)
	}
	if doc.XMLName.Local != "svg" || !strings.Contains(svg, `role="img"`) {
		t.Fatalf("root %v", doc.XMLName)
	}
	mustContain(t, "chart", svg, "&lt;b&gt;&amp;", "6 · 2 · 1", "1 · 0 · 0", "0 · 0 · 0")
	// Bars are scaled to the largest total (10): 6 of 10 is 60% of the bar.
	widths := map[string]int{}
	for _, r := range doc.Rects {
		if r.Y == chartTop {
			widths[r.Class] = r.Width
		}
	}
	want := map[string]int{"yes": 6 * chartBarW / 10, "maybe": 2 * chartBarW / 10, "no": chartBarW / 10, "none": chartBarW / 10}
	if diff := cmp.Diff(want, widths); diff != "" {
		t.Errorf("first row's bars (-want +got):\n%s", diff)
	}
	for _, r := range doc.Rects {
		if r.Y == chartTop+2*chartRowH {
			t.Errorf("a meeting without invitees drew a bar: %+v", r)
		}
	}
	if en := string(answerChart("en", rows)); !strings.Contains(en, "Answers per meeting") || !strings.Contains(en, "6 coming") {
		t.Errorf("English chart:\n%s", en)
	}
}

func TestOccurrenceKey(t *testing.T) {
	at := stockholm(t, "2026-12-08T18:00")
	k := occurrenceKey(42, at)
	if k != "42@2026-12-08T17:00:00Z" {
		t.Fatalf("key %q", k)
	}
	id, rid, ok := parseOccurrenceKey(k)
	if !ok || id != 42 || rid != "2026-12-08T17:00:00Z" {
		t.Fatalf("parsed %d %q %v", id, rid, ok)
	}
	for _, bad := range []string{"", "42", "x@2026", "-1@2026-12-08T17:00:00Z", "0@x", "1@" + strings.Repeat("9", 41)} {
		if _, _, ok := parseOccurrenceKey(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}
