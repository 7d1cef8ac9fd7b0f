package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/natverk/natverk/calendar"
	"github.com/natverk/natverk/internal/icaltest"
	"github.com/natverk/natverk/internal/smtptest"
)

// TestCalendarReply plays a calendar client: the member presses Accept on
// the invitation, the client sends an iMIP REPLY to the invitation's
// ORGANIZER address, the inbound endpoint records it, and the member's
// answer shows in the feed's counts.
func TestCalendarReply(t *testing.T) {
	sink := smtptest.Start(t, smtptest.Faults{})
	s := startService(t, map[string]string{"SMTP_URL": sink.URL(), "NATVERK_INBOUND_ADDR": "127.0.0.1:0"})
	if s.inbound == "" {
		t.Fatal("the banner did not name the inbound endpoint")
	}
	s.api("POST", "/api/v1/members/import", "text/csv", "email,name,town\nasa@example.org,Åsa Öberg,Lund\n", http.StatusOK, nil)
	var n struct {
		ID   int64
		Feed struct{ HTTPS string }
	}
	s.api("POST", "/api/v1/networks", "application/json",
		`{"name":"Lund","meeting":{"start":"2027-01-12T18:00","rrule":"FREQ=WEEKLY;BYDAY=TU","location":"Stadsbiblioteket"}}`, http.StatusCreated, &n)
	s.api("POST", fmt.Sprintf("/api/v1/networks/%d/invitations", n.ID), "application/json", `{"emails":["asa@example.org"]}`, http.StatusAccepted, nil)
	inv := parseMail(t, sink.WaitFor(t, 1, 30*time.Second)[0].Data)
	s.waitFeed(n.Feed.HTTPS, "1 har inte svarat")

	// Read the invitation back as a client would and answer it.
	series, err := calendar.DecodeSeries(mustParse(t, inv.calendar), calendar.ParseOptions{})
	if err != nil || len(series) != 1 {
		t.Fatalf("decode the invitation: %v", err)
	}
	organizer := series[0].Organizer.Email
	if !strings.HasPrefix(organizer, "rsvp+") {
		t.Fatalf("ORGANIZER = %q", organizer)
	}
	reply, err := calendar.Respond(series[0], calendar.Attendee{Person: calendar.Person{Name: "Åsa Öberg", Email: "asa@example.org"}, PartStat: calendar.Accepted}, nil, time.Now().UTC())
	if err != nil {
		t.Fatal(err)
	}
	icaltest.Check(t, reply)
	msg := "From: Åsa Öberg <asa@example.org>\r\nTo: " + organizer + "\r\nSubject: Accepted: Lund\r\nMessage-ID: <reply-1@example.org>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/calendar; method=REPLY; charset=UTF-8\r\n\r\n" + string(reply)
	if err := smtp.SendMail(s.inbound, nil, "asa@example.org", []string{organizer}, []byte(msg)); err != nil {
		t.Fatalf("send the reply: %v", err)
	}
	s.waitFeed(n.Feed.HTTPS, "1 kommer")
	var inbound []struct{ Status string }
	s.api("GET", "/api/v1/inbound", "", "", http.StatusOK, &inbound)
	if len(inbound) != 1 || inbound[0].Status != "applied" {
		t.Fatalf("inbound = %+v", inbound)
	}
	_ = bytes.MinRead
}

func mustParse(t *testing.T, b []byte) *icalCalendar {
	t.Helper()
	c, err := calendar.Parse(bytes.NewReader(b), calendar.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type icalCalendar = ical.Calendar
