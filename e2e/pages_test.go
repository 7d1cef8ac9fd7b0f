package e2e

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/emersion/go-message/mail"

	"github.com/natverk/natverk/internal/icaltest"
	"github.com/natverk/natverk/internal/smtptest"
)

var updateDocs = flag.Bool("update-docs", false, "write the README's screenshots to docs/img")

// TestPagesInTheBrowser walks what members and organizers do, in a real
// browser against the real service: a member opens the RSVP link of the
// invitation the SMTP sink received, answers with the keyboard, sees the
// result and the calendar links, and the network's feed changes; the
// member stops the invitations; the organizer opens the magic link, counts
// a directory search and cancels a meeting; the public network page shows
// it cancelled, in Swedish and English, on screen and in print. Each page
// is photographed and checked with axe-core at a phone and a desktop
// width.
func TestPagesInTheBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		unavailable(t, "%s is missing: apt-get install -y chromium chromium-driver", chromiumPath)
	}
	axe := axeSource(t)
	sink := smtptest.Start(t, smtptest.Faults{})
	svc := startService(t, map[string]string{"SMTP_URL": sink.URL()})
	b := newBrowser(t, axe)
	w := seed(t, svc)

	// Åsa's invitation (she organizes, so she is a member) and Bo's and
	// Dan's, invited by the search.
	msgs := sink.WaitFor(t, 3, 30*time.Second)
	var link string
	for _, m := range msgs {
		if len(m.To) == 1 && m.To[0] == "bo@example.org" {
			link = regexp.MustCompile(`http://\S+/rsvp/[a-z0-9]+`).FindString(textPart(t, m.Data))
		}
	}
	if link == "" {
		t.Fatalf("no RSVP link in Bo's invitation (%d messages)", len(msgs))
	}
	feed0 := svc.waitFeed(w.feed, "3 har inte svarat")
	_, etag0, _ := svc.get(w.feed)

	t.Run("a member answers from the invitation", func(t *testing.T) {
		b.t, svc.t = t, t
		b.open(link)
		if h := b.text("h1"); h != "Chefer i Göteborg" {
			t.Errorf("heading %q", h)
		}
		if when := b.text("dl.meeting dd"); !strings.HasPrefix(when, w.firstDay) {
			t.Errorf("the meeting is %q, want %q…", when, w.firstDay)
		}
		b.check("rsvp")
		if _, etag, _ := svc.get(w.feed); etag != etag0 {
			t.Fatal("opening the RSVP link changed the feed")
		}
		// The keyboard reaches the answer buttons, and Enter presses one.
		focused := ""
		for i := 0; i < 20 && focused != "yes"; i++ {
			b.do("tab", chromedp.KeyEvent(kb.Tab))
			focused = run(b, "focus", chromedp.Evaluate[string](`document.activeElement ? (document.activeElement.value || "") : ""`))
		}
		if focused != "yes" {
			t.Fatal("Tab never reached the yes button")
		}
		b.do("press Enter", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(".result")))
		if got := b.text(".result"); !strings.Contains(got, "Ja, jag kommer") {
			t.Errorf("result %q", got)
		}
		// The network's feed and the member's personal feed, each for
		// Apple, Google and Outlook.
		for sel, want := range map[string]int{`a[href$="/invite.ics"]`: 1, `a[href^="webcal://"]`: 2, `a[href^="https://calendar.google.com/calendar/r?cid=webcal"]`: 2,
			`a[href^="https://outlook.live.com/calendar/0/addfromweb?url=http"]`: 2, `a[href^="webcal://"][href*="/feeds/m/"]`: 1,
			`a[href*="?do=unsubscribe"]`: 1, `a[href*="?do=leave"]`: 1} {
			if got := b.count(sel); got != want {
				t.Errorf("%d links %s after answering, want %d", got, sel, want)
			}
		}
		b.check("rsvp-answered")
		b.docShot("rsvp", 390, 844)
		// The calendar worker renders the answer into the feed.
		feed := svc.waitFeed(w.feed, "1 kommer")
		if _, etag, _ := svc.get(w.feed); etag == etag0 || feed == feed0 {
			t.Error("the feed did not change")
		}
		icaltest.Check(t, []byte(feed))
	})

	t.Run("the member stops the invitations", func(t *testing.T) {
		b.t, svc.t = t, t
		b.click(`a[href*="?do=unsubscribe"]`, "form.confirm")
		if h := b.text("form.confirm h2"); h != "Vill du sluta få inbjudningar från nätverket?" {
			t.Errorf("question %q", h)
		}
		b.check("unsubscribe")
		b.click("form.confirm button.primary", ".result")
		if got := b.text(".result"); !strings.Contains(got, "du får inga fler inbjudningar") {
			t.Errorf("result %q", got)
		}
		if got := w.status(svc, "bo@example.org"); got != "unsubscribed" {
			t.Errorf("Bo's membership is %q", got)
		}
	})

	var cancelled time.Time
	t.Run("the organizer counts a search and cancels a meeting", func(t *testing.T) {
		b.t, svc.t = t, t
		var out struct{ URL string }
		svc.api("POST", fmt.Sprintf("/api/v1/networks/%d/organizer-link", w.id), "application/json", fmt.Sprintf(`{"member_id": %d}`, w.asa), http.StatusOK, &out)
		b.open(out.URL)
		if h := b.text("h1"); h != "Chefer i Göteborg" {
			t.Errorf("heading %q", h)
		}
		b.do("search", chromedp.SendKeys(chromedp.CSS("#town"), "goteborg"), chromedp.Click(chromedp.CSS("form.grid button")),
			chromedp.WaitVisible(chromedp.CSS(".count")))
		// Göteborg: Åsa (member), Bo (unsubscribed), Dan (invited); Cia
		// lives in Malmö.
		if got := b.text(".count"); !strings.Contains(got, "3 medlemmar matchar sökningen. 0 får en inbjudan") {
			t.Errorf("count %q", got)
		}
		b.check("organizer")
		key := run(b, "second meeting", chromedp.Evaluate[string](`document.querySelectorAll("#cancel-occurrence option")[1].value`))
		_, rid, _ := strings.Cut(key, "@")
		at, err := time.Parse(time.RFC3339, rid)
		if err != nil {
			t.Fatalf("occurrence key %q: %v", key, err)
		}
		cancelled = at
		b.do("cancel", chromedp.SetValue(chromedp.CSS("#cancel-occurrence"), key), chromedp.SendKeys(chromedp.CSS("#cancel-reason"), "Jullov"),
			chromedp.Click(chromedp.CSS("#cancel button.danger")), chromedp.WaitVisible(chromedp.CSS(".result")))
		if got := b.text(".result"); !strings.Contains(got, "Mötet är inställt") {
			t.Errorf("result %q", got)
		}
		if got := b.text("tr.cancelled"); !strings.Contains(got, swedishShort(at)) || !strings.Contains(got, "Jullov") {
			t.Errorf("cancelled row %q, want %s", got, swedishShort(at))
		}
	})

	t.Run("the network page shows the cancelled meeting", func(t *testing.T) {
		b.t, svc.t = t, t
		if cancelled.IsZero() {
			t.Skip("no meeting was cancelled")
		}
		// Åsa told the organizer by phone she comes; Dan maybe.
		for who, answer := range map[int64]string{w.asa: "yes", w.dan: "maybe"} {
			svc.api("POST", fmt.Sprintf("/api/v1/meetings/%d/answers", w.meeting), "application/json",
				fmt.Sprintf(`{"member_id": %d, "answer": %q}`, who, answer), http.StatusOK, nil)
		}
		b.open(svc.base + "/n/" + w.slug)
		if got := b.text("ol.meetings li"); !strings.Contains(got, w.firstDay) || !strings.Contains(got, "1 kommer · 1 kanske") {
			t.Errorf("first meeting %q, want %s with 1 coming and 1 maybe", got, w.firstDay)
		}
		if got := b.text("li.cancelled"); !strings.Contains(got, swedishDay(cancelled)) || !strings.Contains(got, "inställt") || strings.Contains(got, "Jullov") {
			t.Errorf("cancelled row %q, want %s", got, swedishDay(cancelled))
		}
		if body := b.text("main"); strings.Contains(body, "Åsa") || strings.Contains(body, "@example.org") {
			t.Error("the public page shows a name or an address")
		}
		if b.count(`img[src^="data:image/png;base64,"][alt]`) != 1 {
			t.Error("no QR code")
		}
		b.check("network")
		b.docShot("network", 760, 1100)

		// Printed, the page is a handout: no buttons, a large QR code, the
		// addresses written out.
		b.printMedia(true)
		png := run(b, "print screenshot", chromedp.FullScreenshot(100))
		saveArtifact(t, "network-print.png", png)
		if got := run(b, "print styles", chromedp.Evaluate[string](`[getComputedStyle(document.querySelector(".buttons")).display,
			getComputedStyle(document.querySelector(".print-only")).display, String(Math.round(document.querySelector(".qr img").getBoundingClientRect().width))].join(" ")`)); got != "none block 227" {
			t.Errorf("print view: buttons, page address, QR width = %q, want \"none block 227\"", got)
		}
		b.printMedia(false)

		// English for a browser that prefers it.
		b.setLanguage("en-GB,en;q=0.9")
		b.open(svc.base + "/n/" + w.slug)
		if got := b.text("h2"); got != "Coming meetings" {
			t.Errorf("English heading %q", got)
		}
		if got := run(b, "lang", chromedp.Evaluate[string](`document.documentElement.lang`)); got != "en" {
			t.Errorf("lang %q", got)
		}
		b.setLanguage("sv-SE,sv")
		b.cspClean("network page in English")
	})

	t.Run("the checks see violations", func(t *testing.T) {
		b.t, svc.t = t, t
		b.open(svc.base + "/n/" + w.slug)
		b.do("add an image without a text", chromedp.Evaluate[chromedp.Void](`document.querySelector("main").appendChild(Object.assign(document.createElement("img"), {src: "data:,"}))`))
		found := false
		for _, v := range b.axeRun().Violations {
			found = found || v.ID == "image-alt" && v.Impact == "critical"
		}
		if !found {
			t.Error("axe-core did not report an image without alt: the accessibility checks above would miss violations")
		}
		b.takeConsole()
		b.do("inject an inline style", chromedp.Evaluate[chromedp.Void](`document.head.appendChild(Object.assign(document.createElement("style"), {textContent: "body {color: red}"}))`))
		seen := false
		for _, m := range b.takeConsole() {
			seen = seen || strings.Contains(m.Text, "Content Security Policy")
		}
		if !seen {
			t.Error("an inline style was not reported: the CSP checks above would miss violations")
		}
	})
}

