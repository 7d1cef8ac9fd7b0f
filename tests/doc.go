// Package tests holds Nätverk's process-level reliability tests: real
// natverk processes (built from this repository) next to real
// nats-server processes, Postgres and SMTP sinks, with processes killed,
// servers stopped and faults injected while invitations go out. Each
// test checks the promise of docs/RELIABILITY.md that it proves: every
// invitation is sent once (RFC 5322 Message-ID equal on the few repeats a
// crash allows), nothing committed is lost (the transactional outbox),
// nothing is half-written, and failures end in the dead-letter subject.
//
// The quick versions run under the README's test command; NATVERK_LONG=1
// (scripts/test-long) runs them at full size and adds the long ones.
package tests
