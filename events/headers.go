package events

// Message headers Nätverk sets on every event message. The ce-* headers are
// the CloudEvents 1.0 NATS protocol binding in binary mode.
const (
	// HeaderMsgID is JetStream's deduplication header; its value is the
	// event id (the outbox id).
	HeaderMsgID = "Nats-Msg-Id"
	// HeaderCESpecVersion carries the CloudEvents spec version, "1.0".
	HeaderCESpecVersion = "ce-specversion"
	// HeaderCEID carries the event id.
	HeaderCEID = "ce-id"
	// HeaderCEType carries the event type (the subject).
	HeaderCEType = "ce-type"
	// HeaderCESource carries [Source].
	HeaderCESource = "ce-source"
	// HeaderCETime carries OccurredAt in RFC 3339 form.
	HeaderCETime = "ce-time"
	// HeaderContentType is the body's media type, "application/json".
	HeaderContentType = "content-type"
)

// Values of the constant headers.
const (
	CloudEventsSpecVersion = "1.0"
	ContentTypeJSON        = "application/json"
)

// Headers of a dead letter (see [DeadLetter]).
const (
	// HeaderDLQReason is the error that made the consumer give up.
	HeaderDLQReason = "Natverk-Dlq-Reason"
	// HeaderDLQSubject is the subject the event was published on.
	HeaderDLQSubject = "Natverk-Dlq-Subject"
	// HeaderDLQStreamSeq is the stream sequence of the original message.
	HeaderDLQStreamSeq = "Natverk-Dlq-Stream-Seq"
	// HeaderDLQDeliveries is how many times the message was delivered.
	HeaderDLQDeliveries = "Natverk-Dlq-Deliveries"
	// HeaderDLQConsumer is the durable consumer that gave up.
	HeaderDLQConsumer = "Natverk-Dlq-Consumer"
	// HeaderDLQMsgID is the Nats-Msg-Id of the original message.
	HeaderDLQMsgID = "Natverk-Dlq-Msg-Id"
)

// Headers of a message re-driven from the dead-letter subjects by
// [RetryDeadLetter].
const (
	// HeaderRetryConsumer names the only consumer that handles the
	// re-driven message; every other consumer acknowledges it unhandled.
	HeaderRetryConsumer = "Natverk-Retry-Consumer"
	// HeaderRetryOf is the stream sequence of the dead letter it came from.
	HeaderRetryOf = "Natverk-Retry-Of"
)
