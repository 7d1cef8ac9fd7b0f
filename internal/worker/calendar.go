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

// Calendar keeps the stored feeds in step with the store: on every event
// that changes what a feed shows it refreshes that feed (coalesced by
// feeds.Renderer). Member feeds are kept once they were first fetched.
type Calendar struct {
	Store    CalendarStore
	Renderer *feeds.Renderer
	Log      *slog.Logger
}

// CalendarSubjects are the subjects the calendar worker consumes.
var CalendarSubjects = []string{"natverk.network.>", "natverk.meeting.>", "natverk.member.>", events.RSVPRecorded, events.RSVPPromoted}

// Handle refreshes the feeds an event touches.
func (w *Calendar) Handle(ctx context.Context, e events.Envelope) error {
	var keys []string
	network := func() {
		if e.NetworkID != 0 {
			keys = append(keys, natverk.NetworkFeedKey(e.NetworkID))
		}
	}
	member := func(id int64) error {
		if id == 0 {
			return nil
		}
		k := natverk.MemberFeedKey(id)
		if _, err := w.Store.FindFeed(ctx, k); err == nil {
			keys = append(keys, k)
		} else if natverk.ErrorCode(err) != natverk.ENOTFOUND {
			return err
		}
		return nil
	}
	switch e.Type {
	case events.MemberErased:
		return w.Store.DeleteFeed(ctx, natverk.MemberFeedKey(e.MemberID))
	case events.MemberImported, events.MemberUpdated:
		return nil
	case events.RSVPRecorded, events.RSVPPromoted, events.MemberInvited, events.MemberJoined, events.MemberLeft, events.MemberUnsubscribed:
		network()
		if err := member(e.MemberID); err != nil {
			return err
		}
	default: // network.* and meeting.*: the network feed and its members' feeds
		network()
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
						keys = append(keys, k)
					}
				}
			}
		}
	}
	for _, k := range keys {
		if err := w.Renderer.Refresh(ctx, k); err != nil {
			return err
		}
	}
	return nil
}
