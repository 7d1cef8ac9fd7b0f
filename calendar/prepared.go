package calendar

import (
	"errors"
	"slices"
	"time"
)

// Prepared is a series validated and expanded once, for building the iTIP
// messages of many recipients: an invitation sent to a whole network
// builds one REQUEST per member of the same series, and validating the
// series (which steps through every occurrence of its rule) for each of
// them is most of what [Request] costs. Messages built from a Prepared are
// byte for byte those the functions of the same names build from the
// series.
//
// A Prepared holds its own copy of the series, so the caller may change or
// reuse the Series it was made from. It is safe for concurrent use.
type Prepared struct {
	s Series
	e *expansion
}

// Prepare validates s as [Series.Validate] does and keeps what building
// messages of it needs.
func Prepare(s *Series) (*Prepared, error) {
	if s == nil {
		return nil, errors.New("calendar: nil series")
	}
	p := &Prepared{s: *s}
	p.s.ExDates = slices.Clone(s.ExDates)
	p.s.Overrides = slices.Clone(s.Overrides)
	e, err := p.s.check()
	if err != nil {
		return nil, err
	}
	p.e = e
	return p, nil
}

// Series returns a copy of the prepared series.
func (p *Prepared) Series() Series {
	s := p.s
	s.ExDates = slices.Clone(p.s.ExDates)
	s.Overrides = slices.Clone(p.s.Overrides)
	return s
}

// Same reports whether s is the prepared series, apart from its Organizer
// (which every message names for itself): a caller keeping Prepared series
// across calls uses it to tell when one is out of date. Times are compared
// as instants, since a store's reads load a new *time.Location each time.
func (p *Prepared) Same(s *Series) bool {
	if s == nil {
		return false
	}
	a := &p.s
	return a.UID == s.UID && a.Sequence == s.Sequence && a.Summary == s.Summary &&
		a.Description == s.Description && a.Location == s.Location && a.URL == s.URL &&
		a.TimeZone == s.TimeZone && a.Start.Equal(s.Start) && a.Duration == s.Duration &&
		a.Rule == s.Rule && a.Cancelled == s.Cancelled &&
		a.Created.Equal(s.Created) && a.Modified.Equal(s.Modified) &&
		slices.EqualFunc(a.ExDates, s.ExDates, time.Time.Equal) &&
		slices.EqualFunc(a.Overrides, s.Overrides, func(x, y Override) bool { return instants(x) == instants(y) })
}

// instants returns o with its times in UTC, for comparing with ==.
func instants(o Override) Override {
	o.RecurrenceID, o.Start, o.Modified = o.RecurrenceID.UTC(), o.Start.UTC(), o.Modified.UTC()
	return o
}

// message starts an iTIP message of the prepared series with organizer as
// ORGANIZER, or the series' own Organizer when organizer is the zero Person.
func (p *Prepared) message(organizer Person, method string, to Attendee, stamp time.Time) (*message, error) {
	if organizer == (Person{}) {
		organizer = p.s.Organizer
	} else if err := checkPerson("organizer", organizer); err != nil {
		return nil, err
	}
	return startMessage(p.e, organizer, method, to, stamp)
}

// Request is [Request] for the prepared series, with organizer as
// ORGANIZER (the series' own when organizer is the zero Person): a fan-out
// signs a reply address per recipient.
func (p *Prepared) Request(organizer Person, to Attendee, stamp time.Time) ([]byte, error) {
	if p.s.Cancelled {
		return nil, errors.New("calendar: request: the series is cancelled; send CancelSeries")
	}
	m, err := p.message(organizer, MethodRequest, to, stamp)
	if err != nil {
		return nil, err
	}
	return m.request(stamp)
}

// CancelOccurrence is [CancelOccurrence] for the prepared series, with
// organizer as in [Prepared.Request].
func (p *Prepared) CancelOccurrence(organizer Person, recurrenceID time.Time, to Attendee, stamp time.Time) ([]byte, error) {
	m, err := p.message(organizer, MethodCancel, to, stamp)
	if err != nil {
		return nil, err
	}
	return m.cancelOccurrence(recurrenceID, stamp)
}

// CancelSeries is [CancelSeries] for the prepared series, with organizer as
// in [Prepared.Request].
func (p *Prepared) CancelSeries(organizer Person, to Attendee, stamp time.Time) ([]byte, error) {
	m, err := p.message(organizer, MethodCancel, to, stamp)
	if err != nil {
		return nil, err
	}
	return m.cancelSeries(stamp)
}

// RemoveAttendee is [RemoveAttendee] for the prepared series, with
// organizer as in [Prepared.Request].
func (p *Prepared) RemoveAttendee(organizer Person, to Attendee, stamp time.Time) ([]byte, error) {
	m, err := p.message(organizer, MethodCancel, to, stamp)
	if err != nil {
		return nil, err
	}
	return m.removeAttendee(stamp)
}
