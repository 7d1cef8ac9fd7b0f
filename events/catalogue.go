package events

import (
	"reflect"
	"sort"
	"time"
)

// Event types. Each is also the NATS subject its events are published on.
const (
	NetworkCreated = "natverk.network.created"
	NetworkUpdated = "natverk.network.updated"
	NetworkClosed  = "natverk.network.closed"

	MeetingScheduled           = "natverk.meeting.scheduled"
	MeetingUpdated             = "natverk.meeting.updated"
	MeetingOccurrenceCancelled = "natverk.meeting.occurrence_cancelled"
	MeetingOccurrenceMoved     = "natverk.meeting.occurrence_moved"
	MeetingEnded               = "natverk.meeting.ended"
	MeetingCapacityChanged     = "natverk.meeting.capacity_changed"
	MeetingQuorumDecided       = "natverk.meeting.quorum_decided"

	MemberImported     = "natverk.member.imported"
	MemberInvited      = "natverk.member.invited"
	MemberJoined       = "natverk.member.joined"
	MemberLeft         = "natverk.member.left"
	MemberUnsubscribed = "natverk.member.unsubscribed"
	MemberUpdated      = "natverk.member.updated"
	MemberErased       = "natverk.member.erased"

	RSVPRecorded = "natverk.rsvp.recorded"
	RSVPPromoted = "natverk.rsvp.promoted"

	AttendanceRecorded = "natverk.attendance.recorded"

	PollOpened  = "natverk.poll.opened"
	PollVoted   = "natverk.poll.voted"
	PollDecided = "natverk.poll.decided"

	SupportRequested = "natverk.support.requested"
	SupportDecided   = "natverk.support.decided"

	MailQueued = "natverk.mail.queued"
	MailSent   = "natverk.mail.sent"
	MailFailed = "natverk.mail.failed"

	FeedPublished = "natverk.feed.published"
)

// SubjectPrefix is the prefix of every subject in the NATVERK stream.
const SubjectPrefix = "natverk."

// DeadLetterPrefix is the subject prefix of dead letters: a message that a
// consumer gave up on is republished as natverk.dlq.<consumer>.
const DeadLetterPrefix = "natverk.dlq."

// Type describes one event type of the catalogue.
type Type struct {
	// Name is the event type and subject.
	Name string
	// Version is the current schema version of the payload.
	Version int
	// Summary says in a sentence what happened.
	Summary string
	// Producer names the component that writes the event.
	Producer string
	// Consumers name the durable consumers that read it.
	Consumers []string
	// Payload is the Go type of the payload.
	Payload reflect.Type
}

// Consumer names used in the catalogue.
const (
	ConsumerMailer   = "mailer"
	ConsumerCalendar = "calendar"
	ConsumerWebhooks = "webhooks"
)

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

