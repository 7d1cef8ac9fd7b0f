package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/natverk/natverk/internal/natverk"
)

// Problem is an RFC 9457 problem details document.
type Problem struct {
	Type     string               `json:"type"`
	Title    string               `json:"title"`
	Status   int                  `json:"status"`
	Detail   string               `json:"detail,omitempty"`
	Instance string               `json:"instance,omitempty"`
	Code     string               `json:"code,omitempty"`
	Errors   []natverk.FieldError `json:"errors,omitempty"`
}

// codes maps application error codes to HTTP statuses.
var codes = map[string]int{
	natverk.ECONFLICT:     http.StatusConflict,
	natverk.EINVALID:      http.StatusUnprocessableEntity,
	natverk.ENOTFOUND:     http.StatusNotFound,
	natverk.EUNAUTHORIZED: http.StatusUnauthorized,
	natverk.EFORBIDDEN:    http.StatusForbidden,
	natverk.EINTERNAL:     http.StatusInternalServerError,
	natverk.EUNAVAILABLE:  http.StatusServiceUnavailable,
	natverk.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	natverk.EGONE:         http.StatusGone,
	natverk.ERATELIMIT:    http.StatusTooManyRequests,
}

// StatusOf returns the HTTP status for an error.
func StatusOf(err error) int {
	if s, ok := codes[natverk.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// writeJSON writes v as JSON with the status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// writeProblem writes err as an RFC 9457 problem. Internal errors are
// logged here (once) and shown without detail.
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	status := StatusOf(err)
	code := natverk.ErrorCode(err)
	if status >= 500 {
		s.log().Error("request failed", "method", r.Method, "path", r.URL.Path, "code", code, "err", err)
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	p := Problem{
		Type:     "https://natverk.example/problems/" + strings.ReplaceAll(code, "_", "-"),
		Title:    http.StatusText(status),
		Status:   status,
		Detail:   natverk.ErrorMessage(err),
		Instance: r.URL.Path,
		Code:     code,
		Errors:   natverk.ErrorFields(err),
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(p)
}

// decodeJSON reads one JSON value into v from a body capped at max bytes;
// unknown fields and trailing data are errors that name the problem.
func decodeJSON(w http.ResponseWriter, r *http.Request, max int64, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return natverk.Errorf(natverk.EINVALID, "Send the body as application/json (got %q).", ct)
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, max))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return natverk.Errorf(natverk.EINVALID, "The body holds more than one JSON value.")
	}
	return nil
}

// jsonPath drops the Go names of embedded structs from a decoder's field
// path ("NetworkInput.name" → "name"): JSON field names are lower case.
func jsonPath(p string) string {
	parts := strings.Split(p, ".")
	var out []string
	for _, s := range parts {
		if s != "" && (s[0] < 'A' || s[0] > 'Z') {
			out = append(out, s)
		}
	}
	return strings.Join(out, ".")
}

// jsonType names a Go kind the way a JSON user thinks of it.
func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "a list"
	case "struct", "map", "ptr":
		return "an object"
	}
	return "a number"
}

// jsonError turns a decoding error into a clear application error.
func jsonError(err error) error {
	var mbe *http.MaxBytesError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		return &natverk.Error{Code: natverk.ETOOLARGE, Message: fmt.Sprintf("The body is larger than %d bytes.", mbe.Limit)}
	case errors.As(err, &syn):
		return natverk.Errorf(natverk.EINVALID, "The body is not valid JSON (at byte %d).", syn.Offset)
	case errors.As(err, &typ):
		return natverk.Invalid(natverk.FieldError{Field: jsonPath(typ.Field), Reason: "must be " + jsonType(typ.Type.Kind().String())})
	case errors.Is(err, io.EOF):
		return natverk.Errorf(natverk.EINVALID, "The body is empty; send a JSON object.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return natverk.Errorf(natverk.EINVALID, "The body ends in the middle of a JSON value.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return natverk.Invalid(natverk.FieldError{Field: strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), Reason: "is not a known field"})
	}
	return natverk.Errorf(natverk.EINVALID, "The body could not be read: %v", err)
}
