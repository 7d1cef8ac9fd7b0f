package calendar

import "fmt"

// FieldError reports an input that the package refuses, naming the field
// (for example "rule", "time_zone", "overrides[2].start") so that an HTTP
// layer can answer 422 and point at it. Retrieve it with errors.As.
type FieldError struct {
	Field  string
	Reason string
}

// Error returns "calendar: <field>: <reason>".
func (e *FieldError) Error() string {
	return "calendar: " + e.Field + ": " + e.Reason
}

// fieldErr builds a *FieldError with a formatted reason.
func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}
