package calendar

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"
)

// Reply is one VEVENT of an inbound REPLY or COUNTER (RFC 5546 §3.2.3,
// §3.2.7): who answered what, for the whole series or one occurrence.
// Match it to a series by UID, to an occurrence by RecurrenceID as an
// instant, and to a member by the attendee address (INTEROP §2.2).
type Reply struct {
	Method string // from the body, "REPLY" or "COUNTER" (never from Content-Type)
	UID    string
	// RecurrenceID is the original start of the occurrence answered, UTC;
	// nil means the whole series.
	RecurrenceID *time.Time
	// RecurrenceDate is set when RECURRENCE-ID was a DATE: RecurrenceID is
	// then midnight of that day in the fallback zone (UTC without one), and
	// the occurrence on that day is meant.
	RecurrenceDate bool
	Sequence       int
	Stamp          time.Time  // DTSTAMP, UTC; zero when absent or unreadable
	Attendees      []Attendee // every ATTENDEE; a valid REPLY has exactly one
	Organizer      string     // address, as attendee addresses are normalised
	Proposed       *time.Time // COUNTER: the proposed DTSTART, UTC; nil when unreadable
	Comment        string     // COMMENT, or Apple's X-CALENDARSERVER-PRIVATE-COMMENT
}

// ParseReplies parses a REPLY or COUNTER calendar (METHOD read from the
// body; a Google COUNTER arrives with method=REPLY in its Content-Type) and
// returns one Reply per VEVENT. Any other METHOD is an error. Addresses
// lose their "mailto:"/"MAILTO:" and have their domain lower-cased;
// PARTSTAT is upper-cased and NEEDS-ACTION when absent. Texts are read
// leniently (an unknown escape such as "\:" keeps its character, where
// go-ical's Text fails). Times: see [Reply]; TZIDs resolve as IANA names,
// Windows zone IDs and display names (CLDR), Mozilla-style paths, the file's
// own VTIMEZONE, then opt.FallbackZone. Recurrence rules are never expanded.
func ParseReplies(r io.Reader, opt ParseOptions) ([]Reply, error) {
	cal, err := Parse(r, opt)
	if err != nil {
		return nil, err
	}
	method := ""
	if p := cal.Props.Get(ical.PropMethod); p != nil {
		method = strings.ToUpper(strings.TrimSpace(p.Value))
	}
	if method != MethodReply && method != MethodCounter {
		return nil, fmt.Errorf("calendar: METHOD:%s is not a REPLY or COUNTER", method)
	}
	z := newResolver(cal, opt.FallbackZone)
	var out []Reply
	for _, ev := range cal.Children {
		if ev.Name != ical.CompEvent {
			continue
		}
		rep, err := z.reply(ev, method)
		if err != nil {
			return nil, err
		}
		out = append(out, rep)
	}
	if len(out) == 0 {
		return nil, errors.New("calendar: the reply has no VEVENT")
	}
	return out, nil
}

// reply reads one VEVENT.
func (z *resolver) reply(ev *ical.Component, method string) (Reply, error) {
	rep := Reply{Method: method}
	get := func(name string) *ical.Prop { return ev.Props.Get(name) }
	if p := get(ical.PropUID); p != nil {
		rep.UID = strings.TrimSpace(p.Value)
	}
	if rep.UID == "" {
		return rep, errors.New("calendar: reply VEVENT without UID")
	}
	if p := get(ical.PropSequence); p != nil {
		rep.Sequence, _ = strconv.Atoi(strings.TrimSpace(p.Value))
	}
	// DTSTAMP and a COUNTER's DTSTART only order and annotate an answer:
	// one that cannot be read is left zero rather than losing the answer.
	if p := get(ical.PropDateTimeStamp); p != nil {
		rep.Stamp, _, _ = z.instant(p)
	}
	if p := get(ical.PropRecurrenceID); p != nil {
		t, date, err := z.instant(p)
		if err != nil {
			return rep, fmt.Errorf("calendar: reply %s: RECURRENCE-ID: %w", rep.UID, err)
		}
		rep.RecurrenceID, rep.RecurrenceDate = &t, date
	}
	if p := get(ical.PropDateTimeStart); p != nil && method == MethodCounter {
		if t, _, err := z.instant(p); err == nil {
			rep.Proposed = &t
		}
	}
	for _, p := range ev.Props[ical.PropAttendee] {
		a := Attendee{
			Person: Person{
				Name:  cleanParam(p.Params.Get(ical.ParamCommonName)),
				Email: NormalizeEmail(p.Value),
			},
			PartStat: PartStat(strings.ToUpper(strings.TrimSpace(p.Params.Get(ical.ParamParticipationStatus)))),
		}
		a.PartStat = a.PartStat.orDefault()
		rep.Attendees = append(rep.Attendees, a)
	}
	if p := get(ical.PropOrganizer); p != nil {
		rep.Organizer = NormalizeEmail(p.Value)
	}
	for _, name := range []string{ical.PropComment, "X-CALENDARSERVER-PRIVATE-COMMENT"} {
		if p := get(name); p != nil && rep.Comment == "" {
			rep.Comment = strings.TrimSpace(unescapeText(p.Value))
		}
	}
	return rep, nil
}

// NormalizeEmail turns a calendar address into the form used for matching:
// "mailto:"/"MAILTO:" removed, spaces trimmed, domain lower-cased (the local
// part is kept as it is, RFC 5321 §2.4).
func NormalizeEmail(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 7 && strings.EqualFold(v[:7], "mailto:") {
		v = strings.TrimSpace(v[7:])
	}
	if i := strings.LastIndexByte(v, '@'); i >= 0 {
		v = v[:i] + strings.ToLower(v[i:])
	}
	return v
}

// unescapeText reads a TEXT value leniently: RFC 5545 escapes are decoded,
// a comma stays a comma, and an unknown escape keeps its character.
func unescapeText(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '\\' || i+1 == len(v) {
			b.WriteByte(c)
			continue
		}
		i++
		switch v[i] {
		case 'n', 'N':
			b.WriteByte('\n')
		default:
			b.WriteByte(v[i])
		}
	}
	return b.String()
}
