// Package mailer composes and sends every email Nätverk sends: calendar
// invitations and their updates and cancellations (iMIP), reminders,
// digests and notices to organizers, and support mail to the board.
//
// A [Composer] turns a [Message] into the bytes of one RFC 5322 message
// (CRLF line ends), using embedded Swedish and English templates for the
// text/plain and text/html bodies. A message that carries a calendar has the
// layout Gmail, Outlook, Apple Mail and Thunderbird all recognise
// (RFC 6047 iMIP, RFC 5546 iTIP):
//
//	multipart/mixed
//	  multipart/alternative
//	    text/plain; charset=UTF-8                       quoted-printable
//	    text/html; charset=UTF-8                        quoted-printable
//	    text/calendar; method=REQUEST; charset=UTF-8    base64, no Content-ID, no Content-Disposition
//	  application/ics; name="invite.ics"                base64 attachment, the same bytes
//
// Other messages are multipart/alternative{text/plain, text/html}. The
// calendar bytes come ready-made from the caller (the calendar package);
// mailer only checks that the METHOD inside them matches [CalendarPart].Method
// and the message [Kind].
//
// Headers: Message-ID on the caller's domain (RFC 5322 §3.6.4), In-Reply-To
// and References for threading updates to the first invitation, List-Id
// (RFC 2919), List-Unsubscribe (RFC 2369) with List-Unsubscribe-Post
// (RFC 8058 one-click), Auto-Submitted: auto-generated (RFC 3834). Display
// names and subjects are RFC 2047 encoded; control characters in any header
// value are refused, never passed through. When configured, the finished
// message is DKIM-signed (RFC 6376, relaxed/relaxed; rsa-sha256 or
// ed25519-sha256 per RFC 8463) with go-msgauth, after go-mail has rendered it.
//
// A [Sender] delivers raw bytes: [SMTP] keeps a pool of reused connections to
// a relay (RFC 5321, STARTTLS per RFC 3207, implicit TLS per RFC 8314,
// enhanced status codes per RFC 3463), [Maildir] writes files for the
// embedded mode. Failures come back as [SendError]; [IsPermanent] tells a
// worker whether to give up (5xx replies, invalid input) or retry later.
//
// The package never logs; it returns errors prefixed "mailer: ".
package mailer
