package calendar

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

func networkFeed() *Feed {
	return &Feed{
		Name: "Nätverk Göteborg", Description: "Chefer i Göteborg", TimeZone: "Europe/Stockholm",
		URL: "https://kalender.example.se/f/AbC123/goteborg.ics", Now: time.Date(2025, 2, 1, 9, 0, 0, 0, time.UTC),
		Series: []FeedSeries{{Series: networkSeries()}, {Series: weeklySeries()}},
	}
}

func TestRenderFeedShape(t *testing.T) {
	b, err := RenderFeed(networkFeed())
	if err != nil {
		t.Fatal(err)
	}
	cal, err := Parse(bytes.NewReader(b), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{ical.PropMethod} {
		if cal.Props.Get(name) != nil {
			t.Errorf("a feed has %s", name)
		}
	}
	for name, want := range map[string]string{
		"NAME": "Nätverk Göteborg", "X-WR-CALNAME": "Nätverk Göteborg", "X-WR-TIMEZONE": "Europe/Stockholm",
		"X-WR-CALDESC": "Chefer i Göteborg", ical.PropDescription: "Chefer i Göteborg",
		ical.PropRefreshInterval: "PT6H", "X-PUBLISHED-TTL": "PT6H",
		ical.PropURL: "https://kalender.example.se/f/AbC123/goteborg.ics", ical.PropSource: "https://kalender.example.se/f/AbC123/goteborg.ics",
	} {
		if p := cal.Props.Get(name); p == nil || p.Value != want {
			t.Errorf("%s = %v, want %q", name, p, want)
		}
	}
	n := 0
	for _, c := range cal.Children {
		if c.Name != ical.CompEvent {
			continue
		}
		n++
		if c.Props.Get(ical.PropOrganizer) != nil || c.Props.Get(ical.PropAttendee) != nil {
			t.Error("a feed event has ORGANIZER or ATTENDEE")
		}
		if value(c, ical.PropDateTimeStamp) != "20241220T100000Z" {
			t.Errorf("DTSTAMP %s, want the series' Modified", value(c, ical.PropDateTimeStamp))
		}
	}
	if n != 2 {
		t.Errorf("%d events, want 2", n)
	}
	checkICS(t, map[string][]byte{"feed": b})
}

func TestRenderFeedDeterministic(t *testing.T) {
	a, err := RenderFeed(networkFeed())
	if err != nil {
		t.Fatal(err)
	}
	f := networkFeed()
	f.Series[0], f.Series[1] = f.Series[1], f.Series[0]
	f.Now = f.Now.Add(3 * time.Hour) // a later fetch of unchanged data
	b, err := RenderFeed(f)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("unchanged data gave different bytes:\n%s\n---\n%s", a, b)
	}
}

func TestRenderFeedWindow(t *testing.T) {
	ended := networkSeries()
	ended.UID, ended.Rule = "ended@x", "FREQ=MONTHLY;BYDAY=2TU;COUNT=3" // last meeting 11 March 2025
	closedLongAgo := closedSeries()
	closedLongAgo.UID = "closed@x"
	f := &Feed{Name: "N", TimeZone: "Europe/Stockholm", Series: []FeedSeries{{Series: ended}, {Series: closedLongAgo}, {Series: weeklySeries()}}}
	tests := []struct {
		name string
		now  time.Time
		past time.Duration
		want []string
	}{
		{"AllKept", time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), 0, []string{"ended@x", "closed@x", "weekly-01@kalender.example.se"}},
		{"EndedDropped", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), 0, []string{"weekly-01@kalender.example.se"}},
		{"ShortWindow", time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), 30 * 24 * time.Hour, []string{"weekly-01@kalender.example.se"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.Now, f.Past = tc.now, tc.past
			b, err := RenderFeed(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, uid := range []string{"ended@x", "closed@x", "weekly-01@kalender.example.se"} {
				want := false
				for _, w := range tc.want {
					want = want || w == uid
				}
				if got := bytes.Contains(b, []byte("UID:"+uid+"\r\n")); got != want {
					t.Errorf("%s in feed: %v, want %v", uid, got, want)
				}
			}
		})
	}
}

