package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/natverk/natverk/internal/icaltest"
	"github.com/natverk/natverk/internal/pgtest"
	"github.com/natverk/natverk/internal/smtptest"
)

// service is a natverk process started by a test through run().
type service struct {
	t       testing.TB
	base    string
	inbound string // host:port of the inbound SMTP endpoint, if on
	token   string
	stop    func()
	http    *http.Client
}

// startService runs `natverk serve` in-process with the environment
// given (plus a data directory, a random HTTP port and no NATS or inbound
// listener), and waits until it is ready.
func startService(t testing.TB, env map[string]string) *service {
	t.Helper()
	vars := map[string]string{
		"NATVERK_DATA":         t.TempDir(),
		"NATVERK_HTTP_ADDR":    "127.0.0.1:0",
		"NATVERK_NATS_PORT":    "-1",
		"NATVERK_INBOUND_ADDR": "off",
		"NATVERK_ADMIN_TOKEN":  "test-admin-token-0123456789abcdef",
		"NATVERK_LOG_LEVEL":    "warn",
		"NATVERK_RATE_LIMIT":   "1000",
	}
	for k, v := range env {
		vars[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	var stderr bytes.Buffer
	var mu sync.Mutex
	go func() {
		err := run(ctx, []string{"serve"}, func(k string) string { return vars[k] }, nil, pw, lockedWriter{&mu, &stderr})
		pw.CloseWithError(fmt.Errorf("run returned: %v", err))
		done <- err
	}()
	base := make(chan string, 1)
	inbound := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		re := regexp.MustCompile(`listening on (\S+)\)`)
		in := regexp.MustCompile(`inbound +smtp://(\S+)`)
		for sc.Scan() {
			if m := in.FindStringSubmatch(sc.Text()); m != nil {
				inbound <- m[1]
			}
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				base <- "http://" + m[1]
			}
		}
	}()
	s := &service{t: t, token: vars["NATVERK_ADMIN_TOKEN"], http: &http.Client{Timeout: 30 * time.Second}}
	select {
	case s.base = <-base:
		select {
		case s.inbound = <-inbound:
		case <-time.After(100 * time.Millisecond):
		}
	case err := <-done:
		t.Fatalf("service stopped: %v\n%s", err, stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatal("service did not start")
	}
	s.stop = func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("service did not stop within 30s")
		}
	}
	t.Cleanup(s.stop)
	return s
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// api calls the JSON API as the admin and decodes the answer into out.
func (s *service) api(method, path, contentType, body string, want int, out any) http.Header {
	s.t.Helper()
	req, _ := http.NewRequest(method, s.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		s.t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.Header
}

// parsed is one mail taken apart with a real MIME parser.
type parsed struct {
	subject, text, html, method string
	calendar, attachment        []byte
	header                      mail.Header
}

func parseMail(t *testing.T, raw []byte) parsed {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	p := parsed{header: mr.Header}
	p.subject, _ = mr.Header.Subject()
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(part.Body)
		ct, params, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			p.text = string(b)
		case "text/html":
			p.html = string(b)
		case "text/calendar":
			p.calendar, p.method = b, params["method"]
		case "application/ics":
			p.attachment = b
		}
	}
	return p
}

func TestFlowSQLite(t *testing.T) {
	sink := smtptest.Start(t, smtptest.Faults{})
	testFlow(t, startService(t, map[string]string{"SMTP_URL": sink.URL()}), sink)
}

func TestFlowPostgres(t *testing.T) {
	dsn := pgtest.Fresh(t)
	sink := smtptest.Start(t, smtptest.Faults{})
	testFlow(t, startService(t, map[string]string{"SMTP_URL": sink.URL(), "DATABASE_URL": dsn}), sink)
}

