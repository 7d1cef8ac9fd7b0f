package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

const pollColumns = `id, network_id, title, status, created_by, created_at, decided_at, decided_option, series_id`

func scanPoll(row scanner) (*natverk.Poll, error) {
	var p natverk.Poll
	var created string
	var decided sql.NullString
	if err := row.Scan(&p.ID, &p.NetworkID, &p.Title, &p.Status, &p.CreatedBy, &created, &decided, &p.DecidedOption, &p.SeriesID); err != nil {
		return nil, err
	}
	p.CreatedAt, p.DecidedAt = parseTime(created), parseTimePtr(decided)
	return &p, nil
}

// findPolls returns the polls matching where, newest first, with their
// options.
func findPolls(ctx context.Context, q querier, where string, args ...any) ([]*natverk.Poll, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+pollColumns+` FROM polls WHERE `+where+` ORDER BY id DESC`, args...)
	if err != nil {
		return nil, storeErr("find polls", err)
	}
	var out []*natverk.Poll
	for rows.Next() {
		p, err := scanPoll(rows)
		if err != nil {
			rows.Close()
			return nil, storeErr("scan poll", err)
		}
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, storeErr("find polls", err)
	}
	for _, p := range out {
		orows, err := q.QueryContext(ctx, `SELECT id, start_local, time_zone, duration_min, rrule, location FROM poll_options WHERE poll_id = ? ORDER BY position`, p.ID)
		if err != nil {
			return nil, storeErr("find poll options", err)
		}
		for orows.Next() {
			var o natverk.PollOption
			if err := orows.Scan(&o.ID, &o.Start, &o.TimeZone, &o.DurationMinutes, &o.RRule, &o.Location); err != nil {
				orows.Close()
				return nil, storeErr("scan poll option", err)
			}
			p.Options = append(p.Options, o)
		}
		orows.Close()
		if err := orows.Err(); err != nil {
			return nil, storeErr("find poll options", err)
		}
	}
	return out, nil
}

func findOnePoll(ctx context.Context, q querier, id int64) (*natverk.Poll, error) {
	ps, err := findPolls(ctx, q, "id = ?", id)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, natverk.Errorf(natverk.ENOTFOUND, "Poll not found.")
	}
	return ps[0], nil
}

