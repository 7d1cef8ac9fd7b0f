package calendar

import (
	"errors"
	"time"

	"github.com/emersion/go-ical"
)

// iTIP methods (RFC 5546 §1.4).
const (
	MethodRequest = "REQUEST"
	MethodCancel  = "CANCEL"
	MethodReply   = "REPLY"
	MethodCounter = "COUNTER"
)

// message is an iTIP message being built for one series and one recipient.
type message struct {
	e   *expansion
	org Person // ORGANIZER
	cal *ical.Calendar
	to  Attendee
}

// newMessage validates the series, the recipient and the stamp, and starts
// a VCALENDAR with METHOD and the series' VTIMEZONE.
func newMessage(s *Series, method string, to Attendee, stamp time.Time) (*message, error) {
	if s == nil {
		return nil, errors.New("calendar: nil series")
	}
	e, err := s.check()
	if err != nil {
		return nil, err
	}
	return startMessage(e, s.Organizer, method, to, stamp)
}

// startMessage is newMessage for a series already checked (e), with org as
// ORGANIZER, which check has not seen.
func startMessage(e *expansion, org Person, method string, to Attendee, stamp time.Time) (*message, error) {
	if org.Email == "" {
		return nil, fieldErr("organizer.email", "required in an iTIP message")
	}
	if err := checkAttendee("to", to); err != nil {
		return nil, err
	}
	if stamp.IsZero() {
		return nil, fieldErr("stamp", "required")
	}
	first, last, err := e.span(stamp)
	if err != nil {
		return nil, err
	}
	var zones zoneSet
	zones.use(e.loc, first, last)
	cal := newCalendar(method)
	cal.Children = append(cal.Children, zones.components()...)
	return &message{e: e, org: org, cal: cal, to: to}, nil
}

// checkAttendee requires a valid address and a known PARTSTAT. The name is
// not checked: it is cleaned where it is written.
func checkAttendee(field string, a Attendee) error {
	if err := checkEmail(field+".email", a.Email); err != nil {
		return err
	}
	return checkPartStat(field+".part_stat", a.PartStat)
}

// scheduling adds ORGANIZER (a bare mailto: address, the From of the mail)
// and the recipient as the only ATTENDEE: one message per recipient keeps
// member addresses private, and clients match the delivered address against
// ATTENDEE (INTEROP §0, §1.2). rsvp adds the parameters that make Gmail,
// Outlook and Apple show Accept/Decline (CUTYPE, ROLE, PARTSTAT, RSVP=TRUE).
func (m *message) scheduling(ev *ical.Component, rsvp bool) {
	setAddress(ev.Props, ical.PropOrganizer, m.org)
	params := []string{
		ical.ParamCalendarUserType, "INDIVIDUAL",
		ical.ParamRole, "REQ-PARTICIPANT",
		ical.ParamParticipationStatus, string(m.to.PartStat.orDefault()),
	}
	if rsvp {
		params = append(params, ical.ParamRSVP, "TRUE")
	}
	setAddress(ev.Props, ical.PropAttendee, m.to.Person, params...)
}

// add appends events to the calendar, after the VTIMEZONE.
func (m *message) add(evs ...*ical.Component) { m.cal.Children = append(m.cal.Children, evs...) }

// invitation adds the properties of an event the recipient is invited to.
func (m *message) invitation(ev *ical.Component) *ical.Component {
	m.scheduling(ev, true)
	setRaw(ev.Props, ical.PropStatus, "CONFIRMED")
	setRaw(ev.Props, ical.PropTransparency, "OPAQUE")
	// Hides Outlook's "Propose new time" (MS-OXCICAL); Google sends
	// COUNTERs anyway, and ParseReplies reads them.
	setRaw(ev.Props, "X-MICROSOFT-DISALLOW-COUNTER", "TRUE")
	return ev
}

// Request builds the METHOD:REQUEST that invites to to the series, or
// updates their copy: the master VEVENT (with its RRULE and EXDATEs) and
// one VEVENT per current override, so that a member who never saw the
// master still gets every change (INTEROP §1.4). Send it again with a
// higher Sequence after every change; stamp is the DTSTAMP, the time of
// sending. A cancelled series is an error: send CancelSeries instead.
func Request(s *Series, to Attendee, stamp time.Time) ([]byte, error) {
	if s != nil && s.Cancelled {
		return nil, errors.New("calendar: request: the series is cancelled; send CancelSeries")
	}
	m, err := newMessage(s, MethodRequest, to, stamp)
	if err != nil {
		return nil, err
	}
	return m.request(stamp)
}