var catalogue = []Type{
	{NetworkCreated, 1, "A network was created.", "api", []string{ConsumerCalendar, ConsumerWebhooks}, typeOf[NetworkPayload]()},
	{NetworkUpdated, 1, "A network's description, name or feed settings changed.", "api", []string{ConsumerCalendar, ConsumerWebhooks}, typeOf[NetworkPayload]()},
	{NetworkClosed, 1, "A network was closed; its future meetings are cancelled.", "api", []string{ConsumerCalendar, ConsumerWebhooks}, typeOf[NetworkPayload]()},

	{MeetingScheduled, 1, "A meeting series (or one-off event) was scheduled.", "api", []string{ConsumerCalendar, ConsumerWebhooks}, typeOf[MeetingPayload]()},
	{MeetingUpdated, 1, "A meeting series changed (time, place, rule or text); SEQUENCE was raised.", "api", []string{ConsumerCalendar, ConsumerWebhooks}, typeOf[MeetingPayload]()},
	{MeetingOccurrenceCancelled, 1, "One occurrence of a series was cancelled.", "api", []string{ConsumerCalendar, ConsumerWebhooks}, typeOf[OccurrencePayload]()},
	{MeetingOccurrenceMoved, 1, "One occurrence of a series was moved or changed.", "api", []string{ConsumerCalendar, ConsumerWebhooks}, typeOf[OccurrencePayload]()},
	{MeetingEnded, 1, "A meeting series was ended (network closed, or the series split from a date on).", "api", []string{ConsumerCalendar, ConsumerWebhooks}, typeOf[MeetingPayload]()},
	{MeetingCapacityChanged, 1, "The capacity of a series or of one occurrence changed; members it gives a place are promoted (rsvp.promoted).", "api", []string{ConsumerCalendar, ConsumerWebhooks}, typeOf[CapacityPayload]()},
	{MeetingQuorumDecided, 1, "An occurrence's quorum rule was applied: reached (the meeting is on) or missed (it is cancelled, see meeting.occurrence_cancelled).", "scheduler", []string{ConsumerCalendar, ConsumerWebhooks}, typeOf[QuorumPayload]()},

	{MemberImported, 1, "A batch of the member register was imported.", "api", []string{ConsumerWebhooks}, typeOf[ImportPayload]()},
	{MemberInvited, 1, "A member was invited to a network's meetings; the mailer sends the invitation.", "api", []string{ConsumerMailer, ConsumerCalendar, ConsumerWebhooks}, typeOf[MembershipPayload]()},
	{MemberJoined, 1, "A member joined a network.", "api", []string{ConsumerCalendar, ConsumerWebhooks}, typeOf[MembershipPayload]()},
	{MemberLeft, 1, "A member left a network; a CANCEL to that member is queued as mail.queued (kind removed).", "api", []string{ConsumerCalendar, ConsumerWebhooks}, typeOf[MembershipPayload]()},
	{MemberUnsubscribed, 1, "A member stopped all invitations from a network.", "api", []string{ConsumerCalendar, ConsumerWebhooks}, typeOf[MembershipPayload]()},
	{MemberUpdated, 1, "A member's directory data or visibility changed.", "api", []string{ConsumerWebhooks}, typeOf[MemberPayload]()},
	{MemberErased, 1, "A member's personal data was erased on request.", "api", []string{ConsumerCalendar, ConsumerWebhooks}, typeOf[MemberPayload]()},

	{RSVPRecorded, 1, "A member's answer was recorded (link, calendar reply or API).", "api, inbound", []string{ConsumerCalendar, ConsumerWebhooks}, typeOf[RSVPPayload]()},
	{RSVPPromoted, 1, "A member on an occurrence's waitlist got a place; their update and mail are queued as mail.queued (kind waitlist_promoted).", "api, inbound", []string{ConsumerCalendar, ConsumerWebhooks}, typeOf[PromotionPayload]()},

	{AttendanceRecorded, 1, "An organizer recorded who came to a meeting.", "api", []string{ConsumerWebhooks}, typeOf[AttendancePayload]()},

	{PollOpened, 1, "An organizer offered meeting times to vote on; the poll mail to each invitee is queued as mail.queued (kind poll).", "api", []string{ConsumerWebhooks}, typeOf[PollPayload]()},
	{PollVoted, 1, "A member voted on a poll's options.", "api", []string{ConsumerWebhooks}, typeOf[PollPayload]()},
	{PollDecided, 1, "A poll's option was picked and became the network's meeting series (meeting.scheduled).", "api", []string{ConsumerWebhooks}, typeOf[PollPayload]()},

	{SupportRequested, 1, "An organizer asked the board for support for a meeting; the mail to the board is queued as mail.queued.", "api", []string{ConsumerWebhooks}, typeOf[SupportPayload]()},
	{SupportDecided, 1, "The board granted or declined a support request; mail to the organizers is queued as mail.queued.", "api", []string{ConsumerWebhooks}, typeOf[SupportPayload]()},

	{MailQueued, 1, "One email to one recipient is due (update, cancellation, reminder, notice, digest).", "api, scheduler", []string{ConsumerMailer, ConsumerWebhooks}, typeOf[MailPayload]()},
	{MailSent, 1, "An email was accepted by the mail transport.", "mailer", []string{ConsumerWebhooks}, typeOf[MailResultPayload]()},
	{MailFailed, 1, "An email failed for good (bounce) or was given up.", "mailer", []string{ConsumerWebhooks}, typeOf[MailResultPayload]()},

	{FeedPublished, 1, "A calendar feed was rendered and stored with a new ETag.", "calendar", []string{ConsumerWebhooks}, typeOf[FeedPayload]()},
}

