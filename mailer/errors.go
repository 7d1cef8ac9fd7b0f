package mailer

import (
	"errors"
	"fmt"

	"github.com/emersion/go-smtp"
)

// ErrInvalid is wrapped by every error about input that can never be sent:
// an invalid [Message], envelope, URL or configuration. Retrying does not
// help; [IsPermanent] reports true for it.
var ErrInvalid = errors.New("invalid input")

// ErrClosed is returned by a [Sender] used after Close. It is temporary: the
// message can go out through another sender.
var ErrClosed = errors.New("sender closed")

// invalidf returns an error wrapping [ErrInvalid].
func invalidf(format string, args ...any) error {
	return fmt.Errorf("mailer: %w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// SendError is the error every [Sender] returns when a message was not
// delivered. Code and Enhanced are the SMTP reply (RFC 5321 §4.2, RFC 3463)
// when the server gave one, and zero otherwise.
type SendError struct {
	Code      int    // SMTP reply code, 0 when there was no reply
	Enhanced  string // enhanced status code such as "5.1.1", "" when none
	Temporary bool   // true: try again later
	Err       error  // the underlying error
}

// Error implements error.
func (e *SendError) Error() string {
	kind := "permanent"
	if e.Temporary {
		kind = "temporary"
	}
	switch {
	case e.Code != 0 && e.Enhanced != "":
		return fmt.Sprintf("mailer: send failed (%s, %d %s): %v", kind, e.Code, e.Enhanced, e.Err)
	case e.Code != 0:
		return fmt.Sprintf("mailer: send failed (%s, %d): %v", kind, e.Code, e.Err)
	}
	return fmt.Sprintf("mailer: send failed (%s): %v", kind, e.Err)
}

// Unwrap returns the underlying error.
func (e *SendError) Unwrap() error { return e.Err }

// IsPermanent reports whether err means the message must not be retried:
// a 5xx SMTP reply (500..599) or a local error about the input or the
// configuration (wrapping [ErrInvalid]). Everything else is temporary: 4xx
// replies, dropped connections, dial errors, timeouts, cancelled contexts.
// A nil error is not permanent.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	var se *SendError
	if errors.As(err, &se) {
		return !se.Temporary
	}
	return errors.Is(err, ErrInvalid)
}

// classify wraps any error from an SMTP exchange in a *SendError.
func classify(err error) *SendError {
	var se *SendError
	if errors.As(err, &se) {
		return se
	}
	var smtpErr *smtp.SMTPError
	if errors.As(err, &smtpErr) {
		return &SendError{
			Code:      smtpErr.Code,
			Enhanced:  enhancedString(smtpErr.EnhancedCode),
			Temporary: smtpErr.Code < 500 || smtpErr.Code > 599,
			Err:       err,
		}
	}
	return &SendError{Temporary: !errors.Is(err, ErrInvalid), Err: err}
}

// enhancedString formats an enhanced status code, or "" when unset.
func enhancedString(c smtp.EnhancedCode) string {
	if c == smtp.EnhancedCodeNotSet || c == smtp.NoEnhancedCode || c[0] <= 0 {
		return ""
	}
	return fmt.Sprintf("%d.%d.%d", c[0], c[1], c[2])
}
