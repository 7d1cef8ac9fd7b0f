package inbound_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/natverk/natverk/calendar"
	"github.com/natverk/natverk/internal/natverk"
)

var recurrenceLine = regexp.MustCompile(`(?m)^RECURRENCE-ID[;:][^\r\n]*\r\n`)

// TestRecurrenceIDForms matches RECURRENCE-ID values written in the less
// common forms: a DATE, a floating time (read in the series' own zone),
// and a reply carrying the series and one occurrence at once.
func TestRecurrenceIDForms(t *testing.T) {
	e := newEnv(t, 4)
	ny, err := natverk.SeriesInput{Summary: "New York chapter", Start: "2027-01-12T18:00", TimeZone: "America/New_York", RRule: "FREQ=WEEKLY;BYDAY=TU"}.
		Build(e.network, natverk.Checks{Zone: calendar.ValidateTimeZone, Rule: calendar.ValidateRule})
	if err != nil {
		t.Fatal(err)
	}
	ny.UID = "new-york@" + mailDomain
	if ny, err = e.store.CreateSeries(ctxT(t), ny); err != nil {
		t.Fatal(err)
	}
	nyZone, _ := time.LoadLocation("America/New_York")
	withRID := func(raw []byte, line string) []byte {
		if !recurrenceLine.Match(raw) {
			t.Fatal("the fixture has no RECURRENCE-ID line")
		}
		return recurrenceLine.ReplaceAll(raw, []byte(line+"\r\n"))
	}
	cases := []struct {
		name   string
		member int
		series *natverk.Series
		occ    int
		raw    func(d mailData) []byte
		want   []time.Time
	}{
		{
			name: "Date", member: 0, series: e.series, occ: 2,
			raw: func(d mailData) []byte {
				raw, _ := render(t, "thunderbird.reply", d)
				return withRID(raw, "RECURRENCE-ID;VALUE=DATE:"+d.Occurrence.In(e.zone).Format("20060102"))
			},
			want: []time.Time{e.occurrence(e.series, 2)},
		},
		{
			name: "FloatingStockholm", member: 1, series: e.series, occ: 12,
			raw: func(d mailData) []byte {
				raw, _ := render(t, "thunderbird.reply", d)
				return withRID(raw, "RECURRENCE-ID:"+d.Occurrence.In(e.zone).Format("20060102T150405"))
			},
			want: []time.Time{e.occurrence(e.series, 12)},
		},
		{
			name: "FloatingInTheSeriesZone", member: 2, series: ny, occ: 3,
			raw: func(d mailData) []byte {
				raw, _ := render(t, "thunderbird.reply", d)
				return withRID(raw, "RECURRENCE-ID:"+d.Occurrence.In(nyZone).Format("20060102T150405"))
			},
			want: []time.Time{ny.Start.In(nyZone).AddDate(0, 0, 21).UTC()},
		},
		{
			name: "SeriesAndOccurrence", member: 3, series: e.series, occ: 4,
			raw: func(d mailData) []byte {
				occRaw, _ := render(t, "thunderbird.reply", d)
				whole := d
				whole.Occurrence = nil
				raw, _ := render(t, "thunderbird.reply", whole)
				ev := regexp.MustCompile(`(?s)BEGIN:VEVENT\r\n.*?END:VEVENT\r\n`).Find(occRaw)
				return []byte(strings.Replace(string(raw), "END:VCALENDAR", string(ev)+"END:VCALENDAR", 1))
			},
			want: []time.Time{{}, e.occurrence(e.series, 4)},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := e.members[tc.member]
			d := e.reply(tc.series, m, tc.occ, "ACCEPTED")
			if tc.series == ny {
				occ := ny.Start.In(nyZone).AddDate(0, 0, 7*tc.occ).UTC()
				d.Occurrence, d.Start, d.End = &occ, occ, occ.Add(ny.Duration)
			}
			status, reason := e.process(t, m.Email, []string{d.To}, tc.raw(d))
			if status != natverk.InboundApplied {
				t.Fatalf("%s %q; want applied", status, reason)
			}
			var got []time.Time
			for _, r := range e.answers(t, m.ID) {
				got = append(got, r.Occurrence)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateApproxTime(0)); diff != "" {
				t.Errorf("occurrences answered (-want +got):\n%s", diff)
			}
		})
	}
}
