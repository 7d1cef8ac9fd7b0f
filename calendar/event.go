package calendar

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	"github.com/emersion/go-ical"
)

// The VEVENTs of a series, shared by iTIP messages and feeds.

// master builds the series' master VEVENT: UID, SEQUENCE, DTSTAMP, CREATED,
// LAST-MODIFIED, DTSTART and DTEND (never DURATION: Outlook and Google
// both write DTEND), RRULE, one EXDATE per line in the master's TZID, texts,
// URL and CLASS. The callers add STATUS, TRANSP and the iTIP properties.
func (e *expansion) master(stamp time.Time) *ical.Component {
	s := e.s
	ev := ical.NewComponent(ical.CompEvent)
	ev.Props.SetText(ical.PropUID, s.UID)
	setRaw(ev.Props, ical.PropSequence, strconv.Itoa(s.Sequence))
	setUTC(ev.Props, ical.PropDateTimeStamp, stamp)
	if !s.Created.IsZero() {
		setUTC(ev.Props, ical.PropCreated, s.Created)
	}
	if !s.Modified.IsZero() {
		setUTC(ev.Props, ical.PropLastModified, s.Modified)
	}
	setLocal(ev.Props, ical.PropDateTimeStart, e.start, e.loc)
	setLocal(ev.Props, ical.PropDateTimeEnd, e.start.Add(s.Duration), e.loc)
	if e.r != nil {
		setRaw(ev.Props, ical.PropRecurrenceRule, e.r.String())
		for _, t := range e.exdates() {
			addLocal(ev.Props, ical.PropExceptionDates, t, e.loc)
		}
	}
	setText(ev.Props, ical.PropSummary, s.Summary)
	setText(ev.Props, ical.PropLocation, s.Location)
	setText(ev.Props, ical.PropDescription, s.Description)
	if s.URL != "" {
		setRaw(ev.Props, ical.PropURL, s.URL)
	}
	setRaw(ev.Props, ical.PropClass, "PUBLIC")
	return ev
}

// exdates returns the cancelled original starts (ExDates and cancelled
// overrides), sorted and without duplicates.
func (e *expansion) exdates() []time.Time {
	keys := make([]int64, 0, len(e.excluded))
	for k := range e.excluded {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]time.Time, len(keys))
	for i, k := range keys {
		out[i] = time.Unix(k, 0).In(e.loc)
	}
	return out
}

// instance builds the VEVENT of one occurrence: the master's UID and
// SEQUENCE, RECURRENCE-ID in the master's TZID (RFC 5545 §3.8.4.4), the
// occurrence's own DTSTART and DTEND, and its texts (the override's where
// it has them).
func (e *expansion) instance(occ Occurrence, stamp time.Time) *ical.Component {
	s := e.s
	ev := ical.NewComponent(ical.CompEvent)
	ev.Props.SetText(ical.PropUID, s.UID)
	setRaw(ev.Props, ical.PropSequence, strconv.Itoa(s.Sequence))
	setUTC(ev.Props, ical.PropDateTimeStamp, stamp)
	setLocal(ev.Props, ical.PropRecurrenceID, occ.RecurrenceID, e.loc)
	setLocal(ev.Props, ical.PropDateTimeStart, occ.Start, e.loc)
	setLocal(ev.Props, ical.PropDateTimeEnd, occ.End, e.loc)
	summary, location, description := s.Summary, s.Location, s.Description
	modified := s.Modified
	if o := occ.Override; o != nil {
		summary = cmp.Or(o.Summary, summary)
		location = cmp.Or(o.Location, location)
		description = cmp.Or(o.Description, description)
		if !o.Modified.IsZero() {
			modified = o.Modified
		}
	}
	if !modified.IsZero() {
		setUTC(ev.Props, ical.PropLastModified, modified)
	}
	setText(ev.Props, ical.PropSummary, summary)
	setText(ev.Props, ical.PropLocation, location)
	setText(ev.Props, ical.PropDescription, description)
	if s.URL != "" {
		setRaw(ev.Props, ical.PropURL, s.URL)
	}
	setRaw(ev.Props, ical.PropClass, "PUBLIC")
	return ev
}

// findOverride returns the override of the occurrence whose original start
// is rid, cancelled or not, or nil.
func (e *expansion) findOverride(rid time.Time) *Override {
	for i := range e.s.Overrides {
		if e.s.Overrides[i].RecurrenceID.Equal(rid) {
			return &e.s.Overrides[i]
		}
	}
	return nil
}

// overrideOccurrences returns the current (not cancelled) overrides as
// occurrences, ordered by RECURRENCE-ID.
func (e *expansion) overrideOccurrences() []Occurrence {
	out := make([]Occurrence, 0, len(e.overrides))
	for key, o := range e.overrides {
		if !e.excluded[key] {
			out = append(out, e.occurrence(o.RecurrenceID, o))
		}
	}
	slices.SortFunc(out, func(a, b Occurrence) int { return a.RecurrenceID.Compare(b.RecurrenceID) })
	return out
}

// span returns the first and last instants the series' events use, for
// choosing the years its VTIMEZONE covers. A rule without COUNT or UNTIL
// is covered to MaxYears after the later of its start and now.
func (e *expansion) span(now time.Time) (first, last time.Time, err error) {
	first = e.start
	last, bounded, err := e.lastEnd()
	if err != nil {
		return first, last, err
	}
	if !bounded {
		last = e.start
		if now.After(last) {
			last = now
		}
		last = last.AddDate(MaxYears, 0, 0)
	}
	for _, occ := range e.overrideOccurrences() {
		if occ.Start.Before(first) {
			first = occ.Start
		}
		if occ.End.After(last) {
			last = occ.End
		}
	}
	if last.Before(e.start.Add(e.s.Duration)) {
		last = e.start.Add(e.s.Duration)
	}
	return first, last, nil
}
