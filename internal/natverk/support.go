package natverk

import (
	"strings"
	"time"
)

// Support request statuses.
const (
	SupportRequested = "requested"
	SupportGranted   = "granted"
	SupportDeclined  = "declined"
)

// SupportRequest is an organizer's request to the board for
// administrative or financial support for a physical meeting.
type SupportRequest struct {
	ID        int64 `json:"id"`
	NetworkID int64 `json:"network_id"`
	SeriesID  int64 `json:"series_id,omitempty"`
	// Occurrence is the original start of the meeting it concerns.
	Occurrence  *time.Time `json:"occurrence,omitempty"`
	What        string     `json:"what"`
	CostSEK     int64      `json:"cost_sek,omitempty"`
	Status      string     `json:"status"`
	Note        string     `json:"note,omitempty"`
	RequestedBy int64      `json:"requested_by,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
}

// SupportInput asks for support.
type SupportInput struct {
	SeriesID   int64      `json:"series_id,omitempty"`
	Occurrence *time.Time `json:"occurrence,omitempty"`
	What       string     `json:"what"`
	CostSEK    int64      `json:"cost_sek,omitempty"`
}

// Validate checks a support request.
func (in *SupportInput) Validate() error {
	var fields []FieldError
	in.What = normalizeNewlines(strings.TrimSpace(in.What))
	if in.What == "" {
		fields = append(fields, FieldError{"what", "is required: say what support the meeting needs"})
	} else if fe := checkText("what", in.What, 2000, true); fe != nil {
		fields = append(fields, *fe)
	}
	if in.CostSEK < 0 || in.CostSEK > 10_000_000 {
		fields = append(fields, FieldError{"cost_sek", "must be between 0 and 10000000"})
	}
	if len(fields) > 0 {
		return Invalid(fields...)
	}
	return nil
}

// SupportDecision grants or declines a request.
type SupportDecision struct {
	Status string `json:"status"`
	Note   string `json:"note,omitempty"`
}

// Validate checks a decision.
func (d *SupportDecision) Validate() error {
	if d.Status != SupportGranted && d.Status != SupportDeclined {
		return Invalid(FieldError{"status", "must be granted or declined"})
	}
	if fe := checkText("note", d.Note, 2000, true); fe != nil {
		return Invalid(*fe)
	}
	return nil
}
