// Package harness runs Nätverk the way production does, for the
// process-level reliability tests in tests/: real natverk processes built
// from this repository with `go build`, configured through the
// environment only, next to real nats-server processes (one, or a
// cluster joined by routes), Postgres (a fresh schema on the test server,
// or a private instance the test may stop and start) and SMTP sinks
// (internal/smtptest).
//
// It also reads the results the way an operator would: the JSON API
// (RFC 9457 problems on failure), /readyz, Prometheus /metrics, the
// messages each sink accepted (Message-ID per RFC 5322 §3.6.4), the
// JetStream stream and the store's outbox.
//
// Every process is started with its own log file; when a test fails, the
// tail of each log is printed. Child processes are killed if the test
// binary dies (Linux: PR_SET_PDEATHSIG), and stopped when the test ends.
package harness
