package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

// maxAnswerGroup is the most answers one group transaction writes.
const maxAnswerGroup = 64

// groupTimeout bounds writing one group. The group is written on its own
// context, not the leader's request's (a leader whose client goes away
// must not fail the answers of the others), so this is what keeps a
// stuck connection or lock from holding the series' waiters for ever.
const groupTimeout = 15 * time.Second

// answerGroups writes concurrent answers to one series together. The
// outbox's advisory lock (commit) makes a network's writers commit one
// after the other, each holding the lock through its WAL flush; answers
// written one transaction each therefore pass that lock one at a time.
// Here the answers to a series that arrive while a group is being written
// wait and form the next group: one transaction, two round trips, one
// pass through the lock and one WAL flush for all of them.
//
// One caller at a time leads a series' group (writes it on a context of
// its own, bounded by groupTimeout); the others wait. When a group is written, the first answer
// still waiting leads the next one.
type answerGroups struct {
	mu     sync.Mutex
	series map[int64]*answerQueue
}

// answerQueue holds the answers to one series waiting for a group.
type answerQueue struct {
	waiting []*answerCall
}

// answerCall is one RecordRSVP call in a group.
type answerCall struct {
	ctx  context.Context // the caller's, for the general path
	r    natverk.RSVP
	done chan struct{} // closed when res is set, or when lead is
	lead bool          // set before done is closed: this call writes the next group
	res  answerResult
}

// answerResult is RecordRSVP's result; handled is false when the answer
// must take the general path (recordRSVP) instead.
type answerResult struct {
	stored  *natverk.RSVP
	changed bool
	handled bool
	err     error
}

// record writes r in a group and returns its result.
func (g *answerGroups) record(ctx context.Context, db *DB, r natverk.RSVP) answerResult {
	c := &answerCall{ctx: ctx, r: r, done: make(chan struct{})}
	g.mu.Lock()
	if g.series == nil {
		g.series = map[int64]*answerQueue{}
	}
	q, busy := g.series[r.SeriesID]
	if !busy {
		q = &answerQueue{}
		g.series[r.SeriesID] = q
	}
	q.waiting = append(q.waiting, c)
	g.mu.Unlock()
	if busy {
		<-c.done
		if !c.lead {
			return c.res
		}
	}
	group := g.take(r.SeriesID)
	released := false
	release := func() {
		if released {
			return
		}
		released = true
		for _, o := range group {
			if o != c {
				close(o.done)
			}
		}
		g.next(r.SeriesID)
	}
	defer func() {
		// A panic (a bug) must not leave the others waiting, nor the
		// series without a leader.
		if p := recover(); p != nil {
			for _, o := range group {
				if o != c && !released {
					o.res = answerResult{handled: true, err: fmt.Errorf("postgres: answer group: %v", p)}
				}
			}
			release()
			panic(p)
		}
	}()
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), groupTimeout)
	failed := db.recordGroup(wctx, group)
	cancel()
	if failed {
		// The group was rolled back: its answers are written one at a
		// time, in arrival order, before the next group starts, so that
		// no later answer of the same member overtakes them.
		for _, o := range group {
			stored, changed, err := db.recordRSVP(o.ctx, o.r)
			o.res = answerResult{stored: stored, changed: changed, handled: true, err: err}
		}
	}
	release()
	return c.res
}

// take removes the next group from the series' queue: the waiting
// answers in arrival order, up to maxAnswerGroup, but only one per member
// and occurrence (a second answer of the same member to the same
// occurrence waits for the next group, so it is decided after the first
// is stored).
func (g *answerGroups) take(seriesID int64) []*answerCall {
	g.mu.Lock()
	defer g.mu.Unlock()
	q := g.series[seriesID]
	type key struct {
		member int64
		occ    int64
	}
	seen := map[key]bool{}
	var group, rest []*answerCall
	for _, c := range q.waiting {
		k := key{c.r.MemberID, occKey(c.r.Occurrence)}
		if seen[k] || len(group) == maxAnswerGroup {
			rest = append(rest, c)
			continue
		}
		seen[k] = true
		group = append(group, c)
	}
	q.waiting = rest
	return group
}

// next hands the series' queue to the first waiting answer, which writes
// the next group, or drops the queue when none waits.
func (g *answerGroups) next(seriesID int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	q := g.series[seriesID]
	if len(q.waiting) == 0 {
		delete(g.series, seriesID)
		return
	}
	first := q.waiting[0]
	first.lead = true
	close(first.done)
}