func TestRenderFeedNotes(t *testing.T) {
	oneOff := networkSeries()
	oneOff.UID, oneOff.Rule = "lecture@x", ""
	s := networkSeries()
	s.Cancelled = true
	f := &Feed{Name: "N", TimeZone: "Europe/Stockholm", Now: stamp, Locale: "en", Series: []FeedSeries{
		{Series: oneOff, Notes: []OccurrenceNote{{RecurrenceID: oneOff.Start, Answer: Accepted, Text: "Bring a laptop."}}},
		{Series: s, Note: "12 attending.", Notes: []OccurrenceNote{
			{RecurrenceID: at(2025, 2, 11, 18, 0), Tentative: true},     // waitlist, but the series is cancelled
			{RecurrenceID: at(2025, 2, 12, 18, 0), Answer: Declined},    // not an occurrence: left out
			{RecurrenceID: at(2025, 3, 11, 18, 0), Text: "First note."}, // two notes for one occurrence
			{RecurrenceID: at(2025, 3, 11, 18, 0), Text: "Second note.", Answer: Declined},
		}},
	}}
	b, err := RenderFeed(f)
	if err != nil {
		t.Fatal(err)
	}
	_, evs := events(t, b)
	byRID := map[string]*ical.Component{}
	for _, ev := range evs {
		byRID[value(ev, ical.PropUID)+" "+value(ev, ical.PropRecurrenceID)] = ev
	}
	if len(evs) != 4 {
		t.Fatalf("%d events, want the one-off, the master and two instances", len(evs))
	}
	lecture := byRID["lecture@x "]
	if d := value(lecture, ical.PropDescription); !strings.Contains(d, `Your answer: Yes\, I will attend.\n\nBring a laptop.`) {
		t.Errorf("one-off description %q", d)
	}
	feb := byRID[replyUID+" 20250211T180000"]
	if value(feb, ical.PropStatus) != "CANCELLED" {
		t.Errorf("an instance of a cancelled series is %s", value(feb, ical.PropStatus))
	}
	mar := byRID[replyUID+" 20250311T180000"]
	if value(mar, ical.PropTransparency) != "TRANSPARENT" || !strings.HasPrefix(value(mar, ical.PropSummary), "Declined: ") ||
		!strings.Contains(value(mar, ical.PropDescription), `12 attending.\n\nFirst note.\n\nSecond note.`) {
		t.Errorf("declined instance: %v", mar.Props)
	}
	checkICS(t, map[string][]byte{"notes": b})
}

func TestRenderFeedEmpty(t *testing.T) {
	b, err := RenderFeed(&Feed{Name: "Ny", TimeZone: "Europe/Stockholm", Now: stamp})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("BEGIN:VTIMEZONE")) || bytes.Contains(b, []byte("BEGIN:VEVENT")) {
		t.Errorf("empty feed:\n%s", b)
	}
	checkICS(t, map[string][]byte{"empty": b})
}

func TestRenderFeedErrors(t *testing.T) {
	tests := []struct {
		name      string
		mod       func(f *Feed)
		wantField string
	}{
		{"NoName", func(f *Feed) { f.Name = "" }, "name"},
		{"NoZone", func(f *Feed) { f.TimeZone = "" }, "time_zone"},
		{"NoNow", func(f *Feed) { f.Now = time.Time{} }, "now"},
		{"BadURL", func(f *Feed) { f.URL = "webcal://x" }, "url"},
		{"BadRefresh", func(f *Feed) { f.Refresh = time.Second }, "refresh"},
		{"BadLocale", func(f *Feed) { f.Locale = "de" }, "locale"},
		{"NilSeries", func(f *Feed) { f.Series[1].Series = nil }, "series[1]"},
		{"InvalidSeries", func(f *Feed) { f.Series[1].Summary = "" }, "series[1].summary"},
		{"DuplicateUID", func(f *Feed) { f.Series[1].UID = f.Series[0].UID }, "series[1].uid"},
		{"BadAnswer", func(f *Feed) { f.Series[0].Answer = "YES" }, "series[0].answer"},
		{"BadNote", func(f *Feed) { f.Series[0].Notes = []OccurrenceNote{{}} }, "series[0].notes[0].recurrence_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := networkFeed()
			tc.mod(f)
			_, err := RenderFeed(f)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tc.wantField {
				t.Errorf("err = %v, want a %s FieldError", err, tc.wantField)
			}
		})
	}
	if _, err := RenderFeed(nil); err == nil {
		t.Error("nil feed accepted")
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		6 * time.Hour: "PT6H", 24 * time.Hour: "P1D", 90 * time.Minute: "PT1H30M", 36*time.Hour + 5*time.Second: "P1DT12H5S", 0: "PT0S",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
