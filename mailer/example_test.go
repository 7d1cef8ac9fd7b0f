package mailer_test

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"net/mail"
	"time"

	"github.com/natverk/natverk/mailer"
)

// The calendar comes ready-made from the calendar package; this one is
// abbreviated (no VTIMEZONE) to keep the example short.
const exampleICS = "BEGIN:VCALENDAR\r\n" +
	"PRODID:-//Example//Natverk//SV\r\n" +
	"VERSION:2.0\r\n" +
	"METHOD:REQUEST\r\n" +
	"BEGIN:VEVENT\r\n" +
	"UID:series-1@kalender.example.se\r\n" +
	"DTSTAMP:20250101T120000Z\r\n" +
	"DTSTART:20250114T170000Z\r\n" +
	"DTEND:20250114T190000Z\r\n" +
	"RRULE:FREQ=MONTHLY;BYDAY=2TU\r\n" +
	"SUMMARY:Nätverksmöte Göteborg\r\n" +
	"ORGANIZER:mailto:natverk-goteborg@kalender.example.se\r\n" +
	"ATTENDEE;RSVP=TRUE;PARTSTAT=NEEDS-ACTION:mailto:asa@example.org\r\n" +
	"END:VEVENT\r\n" +
	"END:VCALENDAR\r\n"

func ExampleComposer_Compose() {
	c, err := mailer.NewComposer(mailer.ComposerOptions{})
	if err != nil {
		log.Fatal(err)
	}
	cet := time.FixedZone("CET", 3600)
	m := &mailer.Message{
		Kind:      mailer.Invitation,
		Locale:    "sv",
		From:      mailer.Address{Name: "Nätverk Göteborg", Email: "natverk-goteborg@kalender.example.se"},
		To:        mailer.Address{Name: "Åsa Öberg", Email: "asa@example.org"},
		MessageID: "inv-1@kalender.example.se",
		ListID:    "goteborg.natverk.kalender.example.se",
		Unsubscribe: &mailer.Unsubscribe{
			HTTPS:  "https://kalender.example.se/u/tok",
			Mailto: "mailto:unsubscribe+tok@kalender.example.se",
		},
		Calendar: &mailer.CalendarPart{Method: "REQUEST", Data: []byte(exampleICS)},
		Date:     time.Date(2025, 1, 2, 10, 0, 0, 0, cet),
		Content: mailer.Content{
			NetworkName: "Nätverk Göteborg",
			Summary:     "Nätverksmöte Göteborg",
			Start:       time.Date(2025, 1, 14, 18, 0, 0, 0, cet),
			End:         time.Date(2025, 1, 14, 20, 0, 0, 0, cet),
		},
	}
	raw, err := c.Compose(m)
	if err != nil {
		log.Fatal(err)
	}

	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		log.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	fmt.Println("Subject:", subject)
	fmt.Println("List-Unsubscribe-Post:", msg.Header.Get("List-Unsubscribe-Post"))
	printTree(msg.Header.Get("Content-Type"), msg.Body, "")
	// Output:
	// Subject: Inbjudan: Nätverksmöte Göteborg @ tis 14 jan 2025 18:00–20:00 (CET)
	// List-Unsubscribe-Post: List-Unsubscribe=One-Click
	// multipart/mixed
	//   multipart/alternative
	//     text/plain; charset=UTF-8
	//     text/html; charset=UTF-8
	//     text/calendar; charset=UTF-8; method=REQUEST
	//   application/ics; name=invite.ics
}

// printTree prints the media type of each MIME part, indented by depth.
func printTree(contentType string, body io.Reader, indent string) {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		log.Fatal(err)
	}
	boundary := params["boundary"]
	delete(params, "boundary")
	fmt.Println(indent + mime.FormatMediaType(mediaType, params))
	if boundary == "" {
		return
	}
	mr := multipart.NewReader(body, boundary)
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return
		}
		if err != nil {
			log.Fatal(err)
		}
		printTree(p.Header.Get("Content-Type"), p, indent+"  ")
	}
}
