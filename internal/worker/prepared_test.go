package worker

import (
	"fmt"
	"testing"
	"time"

	"github.com/natverk/natverk/calendar"
)

func TestPreparedSeriesCache(t *testing.T) {
	sthlm, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	series := func(org string) *calendar.Series {
		return &calendar.Series{
			UID: "series-7@natverk.example", Sequence: 1, Summary: "Frukostmöte", TimeZone: "Europe/Stockholm",
			Start: time.Date(2027, 1, 12, 7, 30, 0, 0, sthlm), Duration: time.Hour, Rule: "FREQ=WEEKLY;BYDAY=TU",
			Organizer: calendar.Person{Name: "Ledare", Email: org},
		}
	}
	var c preparedSeries
	a, err := c.get(7, series("reply+1@natverk.example"))
	if err != nil {
		t.Fatal(err)
	}
	// The same series read again for another member: another organizer
	// and a freshly loaded zone.
	again := series("reply+2@natverk.example")
	again.Start = again.Start.UTC()
	if b, err := c.get(7, again); err != nil || b != a {
		t.Errorf("the same series was prepared again (%v)", err)
	}
	changed := series("reply+3@natverk.example")
	changed.Sequence = 2
	changed.ExDates = []time.Time{time.Date(2027, 1, 19, 7, 30, 0, 0, sthlm)}
	b, err := c.get(7, changed)
	if err != nil || b == a || !b.Same(changed) {
		t.Fatalf("a changed series was sent from the old copy (%v)", err)
	}
	if _, err := c.get(8, &calendar.Series{UID: "x", Summary: "y", TimeZone: "Nowhere/Land"}); err == nil {
		t.Error("an invalid series was prepared")
	}
	for i := range 3 * preparedLimit {
		if _, err := c.get(int64(100+i), series(fmt.Sprintf("reply+%d@natverk.example", i))); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.m) > preparedLimit {
		t.Errorf("the cache holds %d series, limit %d", len(c.m), preparedLimit)
	}
}
