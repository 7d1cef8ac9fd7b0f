package calendar

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/teambition/rrule-go"
)

// Describe says in words when a series meets, for mails and pages, in
// Swedish (locale "sv" or "sv-…") or English (any other locale):
// "varannan tisdag kl. 18:00–20:00", "andra tisdagen varje månad kl.
// 18:00–20:00", "every second Tuesday at 18:00–20:00", and "tisdag 14
// januari 2025 kl. 18:00–20:00" for a one-off event; a bounded rule adds
// "till och med 8 december 2026" / "until 8 December 2026" or "(10
// gånger)" / "(10 times)". Times are wall-clock times in the series zone. A
// rule too unusual for words is quoted as written.
func Describe(s *Series, locale string) string {
	sv := strings.EqualFold(locale, "sv") || strings.HasPrefix(strings.ToLower(locale), "sv-")
	loc, err := loadZone(s.TimeZone)
	if err != nil {
		loc = s.Start.Location()
	}
	start := s.Start.In(loc)
	clock := pick(sv, "kl. ", "at ") + start.Format("15:04")
	if s.Duration > 0 {
		clock += "–" + start.Add(s.Duration).Format("15:04")
	}
	if s.Rule == "" {
		return formatDate(start, sv, true) + " " + clock
	}
	r, err := parseRecur(s.Rule, loc)
	if err != nil {
		return s.Rule + " " + clock
	}
	text := pattern(r, start, sv) + " " + clock
	switch {
	case r.count > 0:
		text += fmt.Sprintf(pick(sv, " (%d gånger)", " (%d times)"), r.count)
	case !r.until.IsZero():
		text += pick(sv, " till och med ", " until ") + formatDate(r.until.In(loc), sv, false)
	}
	return text
}

func pick(sv bool, swedish, english string) string {
	if sv {
		return swedish
	}
	return english
}

