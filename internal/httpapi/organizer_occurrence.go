package httpapi

import (
	"context"
	"time"

	"github.com/natverk/natverk/calendar"
	"github.com/natverk/natverk/internal/feeds"
	"github.com/natverk/natverk/internal/natverk"
)

// changeOccurrence validates the cancellation (cancel) or move of one
// occurrence of sr and stores it: req.Occurrence must be the original
// start of a meeting of the series (or of one changed before), the
// reason and the new place are bounded, a move needs a new start and
// keeps the series' length unless told otherwise. The JSON API
// (POST /api/v1/meetings/{id}/cancel-occurrence and move-occurrence) and
// the organizer view both change occurrences through it. Invalid input is
// EINVALID naming the field; the store's codes pass through.
func (s *Server) changeOccurrence(ctx context.Context, sr *natverk.Series, req occurrenceRequest, cancel bool) (*natverk.Series, error) {
	loc := sr.Start.Location()
	rid, ok := parseInstant(req.Occurrence, loc)
	if !ok {
		return nil, natverk.Invalid(natverk.FieldError{Field: "occurrence", Reason: `must be the meeting's original start, e.g. "2026-03-10T18:00"`})
	}
	cs := feeds.CalendarSeries(sr, calendar.Person{}, "")
	occs, err := cs.Occurrences(rid.Add(-time.Second), rid.Add(time.Second), 2)
	if err != nil {
		return nil, err
	}
	found := false
	for _, o := range occs {
		found = found || o.RecurrenceID.Equal(rid)
	}
	if !found && sr.Exception(rid) == nil {
		return nil, natverk.Invalid(natverk.FieldError{Field: "occurrence", Reason: "is not a meeting of this series"})
	}
	if len([]rune(req.Reason)) > 500 {
		return nil, natverk.Invalid(natverk.FieldError{Field: "reason", Reason: "is longer than 500 characters"})
	}
	ex := natverk.Exception{RecurrenceID: rid, Cancelled: cancel, Reason: req.Reason}
	if !cancel {
		start, ok := parseInstant(req.Start, loc)
		if !ok {
			return nil, natverk.Invalid(natverk.FieldError{Field: "start", Reason: `must be the new local start, e.g. "2026-03-11T18:00"`})
		}
		ex.Start, ex.Duration = start, sr.Duration
		if req.DurationMinutes != 0 {
			if req.DurationMinutes < 5 || req.DurationMinutes > 1440 {
				return nil, natverk.Invalid(natverk.FieldError{Field: "duration_minutes", Reason: "must be between 5 and 1440"})
			}
			ex.Duration = time.Duration(req.DurationMinutes) * time.Minute
		}
		if req.Location != nil {
			if len([]rune(*req.Location)) > 500 {
				return nil, natverk.Invalid(natverk.FieldError{Field: "location", Reason: "is longer than 500 characters"})
			}
			ex.Location = *req.Location
		}
	}
	return s.Store.ChangeOccurrence(ctx, sr.ID, ex, s.now())
}