// request adds the REQUEST's events and encodes the message.
func (m *message) request(stamp time.Time) ([]byte, error) {
	m.add(m.invitation(m.e.master(stamp)))
	for _, occ := range m.e.overrideOccurrences() {
		m.add(m.invitation(m.e.instance(occ, stamp)))
	}
	return encode(m.cal)
}

// CancelOccurrence builds the METHOD:CANCEL of one occurrence, as Google
// and Outlook send it: RECURRENCE-ID (the original start), the instance's
// DTSTART and DTEND, STATUS:CANCELLED and the series' SEQUENCE.
// recurrenceID must be an original start of the rule. Store the
// cancellation first (an ExDate or a cancelled Override, and Sequence+1),
// so that later REQUESTs and feeds agree with this message.
func CancelOccurrence(s *Series, recurrenceID time.Time, to Attendee, stamp time.Time) ([]byte, error) {
	m, err := newMessage(s, MethodCancel, to, stamp)
	if err != nil {
		return nil, err
	}
	return m.cancelOccurrence(recurrenceID, stamp)
}

// cancelOccurrence adds the cancelled instance and encodes the message.
func (m *message) cancelOccurrence(recurrenceID time.Time, stamp time.Time) ([]byte, error) {
	if m.e.r == nil {
		return nil, fieldErr("recurrence_id", "a one-off event has no occurrences; send CancelSeries")
	}
	ok, err := m.e.isOriginal(recurrenceID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fieldErr("recurrence_id", "%s is not an occurrence of the series", recurrenceID.In(m.e.loc).Format(time.DateTime))
	}
	// A moved occurrence is cancelled where the recipient has it.
	ev := m.e.instance(m.e.occurrence(recurrenceID, m.e.findOverride(recurrenceID)), stamp)
	m.scheduling(ev, false)
	setRaw(ev.Props, ical.PropStatus, "CANCELLED")
	m.add(ev)
	return encode(m.cal)
}

// CancelSeries builds the METHOD:CANCEL of the whole series (the network
// closed): the master with STATUS:CANCELLED, keeping SUMMARY, DTSTART,
// DTEND and RRULE so the mail stays readable. Send it with a higher
// Sequence than the last REQUEST.
func CancelSeries(s *Series, to Attendee, stamp time.Time) ([]byte, error) {
	m, err := newMessage(s, MethodCancel, to, stamp)
	if err != nil {
		return nil, err
	}
	return m.cancelSeries(stamp)
}

// cancelSeries adds the cancelled master and encodes the message.
func (m *message) cancelSeries(stamp time.Time) ([]byte, error) {
	ev := m.e.master(stamp)
	m.scheduling(ev, false)
	setRaw(ev.Props, ical.PropStatus, "CANCELLED")
	m.add(ev)
	return encode(m.cal)
}

// RemoveAttendee builds the METHOD:CANCEL sent to a member who left the
// network: the master for that attendee only and without STATUS, which
// RFC 5546 §3.2.5 reserves for cancelling the event for everyone.
func RemoveAttendee(s *Series, to Attendee, stamp time.Time) ([]byte, error) {
	m, err := newMessage(s, MethodCancel, to, stamp)
	if err != nil {
		return nil, err
	}
	return m.removeAttendee(stamp)
}

// removeAttendee adds the master without STATUS and encodes the message.
func (m *message) removeAttendee(stamp time.Time) ([]byte, error) {
	ev := m.e.master(stamp)
	m.scheduling(ev, false)
	m.add(ev)
	return encode(m.cal)
}

// Respond builds the METHOD:REPLY a calendar client sends when from
// answers the series, or one occurrence of it when recurrenceID is not nil:
// the event copied back with the attendee's PARTSTAT, as Google and Apple
// reply. Tests and the quickstart use it to play the client; the service
// itself only reads replies (ParseReplies).
//
// The function is not called Reply because [Reply] is the type of a
// parsed reply.
func Respond(s *Series, from Attendee, recurrenceID *time.Time, stamp time.Time) ([]byte, error) {
	m, err := newMessage(s, MethodReply, from, stamp)
	if err != nil {
		return nil, err
	}
	var ev *ical.Component
	if recurrenceID == nil {
		ev = m.e.master(stamp)
	} else {
		ok, err := m.e.isOriginal(*recurrenceID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fieldErr("recurrence_id", "%s is not an occurrence of the series", recurrenceID.In(m.e.loc).Format(time.DateTime))
		}
		ev = m.e.instance(m.e.occurrence(*recurrenceID, m.e.findOverride(*recurrenceID)), stamp)
	}
	setAddress(ev.Props, ical.PropOrganizer, s.Organizer)
	setAddress(ev.Props, ical.PropAttendee, from.Person, ical.ParamParticipationStatus, string(from.PartStat.orDefault()))
	m.add(ev)
	return encode(m.cal)
}