var (
	daysSV   = [7]string{"söndag", "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag"}
	daysEN   = [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	monthsSV = [12]string{"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december"}
	monthsEN = [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	ordSV    = [10]string{"första", "andra", "tredje", "fjärde", "femte", "sjätte", "sjunde", "åttonde", "nionde", "tionde"}
	ordEN    = [10]string{"first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"}
)

// weekday names a weekday; definite gives the Swedish "tisdagen".
func weekday(d time.Weekday, sv, definite bool) string {
	if !sv {
		return daysEN[d]
	}
	if definite {
		return daysSV[d] + "en"
	}
	return daysSV[d]
}

func month(m time.Month, sv bool) string {
	if sv {
		return monthsSV[m-1]
	}
	return monthsEN[m-1]
}

// formatDate writes "14 januari 2025", with the weekday first if asked.
func formatDate(t time.Time, sv, withWeekday bool) string {
	s := fmt.Sprintf("%d %s %d", t.Day(), month(t.Month(), sv), t.Year())
	if withWeekday {
		s = weekday(t.Weekday(), sv, false) + " " + s
	}
	return s
}

// ordinal names the nth of a month (n < 0 counts from the end).
func ordinal(n int, sv bool) string {
	switch {
	case n == -1:
		return pick(sv, "sista", "last")
	case n == -2:
		return pick(sv, "näst sista", "second to last")
	case n > 0 && n <= len(ordSV):
		if sv {
			return ordSV[n-1]
		}
		return ordEN[n-1]
	}
	return numbered(n, sv)
}

// numbered writes "15:e"/"15th".
func numbered(n int, sv bool) string {
	if sv {
		if m := n % 10; (m == 1 || m == 2) && n%100 != 11 && n%100 != 12 {
			return strconv.Itoa(n) + ":a"
		}
		return strconv.Itoa(n) + ":e"
	}
	switch {
	case n%100 >= 11 && n%100 <= 13:
		return strconv.Itoa(n) + "th"
	case n%10 == 1:
		return strconv.Itoa(n) + "st"
	case n%10 == 2:
		return strconv.Itoa(n) + "nd"
	case n%10 == 3:
		return strconv.Itoa(n) + "rd"
	}
	return strconv.Itoa(n) + "th"
}

// everyNth writes "every"/"varje", "every second"/"varannan", "every
// third"/"var tredje".
func everyNth(n int, sv bool) string {
	switch {
	case n <= 1:
		return pick(sv, "varje", "every")
	case n == 2 && sv:
		return "varannan"
	case n <= len(ordSV):
		return pick(sv, "var ", "every ") + ordinal(n, sv)
	}
	return pick(sv, "var ", "every ") + numbered(n, sv)
}

// weekdayList names plain weekdays, Monday first: "tisdag och torsdag".
func weekdayList(days []weekdayNum, sv bool) string {
	ds := make([]time.Weekday, 0, len(days))
	for _, d := range days {
		ds = append(ds, d.day)
	}
	slices.SortFunc(ds, func(a, b time.Weekday) int { return (int(a)+6)%7 - (int(b)+6)%7 })
	words := make([]string, len(ds))
	for i, d := range ds {
		words[i] = weekday(d, sv, false)
	}
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + pick(sv, " och ", " and ") + words[len(words)-1]
}

// pattern says when the rule repeats, without the time of day.
func pattern(r *recur, start time.Time, sv bool) string {
	plain := true // BYDAY without numbers
	for _, d := range r.byDay {
		plain = plain && d.n == 0
	}
	nDay, nMonthDay, nMonth, nPos := len(r.byDay), len(r.byMonthDay), len(r.byMonth), len(r.bySetPos)
	switch r.freq {
	case rrule.DAILY:
		if nDay+nMonthDay+nMonth+nPos == 0 {
			return everyNth(r.interval, sv) + pick(sv, " dag", " day")
		}
		if plain && r.interval == 1 && nMonthDay+nMonth+nPos == 0 {
			return everyNth(1, sv) + " " + weekdayList(r.byDay, sv)
		}
	case rrule.WEEKLY:
		days := r.byDay
		if nDay == 0 {
			days = []weekdayNum{{day: start.Weekday()}}
		}
		if plain && nMonth+nPos == 0 {
			return everyNth(r.interval, sv) + " " + weekdayList(days, sv)
		}
	case rrule.MONTHLY:
		months := everyNth(r.interval, sv) + " månad"
		if !sv {
			months = "of " + everyNth(r.interval, sv) + " month"
		}
		nth := func(n int, d time.Weekday) string {
			return pick(sv, "", "the ") + ordinal(n, sv) + " " + weekday(d, sv, true) + " " + months
		}
		switch {
		case nDay == 1 && !plain && nMonthDay+nPos+nMonth == 0:
			return nth(r.byDay[0].n, r.byDay[0].day)
		case nDay == 1 && plain && nPos == 1 && nMonthDay+nMonth == 0:
			return nth(r.bySetPos[0], r.byDay[0].day)
		case nDay+nPos+nMonth == 0 && nMonthDay <= 1:
			day := start.Day()
			if nMonthDay == 1 {
				day = r.byMonthDay[0]
			}
			if day == -1 {
				return pick(sv, "sista dagen ", "the last day ") + months
			}
			if day > 0 {
				return pick(sv, "den ", "the ") + numbered(day, sv) + " " + months
			}
		}
	case rrule.YEARLY:
		if r.interval != 1 || nMonthDay+nPos > 0 {
			break
		}
		switch {
		case nDay == 0 && (nMonth == 0 || nMonth == 1 && r.byMonth[0] == int(start.Month())):
			return pick(sv, fmt.Sprintf("den %d %s varje år", start.Day(), month(start.Month(), sv)),
				fmt.Sprintf("every year on %d %s", start.Day(), month(start.Month(), sv)))
		case nDay == 1 && !plain && nMonth == 1:
			m := month(time.Month(r.byMonth[0]), sv)
			d := r.byDay[0]
			return pick(sv, fmt.Sprintf("%s %s i %s varje år", ordinal(d.n, sv), weekday(d.day, sv, true), m),
				fmt.Sprintf("the %s %s of %s every year", ordinal(d.n, sv), weekday(d.day, sv, true), m))
		}
	}
	return pick(sv, "enligt regeln ", "following the rule ") + r.String()
}
