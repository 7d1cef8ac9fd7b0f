package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

const pollColumns = `id, network_id, title, status, created_by, created_at, decided_at, decided_option, series_id`

func scanPoll(row scanner) (*natverk.Poll, error) {
	var p natverk.Poll
	if err := row.Scan(&p.ID, &p.NetworkID, &p.Title, &p.Status, &p.CreatedBy, &p.CreatedAt, &p.DecidedAt, &p.DecidedOption, &p.SeriesID); err != nil {
		return nil, err
	}
	p.CreatedAt, p.DecidedAt = p.CreatedAt.UTC(), utcPtr(p.DecidedAt)
	return &p, nil
}

// findPolls returns the polls matching where, newest first, with their
// options; lock takes their rows FOR UPDATE.
func findPolls(ctx context.Context, q querier, lock bool, where string, args ...any) ([]*natverk.Poll, error) {
	sql := `SELECT ` + pollColumns + ` FROM polls WHERE ` + where + ` ORDER BY id DESC`
	if lock {
		sql += ` FOR UPDATE`
	}
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, storeErr("find polls", err)
	}
	var out []*natverk.Poll
	byID := map[int64]*natverk.Poll{}
	var ids []int64
	for rows.Next() {
		p, err := scanPoll(rows)
		if err != nil {
			rows.Close()
			return nil, storeErr("scan poll", err)
		}
		out = append(out, p)
		byID[p.ID] = p
		ids = append(ids, p.ID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, storeErr("find polls", err)
	}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err = q.Query(ctx, `SELECT poll_id, id, start_local, time_zone, duration_min, rrule, location FROM poll_options WHERE poll_id = ANY($1) ORDER BY poll_id, position`, ids)
	if err != nil {
		return nil, storeErr("find poll options", err)
	}
	defer rows.Close()
	for rows.Next() {
		var pid int64
		var o natverk.PollOption
		if err := rows.Scan(&pid, &o.ID, &o.Start, &o.TimeZone, &o.DurationMinutes, &o.RRule, &o.Location); err != nil {
			return nil, storeErr("scan poll option", err)
		}
		byID[pid].Options = append(byID[pid].Options, o)
	}
	return out, storeErr("find poll options", rows.Err())
}

func findOnePoll(ctx context.Context, q querier, lock bool, id int64) (*natverk.Poll, error) {
	ps, err := findPolls(ctx, q, lock, "id = $1", id)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, natverk.Errorf(natverk.ENOTFOUND, "Poll not found.")
	}
	return ps[0], nil
}

// CreatePoll stores a poll and queues its mail to every invitee. The
// network row is locked (FOR NO KEY UPDATE), so two polls, or a poll and
// a first series, are not opened at once.
func (db *DB) CreatePoll(ctx context.Context, p *natverk.Poll) (*natverk.Poll, error) {
	var out *natverk.Poll
	err := db.write(ctx, func(tx *Tx) error {
		n, err := findNetwork(ctx, tx, forNoKeyUpdate, "id = $1", p.NetworkID)
		if err != nil {
			return err
		}
		if n.Status != natverk.NetworkActive {
			return natverk.Errorf(natverk.ECONFLICT, "The network is closed.")
		}
		var active, open int
		if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM series WHERE network_id = $1 AND status = $2), (SELECT count(*) FROM polls WHERE network_id = $1 AND status = $3)`,
			n.ID, natverk.SeriesActive, natverk.PollOpen).Scan(&active, &open); err != nil {
			return storeErr("check network", err)
		}
		if active > 0 {
			return natverk.Errorf(natverk.ECONFLICT, "The network already has a meeting series; change its time instead.")
		}
		if open > 0 {
			return natverk.Errorf(natverk.ECONFLICT, "The network already has an open poll; decide it first.")
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO polls (network_id, title, status, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			n.ID, p.Title, natverk.PollOpen, p.CreatedBy, tx.now).Scan(&id); err != nil {
			return storeErr("insert poll", err)
		}
		for i, o := range p.Options {
			if _, err := tx.Exec(ctx, `INSERT INTO poll_options (poll_id, position, start_local, time_zone, duration_min, rrule, location) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				id, i, o.Start, o.TimeZone, o.DurationMinutes, o.RRule, o.Location); err != nil {
				return storeErr("insert poll option", err)
			}
		}
		if out, err = findOnePoll(ctx, tx, false, id); err != nil {
			return err
		}
		recipients, err := invitees(ctx, tx, n.ID)
		if err != nil {
			return err
		}
		tx.emit(natverk.PollEvent(events.PollOpened, out, 0, tx.now))
		for _, mid := range recipients {
			tx.emit(natverk.PollMailEvent(out, mid, tx.now))
		}
		return nil
	})
	return out, err
}

// FindPollByID returns a poll.
func (db *DB) FindPollByID(ctx context.Context, id int64) (*natverk.Poll, error) {
	return findOnePoll(ctx, db.pool, false, id)
}

// FindPolls lists a network's polls.
func (db *DB) FindPolls(ctx context.Context, networkID int64) ([]*natverk.Poll, error) {
	return findPolls(ctx, db.pool, false, "network_id = $1", networkID)
}

