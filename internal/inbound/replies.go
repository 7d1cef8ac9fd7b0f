package inbound

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/natverk/natverk/calendar"
)

// notReplyError says the calendar is a valid iCalendar object with a
// METHOD other than REPLY or COUNTER (an invitation forwarded back, a
// PUBLISH attachment): the message is not a calendar reply.
type notReplyError struct{ method string }

func (e *notReplyError) Error() string {
	if e.method == "" {
		return "the calendar has no METHOD: it is not a reply"
	}
	return "the calendar's METHOD:" + e.method + " is not a reply"
}

// readReplies reads the REPLY or COUNTER VEVENTs of a message's calendar
// parts. The part inside multipart/alternative comes first; a VEVENT
// repeated by the invite.ics copy (same UID and RECURRENCE-ID) is read
// once. Floating times and TZIDs that cannot be resolved are read in
// zone. METHOD comes from the iCalendar body only. Parsers run under
// recover: a panic is an error naming it.
func readReplies(parts []calendarPart, zone *time.Location) (replies []calendar.Reply, err error) {
	defer func() {
		if r := recover(); r != nil {
			replies, err = nil, fmt.Errorf("panic while parsing the calendar: %v", r)
		}
	}()
	ordered := append([]calendarPart(nil), parts...)
	sort.SliceStable(ordered, func(i, j int) bool { return ordered[i].alternative && !ordered[j].alternative })
	opt := calendar.ParseOptions{MaxBytes: maxCalendarBytes, FallbackZone: zone}
	seen := map[string]bool{}
	var parseErr error
	var notReply *notReplyError
	for _, p := range ordered {
		cal, err := calendar.Parse(bytes.NewReader(p.data), opt)
		if err != nil {
			if parseErr == nil {
				parseErr = err
			}
			continue
		}
		method := ""
		if mp := cal.Props.Get(ical.PropMethod); mp != nil {
			method = strings.ToUpper(strings.TrimSpace(mp.Value))
		}
		if method != calendar.MethodReply && method != calendar.MethodCounter {
			if notReply == nil {
				notReply = &notReplyError{method: clip(method, 40)}
			}
			continue
		}
		rs, err := calendar.ParseReplies(bytes.NewReader(p.data), opt)
		if err != nil {
			if parseErr == nil {
				parseErr = err
			}
			continue
		}
		for _, r := range rs {
			key := r.UID + "\x00"
			if r.RecurrenceID != nil {
				key += r.RecurrenceID.UTC().Format(time.RFC3339)
			}
			if seen[key] {
				continue
			}
			seen[key] = true
			replies = append(replies, r)
		}
	}
	switch {
	case len(replies) > 0:
		return replies, nil
	case notReply != nil:
		// A readable calendar that is not a reply makes the message
		// something else, whatever the other parts hold.
		return nil, notReply
	}
	return nil, parseErr
}
