package calendar

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestPreparedMatchesFunctions checks that every message built from a
// Prepared series is byte for byte the one the plain function builds, with
// the series' organizer and with one given per message, and that each
// passes icalcheck.
func TestPreparedMatchesFunctions(t *testing.T) {
	s := networkSeries()
	s.Sequence = 3
	s.ExDates = []time.Time{at(2025, 5, 13, 18, 0)}
	s.Overrides = []Override{{RecurrenceID: at(2025, 4, 8, 18, 0), Start: at(2025, 4, 9, 17, 0)}}
	bounded := *s
	bounded.Rule += ";COUNT=12"
	cases := map[string]*Series{"open": s, "bounded": &bounded}
	org := Person{Name: "Ledare i Väst", Email: "reply+m42.s7@natverk.example"}
	out := map[string][]byte{}
	for name, s := range cases {
		p, err := Prepare(s)
		if err != nil {
			t.Fatal(err)
		}
		withOrg := *s
		withOrg.Organizer = org
		rid := at(2025, 3, 11, 18, 0)
		for _, tc := range []struct {
			kind          string
			plain, viaOwn func() ([]byte, error)
			viaOrg        func() ([]byte, error)
		}{
			{"request",
				func() ([]byte, error) { return Request(&withOrg, asa, stamp) },
				func() ([]byte, error) { return Request(s, asa, stamp) },
				func() ([]byte, error) { return p.Request(org, asa, stamp) }},
			{"cancel-occurrence",
				func() ([]byte, error) { return CancelOccurrence(&withOrg, rid, asa, stamp) },
				func() ([]byte, error) { return CancelOccurrence(s, rid, asa, stamp) },
				func() ([]byte, error) { return p.CancelOccurrence(org, rid, asa, stamp) }},
			{"cancel-series",
				func() ([]byte, error) { return CancelSeries(&withOrg, asa, stamp) },
				func() ([]byte, error) { return CancelSeries(s, asa, stamp) },
				func() ([]byte, error) { return p.CancelSeries(org, asa, stamp) }},
			{"remove",
				func() ([]byte, error) { return RemoveAttendee(&withOrg, asa, stamp) },
				func() ([]byte, error) { return RemoveAttendee(s, asa, stamp) },
				func() ([]byte, error) { return p.RemoveAttendee(org, asa, stamp) }},
		} {
			want, err := tc.plain()
			if err != nil {
				t.Fatalf("%s %s: %v", name, tc.kind, err)
			}
			got, err := tc.viaOrg()
			if err != nil {
				t.Fatalf("%s %s prepared: %v", name, tc.kind, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s %s: prepared message differs:\n%s\nwant\n%s", name, tc.kind, got, want)
			}
			own, err := tc.viaOwn()
			if err != nil {
				t.Fatal(err)
			}
			got, err = func() ([]byte, error) {
				switch tc.kind {
				case "request":
					return p.Request(Person{}, asa, stamp)
				case "cancel-occurrence":
					return p.CancelOccurrence(Person{}, rid, asa, stamp)
				case "cancel-series":
					return p.CancelSeries(Person{}, asa, stamp)
				}
				return p.RemoveAttendee(Person{}, asa, stamp)
			}()
			if err != nil || !bytes.Equal(got, own) {
				t.Errorf("%s %s with the series' organizer: %v\n%s\nwant\n%s", name, tc.kind, err, got, own)
			}
			out[name+"-"+tc.kind+".ics"] = got
		}
	}
	checkICS(t, out)
}

// TestPreparedRefuses checks that a Prepared series refuses what the plain
// functions refuse.
func TestPreparedRefuses(t *testing.T) {
	bad := networkSeries()
	bad.Rule = "FREQ=WEEKLY;BYHOUR=9"
	if _, err := Prepare(bad); err == nil {
		t.Error("Prepare accepted a rule with BYHOUR")
	}
	if _, err := Prepare(nil); err == nil {
		t.Error("Prepare accepted nil")
	}
	p, err := Prepare(networkSeries())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Request(Person{Email: "not an address"}, asa, stamp); err == nil {
		t.Error("a bad organizer was accepted")
	}
	if _, err := p.Request(Person{}, Attendee{Person: Person{Email: "x"}}, stamp); err == nil {
		t.Error("a bad attendee was accepted")
	}
	if _, err := p.CancelOccurrence(Person{}, at(2025, 3, 12, 18, 0), asa, stamp); err == nil {
		t.Error("a date that is not an occurrence was accepted")
	}
	noOrg := networkSeries()
	noOrg.Organizer = Person{}
	q, err := Prepare(noOrg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Request(Person{}, asa, stamp); err == nil {
		t.Error("a message without an organizer was built")
	}
	cancelled := networkSeries()
	cancelled.Cancelled = true
	c, err := Prepare(cancelled)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Request(Person{}, asa, stamp); err == nil {
		t.Error("a REQUEST of a cancelled series was built")
	}
}

// TestPreparedSame checks that Same tells an unchanged series (read again,
// in another *time.Location, with another organizer) from a changed one,
// and that the Prepared keeps its own copy.
func TestPreparedSame(t *testing.T) {
	s := networkSeries()
	s.ExDates = []time.Time{at(2025, 5, 13, 18, 0)}
	s.Overrides = []Override{{RecurrenceID: at(2025, 4, 8, 18, 0), Start: at(2025, 4, 9, 17, 0)}}
	p, err := Prepare(s)
	if err != nil {
		t.Fatal(err)
	}
	again := p.Series()
	again.Organizer = Person{Email: "other@example.org"}
	again.Start = again.Start.In(mustZone("Europe/Stockholm"))
	again.ExDates[0] = again.ExDates[0].UTC()
	if !p.Same(&again) {
		t.Error("the same series read again is not Same")
	}
	for name, change := range map[string]func(s *Series){
		"sequence":  func(s *Series) { s.Sequence++ },
		"summary":   func(s *Series) { s.Summary += "!" },
		"start":     func(s *Series) { s.Start = s.Start.Add(time.Hour) },
		"rule":      func(s *Series) { s.Rule += ";COUNT=5" },
		"exdate":    func(s *Series) { s.ExDates = append(s.ExDates, at(2025, 6, 10, 18, 0)) },
		"override":  func(s *Series) { s.Overrides[0].Location = "Annan plats" },
		"cancelled": func(s *Series) { s.Cancelled = true },
		"modified":  func(s *Series) { s.Modified = s.Modified.Add(time.Second) },
	} {
		c := p.Series()
		change(&c)
		if p.Same(&c) {
			t.Errorf("a changed %s is Same", name)
		}
	}
	// Changing the series it was made from does not change the Prepared.
	s.Summary = "Ändrad"
	s.Overrides[0].Start = at(2025, 4, 10, 17, 0)
	if got := p.Series(); got.Summary == "Ändrad" || !got.Overrides[0].Start.Equal(at(2025, 4, 9, 17, 0)) {
		t.Error("the Prepared shares the caller's series")
	}
}

// TestPreparedConcurrent builds messages of one Prepared series from many
// goroutines (run with -race), each with its own organizer and attendee.
func TestPreparedConcurrent(t *testing.T) {
	s := networkSeries()
	s.Rule += ";COUNT=40"
	s.Overrides = []Override{{RecurrenceID: at(2025, 4, 8, 18, 0), Start: at(2025, 4, 9, 17, 0)}}
	p, err := Prepare(s)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Go(func() {
			for i := range 20 {
				org := Person{Email: fmt.Sprintf("reply+%d.%d@natverk.example", g, i)}
				to := Attendee{Person: Person{Email: fmt.Sprintf("m%d.%d@example.org", g, i)}}
				got, err := p.Request(org, to, stamp)
				if err != nil {
					errs <- err
					return
				}
				c := *s
				c.Organizer = org
				want, err := Request(&c, to, stamp)
				if err != nil || !bytes.Equal(got, want) {
					errs <- fmt.Errorf("goroutine %d message %d differs (%v)", g, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
