package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

// Invite invites members by address, id or search.
func (db *DB) Invite(ctx context.Context, networkID int64, req natverk.InviteRequest) (natverk.InviteResult, error) {
	var res natverk.InviteResult
	err := db.write(ctx, func(tx *Tx) error {
		res = natverk.InviteResult{Skipped: map[string]int{}, DryRun: req.DryRun}
		n, err := findNetwork(ctx, tx, "id = ?", networkID)
		if err != nil {
			return err
		}
		if n.Status != natverk.NetworkActive {
			return natverk.Errorf(natverk.ECONFLICT, "The network is closed.")
		}
		// Collect candidate member ids, in a stable order, without repeats.
		seen := map[int64]bool{}
		var ids []int64
		add := func(id int64) {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		for _, e := range req.Emails {
			var id int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM members WHERE email_key = ?`, natverk.EmailKey(e)).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				res.Unknown = append(res.Unknown, strings.TrimSpace(e))
				res.Skipped[natverk.SkipUnknown]++
				continue
			} else if err != nil {
				return storeErr("find member", err)
			}
			add(id)
		}
		for _, id := range req.MemberIDs {
			add(id)
		}
		searched := map[int64]bool{}
		if req.Search != nil {
			f := req.Search.Normalize()
			f.IncludeHidden = true // hidden members are counted as skipped, below
			where, args := memberWhere(f)
			rows, err := tx.QueryContext(ctx, `SELECT id FROM members WHERE `+where+` ORDER BY id`, args...)
			if err != nil {
				return storeErr("search members", err)
			}
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return storeErr("scan member", err)
				}
				if !seen[id] {
					searched[id] = true
				}
				add(id)
			}
			rows.Close()
		}
		series, err := findSeries(ctx, tx, "network_id = ? AND status = ?", networkID, natverk.SeriesActive)
		if err != nil {
			return err
		}
		var seriesIDs []int64
		for _, s := range series {
			seriesIDs = append(seriesIDs, s.ID)
		}
		sel, err := tx.PrepareContext(ctx, `SELECT `+memberColumns+`, (SELECT status FROM memberships WHERE network_id = ? AND member_id = members.id) FROM members WHERE id = ?`)
		if err != nil {
			return storeErr("prepare", err)
		}
		defer sel.Close()
		var evs []events.Envelope
		var toInvite []int64
		for _, id := range ids {
			var status sql.NullString
			m, err := scanMemberWith(sel.QueryRowContext(ctx, networkID, id), &status)
			if errors.Is(err, sql.ErrNoRows) {
				res.Skipped[natverk.SkipUnknown]++
				continue
			} else if err != nil {
				return storeErr("find member", err)
			}
			if reason := natverk.SkipReason(m, status.String, searched[id]); reason != "" {
				res.Skipped[reason]++
				continue
			}
			res.Invited++
			toInvite = append(toInvite, id)
			evs = append(evs, natverk.MembershipEvent(events.MemberInvited, networkID, id, seriesIDs, natverk.StatusInvited, req.Via, tx.now))
		}
		if req.DryRun {
			return nil
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO memberships (network_id, member_id, status, organizer, invited_at, updated_at) VALUES (?, ?, ?, 0, ?, ?)
			ON CONFLICT (network_id, member_id) DO UPDATE SET status = excluded.status, invited_at = excluded.invited_at, updated_at = excluded.updated_at`)
		if err != nil {
			return storeErr("prepare", err)
		}
		defer ins.Close()
		now := fmtTime(tx.now)
		for _, id := range toInvite {
			if _, err := ins.ExecContext(ctx, networkID, id, natverk.StatusInvited, now, now); err != nil {
				return storeErr("insert membership", err)
			}
		}
		return tx.emit(ctx, evs...)
	})
	return res, err
}

func scanMemberWith(row scanner, extra ...any) (*natverk.Member, error) {
	var m natverk.Member
	var created, updated string
	dest := []any{&m.ID, &m.Email, &m.Name, &m.Town, &m.Industry, &m.Company, &m.Title, &m.Locale,
		&m.Hidden, &m.Bouncing, &m.BounceReason, &m.TokenEpoch, &m.Erased, &created, &updated}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	m.CreatedAt, m.UpdatedAt = parseTime(created), parseTime(updated)
	return &m, nil
}

// SetMembership changes a member's status in a network.
func (db *DB) SetMembership(ctx context.Context, networkID, memberID int64, status, via string) (bool, error) {
	changed := false
	err := db.write(ctx, func(tx *Tx) error {
		var err error
		changed, err = setMembership(ctx, tx, networkID, memberID, status, via)
		return err
	})
	return changed, err
}

func setMembership(ctx context.Context, tx *Tx, networkID, memberID int64, status, via string) (bool, error) {
	switch status {
	case natverk.StatusJoined, natverk.StatusLeft, natverk.StatusUnsubscribed, natverk.StatusInvited:
	default:
		return false, natverk.Invalid(natverk.FieldError{Field: "status", Reason: "must be joined, left or unsubscribed"})
	}
	if _, err := findNetwork(ctx, tx, "id = ?", networkID); err != nil {
		return false, err
	}
	var cur string
	err := tx.QueryRowContext(ctx, `SELECT status FROM memberships WHERE network_id = ? AND member_id = ?`, networkID, memberID).Scan(&cur)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, storeErr("find membership", err)
	}
	if cur == status {
		return false, nil
	}
	if (status == natverk.StatusLeft || status == natverk.StatusUnsubscribed) && natverk.ReceivesInvitations(cur) {
		// A member who leaves frees their places: worked out while the
		// member still counts, with their answers taken away.
		active, err := findSeries(ctx, tx, "network_id = ? AND status = ?", networkID, natverk.SeriesActive)
		if err != nil {
			return false, err
		}
		for _, s := range active {
			if err := freePlaces(ctx, tx, s, memberID); err != nil {
				return false, err
			}
		}
	}
	if err := upsertMembership(ctx, tx, networkID, memberID, status, false); err != nil {
		return false, err
	}
	series, err := findSeries(ctx, tx, "network_id = ? AND status = ?", networkID, natverk.SeriesActive)
	if err != nil {
		return false, err
	}
	var ids []int64
	for _, s := range series {
		ids = append(ids, s.ID)
	}
	evs := []events.Envelope{natverk.MembershipEvent(natverk.MembershipEventType(status), networkID, memberID, ids, status, via, tx.now)}
	if (status == natverk.StatusLeft || status == natverk.StatusUnsubscribed) && natverk.ReceivesInvitations(cur) {
		// The member's calendar still holds the series: send a CANCEL
		// addressed to that member only.
		for _, s := range series {
			evs = append(evs, natverk.MailEvent(natverk.MailRemoved, networkID, s.ID, memberID, nil, s.Sequence, "", tx.now))
		}
	}
	return true, tx.emit(ctx, evs...)
}

