// Package worker holds the event handlers behind the durable JetStream
// consumers: the mailer (invitations, updates, cancellations, reminders,
// notices) and the calendar worker (feeds).
//
// Handlers are idempotent: the mailer records each message under a dedup
// key (recipient × kind × series or occurrence × SEQUENCE) in the store
// before and after sending, so a redelivered event never sends a second
// copy, and a send repeated after a crash carries the same Message-ID.
// The calendar worker re-renders feeds from the store, so the order in
// which events arrive does not matter.
package worker
