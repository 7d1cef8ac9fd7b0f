package mailer

import (
	"strconv"
	"strings"
	"time"
)

// locale formats dates, answers and amounts for one language. Swedish names
// are written out here: Go's time package only knows English.
type locale struct {
	tag                  string
	weekdays, weekdaysSh [7]string
	months, monthsSh     [12]string
	at                   string // between date and time: " kl. " or ", "
	answers              map[string]string
	noAnswer             string
	statuses             map[string]string
	thousands            string
	cost                 func(amount string) string
}

// swedishLocale returns the Swedish locale, the default.
func swedishLocale() *locale {
	return &locale{
		tag:        "sv",
		weekdays:   [7]string{"söndag", "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag"},
		weekdaysSh: [7]string{"sön", "mån", "tis", "ons", "tor", "fre", "lör"},
		months: [12]string{"januari", "februari", "mars", "april", "maj", "juni", "juli",
			"augusti", "september", "oktober", "november", "december"},
		monthsSh: [12]string{"jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"},
		at:       " kl. ",
		answers: map[string]string{
			"ACCEPTED":  "Ja, jag kommer",
			"TENTATIVE": "Kanske",
			"DECLINED":  "Nej, jag kan inte",
		},
		noAnswer: "Inget svar ännu",
		statuses: map[string]string{
			"pending":  "under behandling",
			"approved": "beviljad",
			"rejected": "avslagen",
		},
		thousands: "\u00a0",
		cost:      func(a string) string { return a + "\u00a0kr" },
	}
}

// englishLocale returns the English locale.
func englishLocale() *locale {
	return &locale{
		tag:        "en",
		weekdays:   [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
		weekdaysSh: [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"},
		months: [12]string{"January", "February", "March", "April", "May", "June", "July",
			"August", "September", "October", "November", "December"},
		monthsSh: [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
		at:       ", ",
		answers: map[string]string{
			"ACCEPTED":  "Yes, I'm coming",
			"TENTATIVE": "Maybe",
			"DECLINED":  "No, I can't come",
		},
		noAnswer: "No answer yet",
		statuses: map[string]string{
			"pending":  "pending",
			"approved": "approved",
			"rejected": "rejected",
		},
		thousands: ",",
		cost:      func(a string) string { return "SEK\u00a0" + a },
	}
}

// localeTag maps a language tag to a supported locale: "" and "sv…" give
// "sv", "en…" gives "en".
func localeTag(tag string) (string, error) {
	primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
	primary, _, _ = strings.Cut(primary, "_")
	switch primary {
	case "", "sv":
		return "sv", nil
	case "en":
		return "en", nil
	}
	return "", invalidf("unsupported locale %q (want \"sv\" or \"en\")", tag)
}

// date formats a day: "tisdag 14 januari 2025" / "Tuesday 14 January 2025".
func (l *locale) date(t time.Time) string {
	return l.weekdays[t.Weekday()] + " " + strconv.Itoa(t.Day()) + " " + l.months[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

// dateShort formats a day: "tis 14 jan 2025" / "Tue 14 Jan 2025".
func (l *locale) dateShort(t time.Time) string {
	return l.weekdaysSh[t.Weekday()] + " " + strconv.Itoa(t.Day()) + " " + l.monthsSh[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

// zone returns the zone abbreviation in parentheses, e.g. "(CET)".
func zone(t time.Time) string { return "(" + t.Format("MST") + ")" }

// when formats an occurrence in full:
// "tisdag 14 januari 2025 kl. 18:00–20:00 (CET)" /
// "Tuesday 14 January 2025, 18:00–20:00 (CET)". An end on another day or in
// another zone offset is written out; a zero end is left out.
func (l *locale) when(start, end time.Time) string {
	return l.span(start, end, l.date, l.at)
}

// whenShort formats an occurrence briefly, for subjects:
// "tis 14 jan 2025 18:00–20:00 (CET)".
func (l *locale) whenShort(start, end time.Time) string {
	return l.span(start, end, l.dateShort, " ")
}

func (l *locale) span(start, end time.Time, day func(time.Time) string, at string) string {
	if start.IsZero() {
		return ""
	}
	s := day(start) + at + start.Format("15:04")
	switch {
	case end.IsZero() || !end.After(start):
		return s + " " + zone(start)
	case sameDay(start, end) && zone(start) == zone(end):
		return s + "–" + end.Format("15:04") + " " + zone(start)
	case sameDay(start, end):
		return s + " " + zone(start) + " – " + end.Format("15:04") + " " + zone(end)
	case zone(start) == zone(end):
		return s + " – " + day(end) + at + end.Format("15:04") + " " + zone(end)
	}
	return s + " " + zone(start) + " – " + day(end) + at + end.Format("15:04") + " " + zone(end)
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// stamp formats a moment without weekday: "14 jan 2025 09:12" / "14 Jan 2025 09:12".
func (l *locale) stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.Itoa(t.Day()) + " " + l.monthsSh[t.Month()-1] + " " + strconv.Itoa(t.Year()) + " " + t.Format("15:04")
}

// answer names an RSVP answer (ACCEPTED, TENTATIVE, DECLINED); unknown
// values are shown as given, "" as "no answer yet".
func (l *locale) answer(a string) string {
	if a == "" {
		return l.noAnswer
	}
	if s, ok := l.answers[strings.ToUpper(a)]; ok {
		return s
	}
	return a
}

// status names a support request status.
func (l *locale) status(s string) string {
	if v, ok := l.statuses[strings.ToLower(s)]; ok {
		return v
	}
	return s
}

// money formats whole kronor: "1 500 kr" / "SEK 1,500".
func (l *locale) money(sek int64) string {
	neg := sek < 0
	if neg {
		sek = -sek
	}
	digits := strconv.FormatInt(sek, 10)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteString(l.thousands)
		}
		b.WriteRune(d)
	}
	return l.cost(b.String())
}
