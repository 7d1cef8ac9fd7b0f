// Package calendar turns a network's recurring meetings into iCalendar
// (RFC 5545) objects and iTIP messages (RFC 5546) that Google Calendar,
// Outlook, Apple Calendar and Thunderbird all read the same way, and reads
// the replies those clients send back.
//
// The model is a [Series]: one UID, a start in an IANA time zone, an
// optional RRULE (restricted by [ValidateRule] to rules that expand within
// fixed caps), cancelled occurrences (EXDATE) and changed ones ([Override],
// RECURRENCE-ID). From a Series the package builds
//
//   - iTIP messages for iMIP mail (RFC 6047): [Request], [CancelOccurrence],
//     [CancelSeries], [RemoveAttendee] and [Respond], one recipient each;
//   - subscription feeds without METHOD ([RenderFeed]), with the RFC 7986
//     calendar properties;
//   - occurrences in a bounded window ([Series.Occurrences], [Series.Next]),
//     expanded with rrule-go from a set the package builds itself;
//   - human text in Swedish and English ([Describe]).
//
// Every calendar the package writes is folded at 75 octets without splitting
// a UTF-8 sequence or a TEXT escape, uses CRLF, and carries one VTIMEZONE per
// TZID, generated from Go's time zone database (embedded with time/tzdata, so
// zone names resolve in minimal containers too).
//
// [Parse] decodes untrusted input defensively (size and component caps, and
// recovery from decoder panics); [ParseReplies] reads REPLY and COUNTER
// messages and resolves RECURRENCE-ID given in UTC, an IANA zone, a Windows
// zone name (CLDR windowsZones) or only the file's own VTIMEZONE.
//
// The package imports only the standard library, github.com/emersion/go-ical
// and github.com/teambition/rrule-go. It does no I/O of its own and never
// logs: every problem is returned as an error, "calendar: ..." and, for
// input checks, a [*FieldError] naming the field.
package calendar

import _ "time/tzdata" // zone names must resolve without a system zoneinfo
