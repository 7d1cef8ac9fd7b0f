package natverk

import (
	"errors"
	"fmt"
)

// Application error codes. Each maps to one HTTP status at the edge.
const (
	ECONFLICT     = "conflict"     // 409: unique key taken, state does not allow it
	EINTERNAL     = "internal"     // 500: a bug or an unexpected failure
	EINVALID      = "invalid"      // 422: input fails validation
	ENOTFOUND     = "not_found"    // 404
	EUNAUTHORIZED = "unauthorized" // 401: no or bad credentials
	EFORBIDDEN    = "forbidden"    // 403: credentials lack the right
	EUNAVAILABLE  = "unavailable"  // 503: a dependency is down; retry later
	ETOOLARGE     = "too_large"    // 413
	EGONE         = "gone"         // 410: expired or revoked link
	ERATELIMIT    = "rate_limited" // 429
)

// Error is an application error: a code, a human message, and for
// EINVALID the fields at fault.
type Error struct {
	Code    string
	Message string
	// Fields names each invalid field with its reason.
	Fields []FieldError
	// Err is the underlying cause, if any.
	Err error
}

// FieldError names one invalid input field and why.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("natverk: %s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("natverk: %s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an application error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error naming the fields at fault.
func Invalid(fields ...FieldError) *Error {
	msg := "The input is not valid."
	if len(fields) == 1 {
		msg = fmt.Sprintf("%s: %s", fields[0].Field, fields[0].Reason)
	}
	return &Error{Code: EINVALID, Message: msg, Fields: fields}
}

// Unavailable wraps a dependency failure as EUNAVAILABLE.
func Unavailable(what string, err error) *Error {
	return &Error{Code: EUNAVAILABLE, Message: what + " is unavailable; try again shortly.", Err: err}
}

// ErrorCode returns the code of the first application error in err's
// chain, EINTERNAL for any other error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the human message of an application error, or a
// generic one for internal errors (their details are logged, not shown).
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "An internal error occurred."
}

// ErrorFields returns the invalid fields of an EINVALID error.
func ErrorFields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}
