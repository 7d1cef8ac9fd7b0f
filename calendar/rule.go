package calendar

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/teambition/rrule-go"
)

// Limits on the recurrence rules the package accepts and expands. They keep
// every expansion small and fast whatever the input (RRULE bombs such as
// FREQ=SECONDLY are refused outright, INTEROP §4).
const (
	// MaxYears bounds UNTIL, and the last occurrence a COUNT reaches, to
	// this many years after the start.
	MaxYears = 10
	// MaxPerYear bounds the occurrences of a rule in one calendar year.
	MaxPerYear = 366
	// MaxOccurrences bounds the occurrences of a rule in its first
	// MaxYears years, and the occurrences one expansion returns.
	MaxOccurrences = 3660
	// maxInterval bounds INTERVAL.
	maxInterval = 99
	// maxScan bounds the original starts one expansion steps through; a
	// daily rule reaches it about 130 years after its start.
	maxScan = 50000
	// maxRuleLen bounds the length of an RRULE value.
	maxRuleLen = 300
)

// weekdayNum is one BYDAY entry: a weekday, optionally the nth of the month
// or year (n < 0 counts from the end).
type weekdayNum struct {
	n   int
	day time.Weekday
}

// recur is a parsed RRULE restricted to what the package supports.
type recur struct {
	freq       rrule.Frequency
	interval   int // 1 when absent
	count      int // 0 when absent
	until      time.Time
	byMonth    []int
	byMonthDay []int
	byDay      []weekdayNum
	bySetPos   []int
	wkst       time.Weekday
	hasWkst    bool
}

var dayCodes = [...]string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}

var rruleDays = [...]rrule.Weekday{rrule.SU, rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA}

// ValidateRule checks an RRULE value (without "RRULE:") for a series whose
// first occurrence is start; start.Location() is the zone the rule repeats
// in. "" is a one-off event and valid.
//
// Accepted rules use FREQ=DAILY, WEEKLY, MONTHLY or YEARLY with INTERVAL
// (at most 99), COUNT or UNTIL (not both), BYMONTH, BYMONTHDAY, BYDAY,
// BYSETPOS and WKST. BYHOUR, BYMINUTE and BYSECOND are refused: the time of
// day comes from the start, so a rule has at most one occurrence a day.
// UNTIL, and the last occurrence of a COUNT, must lie within [MaxYears]
// years of start; a rule must yield at least two and at most
// [MaxOccurrences] occurrences in that span, at most [MaxPerYear] in any
// calendar year; and start must itself be an occurrence (RFC 5545 leaves
// the set undefined otherwise). Errors are *FieldError for field "rule".
func ValidateRule(rule string, start time.Time) error {
	if rule == "" {
		return nil
	}
	return checkRule(rule, start, 0)
}

// checkRule parses rule and enforces every limit of ValidateRule. With a
// duration d > 0 it also refuses occurrences that span a DST change.
func checkRule(rule string, start time.Time, d time.Duration) error {
	loc := start.Location()
	r, err := parseRecur(rule, loc)
	if err != nil {
		return err
	}
	if err := r.startsAt(start); err != nil {
		return err
	}
	horizon := start.AddDate(MaxYears, 0, 0)
	if !r.until.IsZero() {
		if r.until.Before(start) {
			return fieldErr("rule", "UNTIL is before the start")
		}
		if r.until.After(horizon) {
			return fieldErr("rule", "UNTIL is more than %d years after the start", MaxYears)
		}
	}
	rr, err := rrule.NewRRule(r.roption(floating(start), loc))
	if err != nil {
		return fieldErr("rule", "%v", err)
	}
	next := rr.Iterator()
	perYear := map[int]int{}
	n := 0
	for w, ok := next(); ok; w, ok = next() {
		t, kind := inZone(w, loc)
		if n == 0 && !w.Equal(floating(start)) {
			return fieldErr("rule", "the start (%s) is not an occurrence of the rule", start.Format("Mon 2006-01-02 15:04"))
		}
		if t.After(horizon) {
			if r.count > 0 {
				return fieldErr("rule", "COUNT=%d reaches more than %d years after the start", r.count, MaxYears)
			}
			break
		}
		if err := checkWall("rule", w, t, kind, d, loc); err != nil {
			return err
		}
		n++
		perYear[t.Year()]++
		if n > MaxOccurrences {
			return fieldErr("rule", "more than %d occurrences in %d years", MaxOccurrences, MaxYears)
		}
		if perYear[t.Year()] > MaxPerYear {
			return fieldErr("rule", "more than %d occurrences in %d", MaxPerYear, t.Year())
		}
	}
	if n < 2 {
		return fieldErr("rule", "yields a single occurrence; leave the rule empty for a one-off event")
	}
	return nil
}

