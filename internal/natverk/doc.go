// Package natverk holds Nätverk's domain: members and the directory,
// networks and their organizers, meeting series, memberships, answers
// (RSVPs), support requests, and the rules that tie them together
// (continuity, which answer wins, who is invited).
//
// It defines the Store interface that the adapters (internal/sqlite,
// internal/postgres) implement and that internal/storetest checks. It
// imports no adapter: only the standard library and the events and
// calendar libraries, which are pure (no I/O).
package natverk
