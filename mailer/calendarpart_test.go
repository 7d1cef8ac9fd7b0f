package mailer

import (
	"errors"
	"strings"
	"testing"
)

func TestCalendarMethod(t *testing.T) {
	crlf := func(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }
	tests := []struct {
		name, data, want, wantErr string
	}{
		{"request", "BEGIN:VCALENDAR\nVERSION:2.0\nMETHOD:REQUEST\nBEGIN:VEVENT\nUID:1\nEND:VEVENT\nEND:VCALENDAR\n", "REQUEST", ""},
		{"lower case", "begin:vcalendar\nmethod:cancel\nend:vcalendar\n", "CANCEL", ""},
		{"folded line", "BEGIN:VCALENDAR\nMETH\n OD:CAN\n CEL\nEND:VCALENDAR\n", "CANCEL", ""},
		{"method after the event", "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:1\nEND:VEVENT\nMETHOD:PUBLISH\nEND:VCALENDAR\n", "PUBLISH", ""},
		{"nested METHOD ignored", "BEGIN:VCALENDAR\nMETHOD:REQUEST\nBEGIN:VEVENT\nMETHOD:CANCEL\nEND:VEVENT\nEND:VCALENDAR\n", "REQUEST", ""},
		{"quoted colon in params", "BEGIN:VCALENDAR\nMETHOD:REQUEST\nBEGIN:VEVENT\nATTENDEE;CN=\"a:b\":mailto:a@b.se\nEND:VEVENT\nEND:VCALENDAR\n", "REQUEST", ""},
		{"no method", "BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\n", "", "no METHOD"},
		{"only nested method", "BEGIN:VCALENDAR\nBEGIN:VEVENT\nMETHOD:REQUEST\nEND:VEVENT\nEND:VCALENDAR\n", "", "no METHOD"},
		{"two methods", "BEGIN:VCALENDAR\nMETHOD:REQUEST\nMETHOD:CANCEL\nEND:VCALENDAR\n", "", "more than one"},
		{"not a calendar", "BEGIN:VCARD\nEND:VCARD\n", "", "want BEGIN:VCALENDAR"},
		{"truncated", "BEGIN:VCALENDAR\nMETHOD:REQUEST\nBEGIN:VEVENT\n", "", "truncated"},
		{"unmatched end", "BEGIN:VCALENDAR\nMETHOD:REQUEST\nEND:VCALENDAR\nEND:VCALENDAR\n", "", "unmatched END"},
		{"method with space", "BEGIN:VCALENDAR\nMETHOD:REQ UEST\nEND:VCALENDAR\n", "", "not a token"},
		{"invalid utf-8", "BEGIN:VCALENDAR\nSUMMARY:G\xf6teborg\nMETHOD:REQUEST\nEND:VCALENDAR\n", "", "UTF-8"},
		{"empty", "", "", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := calendarMethod(crlf(tt.data))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalid) {
					t.Fatalf("calendarMethod = %q, %v; want an ErrInvalid mentioning %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("calendarMethod = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