// checkWall refuses an occurrence (wall clock w, instant t) that clients
// would place differently: one in the hour skipped or repeated by a DST
// change (ical.js, inside Thunderbird, reads both unlike RFC 5545 §3.3.5),
// or one of duration d that spans a change (clients disagree on its end).
func checkWall(field string, w, t time.Time, kind wallKind, d time.Duration, loc *time.Location) error {
	switch {
	case kind == wallSkipped:
		return fieldErr(field, "%s does not exist in %s (the clocks skip that hour); choose another time", w.Format("2006-01-02 15:04"), loc)
	case kind == wallRepeated:
		return fieldErr(field, "%s happens twice in %s (the clocks go back); choose another time", w.Format("2006-01-02 15:04"), loc)
	case d > 0 && spansChange(t, d, loc):
		return fieldErr(field, "the meeting at %s spans a DST change in %s; clients disagree on its end", w.Format("2006-01-02 15:04"), loc)
	}
	return nil
}

// parseRecur parses an RRULE value. A local or DATE UNTIL is read in loc.
func parseRecur(rule string, loc *time.Location) (*recur, error) {
	s := strings.TrimSpace(rule)
	if len(s) > 6 && strings.EqualFold(s[:6], "RRULE:") {
		s = s[6:]
	}
	if len(s) > maxRuleLen {
		return nil, fieldErr("rule", "longer than %d characters", maxRuleLen)
	}
	r := &recur{interval: 1, wkst: time.Monday}
	seen := map[string]bool{}
	for part := range strings.SplitSeq(s, ";") {
		if strings.TrimSpace(part) == "" {
			continue // "FREQ=WEEKLY;" as some clients write it
		}
		key, value, ok := strings.Cut(part, "=")
		key = strings.ToUpper(strings.TrimSpace(key))
		value = strings.ToUpper(strings.TrimSpace(value))
		if !ok || key == "" || value == "" {
			return nil, fieldErr("rule", "%q is not NAME=VALUE", part)
		}
		if seen[key] {
			return nil, fieldErr("rule", "%s given twice", key)
		}
		seen[key] = true
		var err error
		switch key {
		case "FREQ":
			r.freq, err = parseFreq(value)
		case "INTERVAL":
			r.interval, err = parseInt(key, value, 1, maxInterval)
		case "COUNT":
			r.count, err = parseInt(key, value, 1, MaxOccurrences)
		case "UNTIL":
			r.until, err = parseUntil(value, loc)
		case "BYMONTH":
			r.byMonth, err = parseInts(key, value, 1, 12, false)
		case "BYMONTHDAY":
			r.byMonthDay, err = parseInts(key, value, 1, 31, true)
		case "BYSETPOS":
			r.bySetPos, err = parseInts(key, value, 1, 366, true)
		case "BYDAY":
			r.byDay, err = parseByDay(value)
		case "WKST":
			r.wkst, err = parseDay(value)
			r.hasWkst = true
		case "BYHOUR", "BYMINUTE", "BYSECOND":
			err = fieldErr("rule", "%s is not supported: the time of day comes from the start", key)
		case "BYYEARDAY", "BYWEEKNO":
			err = fieldErr("rule", "%s is not supported", key)
		default:
			err = fieldErr("rule", "unknown part %s", key)
		}
		if err != nil {
			return nil, err
		}
	}
	if !seen["FREQ"] {
		return nil, fieldErr("rule", "FREQ is required")
	}
	if r.count > 0 && !r.until.IsZero() {
		return nil, fieldErr("rule", "COUNT and UNTIL must not both be given")
	}
	for _, d := range r.byDay {
		switch {
		case d.n != 0 && (r.freq == rrule.DAILY || r.freq == rrule.WEEKLY):
			return nil, fieldErr("rule", "BYDAY=%s: a numbered weekday needs FREQ=MONTHLY or YEARLY", d)
		case d.n != 0 && r.freq == rrule.MONTHLY && (d.n > 5 || d.n < -5):
			return nil, fieldErr("rule", "BYDAY=%s: a month has at most five of each weekday", d)
		}
	}
	if len(r.byMonthDay) > 0 && r.freq == rrule.WEEKLY {
		return nil, fieldErr("rule", "BYMONTHDAY is not allowed with FREQ=WEEKLY")
	}
	if len(r.bySetPos) > 0 && len(r.byDay)+len(r.byMonthDay)+len(r.byMonth) == 0 {
		return nil, fieldErr("rule", "BYSETPOS needs BYDAY, BYMONTHDAY or BYMONTH")
	}
	return r, nil
}