// CreatePoll stores a poll and queues its mail to every invitee.
func (db *DB) CreatePoll(ctx context.Context, p *natverk.Poll) (*natverk.Poll, error) {
	var out *natverk.Poll
	err := db.write(ctx, func(tx *Tx) error {
		n, err := findNetwork(ctx, tx, "id = ?", p.NetworkID)
		if err != nil {
			return err
		}
		if n.Status != natverk.NetworkActive {
			return natverk.Errorf(natverk.ECONFLICT, "The network is closed.")
		}
		var active, open int
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM series WHERE network_id = ? AND status = ?), (SELECT count(*) FROM polls WHERE network_id = ? AND status = ?)`,
			n.ID, natverk.SeriesActive, n.ID, natverk.PollOpen).Scan(&active, &open); err != nil {
			return storeErr("check network", err)
		}
		if active > 0 {
			return natverk.Errorf(natverk.ECONFLICT, "The network already has a meeting series; change its time instead.")
		}
		if open > 0 {
			return natverk.Errorf(natverk.ECONFLICT, "The network already has an open poll; decide it first.")
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO polls (network_id, title, status, created_by, created_at) VALUES (?, ?, ?, ?, ?)`,
			n.ID, p.Title, natverk.PollOpen, p.CreatedBy, fmtTime(tx.now))
		if err != nil {
			return storeErr("insert poll", err)
		}
		id, _ := res.LastInsertId()
		for i, o := range p.Options {
			if _, err := tx.ExecContext(ctx, `INSERT INTO poll_options (poll_id, position, start_local, time_zone, duration_min, rrule, location) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				id, i, o.Start, o.TimeZone, o.DurationMinutes, o.RRule, o.Location); err != nil {
				return storeErr("insert poll option", err)
			}
		}
		if out, err = findOnePoll(ctx, tx, id); err != nil {
			return err
		}
		recipients, err := invitees(ctx, tx, n.ID)
		if err != nil {
			return err
		}
		evs := []events.Envelope{natverk.PollEvent(events.PollOpened, out, 0, tx.now)}
		for _, mid := range recipients {
			evs = append(evs, natverk.PollMailEvent(out, mid, tx.now))
		}
		return tx.emit(ctx, evs...)
	})
	return out, err
}

// FindPollByID returns a poll.
func (db *DB) FindPollByID(ctx context.Context, id int64) (*natverk.Poll, error) {
	return findOnePoll(ctx, db.r, id)
}

// FindPolls lists a network's polls.
func (db *DB) FindPolls(ctx context.Context, networkID int64) ([]*natverk.Poll, error) {
	return findPolls(ctx, db.r, "network_id = ?", networkID)
}

// RecordVotes stores a member's votes.
func (db *DB) RecordVotes(ctx context.Context, pollID, memberID int64, votes map[int64]string, at time.Time) error {
	return db.write(ctx, func(tx *Tx) error {
		p, err := findOnePoll(ctx, tx, pollID)
		if err != nil {
			return err
		}
		if p.Status != natverk.PollOpen {
			return natverk.Errorf(natverk.ECONFLICT, "The poll is decided.")
		}
		if err := natverk.CheckVotes(p, votes); err != nil {
			return err
		}
		var status string
		err = tx.QueryRowContext(ctx, `SELECT ms.status FROM memberships ms JOIN members m ON m.id = ms.member_id WHERE ms.network_id = ? AND ms.member_id = ? AND m.erased = 0`,
			p.NetworkID, memberID).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) || err == nil && !natverk.ReceivesInvitations(status) {
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
			if _, err := tx.ExecContext(ctx, `INSERT INTO poll_votes (poll_id, option_id, member_id, vote, voted_at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (poll_id, option_id, member_id) DO UPDATE SET vote = excluded.vote, voted_at = excluded.voted_at`,
				pollID, o.ID, memberID, v, fmtTime(at)); err != nil {
				return storeErr("store vote", err)
			}
		}
		return tx.emit(ctx, natverk.PollEvent(events.PollVoted, p, memberID, tx.now))
	})
}

// FindVotes lists a poll's votes.
func (db *DB) FindVotes(ctx context.Context, pollID int64) ([]*natverk.PollVote, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT poll_id, option_id, member_id, vote, voted_at FROM poll_votes WHERE poll_id = ? ORDER BY member_id, option_id`, pollID)
	if err != nil {
		return nil, storeErr("find votes", err)
	}
	defer rows.Close()
	var out []*natverk.PollVote
	for rows.Next() {
		var v natverk.PollVote
		var at string
		if err := rows.Scan(&v.PollID, &v.OptionID, &v.MemberID, &v.Vote, &at); err != nil {
			return nil, storeErr("scan vote", err)
		}
		v.VotedAt = parseTime(at)
		out = append(out, &v)
	}
	return out, storeErr("find votes", rows.Err())
}

// DecidePoll picks an option and creates the series, in one transaction.
func (db *DB) DecidePoll(ctx context.Context, pollID, optionID int64, s *natverk.Series) (*natverk.Poll, *natverk.Series, error) {
	var outPoll *natverk.Poll
	var outSeries *natverk.Series
	err := db.write(ctx, func(tx *Tx) error {
		p, err := findOnePoll(ctx, tx, pollID)
		if err != nil {
			return err
		}
		if p.Status != natverk.PollOpen {
			return natverk.Errorf(natverk.ECONFLICT, "The poll is decided.")
		}
		if p.Option(optionID) == nil {
			return natverk.Invalid(natverk.FieldError{Field: "option_id", Reason: "is not an option of this poll"})
		}
		n, err := findNetwork(ctx, tx, "id = ?", p.NetworkID)
		if err != nil {
			return err
		}
		if n.Status != natverk.NetworkActive {
			return natverk.Errorf(natverk.ECONFLICT, "The network is closed.")
		}
		s.NetworkID = n.ID
		sid, err := insertSeries(ctx, tx, s)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE polls SET status = ?, decided_at = ?, decided_option = ?, series_id = ? WHERE id = ?`,
			natverk.PollDecided, fmtTime(tx.now), optionID, sid, pollID); err != nil {
			return storeErr("decide poll", err)
		}
		if outPoll, err = findOnePoll(ctx, tx, pollID); err != nil {
			return err
		}
		if outSeries, err = findOneSeries(ctx, tx, "id = ?", sid); err != nil {
			return err
		}
		recipients, err := invitees(ctx, tx, n.ID)
		if err != nil {
			return err
		}
		evs := []events.Envelope{natverk.PollEvent(events.PollDecided, outPoll, 0, tx.now), natverk.MeetingEvent(events.MeetingScheduled, outSeries, tx.now, false)}
		for _, mid := range recipients {
			evs = append(evs, natverk.MailEvent(natverk.MailInvitation, n.ID, sid, mid, nil, outSeries.Sequence, "", tx.now))
		}
		return tx.emit(ctx, evs...)
	})
	return outPoll, outSeries, err
}
