package calendar

import (
	"strings"
	"testing"
	"time"
)

// weeklySeries meets every Tuesday 18:00–20:00 from 14 January 2025.
func weeklySeries() *Series {
	s := networkSeries()
	s.UID = "weekly-01@kalender.example.se"
	s.Rule = "FREQ=WEEKLY;BYDAY=TU"
	return s
}

// closedSeries is networkSeries after the network closed.
func closedSeries() *Series {
	s := networkSeries()
	s.Sequence = 3
	s.Cancelled = true
	s.Modified = time.Date(2025, 5, 2, 8, 0, 0, 0, time.UTC)
	return s
}

// helsinkiSeries is a second network, in another zone, meeting every other
// Thursday.
func helsinkiSeries() *Series {
	return &Series{
		UID:       "helsingfors-01@kalender.example.se",
		Sequence:  1,
		Summary:   "Nätverk Helsingfors",
		Location:  "Esplanaden 5, Helsingfors",
		TimeZone:  "Europe/Helsinki",
		Start:     time.Date(2025, 1, 9, 17, 30, 0, 0, mustZone("Europe/Helsinki")),
		Duration:  90 * time.Minute,
		Rule:      "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH;UNTIL=20251218T153000Z",
		Organizer: Person{Name: "Nätverk Helsingfors", Email: "natverk-helsingfors@kalender.example.se"},
		Created:   time.Date(2024, 12, 1, 9, 0, 0, 0, time.UTC),
		Modified:  time.Date(2025, 1, 3, 9, 0, 0, 0, time.UTC),
	}
}

const longLine = "Nätverk för chefer i Göteborg — vi träffas på Järntorget"

// goldenCase renders one golden file.
type goldenCase struct {
	name   string
	render func() ([]byte, error)
}

func goldenCases(t *testing.T) []goldenCase {
	request := func(mod func(*Series)) func() ([]byte, error) {
		return func() ([]byte, error) {
			s := networkSeries()
			mod(s)
			return Request(s, asa, stamp)
		}
	}
	cancelled := func(s *Series) {
		s.Sequence = 1
		s.ExDates = []time.Time{at(2025, 3, 11, 18, 0)}
	}
	moved := func(s *Series) {
		s.Sequence = 2
		s.Overrides = []Override{{
			RecurrenceID: at(2025, 4, 8, 18, 0),
			Start:        at(2025, 4, 9, 17, 30),
			Location:     "Stadsbiblioteket, Götaplatsen",
			Modified:     time.Date(2025, 3, 20, 12, 0, 0, 0, time.UTC),
		}}
	}
	split := func() (*Series, *Series) {
		s := networkSeries()
		cancelled(s)
		s.Overrides = []Override{{RecurrenceID: at(2025, 9, 9, 18, 0), Location: "Järntorget 3"}}
		ended, next, err := Split(s, at(2025, 6, 10, 18, 0), "01JH6XJ5T1G3Q3K2Y4W7Z8B9C1@kalender.example.se")
		if err != nil {
			t.Fatal(err)
		}
		if err := next.Reschedule(at(2025, 6, 10, 17, 30)); err != nil {
			t.Fatal(err)
		}
		return ended, next
	}
	return []goldenCase{
		{"request-weekly", request(func(s *Series) { *s = *weeklySeries() })},
		{"request-every-second-week", request(func(s *Series) { s.UID = "biweekly-01@kalender.example.se"; s.Rule = "FREQ=WEEKLY;INTERVAL=2" })},
		{"request-monthly-2tu", request(func(s *Series) {})},
		{"request-monthly-last-thursday", request(func(s *Series) {
			s.UID, s.Rule, s.Start = "lastthu-01@kalender.example.se", "FREQ=MONTHLY;BYDAY=-1TH", at(2025, 1, 30, 18, 0)
		})},
		{"request-monthly-date", request(func(s *Series) {
			s.UID, s.Rule, s.Start = "fifteenth-01@kalender.example.se", "FREQ=MONTHLY;BYMONTHDAY=15;COUNT=12", at(2025, 1, 15, 12, 0)
			s.Duration = 75 * time.Minute
		})},
		{"request-one-off", request(func(s *Series) {
			s.UID, s.Rule = "lecture-01@kalender.example.se", ""
			s.Summary = "Föreläsning: Att leda på distans"
			s.Start, s.Duration = at(2025, 3, 27, 17, 0), 90*time.Minute
			s.URL = "https://meet.example.se/lecture-01"
		})},
		{"request-cancelled-occurrence", request(cancelled)},
		{"cancel-occurrence", func() ([]byte, error) {
			s := networkSeries()
			cancelled(s)
			return CancelOccurrence(s, at(2025, 3, 11, 18, 0), asa, stamp)
		}},
		{"request-moved-occurrence", request(moved)},
		{"split-ended", func() ([]byte, error) { ended, _ := split(); return Request(ended, asa, stamp) }},
		{"split-next", func() ([]byte, error) { _, next := split(); return Request(next, asa, stamp) }},
		{"cancel-series", func() ([]byte, error) { return CancelSeries(closedSeries(), asa, stamp) }},
		{"feed-closed-network", func() ([]byte, error) {
			return RenderFeed(&Feed{
				Name: "Nätverk Göteborg", TimeZone: "Europe/Stockholm", Now: time.Date(2025, 5, 2, 9, 0, 0, 0, time.UTC),
				URL:    "https://kalender.example.se/f/AbC123/goteborg.ics",
				Series: []FeedSeries{{Series: closedSeries()}},
			})
		}},
		{"remove-attendee", func() ([]byte, error) {
			s := networkSeries()
			s.Sequence = 1
			return RemoveAttendee(s, Attendee{Person: asa.Person, PartStat: Accepted}, stamp)
		}},
		{"feed-personal", func() ([]byte, error) {
			g := networkSeries()
			moved(g)
			return RenderFeed(&Feed{
				Name: "Åsa Öbergs nätverk", TimeZone: "Europe/Stockholm", Locale: "sv",
				Now: time.Date(2025, 2, 1, 9, 0, 0, 0, time.UTC),
				Series: []FeedSeries{
					{Series: g, Answer: Accepted, Notes: []OccurrenceNote{
						{RecurrenceID: at(2025, 5, 13, 18, 0), Answer: Declined},
						{RecurrenceID: at(2025, 4, 8, 18, 0), Answer: Tentative},
					}},
					{Series: helsinkiSeries(), Notes: []OccurrenceNote{
						{RecurrenceID: time.Date(2025, 2, 6, 17, 30, 0, 0, mustZone("Europe/Helsinki")), Tentative: true, Text: "Du står på väntelistan, plats 3."},
					}},
				},
			})
		}},
		{"request-long-swedish-lines", request(func(s *Series) {
			s.UID = "chefer-01@kalender.example.se"
			s.Summary = longLine
			s.Location = longLine + ", " + longLine
			s.Description = strings.Repeat(longLine+" (\\ och ;, är tecken som ska skyddas)\r\n", 6)
		})},
		{"reply-accept-occurrence", func() ([]byte, error) {
			rid := at(2025, 2, 11, 18, 0)
			return Respond(networkSeries(), Attendee{Person: asa.Person, PartStat: Accepted}, &rid, stamp)
		}},
	}
}

func TestGoldens(t *testing.T) {
	all := map[string][]byte{}
	for _, tc := range goldenCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.render()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, got)
			again, err := tc.render()
			if err != nil || string(again) != string(got) {
				t.Errorf("a second rendering differs (err %v)", err)
			}
			all[tc.name] = got
		})
	}
	t.Run("icalcheck", func(t *testing.T) { checkICS(t, all) })
}