// SetOrganizer makes a member an organizer of a network, or not.
func (db *DB) SetOrganizer(ctx context.Context, networkID, memberID int64, organizer bool) error {
	return db.write(ctx, func(tx *Tx) error {
		if _, err := findNetwork(ctx, tx, "id = ?", networkID); err != nil {
			return err
		}
		if !organizer {
			_, err := tx.ExecContext(ctx, `UPDATE memberships SET organizer = 0, updated_at = ? WHERE network_id = ? AND member_id = ?`, fmtTime(tx.now), networkID, memberID)
			return storeErr("unset organizer", err)
		}
		var cur sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT status FROM memberships WHERE network_id = ? AND member_id = ?`, networkID, memberID).Scan(&cur)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return storeErr("find membership", err)
		}
		status := natverk.StatusJoined
		if cur.Valid && cur.String != natverk.StatusLeft && cur.String != natverk.StatusUnsubscribed {
			status = cur.String
		}
		return upsertMembership(ctx, tx, networkID, memberID, status, true)
	})
}

const membershipColumns = `network_id, member_id, status, organizer, invited_at, updated_at`

func scanMembership(row scanner) (*natverk.Membership, error) {
	var m natverk.Membership
	var inv, upd string
	if err := row.Scan(&m.NetworkID, &m.MemberID, &m.Status, &m.Organizer, &inv, &upd); err != nil {
		return nil, err
	}
	m.InvitedAt, m.UpdatedAt = parseTime(inv), parseTime(upd)
	return &m, nil
}

// FindMembership returns one membership.
func (db *DB) FindMembership(ctx context.Context, networkID, memberID int64) (*natverk.Membership, error) {
	m, err := scanMembership(db.r.QueryRowContext(ctx, `SELECT `+membershipColumns+` FROM memberships WHERE network_id = ? AND member_id = ?`, networkID, memberID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, natverk.Errorf(natverk.ENOTFOUND, "Membership not found.")
	}
	return m, storeErr("find membership", err)
}

// FindMemberships lists memberships.
func (db *DB) FindMemberships(ctx context.Context, f natverk.MembershipFilter) ([]*natverk.Membership, error) {
	where, args := []string{"1 = 1"}, []any{}
	if f.NetworkID != 0 {
		where, args = append(where, "network_id = ?"), append(args, f.NetworkID)
	}
	if f.MemberID != 0 {
		where, args = append(where, "member_id = ?"), append(args, f.MemberID)
	}
	if len(f.Statuses) > 0 {
		where = append(where, "status IN ("+placeholders(len(f.Statuses))+")")
		for _, s := range f.Statuses {
			args = append(args, s)
		}
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+membershipColumns+` FROM memberships WHERE `+strings.Join(where, " AND ")+` ORDER BY network_id, member_id`, args...)
	if err != nil {
		return nil, storeErr("find memberships", err)
	}
	defer rows.Close()
	var out []*natverk.Membership
	for rows.Next() {
		m, err := scanMembership(rows)
		if err != nil {
			return nil, storeErr("scan membership", err)
		}
		out = append(out, m)
	}
	return out, storeErr("find memberships", rows.Err())
}

// freePlaces gives the places a leaving member held at the series'
// coming meetings to the first on each waiting list.
func freePlaces(ctx context.Context, tx *Tx, s *natverk.Series, memberID int64) error {
	if !s.HasCapacity() {
		return nil
	}
	before, err := seriesAnswers(ctx, tx, s.ID)
	if err != nil {
		return err
	}
	var after []*natverk.RSVP
	for _, r := range before {
		if r.MemberID != memberID {
			after = append(after, r)
		}
	}
	_, err = applyCapacity(ctx, tx, s, s, before, after, s.CapacityOccurrences(tx.now), nil)
	return err
}