func parseFreq(v string) (rrule.Frequency, error) {
	switch v {
	case "DAILY":
		return rrule.DAILY, nil
	case "WEEKLY":
		return rrule.WEEKLY, nil
	case "MONTHLY":
		return rrule.MONTHLY, nil
	case "YEARLY":
		return rrule.YEARLY, nil
	case "HOURLY", "MINUTELY", "SECONDLY":
		return 0, fieldErr("rule", "FREQ=%s is not allowed: meetings repeat at most daily", v)
	}
	return 0, fieldErr("rule", "unknown FREQ=%s", v)
}

func parseInt(key, v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fieldErr("rule", "%s=%s: want a number from %d to %d", key, v, lo, hi)
	}
	return n, nil
}

// parseInts parses a comma list of numbers in lo..hi, or also -hi..-lo when
// negative is set.
func parseInts(key, v string, lo, hi int, negative bool) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(v, ",") {
		n, err := strconv.Atoi(strings.TrimPrefix(f, "+"))
		ok := err == nil && (n >= lo && n <= hi || negative && n <= -lo && n >= -hi)
		if !ok {
			return nil, fieldErr("rule", "%s=%s: %q is out of range", key, v, f)
		}
		if slices.Contains(out, n) {
			return nil, fieldErr("rule", "%s=%s: %d given twice", key, v, n)
		}
		out = append(out, n)
	}
	return out, nil
}

func parseDay(v string) (time.Weekday, error) {
	for i, c := range dayCodes {
		if v == c {
			return time.Weekday(i), nil
		}
	}
	return 0, fieldErr("rule", "unknown weekday %q", v)
}

func parseByDay(v string) ([]weekdayNum, error) {
	var out []weekdayNum
	for f := range strings.SplitSeq(v, ",") {
		if len(f) < 2 {
			return nil, fieldErr("rule", "BYDAY=%s: %q is not a weekday", v, f)
		}
		day, err := parseDay(f[len(f)-2:])
		if err != nil {
			return nil, err
		}
		w := weekdayNum{day: day}
		if num := f[:len(f)-2]; num != "" {
			n, err := strconv.Atoi(strings.TrimPrefix(num, "+"))
			if err != nil || n == 0 || n > 53 || n < -53 || strings.HasPrefix(num, "+-") {
				return nil, fieldErr("rule", "BYDAY=%s: %q is not a week number", v, num)
			}
			w.n = n
		}
		if slices.Contains(out, w) {
			return nil, fieldErr("rule", "BYDAY=%s: %s given twice", v, w)
		}
		out = append(out, w)
	}
	return out, nil
}