// recordGroup writes a group of answers to one series without a
// capacity in one transaction of two round trips, each a batch of
// statements, and sets each call's result. The first batch begins the
// transaction, reads the series, locks the members' membership rows (FOR
// UPDATE, in member order) and then reads their stored answers and, for
// a yes, the network's active series; the second stores the answers that
// supersede the stored ones, the joins (a yes from an invited member)
// and the events, and commits. The statements, the lock and the
// decisions are recordRSVP's, which runs them one round trip each (eight
// for an answer, six more for a join).
//
// When the series has a capacity nothing is written and every answer
// takes the general path (recordRSVP locks that series before the
// membership). When a statement fails, a group of one returns the error;
// a larger group is rolled back and recordGroup reports it failed: its
// answers then take the general path one by one.
func (db *DB) recordGroup(ctx context.Context, calls []*answerCall) (failed bool) {
	res, err := db.writeGroup(ctx, calls)
	for i, c := range calls {
		switch {
		case err == nil:
			c.res = res[i]
		case len(calls) == 1:
			c.res = answerResult{handled: true, err: err}
		default:
			c.res = answerResult{}
		}
	}
	return err != nil && len(calls) > 1
}

// writeGroup is recordGroup's transaction; it returns the results in the
// order of calls.
func (db *DB) writeGroup(ctx context.Context, calls []*answerCall) ([]answerResult, error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, storeErr("acquire connection", err)
	}
	defer conn.Release()
	defer rollbackOpen(ctx, conn)
	now := db.Now().UTC()
	seriesID := calls[0].r.SeriesID
	members := make([]int64, 0, len(calls))
	occs := make([]int64, 0, len(calls))
	anyYes := false
	for _, c := range calls {
		members = append(members, c.r.MemberID)
		occs = append(occs, occKey(c.r.Occurrence))
		anyYes = anyYes || c.r.Answer == natverk.AnswerYes
	}
	locked := slices.Compact(slices.Sorted(slices.Values(members)))

	b := &pgx.Batch{}
	b.Queue(`BEGIN`)
	b.Queue(`SELECT network_id, capacity > 0 OR EXISTS (SELECT 1 FROM series_exceptions e WHERE e.series_id = series.id AND e.capacity > 0)
		FROM series WHERE id = $1`, seriesID)
	b.Queue(`SELECT ms.member_id, ms.status FROM memberships ms JOIN members m ON m.id = ms.member_id
		WHERE ms.network_id = (SELECT network_id FROM series WHERE id = $1) AND ms.member_id = ANY($2) AND NOT m.erased
		ORDER BY ms.member_id FOR UPDATE OF ms`, seriesID, locked)
	b.Queue(`SELECT `+rsvpColumns+` FROM rsvps WHERE series_id = $1
		AND (member_id, occurrence) IN (SELECT * FROM unnest($2::bigint[], $3::bigint[]))`, seriesID, members, occs)
	if anyYes {
		b.Queue(`SELECT id FROM series WHERE network_id = (SELECT network_id FROM series WHERE id = $1) AND status = $2 ORDER BY id`,
			seriesID, natverk.SeriesActive)
	}
	var (
		networkID int64
		capacity  bool
		found     bool
		status    = map[int64]string{}
		curs      = map[[2]int64]*natverk.RSVP{}
		activeIDs []int64
	)
	br := conn.SendBatch(ctx, b)
	err = func() error {
		if _, err := br.Exec(); err != nil {
			return storeErr("begin", err)
		}
		switch err := br.QueryRow().Scan(&networkID, &capacity); {
		case err == nil:
			found = true
		case !errors.Is(err, pgx.ErrNoRows):
			return storeErr("find series", err)
		}
		rows, err := br.Query()
		if err != nil {
			return storeErr("find membership", err)
		}
		for rows.Next() {
			var id int64
			var st string
			if err := rows.Scan(&id, &st); err != nil {
				rows.Close()
				return storeErr("find membership", err)
			}
			status[id] = st
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return storeErr("find membership", err)
		}
		if rows, err = br.Query(); err != nil {
			return storeErr("find answers", err)
		}
		for rows.Next() {
			a, err := scanRSVP(rows)
			if err != nil {
				rows.Close()
				return storeErr("scan answer", err)
			}
			curs[[2]int64{a.MemberID, occKey(a.Occurrence)}] = a
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return storeErr("find answers", err)
		}
		if anyYes {
			rows, err := br.Query()
			if err != nil {
				return storeErr("find series", err)
			}
			if activeIDs, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
				return storeErr("find series", err)
			}
			if len(activeIDs) == 0 {
				activeIDs = nil
			}
		}
		return nil
	}()
	if cerr := br.Close(); err == nil && cerr != nil {
		err = storeErr("find answers", cerr)
	}
	if err != nil {
		return nil, err
	}
	out := make([]answerResult, len(calls))
	switch {
	case !found:
		for i := range out {
			out[i] = answerResult{handled: true, err: natverk.Errorf(natverk.ENOTFOUND, "Meeting series not found.")}
		}
		return out, nil
	case capacity:
		return out, nil // nothing written: the general path
	}

	b = &pgx.Batch{}
	var pending []events.Envelope
	for i, c := range calls {
		r := c.r
		st, in := status[r.MemberID]
		if !in {
			out[i] = answerResult{handled: true, err: natverk.Errorf(natverk.EFORBIDDEN, "The member is not invited to this network.")}
			continue
		}
		if !natverk.ReceivesInvitations(st) {
			out[i] = answerResult{handled: true, err: natverk.Errorf(natverk.EFORBIDDEN, "The member has %s the network.",
				map[string]string{natverk.StatusLeft: "left", natverk.StatusUnsubscribed: "unsubscribed from"}[st])}
			continue
		}
		r.NetworkID = networkID
		r.UpdatedAt = now
		if r.AnsweredAt.IsZero() {
			r.AnsweredAt = now
		}
		r.AnsweredAt = r.AnsweredAt.UTC().Truncate(time.Microsecond)
		cur := curs[[2]int64{r.MemberID, occKey(r.Occurrence)}]
		replace, ch := r.Supersedes(cur)
		if !replace {
			out[i] = answerResult{stored: cur, handled: true}
			continue
		}
		r.QueuedAt = time.Time{}
		r.Waitlist = 0
		if cur != nil && !ch {
			r.Waitlist = cur.Waitlist
		}
		b.Queue(`INSERT INTO rsvps (`+rsvpColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			ON CONFLICT (series_id, member_id, occurrence) DO UPDATE SET answer = excluded.answer, source = excluded.source, answered_at = excluded.answered_at,
			sequence = excluded.sequence, waitlist = excluded.waitlist, proposed_at = excluded.proposed_at, updated_at = excluded.updated_at, queued_at = excluded.queued_at`,
			r.SeriesID, r.NetworkID, r.MemberID, occKey(r.Occurrence), r.Answer, r.Source, r.AnsweredAt, r.Sequence, r.Waitlist, nullTime(r.Proposed), now, nullTime(&r.QueuedAt))
		stored := r
		out[i] = answerResult{stored: &stored, changed: ch, handled: true}
		if !ch {
			continue
		}
		prev := ""
		if cur != nil {
			prev = cur.Answer
		}
		pending = append(pending, natverk.RSVPEvent(&stored, prev))
		if r.Answer == natverk.AnswerYes && st == natverk.StatusInvited {
			// A yes to the invitation makes the member a member
			// (setMembership's change, on the row locked above).
			b.Queue(`UPDATE memberships SET status = $3, updated_at = $4 WHERE network_id = $1 AND member_id = $2`,
				r.NetworkID, r.MemberID, natverk.StatusJoined, now)
			status[r.MemberID] = natverk.StatusJoined
			pending = append(pending, natverk.MembershipEvent(events.MemberJoined, r.NetworkID, r.MemberID, activeIDs, natverk.StatusJoined, r.Source, now))
		}
	}
	if len(pending) > 0 {
		if err := queueOutbox(b, pending); err != nil {
			return nil, err
		}
	}
	if err := sendCommit(ctx, conn, b, "store answer"); err != nil {
		return nil, err
	}
	if len(pending) > 0 {
		db.wake()
	}
	return out, nil
}

// rollbackOpen rolls back a transaction an error left open on conn
// before the connection goes back to the pool.
func rollbackOpen(ctx context.Context, conn *pgxpool.Conn) {
	if conn.Conn().IsClosed() || conn.Conn().PgConn().TxStatus() == 'I' {
		return
	}
	if _, err := conn.Exec(context.WithoutCancel(ctx), `ROLLBACK`); err != nil {
		conn.Conn().Close(context.WithoutCancel(ctx))
	}
}

// sendCommit queues COMMIT after the statements already on b, sends the
// batch on conn (inside a transaction begun with a BEGIN of an earlier
// batch) and reads every result: op names the statements in an error.
// Writing and committing in one batch keeps the network's outbox lock,
// when b holds the outbox, for no round trip.
func sendCommit(ctx context.Context, conn *pgxpool.Conn, b *pgx.Batch, op string) error {
	writes := b.Len()
	b.Queue(`COMMIT`)
	br := conn.SendBatch(ctx, b)
	err := func() error {
		for range writes {
			if _, err := br.Exec(); err != nil {
				return storeErr(op, err)
			}
		}
		tag, err := br.Exec()
		if err != nil {
			return storeErr("commit", err)
		}
		if tag.String() == "ROLLBACK" {
			return storeErr("commit", pgx.ErrTxCommitRollback)
		}
		return nil
	}()
	if cerr := br.Close(); err == nil && cerr != nil {
		err = storeErr("commit", cerr)
	}
	return err
}
