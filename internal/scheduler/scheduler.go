// Package scheduler queues the mail that is due by the clock rather than
// by a change: reminders before each meeting, the organizers' digest of
// new answers, and the quorum decisions of meetings with a quorum rule
// (quorum.go). It runs in one process at a time (a store lease), and
// every job is keyed in the store (natverk.JobStore.ScheduleOnce), so a
// reminder or digest is queued exactly once even when several processes
// run the role or a process restarts mid-tick.
package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/natverk/natverk/calendar"
	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/feeds"
	"github.com/natverk/natverk/internal/natverk"
)

// Store is what the scheduler reads and writes.
type Store interface {
	natverk.NetworkStore
	natverk.SeriesStore
	natverk.MembershipStore
	natverk.RSVPStore
	natverk.MemberStore
	natverk.JobStore
	natverk.LeaseStore
	natverk.CapacityStore
}

// Scheduler queues reminders and digests and decides quorums.
type Scheduler struct {
	Store Store
	Log   *slog.Logger
	// ReminderBefore is how long before a meeting its reminder goes out
	// (default 72h).
	ReminderBefore time.Duration
	// DigestEvery is the digest period: at most one digest per network per
	// period, and none when nothing happened (default 24h).
	DigestEvery time.Duration
	// Every is how often the scheduler looks (default 1 minute).
	Every time.Duration
	// Holder names this process in the lease.
	Holder string
	Now    func() time.Time
}

