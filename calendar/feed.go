package calendar

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-ical"
)

// Feed defaults.
const (
	DefaultRefresh = 6 * time.Hour
	DefaultPast    = 365 * 24 * time.Hour
)

// Feed is a subscription calendar (webcal or https .ics): a network's
// meetings, or a member's personal feed of all their networks.
type Feed struct {
	Name        string        // NAME and X-WR-CALNAME; required
	Description string        // DESCRIPTION and X-WR-CALDESC
	TimeZone    string        // X-WR-TIMEZONE, an IANA name; required
	URL         string        // URL and SOURCE of the feed itself; optional
	Refresh     time.Duration // REFRESH-INTERVAL and X-PUBLISHED-TTL; default 6h
	Series      []FeedSeries
	// Past is the window of past meetings kept: a series whose last
	// occurrence ended before Now-Past is dropped, and so is a cancelled
	// series last modified before then. Default 365 days.
	Past time.Duration
	// Now is the time the window is measured from; required, so that the
	// same data always gives the same bytes.
	Now time.Time
	// Locale is the language of the personal-answer markers, "en"
	// (default) or "sv".
	Locale string
}

// FeedSeries is one series in a feed, with what the feed's reader should
// see about it.
type FeedSeries struct {
	*Series
	Answer PartStat         // personal feed: the member's answer to the whole series ("" none)
	Notes  []OccurrenceNote // per-occurrence annotations (personal answers, "waitlist place 3", counts)
	Note   string           // appended to the DESCRIPTION of the series' events
}

// OccurrenceNote annotates one occurrence in a feed. An occurrence with a
// note is written as an instance VEVENT (RECURRENCE-ID) of its own.
type OccurrenceNote struct {
	RecurrenceID time.Time // original start of the occurrence
	// Answer is the reader's answer for this occurrence, over the series
	// answer. DECLINED is marked visibly: TRANSP:TRANSPARENT (free time) and
	// a summary prefix; ACCEPTED and TENTATIVE are said in the description.
	Answer    PartStat
	Tentative bool   // show STATUS:TENTATIVE (e.g. on the waitlist)
	Text      string // appended to the occurrence's DESCRIPTION
}

