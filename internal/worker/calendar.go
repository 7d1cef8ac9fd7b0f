package worker

import (
	"context"
	"log/slog"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/feeds"
	"github.com/natverk/natverk/internal/natverk"
)

// CalendarStore is what the calendar worker reads.
type CalendarStore interface {
	natverk.MembershipStore
	natverk.FeedStore
}

// Calendar keeps the stored feeds in step with the store. On every event
// that changes a network's feed it re-renders that feed (coalesced by
// feeds.Renderer: one render serves every change that waited for it).
// Member feeds are dropped instead, and rendered again when the member's
// calendar app next fetches them: a change to a network touches every
// member's feed, most of which nobody fetches before the next change.
type Calendar struct {
	Store    CalendarStore
	Renderer *feeds.Renderer
	Log      *slog.Logger
}

// CalendarSubjects are the subjects the calendar worker consumes.
var CalendarSubjects = []string{"natverk.network.>", "natverk.meeting.>", "natverk.member.>", events.RSVPRecorded, events.RSVPPromoted}

// Handle refreshes the feeds an event touches.
func (w *Calendar) Handle(ctx context.Context, e events.Envelope) error {
	var members []string // member feeds to drop: rendered again when fetched
	switch e.Type {
	case events.MemberErased:
		return w.Renderer.Invalidate(ctx, natverk.MemberFeedKey(e.MemberID))
	case events.MemberImported, events.MemberUpdated:
		return nil
	case events.RSVPRecorded, events.RSVPPromoted, events.MemberInvited, events.MemberJoined, events.MemberLeft, events.MemberUnsubscribed:
		if e.MemberID != 0 {
			members = append(members, natverk.MemberFeedKey(e.MemberID))
		}
	default: // network.* and meeting.*: every member's feed of the network
		if e.NetworkID != 0 {
			stored, err := w.Store.FeedKeys(ctx, "member:")
			if err != nil {
				return err
			}
			if len(stored) > 0 {
				ms, err := w.Store.FindMemberships(ctx, natverk.MembershipFilter{NetworkID: e.NetworkID})
				if err != nil {
					return err
				}
				have := map[string]bool{}
				for _, k := range stored {
					have[k] = true
				}
				for _, m := range ms {
					if k := natverk.MemberFeedKey(m.MemberID); have[k] {
						members = append(members, k)
					}
				}
			}
		}
	}
	if len(members) > 0 {
		if err := w.Renderer.Invalidate(ctx, members...); err != nil {
			return err
		}
	}
	// The network feed (its meetings and answer counts) is rendered now,
	// coalesced with every other change waiting for it.
	if e.NetworkID != 0 {
		return w.Renderer.Refresh(ctx, natverk.NetworkFeedKey(e.NetworkID))
	}
	return nil
}