func (s *Scheduler) defaults() {
	if s.ReminderBefore <= 0 {
		s.ReminderBefore = 72 * time.Hour
	}
	if s.DigestEvery <= 0 {
		s.DigestEvery = 24 * time.Hour
	}
	if s.Every <= 0 {
		s.Every = time.Minute
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	if s.Holder == "" {
		s.Holder = events.NewID(time.Now())
	}
}

// Run ticks until ctx is done.
func (s *Scheduler) Run(ctx context.Context) error {
	s.defaults()
	t := time.NewTicker(s.Every)
	defer t.Stop()
	for {
		ok, err := s.Store.AcquireLease(ctx, "scheduler", s.Holder, s.Now(), 3*s.Every)
		if err != nil && ctx.Err() == nil {
			s.Log.Warn("scheduler: lease", "err", err)
		}
		if ok {
			if err := s.Tick(ctx); err != nil && ctx.Err() == nil {
				s.Log.Warn("scheduler: tick", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			if ok {
				s.Store.ReleaseLease(context.WithoutCancel(ctx), "scheduler", s.Holder)
			}
			return nil
		case <-t.C:
		}
	}
}

// Tick queues whatever is due now. It is safe to call any number of
// times, from any number of processes.
func (s *Scheduler) Tick(ctx context.Context) error {
	s.defaults()
	now := s.Now()
	for offset := 0; ; offset += natverk.MaxPageSize {
		ns, total, err := s.Store.FindNetworks(ctx, natverk.NetworkFilter{Status: natverk.NetworkActive, Limit: natverk.MaxPageSize, Offset: offset})
		if err != nil {
			return err
		}
		for _, n := range ns {
			if err := s.network(ctx, n, now); err != nil {
				return fmt.Errorf("scheduler: network %d: %w", n.ID, err)
			}
		}
		if offset+len(ns) >= total || len(ns) == 0 {
			return nil
		}
	}
}

func (s *Scheduler) network(ctx context.Context, n *natverk.Network, now time.Time) error {
	series, err := s.Store.FindSeries(ctx, n.ID)
	if err != nil {
		return err
	}
	invitees, err := s.Store.FindMemberships(ctx, natverk.MembershipFilter{NetworkID: n.ID, Statuses: natverk.InvitedStatuses})
	if err != nil {
		return err
	}
	for _, sr := range series {
		if sr.Status != natverk.SeriesActive && sr.Status != natverk.SeriesEnded {
			continue
		}
		if err := s.reminders(ctx, n, sr, invitees, now); err != nil {
			return err
		}
		if err := s.quorum(ctx, n, sr, now); err != nil {
			return err
		}
	}
	return s.digest(ctx, n, invitees, now)
}

// reminders queues the reminder of every meeting starting within
// ReminderBefore. Continuity: it goes to every invited or joined member
// who has not said no to that very meeting — including those who
// declined or missed earlier ones.
func (s *Scheduler) reminders(ctx context.Context, n *natverk.Network, sr *natverk.Series, invitees []*natverk.Membership, now time.Time) error {
	cs := feeds.CalendarSeries(sr, calendar.Person{}, "")
	occs, err := cs.Occurrences(now, now.Add(s.ReminderBefore), 50)
	if err != nil {
		return err
	}
	var rsvps []*natverk.RSVP
	for _, o := range occs {
		// A meeting scheduled less than the reminder time before it starts:
		// the invitation itself was the reminder.
		if sr.CreatedAt.After(o.Start.Add(-s.ReminderBefore)) {
			continue
		}
		if rsvps == nil {
			if rsvps, err = s.Store.FindRSVPs(ctx, natverk.RSVPFilter{SeriesID: sr.ID}); err != nil {
				return err
			}
		}
		declined := Declined(rsvps, o.RecurrenceID)
		rid := o.RecurrenceID.UTC()
		var evs []events.Envelope
		for _, m := range invitees {
			if !declined[m.MemberID] {
				evs = append(evs, natverk.MailEvent(natverk.MailReminder, n.ID, sr.ID, m.MemberID, &rid, sr.Sequence, "", now))
			}
		}
		key := "reminder/s" + strconv.FormatInt(sr.ID, 10) + "/o" + strconv.FormatInt(rid.Unix(), 10)
		done, err := s.Store.ScheduleOnce(ctx, key, evs)
		if err != nil {
			return err
		}
		if done {
			s.Log.Info("reminders queued", "network_id", n.ID, "series_id", sr.ID, "occurrence", rid, "count", len(evs))
		}
	}
	return nil
}

// Declined returns the members whose answer for the occurrence is no:
// their answer to it, or else their answer to the whole series.
func Declined(rsvps []*natverk.RSVP, occurrence time.Time) map[int64]bool {
	series, occ := map[int64]string{}, map[int64]string{}
	for _, r := range rsvps {
		switch {
		case r.Occurrence.IsZero():
			series[r.MemberID] = r.Answer
		case r.Occurrence.Equal(occurrence):
			occ[r.MemberID] = r.Answer
		}
	}
	out := map[int64]bool{}
	for id, a := range series {
		if natverk.EffectiveAnswer(a, occ[id]) == natverk.AnswerNo {
			out[id] = true
		}
	}
	for id, a := range occ {
		if a == natverk.AnswerNo {
			out[id] = true
		}
	}
	return out
}

// digest queues, at most once per period, a digest of the answers given
// in the last period to each organizer — never one mail per answer. A
// quiet period sends nothing.
func (s *Scheduler) digest(ctx context.Context, n *natverk.Network, invitees []*natverk.Membership, now time.Time) error {
	until := now.Truncate(s.DigestEvery)
	since := until.Add(-s.DigestEvery)
	var organizers []int64
	ms, err := s.Store.FindMemberships(ctx, natverk.MembershipFilter{NetworkID: n.ID})
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.Organizer && natverk.ReceivesInvitations(m.Status) {
			organizers = append(organizers, m.MemberID)
		}
	}
	if len(organizers) == 0 {
		return nil
	}
	rsvps, err := s.Store.FindRSVPs(ctx, natverk.RSVPFilter{NetworkID: n.ID})
	if err != nil {
		return err
	}
	news := 0
	for _, r := range rsvps {
		if !r.UpdatedAt.Before(since) && r.UpdatedAt.Before(until) {
			news++
		}
	}
	if news == 0 {
		return nil
	}
	var evs []events.Envelope
	for _, id := range organizers {
		evs = append(evs, events.MustNew(events.MailQueued, now, events.Refs{NetworkID: n.ID, MemberID: id}, events.MailPayload{
			Kind: natverk.MailDigest, NetworkID: n.ID, MemberID: id, Since: &since, Until: &until,
		}))
	}
	key := "digest/n" + strconv.FormatInt(n.ID, 10) + "/" + strconv.FormatInt(until.Unix(), 10)
	done, err := s.Store.ScheduleOnce(ctx, key, evs)
	if done {
		s.Log.Info("digest queued", "network_id", n.ID, "answers", news, "organizers", len(organizers))
	}
	return err
}
