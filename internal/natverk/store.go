package natverk

import (
	"context"
	"time"

	"github.com/natverk/natverk/events"
)

// Store is everything Nätverk keeps. internal/sqlite and internal/postgres
// implement it and internal/storetest checks both against the same suite.
//
// Every method that changes state writes the events describing the
// change to the outbox in the same transaction (see OutboxStore), so an
// event is published if and only if its change was committed.
//
// Methods return *Error values with the codes listed on each; any other
// error is internal.
type Store interface {
	MemberStore
	NetworkStore
	SeriesStore
	MembershipStore
	RSVPStore
	SupportStore
	TokenStore
	OutboxStore
	FeedStore
	MailStore
	InboundStore
	LeaseStore
	JobStore
	WebhookStore
	CapacityStore
	AttendanceStore
	PollStore
	// Ping checks that the store answers.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}

// MemberStore keeps the member register and the directory.
type MemberStore interface {
	// ImportMembers upserts validated rows by email (case-insensitive) in
	// one transaction: all or nothing. It fills Created, Updated and
	// Unchanged of the result and writes one member.imported event.
	ImportMembers(ctx context.Context, rows []ImportRow) (ImportResult, error)
	// FindMemberByID returns ENOTFOUND if there is no such member.
	FindMemberByID(ctx context.Context, id int64) (*Member, error)
	// FindMemberByEmail matches case-insensitively; ENOTFOUND if none.
	FindMemberByEmail(ctx context.Context, email string) (*Member, error)
	// FindMembers searches the directory (see MemberFilter) and returns a
	// page of members, sorted by name, and the total count.
	FindMembers(ctx context.Context, f MemberFilter) ([]*Member, int, error)
	// UpdateMember applies a validated update; ENOTFOUND, ECONFLICT when
	// the new email is taken.
	UpdateMember(ctx context.Context, id int64, u MemberUpdate) (*Member, error)
	// SetBouncing marks the address as bouncing with the reason.
	SetBouncing(ctx context.Context, id int64, reason string) error
	// EraseMember removes the member's personal data, keeping anonymous
	// counts, revokes their tokens, ends their memberships and writes
	// member.erased.
	EraseMember(ctx context.Context, id int64) error
}

// NetworkStore keeps networks.
type NetworkStore interface {
	// CreateNetwork stores a validated network with its organizers (who
	// become joined members) and writes network.created. ECONFLICT if the
	// slug is taken.
	CreateNetwork(ctx context.Context, in NetworkInput, feedToken string) (*Network, error)
	// FindNetworkByID returns ENOTFOUND if there is no such network.
	FindNetworkByID(ctx context.Context, id int64) (*Network, error)
	// FindNetworkBySlug returns ENOTFOUND if there is no such network.
	FindNetworkBySlug(ctx context.Context, slug string) (*Network, error)
	// FindNetworks lists networks, newest first, and the total count.
	FindNetworks(ctx context.Context, f NetworkFilter) ([]*Network, int, error)
	// UpdateNetwork applies an update (newFeedToken is set when rotating)
	// and writes network.updated.
	UpdateNetwork(ctx context.Context, id int64, u NetworkUpdate, newFeedToken string) (*Network, error)
	// CloseNetwork marks the network closed, cancels its active series,
	// queues a CANCEL to every invited or joined member of each, and
	// writes network.closed. Closing a closed network is a no-op.
	CloseNetwork(ctx context.Context, id int64, note string) (*Network, error)
}

// SeriesStore keeps meeting series and their exceptions.
type SeriesStore interface {
	// CreateSeries stores a built series (UID set by the caller), writes
	// meeting.scheduled and queues an invitation to every member who
	// receives the network's invitations. ENOTFOUND for no network,
	// ECONFLICT if the network is closed.
	CreateSeries(ctx context.Context, s *Series) (*Series, error)
	// FindSeriesByID returns the series with its exceptions; ENOTFOUND.
	FindSeriesByID(ctx context.Context, id int64) (*Series, error)
	// FindSeriesByUID returns ENOTFOUND if no series has the UID.
	FindSeriesByUID(ctx context.Context, uid string) (*Series, error)
	// FindSeries lists a network's series (with exceptions), oldest first.
	FindSeries(ctx context.Context, networkID int64) ([]*Series, error)
	// UpdateSeries stores the validated new state of a series, raises
	// SEQUENCE, writes meeting.updated and queues an update to every
	// invitee.
	UpdateSeries(ctx context.Context, id int64, next *Series, significant bool) (*Series, error)
	// ChangeOccurrence cancels or moves one occurrence (ex.RecurrenceID is
	// its original start), raises SEQUENCE, writes
	// meeting.occurrence_cancelled or _moved and queues the message to
	// every invitee. Changes to past occurrences are stored but send no
	// mail.
	ChangeOccurrence(ctx context.Context, seriesID int64, ex Exception, now time.Time) (*Series, error)
	// SplitSeries ends a series at from and stores next as its
	// continuation (a new UID), queuing an update of the old and an
	// invitation to the new series for every invitee.
	SplitSeries(ctx context.Context, id int64, ended *Series, next *Series) (*Series, error)
}

// MembershipFilter selects memberships.
type MembershipFilter struct {
	NetworkID int64
	MemberID  int64
	Statuses  []string
}

// MembershipStore keeps who belongs to which network.
type MembershipStore interface {
	// Invite invites members by address, id or search (see InviteRequest)
	// and writes a member.invited event for each member invited, which
	// makes the mailer send the invitation. A dry run only counts.
	Invite(ctx context.Context, networkID int64, req InviteRequest) (InviteResult, error)
	// SetMembership changes a member's status in a network (join, leave,
	// unsubscribe) and writes the matching event; leaving queues a CANCEL
	// to the member. changed is false when the status was already so.
	SetMembership(ctx context.Context, networkID, memberID int64, status, via string) (changed bool, err error)
	// SetOrganizer makes a member an organizer of a network (or not).
	SetOrganizer(ctx context.Context, networkID, memberID int64, organizer bool) error
	// FindMembership returns ENOTFOUND when the member has none.
	FindMembership(ctx context.Context, networkID, memberID int64) (*Membership, error)
	// FindMemberships lists memberships.
	FindMemberships(ctx context.Context, f MembershipFilter) ([]*Membership, error)
}

// RSVPFilter selects answers.
type RSVPFilter struct {
	SeriesID  int64
	NetworkID int64
	MemberID  int64
}

// RSVPStore keeps answers.
type RSVPStore interface {
	// RecordRSVP stores an answer if it supersedes the stored one (see
	// RSVP.Supersedes) and, when the answer changed, writes rsvp.recorded;
	// a yes from an invited member makes them joined. It returns the
	// answer now stored and whether it changed. ENOTFOUND for an unknown
	// series or member; EFORBIDDEN if the member left or unsubscribed.
	RecordRSVP(ctx context.Context, r RSVP) (stored *RSVP, changed bool, err error)
	// FindRSVPs lists answers.
	FindRSVPs(ctx context.Context, f RSVPFilter) ([]*RSVP, error)
	// CountAnswers counts the answers of the series' network's invitees
	// (InvitedStatuses) for one occurrence — its own answer over the one
	// to the whole series — in one aggregate query. Waitlist is not
	// filled: a meeting with a capacity needs the roster (SeriesRoster).
	CountAnswers(ctx context.Context, seriesID int64, occurrence time.Time) (Counts, error)
}

// SupportStore keeps support requests.
type SupportStore interface {
	// CreateSupportRequest stores a request, writes support.requested and
	// queues the mail to the board.
	CreateSupportRequest(ctx context.Context, networkID, requestedBy int64, in SupportInput, board string) (*SupportRequest, error)
	// DecideSupportRequest records the board's decision, writes
	// support.decided and queues a mail to the organizers. ECONFLICT if
	// already decided.
	DecideSupportRequest(ctx context.Context, id int64, d SupportDecision) (*SupportRequest, error)
	// FindSupportRequests lists a network's requests (0 = all).
	FindSupportRequests(ctx context.Context, networkID int64) ([]*SupportRequest, error)
	// FindSupportRequestByID returns ENOTFOUND if there is none.
	FindSupportRequestByID(ctx context.Context, id int64) (*SupportRequest, error)
}

// TokenStore keeps API tokens (hashed).
type TokenStore interface {
	CreateAPIToken(ctx context.Context, t *APIToken) error
	// FindAPITokenByHash returns ENOTFOUND for an unknown, revoked or
	// expired token.
	FindAPITokenByHash(ctx context.Context, hash string, now time.Time) (*APIToken, error)
	RevokeAPIToken(ctx context.Context, id int64) error
	// RevokeMemberTokens raises the member's token epoch: every signed
	// link issued before stops working.
	RevokeMemberTokens(ctx context.Context, memberID int64) error
}

// OutboxEvent is an event waiting in (or published from) the outbox.
type OutboxEvent struct {
	// Seq orders the outbox: commit order within a network.
	Seq   int64
	Event events.Envelope
}

// OutboxStore is the transactional outbox read by the relay.
type OutboxStore interface {
	// PendingOutbox returns up to limit unpublished events in Seq order.
	PendingOutbox(ctx context.Context, limit int) ([]OutboxEvent, error)
	// MarkPublished marks events published.
	MarkPublished(ctx context.Context, seqs []int64, at time.Time) error
	// PruneOutbox deletes events published before t.
	PruneOutbox(ctx context.Context, before time.Time) (int, error)
	// OutboxStats returns the number of unpublished events and the time of
	// the oldest.
	OutboxStats(ctx context.Context) (pending int, oldest time.Time, err error)
	// OutboxNotify returns a channel that receives a value soon after new
	// outbox rows are committed (best effort; the relay polls as well).
	OutboxNotify() <-chan struct{}
}

// StoredFeed is a rendered calendar feed kept for serving.
type StoredFeed struct {
	// Key names the feed: "network:<id>" or "member:<id>".
	Key      string
	Body     []byte
	ETag     string
	Modified time.Time
}

// FeedStore keeps rendered feeds.
type FeedStore interface {
	// PutFeed stores a feed if its ETag differs from the stored one and
	// reports whether it changed.
	PutFeed(ctx context.Context, f *StoredFeed) (changed bool, err error)
	// FindFeed returns ENOTFOUND if the feed was never rendered.
	FindFeed(ctx context.Context, key string) (*StoredFeed, error)
	// FeedKeys lists stored feed keys with the prefix.
	FeedKeys(ctx context.Context, prefix string) ([]string, error)
	// DeleteFeed removes a stored feed.
	DeleteFeed(ctx context.Context, key string) error
	// DeleteFeeds removes stored feeds (those not stored are ignored).
	DeleteFeeds(ctx context.Context, keys []string) error
}

// Mail statuses.
const (
	MailSending = "sending"
	MailSent    = "sent"
	MailFailed  = "failed"
)

// MailRecord is the bookkeeping of one message to one recipient, keyed by
// its dedup key (member × kind × series or occurrence × SEQUENCE).
type MailRecord struct {
	Key       string    `json:"key"`
	MessageID string    `json:"message_id"`
	Kind      string    `json:"kind"`
	NetworkID int64     `json:"network_id,omitempty"`
	SeriesID  int64     `json:"series_id,omitempty"`
	MemberID  int64     `json:"member_id,omitempty"`
	To        string    `json:"to"`
	Status    string    `json:"status"`
	Attempts  int       `json:"attempts"`
	Error     string    `json:"error,omitempty"`
	Code      int       `json:"code,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
	// ClaimedUntil is when a sending claim lapses.
	ClaimedUntil time.Time `json:"-"`
}

// MailFilter selects mail records.
type MailFilter struct {
	NetworkID int64
	MemberID  int64
	Status    string
	Limit     int
}

// MailStore keeps what was sent, so a redelivered event never sends a
// second copy.
type MailStore interface {
	// ClaimMail claims the key for sending until now+ttl. If the key was
	// already sent (or failed for good) it returns the record and
	// claimed=false. If another worker holds an unexpired claim it
	// returns claimed=false too. A new claim keeps the Message-ID of an
	// earlier attempt so a repeat after a crash carries the same one.
	ClaimMail(ctx context.Context, rec MailRecord, now time.Time, ttl time.Duration) (stored *MailRecord, claimed bool, err error)
	// CompleteMail records the outcome of a claimed send (MailSent or
	// MailFailed) with mail.sent or mail.failed; a permanent failure marks
	// the member bouncing. A temporary failure releases the claim.
	CompleteMail(ctx context.Context, key string, status string, permanent bool, errText string, code int, now time.Time) error
	// FirstMessageID returns the Message-ID of the first invitation sent
	// to the member for the series, for threading; "" if none.
	FirstMessageID(ctx context.Context, memberID, seriesID int64) (string, error)
	// FindMail lists mail records, newest first.
	FindMail(ctx context.Context, f MailFilter) ([]*MailRecord, error)
}

// Inbound message outcomes.
const (
	InboundApplied = "applied" // the answer was recorded
	InboundIgnored = "ignored" // valid but nothing to do (older, duplicate, NEEDS-ACTION)
	InboundRefused = "refused" // failed a check: forged, unknown UID, bad token
	InboundReview  = "review"  // an unknown responder, waiting for an organizer
	InboundFailed  = "failed"  // could not be parsed
	InboundOther   = "other"   // not a calendar reply (a human answer, an auto-reply)
)

// InboundMessage records one message received by the inbound endpoint.
type InboundMessage struct {
	ID        int64     `json:"id"`
	MessageID string    `json:"message_id"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Subject   string    `json:"subject,omitempty"`
	Status    string    `json:"status"`
	Reason    string    `json:"reason,omitempty"`
	SeriesID  int64     `json:"series_id,omitempty"`
	MemberID  int64     `json:"member_id,omitempty"`
	Size      int       `json:"size"`
	Raw       []byte    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
}

// InboundStore keeps received replies for de-duplication and review.
type InboundStore interface {
	// SaveInbound stores a received message's outcome; ECONFLICT if a
	// message with the same Message-ID was stored before.
	SaveInbound(ctx context.Context, m *InboundMessage) error
	// FindInbound lists stored messages with the status ("" = all).
	FindInbound(ctx context.Context, status string, limit int) ([]*InboundMessage, error)
}

// JobStore makes scheduled work happen once.
type JobStore interface {
	// ScheduleOnce writes evs to the outbox under key, unless key was used
	// before: done is true only for the call that wrote them. Schedulers
	// in several processes (reminders, digests, quorum decisions) use it
	// so each job's mail is queued exactly once.
	ScheduleOnce(ctx context.Context, key string, evs []events.Envelope) (done bool, err error)
}

// LeaseStore gives one holder at a time a named lease, for work that must
// run in one process only (the outbox relay, schedulers).
type LeaseStore interface {
	// AcquireLease takes or renews the lease for holder until now+ttl and
	// reports whether holder has it.
	AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error)
	// ReleaseLease gives the lease up if holder has it.
	ReleaseLease(ctx context.Context, name, holder string) error
}

// Migration is one schema migration and whether it is applied.
type Migration struct {
	Version   string    `json:"version"`
	Applied   bool      `json:"applied"`
	AppliedAt time.Time `json:"applied_at,omitzero"`
}

// NetworkFeedKey names a network's stored feed.
func NetworkFeedKey(networkID int64) string { return "network:" + itoa(int(networkID)) }

// MemberFeedKey names a member's stored personal feed.
func MemberFeedKey(memberID int64) string { return "member:" + itoa(int(memberID)) }