// RecordVotes stores a member's votes. The poll row is shared-locked, so
// a vote and the decision do not interleave.
func (db *DB) RecordVotes(ctx context.Context, pollID, memberID int64, votes map[int64]string, at time.Time) error {
	return db.write(ctx, func(tx *Tx) error {
		var status string
		err := tx.QueryRow(ctx, `SELECT status FROM polls WHERE id = $1 FOR SHARE`, pollID).Scan(&status)
		if errors.Is(err, pgx.ErrNoRows) {
			return natverk.Errorf(natverk.ENOTFOUND, "Poll not found.")
		} else if err != nil {
			return storeErr("find poll", err)
		}
		p, err := findOnePoll(ctx, tx, false, pollID)
		if err != nil {
			return err
		}
		if p.Status != natverk.PollOpen {
			return natverk.Errorf(natverk.ECONFLICT, "The poll is decided.")
		}
		if err := natverk.CheckVotes(p, votes); err != nil {
			return err
		}
		var ms string
		err = tx.QueryRow(ctx, `SELECT ms.status FROM memberships ms JOIN members m ON m.id = ms.member_id WHERE ms.network_id = $1 AND ms.member_id = $2 AND NOT m.erased`,
			p.NetworkID, memberID).Scan(&ms)
		if errors.Is(err, pgx.ErrNoRows) || err == nil && !natverk.ReceivesInvitations(ms) {
			return natverk.Errorf(natverk.EFORBIDDEN, "The member does not receive this network's invitations.")
		} else if err != nil {
			return storeErr("find membership", err)
		}
		if at.IsZero() {
			at = tx.now
		}
		for _, o := range p.Options {
			v, ok := votes[o.ID]
			if !ok {
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO poll_votes (poll_id, option_id, member_id, vote, voted_at) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (poll_id, option_id, member_id) DO UPDATE SET vote = excluded.vote, voted_at = excluded.voted_at`,
				pollID, o.ID, memberID, v, at.UTC()); err != nil {
				return storeErr("store vote", err)
			}
		}
		tx.emit(natverk.PollEvent(events.PollVoted, p, memberID, tx.now))
		return nil
	})
}

// FindVotes lists a poll's votes.
func (db *DB) FindVotes(ctx context.Context, pollID int64) ([]*natverk.PollVote, error) {
	rows, err := db.pool.Query(ctx, `SELECT poll_id, option_id, member_id, vote, voted_at FROM poll_votes WHERE poll_id = $1 ORDER BY member_id, option_id`, pollID)
	if err != nil {
		return nil, storeErr("find votes", err)
	}
	defer rows.Close()
	var out []*natverk.PollVote
	for rows.Next() {
		var v natverk.PollVote
		if err := rows.Scan(&v.PollID, &v.OptionID, &v.MemberID, &v.Vote, &v.VotedAt); err != nil {
			return nil, storeErr("scan vote", err)
		}
		v.VotedAt = v.VotedAt.UTC()
		out = append(out, &v)
	}
	return out, storeErr("find votes", rows.Err())
}

// DecidePoll picks an option and creates the series, in one transaction:
// the network is locked as CreateSeries locks it (FOR SHARE), then the
// poll (FOR UPDATE), so two decisions cannot both create a series.
func (db *DB) DecidePoll(ctx context.Context, pollID, optionID int64, s *natverk.Series) (*natverk.Poll, *natverk.Series, error) {
	var outPoll *natverk.Poll
	var outSeries *natverk.Series
	err := db.write(ctx, func(tx *Tx) error {
		var networkID int64
		if err := tx.QueryRow(ctx, `SELECT network_id FROM polls WHERE id = $1`, pollID).Scan(&networkID); errors.Is(err, pgx.ErrNoRows) {
			return natverk.Errorf(natverk.ENOTFOUND, "Poll not found.")
		} else if err != nil {
			return storeErr("find poll", err)
		}
		n, err := findNetwork(ctx, tx, forShare, "id = $1", networkID)
		if err != nil {
			return err
		}
		p, err := findOnePoll(ctx, tx, true, pollID)
		if err != nil {
			return err
		}
		if p.Status != natverk.PollOpen {
			return natverk.Errorf(natverk.ECONFLICT, "The poll is decided.")
		}
		if p.Option(optionID) == nil {
			return natverk.Invalid(natverk.FieldError{Field: "option_id", Reason: "is not an option of this poll"})
		}
		if n.Status != natverk.NetworkActive {
			return natverk.Errorf(natverk.ECONFLICT, "The network is closed.")
		}
		s.NetworkID = n.ID
		sid, err := insertSeries(ctx, tx, s)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE polls SET status = $1, decided_at = $2, decided_option = $3, series_id = $4 WHERE id = $5`,
			natverk.PollDecided, tx.now, optionID, sid, pollID); err != nil {
			return storeErr("decide poll", err)
		}
		if outPoll, err = findOnePoll(ctx, tx, false, pollID); err != nil {
			return err
		}
		if outSeries, err = findOneSeries(ctx, tx, false, "id = $1", sid); err != nil {
			return err
		}
		recipients, err := invitees(ctx, tx, n.ID)
		if err != nil {
			return err
		}
		tx.emit(natverk.PollEvent(events.PollDecided, outPoll, 0, tx.now), natverk.MeetingEvent(events.MeetingScheduled, outSeries, tx.now, false))
		for _, mid := range recipients {
			tx.emit(natverk.MailEvent(natverk.MailInvitation, n.ID, sid, mid, nil, outSeries.Sequence, "", tx.now))
		}
		return nil
	})
	return outPoll, outSeries, err
}
