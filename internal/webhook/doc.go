// Package webhook delivers Nätverk's events to other systems over HTTP,
// following the Standard Webhooks convention
// (https://www.standardwebhooks.com, v1): each request is a POST of a
// thin JSON payload with the headers webhook-id (the event id, for
// de-duplication), webhook-timestamp (Unix seconds) and webhook-signature
// ("v1," and the base64 of an HMAC-SHA256, RFC 2104 and FIPS 180-4, over
// id.timestamp.body, keyed with the endpoint's secret; several
// space-separated while a rotated secret is in its grace period).
//
// [Worker] is the handler of the durable JetStream consumer "webhooks":
// it sends each event to every active endpoint subscribed to its type and
// records each delivery in the store, so a redelivered event goes only to
// the endpoints that have not got it, and a failing endpoint is retried
// with the consumer's backoff until the event is dead-lettered.
//
// [Sender] makes the requests under an outbound policy ([Policy]) that
// keeps webhooks from being turned against the service's own network
// (server-side request forgery): https only, no loopback, private,
// link-local, multicast, unspecified or otherwise special addresses
// unless the host is explicitly allowed — checked when an endpoint is
// registered and again on every connection, against the address actually
// dialled, so DNS rebinding cannot get around it. Redirects are not
// followed; connections, requests and bodies are bounded.
package webhook
