package mailer

import "context"

// Envelope is the SMTP envelope of one message (RFC 5321 §2.3.1).
type Envelope struct {
	From string   // MAIL FROM: the bounce address
	To   []string // RCPT TO: exactly one recipient per message
}

// Sender delivers composed messages. Implementations are safe for
// concurrent use.
type Sender interface {
	// Send delivers raw (a complete message with CRLF line ends) to the
	// envelope recipient. Any error is a [SendError]; [IsPermanent] says
	// whether to retry. Send honours ctx's deadline and cancellation.
	Send(ctx context.Context, env Envelope, raw []byte) error
	// Close releases connections and files. Send after Close fails with an
	// error wrapping [ErrClosed].
	Close() error
}

// checkEnvelope validates the envelope: a bounce address and exactly one
// recipient, so a reply code concerns that one recipient.
func checkEnvelope(env Envelope) error {
	if err := checkEmail("envelope From", env.From); err != nil {
		return err
	}
	if len(env.To) != 1 {
		return invalidf("envelope has %d recipients; send one message per recipient", len(env.To))
	}
	return checkEmail("envelope To", env.To[0])
}