// world is what seed made.
type world struct {
	id       int64
	meeting  int64
	slug     string
	feed     string
	asa, dan int64
	firstDay string // "tisdag 8 december 2026"
}

// seed imports members, creates a public network organized by Åsa with a
// fortnightly Tuesday meeting starting next week, and invites Göteborg by
// search — the README's quickstart, with dates that are always ahead.
func seed(t *testing.T, svc *service) world {
	t.Helper()
	svc.api("POST", "/api/v1/members/import", "text/csv",
		"email,name,town,industry,company\nasa@example.org,Åsa Öberg,Göteborg,Logistik,Hamnbolaget AB\nbo@example.org,Bo Ek,Göteborg,Vård,Sahlgrenska\ncia@example.org,Cia Lund,Malmö,Bank,Öresundsbanken\ndan@example.org,Dan Berg,Göteborg,Bank,Handelsbanken\n",
		http.StatusOK, nil)
	var found struct {
		Members []struct{ ID int64 }
	}
	svc.api("GET", "/api/v1/members?q=asa", "", "", http.StatusOK, &found)
	if len(found.Members) != 1 {
		t.Fatalf("found %d members named Åsa", len(found.Members))
	}
	var dan struct {
		Members []struct{ ID int64 }
	}
	svc.api("GET", "/api/v1/members?q=dan+berg", "", "", http.StatusOK, &dan)
	if len(dan.Members) != 1 {
		t.Fatalf("found %d members named Dan Berg", len(dan.Members))
	}
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().In(loc).AddDate(0, 0, 3)
	for start.Weekday() != time.Tuesday {
		start = start.AddDate(0, 0, 1)
	}
	start = time.Date(start.Year(), start.Month(), start.Day(), 18, 0, 0, 0, loc)
	var n struct {
		ID       int64
		Slug     string
		Feed     struct{ HTTPS string }
		Meetings []struct{ ID int64 }
	}
	svc.api("POST", "/api/v1/networks", "application/json", fmt.Sprintf(`{
		"name": "Chefer i Göteborg", "kind": "geographic", "organizers": [%d],
		"description": "Nätverk för chefer i Göteborg: vi ses varannan tisdag och pratar ledarskap.",
		"have": "En lokal vid Järntorget och fika.", "need": "Talare om arbetsmiljö.",
		"meeting": {"start": %q, "time_zone": "Europe/Stockholm", "duration_minutes": 120,
		            "rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", "location": "Järntorget 1, Göteborg"}}`,
		found.Members[0].ID, start.Format("2006-01-02T15:04")), http.StatusCreated, &n)
	svc.api("POST", fmt.Sprintf("/api/v1/networks/%d/invitations", n.ID), "application/json", `{"search": {"town": "goteborg"}}`, http.StatusAccepted, nil)
	if len(n.Meetings) != 1 {
		t.Fatalf("the network has %d meetings", len(n.Meetings))
	}
	return world{id: n.ID, meeting: n.Meetings[0].ID, slug: n.Slug, feed: n.Feed.HTTPS, asa: found.Members[0].ID, dan: dan.Members[0].ID, firstDay: swedishDay(start)}
}