// parseUntil reads UNTIL as UTC ("…Z"), local time in loc, or a DATE, which
// includes the whole day in loc.
func parseUntil(v string, loc *time.Location) (time.Time, error) {
	var t time.Time
	var err error
	switch len(v) {
	case len("20060102T150405Z"):
		t, err = time.Parse("20060102T150405Z", v)
	case len("20060102T150405"):
		t, err = time.ParseInLocation("20060102T150405", v, loc)
	case len("20060102"):
		t, err = time.ParseInLocation("20060102", v, loc)
		t = t.AddDate(0, 0, 1).Add(-time.Second)
	default:
		err = fmt.Errorf("bad length")
	}
	if err != nil {
		return time.Time{}, fieldErr("rule", "UNTIL=%s is not a date-time such as 20261208T170000Z", v)
	}
	return t.UTC(), nil
}

// String formats the weekday as in an RRULE: "TU", "2TU", "-1TH".
func (w weekdayNum) String() string {
	if w.n == 0 {
		return dayCodes[w.day]
	}
	return strconv.Itoa(w.n) + dayCodes[w.day]
}

// String writes the rule in the form Google and Outlook emit: FREQ first,
// "BYDAY=2TU" rather than "+2TU", and UNTIL in UTC (RFC 5545 §3.3.10
// requires UTC when DTSTART has a TZID).
func (r *recur) String() string {
	var b strings.Builder
	b.WriteString("FREQ=")
	b.WriteString(r.freq.String())
	if r.interval > 1 {
		fmt.Fprintf(&b, ";INTERVAL=%d", r.interval)
	}
	if r.count > 0 {
		fmt.Fprintf(&b, ";COUNT=%d", r.count)
	}
	if !r.until.IsZero() {
		b.WriteString(";UNTIL=" + r.until.UTC().Format("20060102T150405Z"))
	}
	writeInts(&b, "BYMONTH", r.byMonth)
	writeInts(&b, "BYMONTHDAY", r.byMonthDay)
	if len(r.byDay) > 0 {
		b.WriteString(";BYDAY=")
		for i, d := range r.byDay {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(d.String())
		}
	}
	writeInts(&b, "BYSETPOS", r.bySetPos)
	if r.hasWkst {
		b.WriteString(";WKST=" + dayCodes[r.wkst])
	}
	return b.String()
}

func writeInts(b *strings.Builder, key string, v []int) {
	if len(v) == 0 {
		return
	}
	b.WriteString(";" + key + "=")
	for i, n := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(n))
	}
}

// roption converts the rule to rrule-go options for a set starting at the
// wall-clock time dtstart (UTC fields); UNTIL becomes wall clock in loc.
func (r *recur) roption(dtstart time.Time, loc *time.Location) rrule.ROption {
	o := rrule.ROption{
		Freq:       r.freq,
		Dtstart:    dtstart,
		Interval:   r.interval,
		Count:      r.count,
		Bymonth:    r.byMonth,
		Bymonthday: r.byMonthDay,
		Bysetpos:   r.bySetPos,
		Wkst:       rruleDays[r.wkst],
	}
	if !r.until.IsZero() {
		o.Until = floating(r.until.In(loc))
	}
	for _, d := range r.byDay {
		w := rruleDays[d.day]
		if d.n != 0 {
			w = w.Nth(d.n)
		}
		o.Byweekday = append(o.Byweekday, w)
	}
	return o
}

