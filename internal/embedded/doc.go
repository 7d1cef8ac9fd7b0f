// Package embedded runs the infrastructure Nätverk needs inside its own
// process, so that `natverk serve` with no configuration works on a laptop:
// an in-process nats-server with JetStream (file storage under a data
// directory, a loopback listener so the nats CLI can watch it).
//
// The same code runs small clusters of in-process servers joined by routes,
// which the tests use to check replicated streams (see
// github.com/natverk/natverk/internal/natstest).
//
// The package imports nats-server and nats.go only; it never logs unless
// given a *slog.Logger.
package embedded