// RenderFeed renders a feed: no METHOD (RFC 5545 §3.7.2), no ORGANIZER or
// ATTENDEE (clients would send replies, and member addresses would leak),
// DTSTAMP = Modified so that unchanged data gives identical bytes and a
// stable ETag, one master VEVENT per series with its RRULE and one EXDATE
// per line, an instance VEVENT (RECURRENCE-ID in the master's TZID) per
// override and per annotated occurrence, cancelled series kept with
// STATUS:CANCELLED, and one VTIMEZONE per zone. Notes for occurrences that
// are not in the series (cancelled since, or never) are left out.
func RenderFeed(f *Feed) ([]byte, error) {
	if f == nil {
		return nil, errors.New("calendar: nil feed")
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	refresh, past := cmp.Or(f.Refresh, DefaultRefresh), cmp.Or(f.Past, DefaultPast)
	cutoff := f.Now.Add(-past)
	words := feedWords(f.Locale)

	cal := newCalendar("")
	setText(cal.Props, "NAME", f.Name)
	setText(cal.Props, "X-WR-CALNAME", f.Name)
	setText(cal.Props, ical.PropDescription, f.Description)
	setText(cal.Props, "X-WR-CALDESC", f.Description)
	setRaw(cal.Props, "X-WR-TIMEZONE", f.TimeZone)
	// go-ical's SetDuration would drop the VALUE=DURATION that RFC 7986
	// requires here (INTEROP §6), so the property is built by hand.
	cal.Props.Set(&ical.Prop{Name: ical.PropRefreshInterval, Params: ical.Params{ical.ParamValue: {"DURATION"}}, Value: formatDuration(refresh)})
	setRaw(cal.Props, "X-PUBLISHED-TTL", formatDuration(refresh))
	if f.URL != "" {
		setRaw(cal.Props, ical.PropURL, f.URL)
		cal.Props.Set(&ical.Prop{Name: ical.PropSource, Params: ical.Params{ical.ParamValue: {"URI"}}, Value: f.URL})
	}

	type kept struct {
		fs *FeedSeries
		e  *expansion
	}
	var series []kept
	var zones zoneSet
	uids := map[string]bool{}
	for i := range f.Series {
		fs := &f.Series[i]
		field := fmt.Sprintf("series[%d]", i)
		if fs.Series == nil {
			return nil, fieldErr(field, "nil series")
		}
		e, err := fs.check()
		if err != nil {
			return nil, prefixField(field, err)
		}
		if uids[fs.UID] {
			return nil, fieldErr(field+".uid", "%q appears twice in the feed", fs.UID)
		}
		uids[fs.UID] = true
		if err := checkFeedSeries(field, fs); err != nil {
			return nil, err
		}
		end, bounded, err := e.lastEnd()
		if err != nil {
			return nil, err
		}
		if bounded && end.Before(cutoff) || fs.Cancelled && !fs.Modified.IsZero() && fs.Modified.Before(cutoff) {
			continue
		}
		first, last, err := e.span(f.Now)
		if err != nil {
			return nil, err
		}
		zones.use(e.loc, first, last)
		series = append(series, kept{fs, e})
	}
	if len(series) == 0 {
		// A VCALENDAR needs at least one component (RFC 5545 §3.4).
		loc, _ := loadZone(f.TimeZone)
		zones.use(loc, f.Now, f.Now)
	}
	slices.SortStableFunc(series, func(a, b kept) int {
		if c := a.e.start.Compare(b.e.start); c != 0 {
			return c
		}
		return strings.Compare(a.fs.UID, b.fs.UID)
	})
	cal.Children = append(cal.Children, zones.components()...)
	for _, k := range series {
		cal.Children = append(cal.Children, feedEvents(k.fs, k.e, words)...)
	}
	return encode(cal)
}

// check validates the feed's own fields.
func (f *Feed) check() error {
	if strings.TrimSpace(f.Name) == "" {
		return fieldErr("name", "required")
	}
	if err := checkText("name", f.Name, MaxSummary, false); err != nil {
		return err
	}
	if err := checkText("description", f.Description, MaxDescription, true); err != nil {
		return err
	}
	if _, err := loadZone(f.TimeZone); err != nil {
		return err
	}
	if err := checkURL("url", f.URL); err != nil {
		return err
	}
	if f.Refresh < 0 || f.Refresh > 0 && f.Refresh < time.Minute {
		return fieldErr("refresh", "must be at least a minute")
	}
	if f.Past < 0 {
		return fieldErr("past", "negative")
	}
	if f.Now.IsZero() {
		return fieldErr("now", "required")
	}
	switch f.Locale {
	case "", "en", "sv":
		return nil
	}
	return fieldErr("locale", "%q is not sv or en", f.Locale)
}

// checkFeedSeries checks the annotations of a series in a feed.
func checkFeedSeries(field string, fs *FeedSeries) error {
	if err := checkPartStat(field+".answer", fs.Answer); err != nil {
		return err
	}
	if err := checkText(field+".note", fs.Note, MaxDescription, true); err != nil {
		return err
	}
	for i, n := range fs.Notes {
		nf := fmt.Sprintf("%s.notes[%d]", field, i)
		if n.RecurrenceID.IsZero() {
			return fieldErr(nf+".recurrence_id", "required")
		}
		if err := checkPartStat(nf+".answer", n.Answer); err != nil {
			return err
		}
		if err := checkText(nf+".text", n.Text, MaxDescription, true); err != nil {
			return err
		}
	}
	return nil
}

// prefixField puts prefix before the field of a *FieldError.
func prefixField(prefix string, err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		return &FieldError{Field: prefix + "." + fe.Field, Reason: fe.Reason}
	}
	return err
}

