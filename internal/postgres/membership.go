package postgres

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

// Invite invites members by address, id or search.
func (db *DB) Invite(ctx context.Context, networkID int64, req natverk.InviteRequest) (natverk.InviteResult, error) {
	var res natverk.InviteResult
	err := db.write(ctx, func(tx *Tx) error {
		res = natverk.InviteResult{Skipped: map[string]int{}, DryRun: req.DryRun}
		n, err := findNetwork(ctx, tx, forShare, "id = $1", networkID)
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
		if len(req.Emails) > 0 {
			emailKeys := make([]string, len(req.Emails))
			for i, e := range req.Emails {
				emailKeys[i] = natverk.EmailKey(e)
			}
			rows, err := tx.Query(ctx, `SELECT email_key, id FROM members WHERE email_key = ANY($1)`, emailKeys)
			if err != nil {
				return storeErr("find members", err)
			}
			byKey := map[string]int64{}
			for rows.Next() {
				var k string
				var id int64
				if err := rows.Scan(&k, &id); err != nil {
					rows.Close()
					return storeErr("scan member", err)
				}
				byKey[k] = id
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return storeErr("find members", err)
			}
			for i, e := range req.Emails {
				id, ok := byKey[emailKeys[i]]
				if !ok {
					res.Unknown = append(res.Unknown, strings.TrimSpace(e))
					res.Skipped[natverk.SkipUnknown]++
					continue
				}
				add(id)
			}
		}
		for _, id := range req.MemberIDs {
			add(id)
		}
		searched := map[int64]bool{}
		if req.Search != nil {
			f := req.Search.Normalize()
			f.IncludeHidden = true // hidden members are counted as skipped, below
			var a args
			where := memberWhere(f, &a)
			rows, err := tx.Query(ctx, `SELECT id FROM members WHERE `+where+` ORDER BY id`, a...)
			if err != nil {
				return storeErr("search members", err)
			}
			found, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			if err != nil {
				return storeErr("search members", err)
			}
			for _, id := range found {
				if !seen[id] {
					searched[id] = true
				}
				add(id)
			}
		}
		series, err := findSeries(ctx, tx, false, "network_id = $1 AND status = $2", networkID, natverk.SeriesActive)
		if err != nil {
			return err
		}
		var seriesIDs []int64
		for _, s := range series {
			seriesIDs = append(seriesIDs, s.ID)
		}
		// The candidates with their current status in the network.
		type candidate struct {
			m      *natverk.Member
			status string
		}
		byID := map[int64]candidate{}
		if len(ids) > 0 {
			rows, err := tx.Query(ctx, `SELECT `+memberColumns+`,
				coalesce((SELECT status FROM memberships WHERE network_id = $1 AND member_id = members.id), '')
				FROM members WHERE id = ANY($2)`, networkID, ids)
			if err != nil {
				return storeErr("find members", err)
			}
			for rows.Next() {
				var c candidate
				if c.m, err = scanMember(rows, &c.status); err != nil {
					rows.Close()
					return storeErr("scan member", err)
				}
				byID[c.m.ID] = c
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return storeErr("find members", err)
			}
		}
		var toInvite []int64
		for _, id := range ids {
			c, ok := byID[id]
			if !ok {
				res.Skipped[natverk.SkipUnknown]++
				continue
			}
			if reason := natverk.SkipReason(c.m, c.status, searched[id]); reason != "" {
				res.Skipped[reason]++
				continue
			}
			res.Invited++
			toInvite = append(toInvite, id)
		}
		if req.DryRun || len(toInvite) == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO memberships (network_id, member_id, status, organizer, invited_at, updated_at)
			SELECT $1::bigint, m, $2::text, false, $3::timestamptz, $3::timestamptz FROM unnest($4::bigint[]) AS m
			ON CONFLICT (network_id, member_id) DO UPDATE SET status = excluded.status, invited_at = excluded.invited_at, updated_at = excluded.updated_at`,
			networkID, natverk.StatusInvited, tx.now, toInvite); err != nil {
			return storeErr("insert memberships", err)
		}
		for _, id := range toInvite {
			tx.emit(natverk.MembershipEvent(events.MemberInvited, networkID, id, seriesIDs, natverk.StatusInvited, req.Via, tx.now))
		}
		return nil
	})
	return res, err
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
	if _, err := findNetwork(ctx, tx, noLock, "id = $1", networkID); err != nil {
		return false, err
	}
	leaving := status == natverk.StatusLeft || status == natverk.StatusUnsubscribed
	var locked []*natverk.Series
	if leaving {
		// A member who leaves frees their places. The series are locked
		// before the membership, in the order RecordRSVP takes them.
		var err error
		if locked, err = findSeries(ctx, tx, true, "network_id = $1 AND status = $2", networkID, natverk.SeriesActive); err != nil {
			return false, err
		}
	}
	var cur string
	err := tx.QueryRow(ctx, `SELECT status FROM memberships WHERE network_id = $1 AND member_id = $2 FOR UPDATE`, networkID, memberID).Scan(&cur)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return false, storeErr("find membership", err)
	}
	if cur == status {
		return false, nil
	}
	if leaving && natverk.ReceivesInvitations(cur) {
		for _, s := range locked {
			if err := freePlaces(ctx, tx, s, memberID); err != nil {
				return false, err
			}
		}
	}
	if err := upsertMembership(ctx, tx, networkID, memberID, status, false); err != nil {
		return false, err
	}
	series, err := findSeries(ctx, tx, false, "network_id = $1 AND status = $2", networkID, natverk.SeriesActive)
	if err != nil {
		return false, err
	}
	var ids []int64
	for _, s := range series {
		ids = append(ids, s.ID)
	}
	tx.emit(natverk.MembershipEvent(natverk.MembershipEventType(status), networkID, memberID, ids, status, via, tx.now))
	if (status == natverk.StatusLeft || status == natverk.StatusUnsubscribed) && natverk.ReceivesInvitations(cur) {
		// The member's calendar still holds the series: send a CANCEL
		// addressed to that member only.
		for _, s := range series {
			tx.emit(natverk.MailEvent(natverk.MailRemoved, networkID, s.ID, memberID, nil, s.Sequence, "", tx.now))
		}
	}
	return true, nil
}

// SetOrganizer makes a member an organizer of a network, or not.
func (db *DB) SetOrganizer(ctx context.Context, networkID, memberID int64, organizer bool) error {
	return db.write(ctx, func(tx *Tx) error {
		if _, err := findNetwork(ctx, tx, noLock, "id = $1", networkID); err != nil {
			return err
		}
		if !organizer {
			_, err := tx.Exec(ctx, `UPDATE memberships SET organizer = false, updated_at = $1 WHERE network_id = $2 AND member_id = $3`, tx.now, networkID, memberID)
			return storeErr("unset organizer", err)
		}
		var cur string
		err := tx.QueryRow(ctx, `SELECT status FROM memberships WHERE network_id = $1 AND member_id = $2 FOR UPDATE`, networkID, memberID).Scan(&cur)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return storeErr("find membership", err)
		}
		status := natverk.StatusJoined
		if cur != "" && cur != natverk.StatusLeft && cur != natverk.StatusUnsubscribed {
			status = cur
		}
		return upsertMembership(ctx, tx, networkID, memberID, status, true)
	})
}

const membershipColumns = `network_id, member_id, status, organizer, invited_at, updated_at`

func scanMembership(row scanner) (*natverk.Membership, error) {
	var m natverk.Membership
	if err := row.Scan(&m.NetworkID, &m.MemberID, &m.Status, &m.Organizer, &m.InvitedAt, &m.UpdatedAt); err != nil {
		return nil, err
	}
	m.InvitedAt, m.UpdatedAt = utc(m.InvitedAt), utc(m.UpdatedAt)
	return &m, nil
}

// FindMembership returns one membership.
func (db *DB) FindMembership(ctx context.Context, networkID, memberID int64) (*natverk.Membership, error) {
	m, err := scanMembership(db.pool.QueryRow(ctx, `SELECT `+membershipColumns+` FROM memberships WHERE network_id = $1 AND member_id = $2`, networkID, memberID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, natverk.Errorf(natverk.ENOTFOUND, "Membership not found.")
	}
	return m, storeErr("find membership", err)
}

// FindMemberships lists memberships.
func (db *DB) FindMemberships(ctx context.Context, f natverk.MembershipFilter) ([]*natverk.Membership, error) {
	var a args
	where := []string{"true"}
	if f.NetworkID != 0 {
		where = append(where, "network_id = "+a.add(f.NetworkID))
	}
	if f.MemberID != 0 {
		where = append(where, "member_id = "+a.add(f.MemberID))
	}
	if len(f.Statuses) > 0 {
		where = append(where, "status = ANY("+a.add(f.Statuses)+")")
	}
	rows, err := db.pool.Query(ctx, `SELECT `+membershipColumns+` FROM memberships WHERE `+strings.Join(where, " AND ")+` ORDER BY network_id, member_id`, a...)
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
// coming meetings to the first on each waiting list: run while the member
// still counts, with their answers taken away.
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
