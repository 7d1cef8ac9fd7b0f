package events

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// Source is the CloudEvents source attribute of every event Nätverk emits.
const Source = "urn:natverk"

// Envelope is one event: what happened, when, to which network, meeting and
// member, and a typed payload as JSON. Envelopes are immutable once written
// to the outbox.
type Envelope struct {
	// ID is a ULID: unique, and sortable by creation time. It is the
	// Nats-Msg-Id and the ce-id of the message.
	ID string `json:"id"`
	// Type is the event type, which is also its NATS subject
	// (for example "natverk.member.invited").
	Type string `json:"type"`
	// Version is the schema version of Payload for this Type.
	Version int `json:"version"`
	// OccurredAt is when the state change was committed, in UTC.
	OccurredAt time.Time `json:"occurred_at"`
	// NetworkID, SeriesID and MemberID name what the event concerns; zero
	// when not applicable.
	NetworkID int64 `json:"network_id,omitempty"`
	SeriesID  int64 `json:"series_id,omitempty"`
	MemberID  int64 `json:"member_id,omitempty"`
	// Payload is the type's payload document (see the payload types in this
	// package).
	Payload json.RawMessage `json:"payload"`
}

// Subject returns the NATS subject the envelope is published on.
func (e *Envelope) Subject() string { return e.Type }

// Decode unmarshals the payload into v, which should be the payload type
// the catalogue names for e.Type.
func (e *Envelope) Decode(v any) error {
	if err := json.Unmarshal(e.Payload, v); err != nil {
		return fmt.Errorf("events: decode %s payload of %s: %w", e.Type, e.ID, err)
	}
	return nil
}

// Refs names the entities an event concerns.
type Refs struct {
	NetworkID int64
	SeriesID  int64
	MemberID  int64
}

// New builds an envelope of type typ around payload, with a fresh id and
// the catalogue's schema version. It fails for a type not in the catalogue.
func New(typ string, at time.Time, refs Refs, payload any) (Envelope, error) {
	t, ok := Lookup(typ)
	if !ok {
		return Envelope{}, fmt.Errorf("events: unknown event type %q", typ)
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return Envelope{}, fmt.Errorf("events: encode %s payload: %w", typ, err)
	}
	return Envelope{
		ID:         NewID(at),
		Type:       typ,
		Version:    t.Version,
		OccurredAt: at.UTC(),
		NetworkID:  refs.NetworkID,
		SeriesID:   refs.SeriesID,
		MemberID:   refs.MemberID,
		Payload:    b,
	}, nil
}

// MustNew is New for event types known at compile time; it panics on an
// unknown type or an unencodable payload, which are programming errors.
func MustNew(typ string, at time.Time, refs Refs, payload any) Envelope {
	e, err := New(typ, at, refs, payload)
	if err != nil {
		panic(err)
	}
	return e
}

// Marshal encodes the envelope as the JSON message body.
func (e *Envelope) Marshal() ([]byte, error) { return json.Marshal(e) }

// Unmarshal decodes a message body into an envelope and checks that it
// has an id and a type.
func Unmarshal(b []byte) (Envelope, error) {
	var e Envelope
	if err := json.Unmarshal(b, &e); err != nil {
		return Envelope{}, fmt.Errorf("events: decode envelope: %w", err)
	}
	if e.ID == "" || e.Type == "" {
		return Envelope{}, errors.New("events: decode envelope: missing id or type")
	}
	return e, nil
}

// idSource hands out monotonic ULIDs; the mutex makes it safe for
// concurrent use. It is a package-level value because ULID monotonicity is
// per process, the way crypto/rand is.
var idSource = struct {
	sync.Mutex
	entropy *ulid.MonotonicEntropy
}{entropy: ulid.Monotonic(rand.Reader, 0)}

// NewID returns a new ULID for time at, monotonic within this process.
func NewID(at time.Time) string {
	idSource.Lock()
	defer idSource.Unlock()
	return ulid.MustNew(ulid.Timestamp(at), idSource.entropy).String()
}
