// Package events defines every event Nätverk publishes, the envelope they
// travel in, and the helpers that carry them over NATS JetStream.
//
// An event is a versioned JSON document ([Envelope]) whose Type is also its
// NATS subject, "natverk.<entity>.<verb>". The [Catalogue] lists every type
// with its schema version and payload; docs/asyncapi.yaml (AsyncAPI 3.0)
// documents the same list and a test keeps the two in step.
//
// On the wire an event is one JetStream message ([NewMsg], [ParseMsg]): the
// body is the JSON envelope, Nats-Msg-Id is the event id (so the stream
// drops a duplicate publish inside its duplicate window) and CloudEvents 1.0
// binary-mode headers (ce-specversion, ce-id, ce-type, ce-source, ce-time as
// an RFC 3339 timestamp) let any CloudEvents-aware tool read it.
//
// [EnsureStream] creates the stream NATVERK (subjects natverk.>); the
// outbox relay publishes with a [Publisher], which reports per event whether
// the stream acknowledged it. [Consume] runs a [Handler] over a durable pull
// consumer shared by any number of processes: failures are retried with
// NakWithDelay after a backoff, and a message that keeps failing, or fails
// with a [Permanent] error, is copied to natverk.dlq.<consumer> with the
// reason ([DeadLetter]), where [ListDeadLetters] and [RetryDeadLetter] find
// and re-drive it. docs/EVENTS.md describes the policy.
//
// The package imports only the standard library, nats.go and ulid; the
// domain imports it for payload types.
package events