// testFlow walks the README's quickstart: import, create a network with
// its meeting, invite by search, receive a real iMIP invitation, answer
// through the link (GET shows, POST records), and see the feed change.
func testFlow(t *testing.T, s *service, sink *smtptest.Sink) {
	var imp struct{ Created int }
	s.api("POST", "/api/v1/members/import", "text/csv",
		"email,name,town,industry,company\nasa@example.org,Åsa Öberg,Göteborg,Logistik,Hamnbolaget\nbo@example.org,Bo Ek,Göteborg,Vård,Sahlgrenska\ncia@example.org,Cia Lund,Malmö,Bank,Banken\n",
		http.StatusOK, &imp)
	if imp.Created != 3 {
		t.Fatalf("created %d members", imp.Created)
	}
	var found struct{ Total int }
	s.api("GET", "/api/v1/members?q=goteborg", "", "", http.StatusOK, &found)
	if found.Total != 2 {
		t.Fatalf("search found %d", found.Total)
	}
	var n struct {
		ID   int64
		Feed struct{ HTTPS string }
	}
	s.api("POST", "/api/v1/networks", "application/json",
		`{"name":"Chefer i Göteborg","kind":"geographic","have":"Lokal","need":"Talare","meeting":{"start":"2027-01-12T18:00","rrule":"FREQ=MONTHLY;BYDAY=2TU","location":"Järntorget 1, Göteborg"}}`,
		http.StatusCreated, &n)
	var inv struct{ Invited int }
	s.api("POST", fmt.Sprintf("/api/v1/networks/%d/invitations", n.ID), "application/json", `{"search":{"q":"goteborg"}}`, http.StatusAccepted, &inv)
	if inv.Invited != 2 {
		t.Fatalf("invited %d", inv.Invited)
	}
	msgs := sink.WaitFor(t, 2, 30*time.Second)
	var asa parsed
	for _, m := range msgs {
		p := parseMail(t, m.Data)
		if p.method != "REQUEST" || !bytes.Equal(p.calendar, p.attachment) || !bytes.Contains(p.calendar, []byte("METHOD:REQUEST")) {
			t.Fatalf("invitation to %v: method %q, calendar part equals attachment: %v", m.To, p.method, bytes.Equal(p.calendar, p.attachment))
		}
		for _, want := range []string{"BEGIN:VTIMEZONE", "TZID=Europe/Stockholm:20270112T180000", "RRULE:FREQ=MONTHLY;BYDAY=2TU", "ORGANIZER;CN=", "RSVP=TRUE"} {
			if !bytes.Contains(p.calendar, []byte(want)) {
				t.Errorf("calendar lacks %q:\n%s", want, p.calendar)
			}
		}
		icaltest.Check(t, p.calendar)
		if m.To[0] == "asa@example.org" {
			asa = p
		}
	}
	if asa.text == "" {
		t.Fatal("no invitation to asa@example.org")
	}
	feedURL := n.Feed.HTTPS
	// The calendar worker renders the invitations into the feed's counts.
	s.waitFeed(feedURL, "2 har inte svarat")
	etag1 := s.feedETag(feedURL)

	// The RSVP link: GET shows the page and changes nothing.
	link := regexp.MustCompile(`http://\S+/rsvp/[a-z0-9]+`).FindString(asa.text)
	if link == "" {
		t.Fatalf("no RSVP link in:\n%s", asa.text)
	}
	page := s.get(link + "?a=yes")
	if !strings.Contains(page, "Chefer i Göteborg") || !strings.Contains(page, `name="csrf"`) {
		t.Fatalf("RSVP page:\n%s", page)
	}
	if e := s.feedETag(feedURL); e != etag1 {
		t.Fatal("a GET on the RSVP link changed the feed")
	}
	csrf := regexp.MustCompile(`name="csrf" value="([a-f0-9]+)"`).FindStringSubmatch(page)[1]
	resp, err := s.http.PostForm(link, url.Values{"csrf": {"forged"}, "answer": {"yes"}})
	if err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("POST with a bad CSRF token: %v %v", resp.StatusCode, err)
	}
	resp, err = s.http.PostForm(link, url.Values{"csrf": {csrf}, "answer": {"yes"}})
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST answer: %v %v", resp.StatusCode, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "Ja, jag kommer") {
		t.Fatalf("answer page:\n%s", body)
	}
	// The calendar worker re-renders the feed: the ETag changes.
	deadline := time.Now().Add(20 * time.Second)
	for s.feedETag(feedURL) == etag1 {
		if time.Now().After(deadline) {
			t.Fatal("the feed's ETag did not change after the answer")
		}
		time.Sleep(50 * time.Millisecond)
	}
	feed := s.get(feedURL)
	if !strings.Contains(unfold(feed), "1 kommer") || strings.Contains(feed, "METHOD:") || strings.Contains(feed, "ATTENDEE") {
		t.Fatalf("feed:\n%s", feed)
	}
	icaltest.Check(t, []byte(feed))
}

// unfold joins iCalendar's folded lines (RFC 5545 §3.1).
func unfold(s string) string { return strings.ReplaceAll(s, "\r\n ", "") }

// waitFeed waits until the feed holds want.
func (s *service) waitFeed(u, want string) {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(unfold(s.get(u)), want) {
		if time.Now().After(deadline) {
			s.t.Fatalf("the feed never showed %q:\n%s", want, s.get(u))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *service) get(u string) string {
	s.t.Helper()
	resp, err := s.http.Get(u)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("GET %s: %d: %s", u, resp.StatusCode, b)
	}
	return string(b)
}

// feedETag fetches the feed and checks that the ETag answers 304. The
// calendar worker may re-render the feed between the two requests; then
// the ETag moved on, and the check is made again with the new one.
func (s *service) feedETag(u string) string {
	s.t.Helper()
	for attempt := 0; ; attempt++ {
		resp, err := s.http.Get(u)
		if err != nil {
			s.t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		etag := resp.Header.Get("ETag")
		if resp.StatusCode != http.StatusOK || etag == "" || resp.Header.Get("Content-Type") != "text/calendar; charset=utf-8" {
			s.t.Fatalf("feed %s: %d etag %q type %q", u, resp.StatusCode, etag, resp.Header.Get("Content-Type"))
		}
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("If-None-Match", etag)
		resp, err = s.http.Do(req)
		if err != nil {
			s.t.Fatal(err)
		}
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusNotModified:
			return etag
		case resp.StatusCode == http.StatusOK && resp.Header.Get("ETag") != etag && attempt < 20:
			continue // re-rendered in between
		}
		s.t.Fatalf("If-None-Match %s: %d, want 304", etag, resp.StatusCode)
	}
}
