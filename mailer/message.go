package mailer

import "time"

// Kind names one type of email. Each kind has its own subject and templates,
// and the calendar kinds each require a calendar part with a fixed method
// (see [Kind.Method]).
type Kind string

// The kinds of email Nätverk sends.
const (
	Invitation          Kind = "invitation"           // REQUEST of the series
	Update              Kind = "update"               // REQUEST, higher SEQUENCE
	OccurrenceCancelled Kind = "occurrence_cancelled" // CANCEL with RECURRENCE-ID
	OccurrenceMoved     Kind = "occurrence_moved"     // REQUEST with the override
	NetworkClosed       Kind = "network_closed"       // CANCEL of the series + short human note
	Removed             Kind = "removed"              // member left: CANCEL to that member only
	Reminder            Kind = "reminder"             // before an occurrence; RSVP buttons for that occurrence
	Digest              Kind = "digest"               // to organizers: new answers since last digest; bouncing addresses
	BounceNotice        Kind = "bounce_notice"        // to organizers: an address bounced
	SupportRequest      Kind = "support_request"      // to the board
	SupportDecided      Kind = "support_decided"      // to the organizer
	OrganizerLink       Kind = "organizer_link"       // magic link to the organizer view
	Notice              Kind = "notice"               // one-off notice (e.g. holidays/summer break skipped dates)
	WaitlistPromoted    Kind = "waitlist_promoted"    // a place opened up: REQUEST with PARTSTAT ACCEPTED + short note
	Confirmed           Kind = "confirmed"            // a meeting with a quorum rule is on ("it's on")
	Poll                Kind = "poll"                 // vote on the meeting times offered (signed link to the vote page)
)

// Kinds lists every [Kind] in a stable order.
func Kinds() []Kind {
	return []Kind{
		Invitation, Update, OccurrenceCancelled, OccurrenceMoved, NetworkClosed, Removed,
		Reminder, Digest, BounceNotice, SupportRequest, SupportDecided, OrganizerLink, Notice,
		WaitlistPromoted, Confirmed, Poll,
	}
}

// Method returns the iTIP method (RFC 5546) the calendar part of a message
// of this kind must carry: "REQUEST" or "CANCEL". It returns "" for kinds
// that carry no calendar.
func (k Kind) Method() string {
	switch k {
	case Invitation, Update, OccurrenceMoved, WaitlistPromoted:
		return "REQUEST"
	case OccurrenceCancelled, NetworkClosed, Removed:
		return "CANCEL"
	}
	return ""
}

// Valid reports whether k is one of the kinds listed by [Kinds].
func (k Kind) Valid() bool {
	for _, known := range Kinds() {
		if k == known {
			return true
		}
	}
	return false
}

// Address is a mailbox: an optional display name and an address.
type Address struct {
	Name  string // display name, any Unicode; RFC 2047 encoded in headers
	Email string // addr-spec, e.g. "asa@example.org"
}

// CalendarPart is the iCalendar object a message carries. Data is sent
// byte for byte (base64) both as the text/calendar alternative and as the
// invite.ics attachment.
type CalendarPart struct {
	Method string // must equal the METHOD property inside Data
	Data   []byte // a complete, folded VCALENDAR with CRLF line ends
}

// Unsubscribe holds the List-Unsubscribe targets (RFC 2369). With an HTTPS
// URL the message also advertises RFC 8058 one-click unsubscribe, so that
// URL must accept a POST with body "List-Unsubscribe=One-Click".
type Unsubscribe struct {
	HTTPS  string // https URL that unsubscribes on POST
	Mailto string // mailto: URI, e.g. "mailto:unsubscribe+tok@example.se"
}

// Link is a labelled URL shown as a button in HTML and as a line in text.
type Link struct {
	Label, URL string
}

// Message is one email to one recipient. Compose validates it and refuses
// anything that could not be sent safely.
type Message struct {
	Kind        Kind
	Locale      string   // "sv" (default) or "en"
	From        Address  // the service mailbox that is also ORGANIZER
	ReplyTo     *Address // the human organizer
	To          Address  // exactly one recipient, the calendar ATTENDEE
	MessageID   string   // "local@domain" without <>; required
	InReplyTo   string   // first invitation's Message-ID, for threading
	ListID      string   // e.g. "chefer-i-goteborg.natverk.example.se"
	Unsubscribe *Unsubscribe
	Calendar    *CalendarPart
	Date        time.Time // zero means the time of composing
	Content     Content
}

// Content is what the templates show. Fields a kind does not use are
// ignored; empty optional fields leave their section out.
type Content struct {
	NetworkName, NetworkURL string
	About, Have, Need       string // what the network is, what we have, what we need
	MemberName              string
	Summary                 string    // meeting SUMMARY; Subject starts with it for calendar kinds
	Schedule                string    // human text of the recurrence, already localized ("andra tisdagen varje månad kl. 18:00–20:00")
	Start, End              time.Time // the (next) occurrence concerned, already in the network's zone
	OldStart                time.Time // moved occurrence: the original start
	TimeZone                string
	Location, LocationURL   string
	Answer                  string                                // member's current answer (ACCEPTED/TENTATIVE/DECLINED or "")
	RSVP                    struct{ Yes, Maybe, No, Page string } // links to the RSVP page with the choice preselected (GET shows a page; the page POSTs)
	Subscribe               struct{ HTTPS, Webcal, Google, Outlook string }
	PersonalFeed            string // https URL of the member's own feed: all their networks, with their answers
	UnsubscribeURL          string
	LeaveURL                string
	HideURL                 string
	Note                    string                             // short human message (why closed, skipped dates…)
	Lapsed                  bool                               // "we miss you" line for members who missed several meetings
	Waitlist                int                                // >0: place on the waitlist
	Answers                 []DigestAnswer                     // digest lines
	Counts                  struct{ Yes, Maybe, No, None int } // digest/organizer counts for the next occurrence
	Bouncing                []string                           // digest/bounce notice: addresses
	Support                 *SupportInfo                       // support request/decision
	Action                  Link                               // organizer link / generic call to action
	Options                 []string                           // poll: the meeting times offered, each described in a line
}

// DigestAnswer is one answer in an organizer digest.
type DigestAnswer struct {
	Name, Email, Answer string     // Answer is ACCEPTED, TENTATIVE or DECLINED
	Occurrence          *time.Time // nil: the answer is for the whole series
	At                  time.Time  // when the member answered
}

// SupportInfo describes a support request to the board and its decision.
type SupportInfo struct {
	RequestID  int64
	Occurrence *time.Time // the meeting the support is for, if one
	What       string     // what is asked for
	CostSEK    int64      // estimated cost in whole kronor; 0 = none given
	Status     string     // "pending", "approved" or "rejected" (others are shown as given)
	Note       string     // the board's or organizer's comment
	Organizer  string     // who asked
}
