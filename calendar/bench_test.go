package calendar

import (
	"strings"
	"testing"
	"time"
)

// tenYearSeries meets every Tuesday for ten years, with 50 moved meetings
// and 20 cancelled ones.
func tenYearSeries() *Series {
	s := weeklySeries()
	s.Rule = "FREQ=WEEKLY;BYDAY=TU;UNTIL=20341231T230000Z"
	for i := 0; i < 50; i++ {
		rid := s.Start.AddDate(0, 0, 7*(10*i+3))
		s.Overrides = append(s.Overrides, Override{RecurrenceID: rid, Start: rid.AddDate(0, 0, 1).Add(-30 * time.Minute), Location: "Järntorget 3"})
	}
	for i := 0; i < 20; i++ {
		s.ExDates = append(s.ExDates, s.Start.AddDate(0, 0, 7*(25*i+5)))
	}
	return s
}

func BenchmarkRenderFeed(b *testing.B) {
	f := &Feed{Name: "Nätverk Göteborg", TimeZone: "Europe/Stockholm", Now: at(2025, 6, 1, 0, 0),
		Series: []FeedSeries{{Series: tenYearSeries(), Note: "12 kommer"}}}
	if err := f.Series[0].Validate(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := RenderFeed(f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOccurrences(b *testing.B) {
	s := tenYearSeries()
	from, to := s.Start, s.Start.AddDate(10, 0, 0)
	b.ReportAllocs()
	for b.Loop() {
		occs, err := s.Occurrences(from, to, 0)
		if err != nil || len(occs) < 500 {
			b.Fatal(len(occs), err)
		}
	}
}

func BenchmarkRequest(b *testing.B) {
	s := networkSeries()
	s.Overrides = []Override{{RecurrenceID: at(2025, 4, 8, 18, 0), Start: at(2025, 4, 9, 17, 0)}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Request(s, asa, stamp); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseReplies(b *testing.B) {
	in := replyCal("REPLY", exchangeZone, "UID:"+replyUID+"\nRECURRENCE-ID;TZID=W. Europe Standard Time:20250311T180000\nDTSTAMP:20250305T101500Z\nATTENDEE;PARTSTAT=DECLINED:MAILTO:asa@example.org\n")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseReplies(strings.NewReader(in), ParseOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPreparedRequest is BenchmarkRequest for a series prepared once,
// as a fan-out builds its invitations.
func BenchmarkPreparedRequest(b *testing.B) {
	s := networkSeries()
	s.Overrides = []Override{{RecurrenceID: at(2025, 4, 8, 18, 0), Start: at(2025, 4, 9, 17, 0)}}
	p, err := Prepare(s)
	if err != nil {
		b.Fatal(err)
	}
	org := Person{Name: "Ledare i Väst", Email: "reply+abc@natverk.example"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Request(org, asa, stamp); err != nil {
			b.Fatal(err)
		}
	}
}
