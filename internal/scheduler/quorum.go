package scheduler

import (
	"context"
	"time"

	"github.com/natverk/natverk/internal/natverk"
)

// quorum decides the quorum of every meeting of sr whose decision time
// (QuorumBefore before its start) has come and which has not started.
// The store decides each occurrence once (natverk.CapacityStore
// DecideQuorum under a job key), so any number of schedulers may ask, at
// any tick: one of them cancels the meeting or sends "it's on", the
// others find it decided. A meeting whose decision time passed before the
// series existed is left alone: its members had no time to answer.
func (s *Scheduler) quorum(ctx context.Context, n *natverk.Network, sr *natverk.Series, now time.Time) error {
	if sr.Status != natverk.SeriesActive || sr.QuorumMin <= 0 || sr.QuorumBefore <= 0 {
		return nil
	}
	for _, rid := range sr.Upcoming(now, now.Add(time.Duration(sr.QuorumBefore)), 50) {
		start := rid
		if ex := sr.Exception(rid); ex != nil && !ex.Start.IsZero() {
			start = ex.Start
		}
		at, _ := sr.QuorumDecisionAt(start)
		if at.After(now) || !start.After(now) || sr.CreatedAt.After(at) {
			continue
		}
		d, err := s.Store.DecideQuorum(ctx, sr.ID, rid, now)
		if err != nil {
			return err
		}
		if d.Done {
			s.Log.Info("quorum decided", "network_id", n.ID, "series_id", sr.ID, "occurrence", rid, "outcome", d.Outcome, "yes", d.Yes, "min", d.Min)
		}
	}
	return nil
}
