package calendar

import (
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Length limits on the texts of a series, in characters (runes).
const (
	MaxSummary     = 200
	MaxLocation    = 500
	MaxDescription = 5000
	maxName        = 200
	maxURL         = 2000
	maxUID         = 255
	maxEmail       = 254
)

// Validate checks everything about a series that its iCalendar output and
// expansion depend on, and returns the first problem as a *FieldError:
// UID, texts (length limits, valid UTF-8, no control characters except
// newlines in descriptions and locations), URL (http or https), time zone
// ([ValidateTimeZone]), start (whole minutes), duration (1 minute to 24
// hours, whole minutes), rule ([ValidateRule]), organizer (when set: feeds
// need none, iTIP messages require one), and that every ExDate and Override
// names an original occurrence of the rule, once.
func (s *Series) Validate() error {
	_, err := s.check()
	return err
}

// check validates s and returns its prepared expansion.
func (s *Series) check() (*expansion, error) {
	if err := checkUID("uid", s.UID); err != nil {
		return nil, err
	}
	if s.Sequence < 0 {
		return nil, fieldErr("sequence", "negative")
	}
	if strings.TrimSpace(s.Summary) == "" {
		return nil, fieldErr("summary", "required")
	}
	if err := checkTexts("", s.Summary, s.Location, s.Description); err != nil {
		return nil, err
	}
	if err := checkURL("url", s.URL); err != nil {
		return nil, err
	}
	loc, err := loadZone(s.TimeZone)
	if err != nil {
		return nil, err
	}
	if err := checkInstant("start", s.Start); err != nil {
		return nil, err
	}
	if err := checkDuration("duration", s.Duration); err != nil {
		return nil, err
	}
	start := s.Start.In(loc)
	if s.Rule != "" {
		if err := checkRule(s.Rule, start, s.Duration); err != nil {
			return nil, err
		}
	} else {
		t, kind := inZone(floating(start), loc)
		if err := checkWall("start", floating(start), t, kind, s.Duration, loc); err != nil {
			return nil, err
		}
	}
	if s.Organizer != (Person{}) {
		if err := checkPerson("organizer", s.Organizer); err != nil {
			return nil, err
		}
	}
	if !s.Created.IsZero() && !s.Modified.IsZero() && s.Modified.Before(s.Created) {
		return nil, fieldErr("modified", "before created")
	}
	e, err := s.expansion()
	if err != nil {
		return nil, err
	}
	if err := s.checkExceptions(e); err != nil {
		return nil, err
	}
	return e, nil
}

// checkExceptions checks that ExDates and Overrides name original
// occurrences, each once, and that override fields are valid.
func (s *Series) checkExceptions(e *expansion) error {
	if len(s.ExDates)+len(s.Overrides) == 0 {
		return nil
	}
	if e.rule == nil {
		if len(s.ExDates) > 0 {
			return fieldErr("ex_dates", "a one-off event has no occurrences to cancel; set Cancelled")
		}
		return fieldErr("overrides", "a one-off event has no occurrences to change; change the event")
	}
	if len(s.ExDates)+len(s.Overrides) > MaxOccurrences {
		return fieldErr("ex_dates", "more than %d exceptions", MaxOccurrences)
	}
	named := slices.Clone(s.ExDates)
	for _, o := range s.Overrides {
		named = append(named, o.RecurrenceID)
	}
	originals, err := e.originalSet(named)
	if err != nil {
		return err
	}
	excluded := map[int64]bool{}
	for i, t := range s.ExDates {
		field := fmt.Sprintf("ex_dates[%d]", i)
		if !originals[t.Unix()] || t.Nanosecond() != 0 {
			return fieldErr(field, "%s is not an occurrence of the series", t.In(e.loc).Format(time.DateTime))
		}
		if excluded[t.Unix()] {
			return fieldErr(field, "%s given twice", t.In(e.loc).Format(time.DateTime))
		}
		excluded[t.Unix()] = true
	}
	overridden := map[int64]bool{}
	for i, o := range s.Overrides {
		field := fmt.Sprintf("overrides[%d]", i)
		rid := o.RecurrenceID
		switch {
		case rid.IsZero():
			return fieldErr(field+".recurrence_id", "required")
		case !originals[rid.Unix()] || rid.Nanosecond() != 0:
			return fieldErr(field+".recurrence_id", "%s is not an occurrence of the series", rid.In(e.loc).Format(time.DateTime))
		case overridden[rid.Unix()]:
			return fieldErr(field+".recurrence_id", "%s is overridden twice", rid.In(e.loc).Format(time.DateTime))
		case excluded[rid.Unix()]:
			return fieldErr(field+".recurrence_id", "%s is also in ex_dates", rid.In(e.loc).Format(time.DateTime))
		}
		overridden[rid.Unix()] = true
		if !o.Start.IsZero() {
			if err := checkInstant(field+".start", o.Start); err != nil {
				return err
			}
		}
		if o.Duration != 0 {
			if err := checkDuration(field+".duration", o.Duration); err != nil {
				return err
			}
		}
		if occ := e.occurrence(rid, &o); !o.Cancelled {
			w := floating(occ.Start)
			t, kind := inZone(w, e.loc)
			if err := checkWall(field+".start", w, t, kind, occ.End.Sub(occ.Start), e.loc); err != nil {
				return err
			}
		}
		if err := checkTexts(field+".", o.Summary, o.Location, o.Description); err != nil {
			return err
		}
	}
	return nil
}

func checkUID(field, uid string) error {
	switch {
	case uid == "":
		return fieldErr(field, "required")
	case len(uid) > maxUID:
		return fieldErr(field, "longer than %d bytes", maxUID)
	case !utf8.ValidString(uid):
		return fieldErr(field, "not valid UTF-8")
	}
	for _, r := range uid {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return fieldErr(field, "contains white space or a control character")
		}
	}
	return nil
}

