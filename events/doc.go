// Package events defines every event Nätverk publishes, the envelope they
// travel in, and the helpers that carry them over NATS JetStream.
//
// An event is a versioned JSON document ([Envelope]) whose Type is also its
// NATS subject, "natverk.<entity>.<verb>". The [Catalogue] lists every type
// with its schema version and payload; docs/asyncapi.yaml documents the same
// list and a test keeps the two in step.
//
// On the wire an event is one JetStream message: the body is the JSON
// envelope, Nats-Msg-Id is the event id (so the stream drops a duplicate
// publish inside its duplicate window) and CloudEvents binary-mode headers
// (ce-specversion, ce-id, ce-type, ce-source, ce-time) let any
// CloudEvents-aware tool read it.
//
// The package imports only the standard library and nats.go; the domain
// imports it for payload types.
package events