// Catalogue returns every event type, sorted by name.
func Catalogue() []Type {
	out := append([]Type(nil), catalogue...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup returns the catalogue entry for an event type.
func Lookup(name string) (Type, bool) {
	for _, t := range catalogue {
		if t.Name == name {
			return t, true
		}
	}
	return Type{}, false
}

// NetworkPayload is the payload of the network.* events.
type NetworkPayload struct {
	NetworkID int64  `json:"network_id"`
	Slug      string `json:"slug"`
	Name      string `json:"name"`
	Kind      string `json:"kind,omitempty"`
	Status    string `json:"status,omitempty"`
	// Changed lists the fields an update touched.
	Changed []string `json:"changed,omitempty"`
}

// MeetingPayload is the payload of meeting.scheduled, meeting.updated and
// meeting.ended.
type MeetingPayload struct {
	NetworkID int64  `json:"network_id"`
	SeriesID  int64  `json:"series_id"`
	UID       string `json:"uid"`
	Sequence  int    `json:"sequence"`
	// Significant is true when the change moves the meeting in time or
	// place, so answers are reset and attendees notified.
	Significant bool `json:"significant,omitempty"`
	// Changed lists the fields an update touched.
	Changed []string `json:"changed,omitempty"`
	// Until is the new end of the series for meeting.ended.
	Until *time.Time `json:"until,omitempty"`
	// NextSeriesID is the series that continues this one after a split.
	NextSeriesID int64 `json:"next_series_id,omitempty"`
}

// OccurrencePayload is the payload of the occurrence events.
type OccurrencePayload struct {
	NetworkID int64 `json:"network_id"`
	SeriesID  int64 `json:"series_id"`
	// RecurrenceID is the original start of the occurrence, in UTC.
	RecurrenceID time.Time `json:"recurrence_id"`
	// Start and End are the new times of a moved occurrence.
	Start    *time.Time `json:"start,omitempty"`
	End      *time.Time `json:"end,omitempty"`
	Sequence int        `json:"sequence"`
	Reason   string     `json:"reason,omitempty"`
}

// CapacityPayload is the payload of meeting.capacity_changed.
type CapacityPayload struct {
	NetworkID int64 `json:"network_id"`
	SeriesID  int64 `json:"series_id"`
	// Occurrence is the original start (UTC) of the occurrence whose
	// capacity changed, or nil for the series' capacity.
	Occurrence *time.Time `json:"occurrence,omitempty"`
	// Capacity is the new capacity (0 = unlimited, or for an occurrence:
	// the series' capacity).
	Capacity int `json:"capacity"`
	// Promoted counts the members who got a place by the change.
	Promoted int `json:"promoted,omitempty"`
}

// QuorumPayload is the payload of meeting.quorum_decided.
type QuorumPayload struct {
	NetworkID int64 `json:"network_id"`
	SeriesID  int64 `json:"series_id"`
	// Occurrence is the original start (UTC) of the occurrence decided.
	Occurrence time.Time `json:"occurrence"`
	// Outcome is reached, missed or moot (already cancelled).
	Outcome string `json:"outcome"`
	Yes     int    `json:"yes"`
	Min     int    `json:"min"`
}

// PromotionPayload is the payload of rsvp.promoted.
type PromotionPayload struct {
	NetworkID int64 `json:"network_id"`
	SeriesID  int64 `json:"series_id"`
	MemberID  int64 `json:"member_id"`
	// Occurrence is the original start (UTC) of the occurrence the member
	// now has a place at.
	Occurrence time.Time `json:"occurrence"`
}

// AttendancePayload is the payload of attendance.recorded.
type AttendancePayload struct {
	NetworkID int64 `json:"network_id"`
	SeriesID  int64 `json:"series_id"`
	// Occurrence is the original start (UTC) of the meeting.
	Occurrence time.Time `json:"occurrence"`
	// Attended and Absent count what is now recorded for the meeting.
	Attended int `json:"attended"`
	Absent   int `json:"absent"`
}

// PollPayload is the payload of poll.opened, poll.voted and poll.decided.
type PollPayload struct {
	NetworkID int64  `json:"network_id"`
	PollID    int64  `json:"poll_id"`
	Status    string `json:"status"`
	// Options counts the options offered.
	Options int `json:"options"`
	// MemberID is the member who voted (poll.voted).
	MemberID int64 `json:"member_id,omitempty"`
	// OptionID and SeriesID are the option picked and the series it
	// became (poll.decided).
	OptionID int64 `json:"option_id,omitempty"`
	SeriesID int64 `json:"series_id,omitempty"`
}

// ImportPayload is the payload of member.imported.
type ImportPayload struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Rejected  int `json:"rejected"`
}

// MembershipPayload is the payload of the member.invited, joined, left and
// unsubscribed events.
type MembershipPayload struct {
	NetworkID int64 `json:"network_id"`
	MemberID  int64 `json:"member_id"`
	// SeriesIDs are the network's meeting series the event applies to (an
	// invitation covers each of them).
	SeriesIDs []int64 `json:"series_ids,omitempty"`
	Status    string  `json:"status"`
	// Via says how it happened: api, link, reply, search.
	Via string `json:"via,omitempty"`
}

// MemberPayload is the payload of member.updated and member.erased.
type MemberPayload struct {
	MemberID int64    `json:"member_id"`
	Changed  []string `json:"changed,omitempty"`
}

// RSVPPayload is the payload of rsvp.recorded.
type RSVPPayload struct {
	NetworkID int64 `json:"network_id"`
	SeriesID  int64 `json:"series_id"`
	MemberID  int64 `json:"member_id"`
	// Occurrence is the original start (UTC) of the occurrence answered, or
	// nil for an answer to the whole series.
	Occurrence *time.Time `json:"occurrence,omitempty"`
	// Answer is the iCalendar PARTSTAT: ACCEPTED, TENTATIVE or DECLINED.
	Answer string `json:"answer"`
	// Previous is the answer it replaced, empty if none.
	Previous string `json:"previous,omitempty"`
	// Source is link, reply (iMIP), imap or api.
	Source     string    `json:"source"`
	AnsweredAt time.Time `json:"answered_at"`
	// Proposed is the start a COUNTER proposed, if any.
	Proposed *time.Time `json:"proposed,omitempty"`
}

// SupportPayload is the payload of support.requested and support.decided.
type SupportPayload struct {
	NetworkID int64  `json:"network_id"`
	RequestID int64  `json:"request_id"`
	SeriesID  int64  `json:"series_id,omitempty"`
	Status    string `json:"status"`
	// Occurrence is the meeting the support is for, if one.
	Occurrence *time.Time `json:"occurrence,omitempty"`
	What       string     `json:"what"`
	CostSEK    int64      `json:"cost_sek,omitempty"`
	Note       string     `json:"note,omitempty"`
}

// MailPayload is the payload of mail.queued: one message to one recipient.
type MailPayload struct {
	// Kind is the message kind (mailer.Kind values: invitation, update,
	// occurrence_cancelled, occurrence_moved, network_closed, removed,
	// reminder, digest, bounce_notice, support_request, support_decided).
	Kind      string `json:"kind"`
	NetworkID int64  `json:"network_id,omitempty"`
	SeriesID  int64  `json:"series_id,omitempty"`
	MemberID  int64  `json:"member_id,omitempty"`
	// To is set for mail to an address that is not a member (the board).
	To string `json:"to,omitempty"`
	// Occurrence is the original start (UTC) of the occurrence concerned.
	Occurrence *time.Time `json:"occurrence,omitempty"`
	// Sequence is the series SEQUENCE the message carries.
	Sequence int `json:"sequence"`
	// RequestID is the support request concerned.
	RequestID int64 `json:"request_id,omitempty"`
	// Note is a short human message (why a network closed, …).
	Note string `json:"note,omitempty"`
	// Since and Until bound the answers a digest reports.
	Since *time.Time `json:"since,omitempty"`
	Until *time.Time `json:"until,omitempty"`
}

// MailResultPayload is the payload of mail.sent and mail.failed.
type MailResultPayload struct {
	Kind      string `json:"kind"`
	MessageID string `json:"message_id"`
	NetworkID int64  `json:"network_id,omitempty"`
	MemberID  int64  `json:"member_id,omitempty"`
	Permanent bool   `json:"permanent,omitempty"`
	Reason    string `json:"reason,omitempty"`
	// Code is the SMTP reply code, if any.
	Code int `json:"code,omitempty"`
}

// FeedPayload is the payload of feed.published.
type FeedPayload struct {
	Feed string `json:"feed"`
	ETag string `json:"etag"`
	Size int    `json:"size"`
}