// checkTexts checks the summary, location and description of a series or
// an override; prefix is prepended to the field names.
func checkTexts(prefix, summary, location, description string) error {
	if err := checkText(prefix+"summary", summary, MaxSummary, false); err != nil {
		return err
	}
	if err := checkText(prefix+"location", location, MaxLocation, true); err != nil {
		return err
	}
	return checkText(prefix+"description", description, MaxDescription, true)
}

// checkText checks one text: valid UTF-8, at most max runes, and no control
// characters except CR and LF where multiline is set (CRLF counts as one).
func checkText(field, s string, max int, multiline bool) error {
	if !utf8.ValidString(s) {
		return fieldErr(field, "not valid UTF-8")
	}
	if n := utf8.RuneCountInString(normalizeNewlines(s)); n > max {
		return fieldErr(field, "%d characters, at most %d allowed", n, max)
	}
	for _, r := range s {
		if (r == '\n' || r == '\r') && multiline {
			continue
		}
		if unicode.IsControl(r) {
			if r == '\n' || r == '\r' {
				return fieldErr(field, "must be a single line")
			}
			return fieldErr(field, "contains the control character U+%04X", r)
		}
	}
	return nil
}

// checkURL accepts "" or an absolute http or https URL.
func checkURL(field, s string) error {
	if s == "" {
		return nil
	}
	if len(s) > maxURL {
		return fieldErr(field, "longer than %d bytes", maxURL)
	}
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return fieldErr(field, "contains white space or a control character")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fieldErr(field, "not an absolute http or https URL")
	}
	return nil
}

// checkInstant requires a time in whole minutes in a sane range of years.
func checkInstant(field string, t time.Time) error {
	switch {
	case t.IsZero():
		return fieldErr(field, "required")
	case t.Year() < 1900 || t.Year() > 2200:
		return fieldErr(field, "year %d is out of range", t.Year())
	case t.Second() != 0 || t.Nanosecond() != 0:
		return fieldErr(field, "must be a whole minute")
	}
	return nil
}

func checkDuration(field string, d time.Duration) error {
	switch {
	case d < time.Minute || d > 24*time.Hour:
		return fieldErr(field, "must be from 1 minute to 24 hours")
	case d%time.Minute != 0:
		return fieldErr(field, "must be whole minutes")
	}
	return nil
}

// checkPerson requires a valid address and a one-line name.
func checkPerson(field string, p Person) error {
	if err := checkEmail(field+".email", p.Email); err != nil {
		return err
	}
	return checkText(field+".name", p.Name, maxName, false)
}

// checkPartStat accepts the participation statuses the package knows.
func checkPartStat(field string, p PartStat) error {
	switch p {
	case "", NeedsAction, Accepted, Tentative, Declined:
		return nil
	}
	return fieldErr(field, "unknown PARTSTAT %q", p)
}

// checkEmail requires a bare addr-spec such as "anna@example.se".
func checkEmail(field, email string) error {
	if email == "" {
		return fieldErr(field, "required")
	}
	if len(email) > maxEmail {
		return fieldErr(field, "longer than %d bytes", maxEmail)
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" || strings.ContainsAny(email, "<>\"\\ ") {
		return fieldErr(field, "%q is not an address such as anna@example.se", email)
	}
	return nil
}

// normalizeNewlines turns CRLF and lone CR into LF.
func normalizeNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}