// status returns a member's status in the network, through the API.
func (w world) status(svc *service, email string) string {
	var out struct {
		Members []struct {
			Email, Status string
		}
	}
	svc.api("GET", fmt.Sprintf("/api/v1/networks/%d/members", w.id), "", "", http.StatusOK, &out)
	for _, m := range out.Members {
		if m.Email == email {
			return m.Status
		}
	}
	return ""
}

// swedishDay writes a date as the pages do: "tisdag 8 december 2026", in
// Stockholm.
func swedishDay(at time.Time) string {
	loc, _ := time.LoadLocation("Europe/Stockholm")
	at = at.In(loc)
	days := []string{"söndag", "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag"}
	months := []string{"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december"}
	return fmt.Sprintf("%s %d %s %d", days[at.Weekday()], at.Day(), months[at.Month()-1], at.Year())
}

// swedishShort writes a meeting as the organizer view lists it: "tis 8
// dec 18:00", in Stockholm.
func swedishShort(at time.Time) string {
	loc, _ := time.LoadLocation("Europe/Stockholm")
	at = at.In(loc)
	days := []string{"sön", "mån", "tis", "ons", "tors", "fre", "lör"}
	months := []string{"jan", "feb", "mars", "apr", "maj", "juni", "juli", "aug", "sep", "okt", "nov", "dec"}
	return fmt.Sprintf("%s %d %s %s", days[at.Weekday()], at.Day(), months[at.Month()-1], at.Format("15:04"))
}

// textPart returns the text/plain part of a message, decoded.
func textPart(t *testing.T, raw []byte) string {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return ""
		} else if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if ct == "text/plain" {
			b, _ := io.ReadAll(part.Body)
			return string(b)
		}
	}
}

// setLanguage makes the browser send this Accept-Language.
func (b *browser) setLanguage(accept string) {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, network.Enable, network.EnableParams{}); err != nil {
		b.t.Fatal(err)
	}
	if _, err := chromedp.Call(b.ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": accept}}); err != nil {
		b.t.Fatal(err)
	}
}

// docShot writes the README's screenshot of the current page (what
// fits in a width x height window) to docs/img/<name>.png when the test
// runs with -update-docs.
func (b *browser) docShot(name string, width, height int64) {
	b.t.Helper()
	if !*updateDocs {
		return
	}
	b.do("doc viewport", chromedp.EmulateViewport(width, height))
	png := run(b, "doc screenshot", chromedp.CaptureScreenshot())
	root, err := moduleRoot()
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "docs", "img", name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.do("reset viewport", chromedp.EmulateViewport(widths[0].width, widths[0].height))
}
