package calendar_test

import (
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/natverk/natverk/calendar"
)

func ExampleRequest() {
	stockholm, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		log.Fatal(err)
	}
	s := &calendar.Series{
		UID:       "3f9c2e1a@kalender.example.se",
		Summary:   "Nätverksmöte Göteborg",
		Location:  "Föreningshuset, Storgatan 1, Göteborg",
		TimeZone:  "Europe/Stockholm",
		Start:     time.Date(2025, 1, 14, 18, 0, 0, 0, stockholm),
		Duration:  2 * time.Hour,
		Rule:      "FREQ=MONTHLY;BYDAY=2TU",
		Organizer: calendar.Person{Name: "Nätverk Göteborg", Email: "natverk-goteborg@kalender.example.se"},
	}
	to := calendar.Attendee{Person: calendar.Person{Name: "Åsa Öberg", Email: "asa@example.org"}}
	ics, err := calendar.Request(s, to, time.Date(2025, 1, 2, 9, 30, 0, 0, time.UTC))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(calendar.Describe(s, "sv"))
	// The bytes use CRLF; show them with plain newlines.
	fmt.Print(strings.ReplaceAll(string(ics), "\r\n", "\n"))
	// Output:
	// andra tisdagen varje månad kl. 18:00–20:00
	// BEGIN:VCALENDAR
	// CALSCALE:GREGORIAN
	// METHOD:REQUEST
	// PRODID:-//Natverk//Natverk Calendar 1.0//EN
	// VERSION:2.0
	// BEGIN:VTIMEZONE
	// TZID:Europe/Stockholm
	// BEGIN:DAYLIGHT
	// DTSTART:20240331T020000
	// RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
	// TZNAME:CEST
	// TZOFFSETFROM:+0100
	// TZOFFSETTO:+0200
	// END:DAYLIGHT
	// BEGIN:STANDARD
	// DTSTART:20241027T030000
	// RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
	// TZNAME:CET
	// TZOFFSETFROM:+0200
	// TZOFFSETTO:+0100
	// END:STANDARD
	// END:VTIMEZONE
	// BEGIN:VEVENT
	// ATTENDEE;CN=Åsa Öberg;CUTYPE=INDIVIDUAL;PARTSTAT=NEEDS-ACTION;ROLE=REQ-PA
	//  RTICIPANT;RSVP=TRUE:mailto:asa@example.org
	// CLASS:PUBLIC
	// DTEND;TZID=Europe/Stockholm:20250114T200000
	// DTSTAMP:20250102T093000Z
	// DTSTART;TZID=Europe/Stockholm:20250114T180000
	// LOCATION:Föreningshuset\, Storgatan 1\, Göteborg
	// ORGANIZER;CN=Nätverk Göteborg:mailto:natverk-goteborg@kalender.example.se
	// RRULE:FREQ=MONTHLY;BYDAY=2TU
	// SEQUENCE:0
	// STATUS:CONFIRMED
	// SUMMARY:Nätverksmöte Göteborg
	// TRANSP:OPAQUE
	// UID:3f9c2e1a@kalender.example.se
	// X-MICROSOFT-DISALLOW-COUNTER:TRUE
	// END:VEVENT
	// END:VCALENDAR
}

func ExampleRenderFeed() {
	stockholm, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		log.Fatal(err)
	}
	s := &calendar.Series{
		UID:      "3f9c2e1a@kalender.example.se",
		Summary:  "Nätverksmöte Göteborg",
		TimeZone: "Europe/Stockholm",
		Start:    time.Date(2025, 1, 14, 18, 0, 0, 0, stockholm),
		Duration: 2 * time.Hour,
		Rule:     "FREQ=MONTHLY;BYDAY=2TU",
		ExDates:  []time.Time{time.Date(2025, 3, 11, 18, 0, 0, 0, stockholm)},
		Modified: time.Date(2025, 1, 20, 8, 0, 0, 0, time.UTC),
	}
	f := &calendar.Feed{
		Name:     "Nätverk Göteborg",
		TimeZone: "Europe/Stockholm",
		Now:      time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC),
		Series: []calendar.FeedSeries{{
			Series: s,
			Notes: []calendar.OccurrenceNote{{
				RecurrenceID: time.Date(2025, 4, 8, 18, 0, 0, 0, stockholm),
				Answer:       calendar.Declined,
			}},
		}},
	}
	ics, err := calendar.RenderFeed(f)
	if err != nil {
		log.Fatal(err)
	}
	// Print the calendar properties and the events, not the VTIMEZONE.
	text := strings.ReplaceAll(string(ics), "\r\n", "\n")
	fmt.Print(text[:strings.Index(text, "BEGIN:VTIMEZONE")])
	fmt.Print(text[strings.Index(text, "BEGIN:VEVENT"):])
	// Output:
	// BEGIN:VCALENDAR
	// CALSCALE:GREGORIAN
	// NAME:Nätverk Göteborg
	// PRODID:-//Natverk//Natverk Calendar 1.0//EN
	// REFRESH-INTERVAL;VALUE=DURATION:PT6H
	// VERSION:2.0
	// X-PUBLISHED-TTL:PT6H
	// X-WR-CALNAME:Nätverk Göteborg
	// X-WR-TIMEZONE:Europe/Stockholm
	// BEGIN:VEVENT
	// CLASS:PUBLIC
	// DTEND;TZID=Europe/Stockholm:20250114T200000
	// DTSTAMP:20250120T080000Z
	// DTSTART;TZID=Europe/Stockholm:20250114T180000
	// EXDATE;TZID=Europe/Stockholm:20250311T180000
	// LAST-MODIFIED:20250120T080000Z
	// RRULE:FREQ=MONTHLY;BYDAY=2TU
	// SEQUENCE:0
	// STATUS:CONFIRMED
	// SUMMARY:Nätverksmöte Göteborg
	// TRANSP:OPAQUE
	// UID:3f9c2e1a@kalender.example.se
	// END:VEVENT
	// BEGIN:VEVENT
	// CLASS:PUBLIC
	// DESCRIPTION:Your answer: No\, I will not attend.
	// DTEND;TZID=Europe/Stockholm:20250408T200000
	// DTSTAMP:20250120T080000Z
	// DTSTART;TZID=Europe/Stockholm:20250408T180000
	// LAST-MODIFIED:20250120T080000Z
	// RECURRENCE-ID;TZID=Europe/Stockholm:20250408T180000
	// SEQUENCE:0
	// STATUS:CONFIRMED
	// SUMMARY:Declined: Nätverksmöte Göteborg
	// TRANSP:TRANSPARENT
	// UID:3f9c2e1a@kalender.example.se
	// END:VEVENT
	// END:VCALENDAR
}
