package calendar

import (
	"fmt"
	"slices"
	"time"
)

// Date is a civil date: a day in the calendar, in no time zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// String formats the date as 2006-01-02.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// Weekday returns the day of the week of the date.
func (d Date) Weekday() time.Weekday { return d.time().Weekday() }

// time returns the date at midnight UTC, normalised.
func (d Date) time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// addDays returns the date n days later.
func (d Date) addDays(n int) Date { return DateOf(d.time().AddDate(0, 0, n)) }

// MonthDay is a day of the year without the year, such as 06-15.
type MonthDay struct {
	Month time.Month
	Day   int
}

// Holiday is a Swedish public holiday ("röd dag") or an eve that is
// commonly a day off.
type Holiday struct {
	Date Date
	Name string // Swedish name, e.g. "Midsommardagen"
	Eve  bool   // julafton, midsommarafton, nyårsafton: not public holidays, but most people are off
}

// SwedishHolidays returns the public holidays of a year under the Swedish
// law on general holidays (lag 1989:253), sorted by date: nyårsdagen,
// trettondedag jul, långfredagen, påskdagen, annandag påsk, första maj,
// Kristi himmelsfärdsdag, pingstdagen, Sveriges nationaldag (from 2005;
// annandag pingst before it), midsommardagen (the Saturday 20–26 June),
// alla helgons dag (the Saturday 31 October–6 November), juldagen and
// annandag jul; and, flagged Eve, julafton, midsommarafton and nyårsafton.
// Easter follows the Gregorian computus. Years before 1600 or after 9999
// give nil.
func SwedishHolidays(year int) []Holiday {
	if year < 1600 || year > 9999 {
		return nil
	}
	easter := easterSunday(year)
	midsummer := saturdayFrom(Date{year, time.June, 20})
	allSaints := saturdayFrom(Date{year, time.October, 31})
	h := []Holiday{
		{Date{year, time.January, 1}, "Nyårsdagen", false},
		{Date{year, time.January, 6}, "Trettondedag jul", false},
		{easter.addDays(-2), "Långfredagen", false},
		{easter, "Påskdagen", false},
		{easter.addDays(1), "Annandag påsk", false},
		{Date{year, time.May, 1}, "Första maj", false},
		{easter.addDays(39), "Kristi himmelsfärdsdag", false},
		{easter.addDays(49), "Pingstdagen", false},
		{midsummer.addDays(-1), "Midsommarafton", true},
		{midsummer, "Midsommardagen", false},
		{allSaints, "Alla helgons dag", false},
		{Date{year, time.December, 24}, "Julafton", true},
		{Date{year, time.December, 25}, "Juldagen", false},
		{Date{year, time.December, 26}, "Annandag jul", false},
		{Date{year, time.December, 31}, "Nyårsafton", true},
	}
	if year >= 2005 {
		h = append(h, Holiday{Date{year, time.June, 6}, "Sveriges nationaldag", false})
	} else {
		h = append(h, Holiday{easter.addDays(50), "Annandag pingst", false})
	}
	slices.SortStableFunc(h, func(a, b Holiday) int { return a.Date.time().Compare(b.Date.time()) })
	return h
}

// saturdayFrom returns the first Saturday on or after d.
func saturdayFrom(d Date) Date {
	return d.addDays((int(time.Saturday) - int(d.Weekday()) + 7) % 7)
}

// easterSunday computes Easter Sunday in the Gregorian calendar (the
// anonymous Gregorian algorithm, Meeus/Jones/Butcher).
func easterSunday(y int) Date {
	a := y % 19
	b, c := y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return Date{y, time.Month(month), day}
}

// SkipRules say which occurrences a network skips.
type SkipRules struct {
	// Holidays skips occurrences on Swedish public holidays and on the
	// eves most people have off (julafton, midsommarafton, nyårsafton).
	Holidays bool
	// SummerFrom and SummerTo, both included, give a break such as 06-15
	// to 08-15; a range whose end comes before its start wraps over the
	// new year (12-20 to 01-06). Zero values mean no break.
	SummerFrom, SummerTo MonthDay
}

// Skips returns the original starts of the occurrences in [from, to) that
// the rules skip, to be added to ExDates: those on holidays (by their date
// in the series zone) and in the break. Occurrences already cancelled or
// overridden (the organizer chose their date) are left alone, and an
// invalid series gives nil.
func Skips(s *Series, rules SkipRules, from, to time.Time) []time.Time {
	e, err := s.check()
	if err != nil || !rules.Holidays && rules.SummerFrom == (MonthDay{}) {
		return nil
	}
	holidays, years := map[Date]bool{}, map[int]bool{}
	var out []time.Time
	it := e.originals()
	for t, ok := it.Next(); ok && t.Before(to); t, ok = it.Next() {
		key := t.Unix()
		if t.Before(from) || e.excluded[key] || e.findOverride(t) != nil {
			continue
		}
		d := DateOf(t)
		if rules.Holidays && !years[d.Year] {
			for _, h := range SwedishHolidays(d.Year) {
				holidays[h.Date] = true
			}
			years[d.Year] = true
		}
		if holidays[d] || inBreak(MonthDay{d.Month, d.Day}, rules.SummerFrom, rules.SummerTo) {
			out = append(out, t)
		}
	}
	return out
}

// inBreak reports whether md lies in [from, to], wrapping over the new year
// when to comes before from.
func inBreak(md, from, to MonthDay) bool {
	if from == (MonthDay{}) || to == (MonthDay{}) {
		return false
	}
	k := func(m MonthDay) int { return int(m.Month)*100 + m.Day }
	if k(from) <= k(to) {
		return k(md) >= k(from) && k(md) <= k(to)
	}
	return k(md) >= k(from) || k(md) <= k(to)
}