// startsAt reports whether start is itself an occurrence of the rule.
//
// rrule-go looks for the first occurrence at or after its DTSTART and, for a
// rule that never matches (BYMONTH=2;BYMONTHDAY=30), scans period by period
// up to the year 9999. So the check looks only at the period (day, week,
// month or year) that contains start, with the defaults RFC 5545 takes from
// DTSTART made explicit. Days and weeks are checked directly; for months
// and years rrule-go expands that one period, from its beginning and with
// an INTERVAL so large that the next period lies past the year 9999. It
// runs on the floating wall clock, which membership depends on alone.
// checkRule then confirms with rrule-go that start is the first occurrence.
func (r *recur) startsAt(start time.Time) error {
	y, m, d := start.Date()
	hh, mm, ss := start.Clock()
	f := time.Date(y, m, d, hh, mm, ss, 0, time.UTC)
	e := *r
	e.count, e.until = 0, time.Time{}
	switch {
	case len(e.byDay)+len(e.byMonthDay) > 0:
	case e.freq == rrule.YEARLY:
		if len(e.byMonth) == 0 {
			e.byMonth = []int{int(m)}
		}
		e.byMonthDay = []int{d}
	case e.freq == rrule.MONTHLY:
		e.byMonthDay = []int{d}
	case e.freq == rrule.WEEKLY:
		e.byDay = []weekdayNum{{day: f.Weekday()}}
	}
	var found bool
	switch e.freq {
	case rrule.DAILY:
		found = e.inSet([]time.Time{f}, f)
	case rrule.WEEKLY:
		first := f.AddDate(0, 0, -((int(f.Weekday()) - int(e.wkst) + 7) % 7))
		week := make([]time.Time, 7)
		for i := range week {
			week[i] = first.AddDate(0, 0, i)
		}
		found = e.inSet(week, f)
	default:
		period := time.Date(y, 1, 1, hh, mm, ss, 0, time.UTC)
		e.interval = 10000
		if e.freq == rrule.MONTHLY {
			period = time.Date(y, m, 1, hh, mm, ss, 0, time.UTC)
			e.interval = 12 * 10000
		}
		rr, err := rrule.NewRRule(e.roption(period, time.UTC))
		if err != nil {
			return fieldErr("rule", "%v", err)
		}
		next := rr.Iterator()
		for t, ok := next(); ok && !t.After(f); t, ok = next() {
			found = found || t.Equal(f)
		}
	}
	if !found {
		return fieldErr("rule", "the start (%s) is not an occurrence of the rule", start.Format("Mon 2006-01-02 15:04"))
	}
	return nil
}

// inSet reports whether f is in the set the rule selects from the days of
// one daily or weekly period: days that pass BYMONTH, BYMONTHDAY and (plain)
// BYDAY, then BYSETPOS.
func (r *recur) inSet(days []time.Time, f time.Time) bool {
	var set []time.Time
	for _, d := range days {
		if r.dayMatches(d) {
			set = append(set, d)
		}
	}
	if len(r.bySetPos) == 0 {
		return slices.ContainsFunc(set, f.Equal)
	}
	for _, pos := range r.bySetPos {
		i := pos - 1
		if pos < 0 {
			i = len(set) + pos
		}
		if i >= 0 && i < len(set) && set[i].Equal(f) {
			return true
		}
	}
	return false
}

// dayMatches applies the BYMONTH, BYMONTHDAY and plain BYDAY filters.
func (r *recur) dayMatches(d time.Time) bool {
	if len(r.byMonth) > 0 && !slices.Contains(r.byMonth, int(d.Month())) {
		return false
	}
	if len(r.byMonthDay) > 0 {
		last := time.Date(d.Year(), d.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
		if !slices.Contains(r.byMonthDay, d.Day()) && !slices.Contains(r.byMonthDay, d.Day()-last-1) {
			return false
		}
	}
	if len(r.byDay) > 0 && !slices.ContainsFunc(r.byDay, func(w weekdayNum) bool { return w.day == d.Weekday() }) {
		return false
	}
	return true
}
