package events

import "errors"

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (p *permanentError) Error() string   { return p.err.Error() }
func (p *permanentError) Unwrap() error   { return p.err }
func (p *permanentError) Permanent() bool { return true }

// Permanent marks err as permanent: a [Handler] that returns it is not
// retried, and the message goes to the dead-letter subject at once.
// Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or an error it wraps, is permanent:
// made by [Permanent], or of a type with a method Permanent() bool that
// returns true (so other packages, such as the mailer, can classify their
// errors without importing this one).
func IsPermanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}