// feedEvents builds the master and instance VEVENTs of one series.
func feedEvents(fs *FeedSeries, e *expansion, w words) []*ical.Component {
	s := fs.Series
	stamp := s.Modified
	if stamp.IsZero() {
		stamp = s.Created
	}
	if stamp.IsZero() {
		stamp = s.Start
	}
	status := "CONFIRMED"
	if s.Cancelled {
		status = "CANCELLED"
	}
	// Notes by occurrence, several for one occurrence merged.
	notes := map[int64]*OccurrenceNote{}
	var noted []time.Time
	for i := range fs.Notes {
		n := &fs.Notes[i]
		key := n.RecurrenceID.Unix()
		if prev := notes[key]; prev != nil {
			merged := *prev
			merged.Answer = cmp.Or(n.Answer, prev.Answer)
			merged.Tentative = prev.Tentative || n.Tentative
			merged.Text = joinParas(prev.Text, n.Text)
			notes[key] = &merged
			continue
		}
		notes[key] = n
		noted = append(noted, n.RecurrenceID)
	}

	master := e.master(stamp)
	if e.r == nil {
		// A one-off event is its only occurrence: its note goes on it.
		var n *OccurrenceNote
		if !e.excluded[e.start.Unix()] {
			n = notes[e.start.Unix()]
		}
		decorate(master, s.Summary, s.Description, status, fs.Answer, n, w, fs.Note)
		return []*ical.Component{master}
	}
	decorate(master, s.Summary, s.Description, status, fs.Answer, nil, w, fs.Note)
	evs := []*ical.Component{master}

	// Instances: every current override, and every occurrence with a note.
	occs := e.overrideOccurrences()
	have := map[int64]bool{}
	for _, occ := range occs {
		have[occ.RecurrenceID.Unix()] = true
	}
	// A note beyond the scan cap finds no original and is left out rather
	// than failing the feed.
	originals, _ := e.originalSet(noted)
	for _, rid := range noted {
		key := rid.Unix()
		if !have[key] && originals[key] && !e.excluded[key] {
			occs = append(occs, e.occurrence(rid, nil))
			have[key] = true
		}
	}
	slices.SortFunc(occs, func(a, b Occurrence) int { return a.RecurrenceID.Compare(b.RecurrenceID) })
	for _, occ := range occs {
		istamp := stamp
		summary, description := s.Summary, s.Description
		if o := occ.Override; o != nil {
			if o.Modified.After(istamp) {
				istamp = o.Modified
			}
			summary, description = cmp.Or(o.Summary, summary), cmp.Or(o.Description, description)
		}
		ev := e.instance(occ, istamp)
		decorate(ev, summary, description, status, fs.Answer, notes[occ.RecurrenceID.Unix()], w, fs.Note)
		evs = append(evs, ev)
	}
	return evs
}

// decorate sets the feed-specific properties of an event: STATUS, TRANSP,
// and the summary and description with the reader's answer and the notes.
// The occurrence's note n, when there is one, overrides the series answer
// and marks a waitlist place (STATUS:TENTATIVE, unless the series is
// cancelled).
func decorate(ev *ical.Component, summary, description, status string, answer PartStat, n *OccurrenceNote, w words, seriesNote string) {
	note := ""
	if n != nil {
		answer, note = cmp.Or(n.Answer, answer), n.Text
		if n.Tentative && status != "CANCELLED" {
			status = "TENTATIVE"
		}
	}
	setRaw(ev.Props, ical.PropStatus, status)
	transp := "OPAQUE"
	if answer == Declined {
		transp = "TRANSPARENT"
		summary = w.declinedPrefix + summary
	}
	setRaw(ev.Props, ical.PropTransparency, transp)
	setText(ev.Props, ical.PropSummary, summary)
	setText(ev.Props, ical.PropDescription, joinParas(description, w.answer[answer], seriesNote, note))
}

// joinParas joins the non-empty texts with blank lines.
func joinParas(texts ...string) string {
	var out []string
	for _, t := range texts {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return strings.Join(out, "\n\n")
}

// words are the personal-answer markers of a feed in one language.
type words struct {
	declinedPrefix string
	answer         map[PartStat]string
}

func feedWords(locale string) words {
	if locale == "sv" {
		return words{
			declinedPrefix: "Avböjt: ",
			answer: map[PartStat]string{
				Accepted:  "Ditt svar: Ja, jag kommer.",
				Tentative: "Ditt svar: Kanske.",
				Declined:  "Ditt svar: Nej, jag kommer inte.",
			},
		}
	}
	return words{
		declinedPrefix: "Declined: ",
		answer: map[PartStat]string{
			Accepted:  "Your answer: Yes, I will attend.",
			Tentative: "Your answer: Maybe.",
			Declined:  "Your answer: No, I will not attend.",
		},
	}
}
