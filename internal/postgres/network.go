package postgres

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

// networkSelect reads networkColumns and the network's organizers.
const networkSelect = `SELECT id, slug, name, kind, description, have, need, time_zone, feed_visibility, feed_token, status,
	contact_name, contact_email, created_at, updated_at, closed_at,
	(SELECT array_agg(ms.member_id ORDER BY ms.member_id) FROM memberships ms WHERE ms.network_id = networks.id AND ms.organizer)
	FROM networks`

func scanNetwork(row scanner) (*natverk.Network, error) {
	var n natverk.Network
	if err := row.Scan(&n.ID, &n.Slug, &n.Name, &n.Kind, &n.Description, &n.Have, &n.Need, &n.TimeZone, &n.FeedVisibility, &n.FeedToken,
		&n.Status, &n.ContactName, &n.ContactEmail, &n.CreatedAt, &n.UpdatedAt, &n.ClosedAt, &n.Organizers); err != nil {
		return nil, err
	}
	n.CreatedAt, n.UpdatedAt, n.ClosedAt = utc(n.CreatedAt), utc(n.UpdatedAt), utcPtr(n.ClosedAt)
	return &n, nil
}

// Row lock strengths used on networks. A change of the network's state
// (update, close) takes forNoKeyUpdate; writes that need the network to
// stay as read (a new series, invitations) take forShare, so they wait
// for a close in progress and a close waits for them.
const (
	noLock         = ""
	forShare       = " FOR SHARE"
	forNoKeyUpdate = " FOR NO KEY UPDATE"
)

// findNetwork returns the network matching where (with one argument),
// locked as lock says.
func findNetwork(ctx context.Context, q querier, lock, where string, arg any) (*natverk.Network, error) {
	n, err := scanNetwork(q.QueryRow(ctx, networkSelect+` WHERE `+where+lock, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, natverk.Errorf(natverk.ENOTFOUND, "Network not found.")
	}
	return n, storeErr("find network", err)
}

// CreateNetwork stores a network and its organizers.
func (db *DB) CreateNetwork(ctx context.Context, in natverk.NetworkInput, feedToken string) (*natverk.Network, error) {
	var out *natverk.Network
	err := db.write(ctx, func(tx *Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO networks (slug, name, kind, description, have, need, time_zone, feed_visibility, feed_token, status, contact_name, contact_email, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id`,
			in.Slug, in.Name, in.Kind, in.Description, in.Have, in.Need, in.TimeZone, in.FeedVisibility, feedToken, natverk.NetworkActive,
			in.ContactName, in.ContactEmail, tx.now).Scan(&id)
		if isUniqueViolation(err) {
			return natverk.Errorf(natverk.ECONFLICT, "A network with the slug %q exists already.", in.Slug)
		} else if err != nil {
			return storeErr("insert network", err)
		}
		for _, mid := range in.Organizers {
			if err := upsertMembership(ctx, tx, id, mid, natverk.StatusJoined, true); err != nil {
				return err
			}
		}
		out, err = findNetwork(ctx, tx, noLock, "id = $1", id)
		if err != nil {
			return err
		}
		tx.emit(natverk.NetworkEvent(events.NetworkCreated, out, tx.now))
		return nil
	})
	return out, err
}

// upsertMembership sets a membership, creating it if needed; an
// organizer stays one.
func upsertMembership(ctx context.Context, tx *Tx, networkID, memberID int64, status string, organizer bool) error {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM members WHERE id = $1 AND NOT erased)`, memberID).Scan(&exists); err != nil {
		return storeErr("find member", err)
	} else if !exists {
		return natverk.Errorf(natverk.ENOTFOUND, "Member %d not found.", memberID)
	}
	_, err := tx.Exec(ctx, `INSERT INTO memberships (network_id, member_id, status, organizer, invited_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
		ON CONFLICT (network_id, member_id) DO UPDATE SET status = excluded.status, organizer = memberships.organizer OR excluded.organizer, updated_at = excluded.updated_at`,
		networkID, memberID, status, organizer, tx.now)
	return storeErr("upsert membership", err)
}

// FindNetworkByID returns a network.
func (db *DB) FindNetworkByID(ctx context.Context, id int64) (*natverk.Network, error) {
	return findNetwork(ctx, db.pool, noLock, "id = $1", id)
}

// FindNetworkBySlug returns a network.
func (db *DB) FindNetworkBySlug(ctx context.Context, slug string) (*natverk.Network, error) {
	return findNetwork(ctx, db.pool, noLock, "slug = $1", slug)
}

// FindNetworks lists networks, newest first.
func (db *DB) FindNetworks(ctx context.Context, f natverk.NetworkFilter) ([]*natverk.Network, int, error) {
	if f.Limit <= 0 || f.Limit > natverk.MaxPageSize {
		f.Limit = 100
	}
	f.Offset = max(f.Offset, 0)
	var a args
	where := []string{"true"}
	if f.Status != "" {
		where = append(where, "status = "+a.add(f.Status))
	}
	if f.OrganizerID != 0 {
		where = append(where, "id IN (SELECT network_id FROM memberships WHERE member_id = "+a.add(f.OrganizerID)+" AND organizer)")
	}
	if f.MemberID != 0 {
		where = append(where, "id IN (SELECT network_id FROM memberships WHERE member_id = "+a.add(f.MemberID)+" AND status = ANY("+
			a.add(natverk.InvitedStatuses)+"))")
	}
	w := strings.Join(where, " AND ")
	var total int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM networks WHERE `+w, a...).Scan(&total); err != nil {
		return nil, 0, storeErr("count networks", err)
	}
	page := append(args(nil), a...)
	rows, err := db.pool.Query(ctx, networkSelect+` WHERE `+w+` ORDER BY id DESC LIMIT `+page.add(f.Limit)+` OFFSET `+page.add(f.Offset), page...)
	if err != nil {
		return nil, 0, storeErr("find networks", err)
	}
	defer rows.Close()
	out := []*natverk.Network{}
	for rows.Next() {
		n, err := scanNetwork(rows)
		if err != nil {
			return nil, 0, storeErr("scan network", err)
		}
		out = append(out, n)
	}
	return out, total, storeErr("find networks", rows.Err())
}

// UpdateNetwork applies an update.
func (db *DB) UpdateNetwork(ctx context.Context, id int64, u natverk.NetworkUpdate, newFeedToken string) (*natverk.Network, error) {
	var out *natverk.Network
	err := db.write(ctx, func(tx *Tx) error {
		n, err := findNetwork(ctx, tx, forNoKeyUpdate, "id = $1", id)
		if err != nil {
			return err
		}
		var changed []string
		set := func(name string, dst *string, v *string) {
			if v != nil && *v != *dst {
				*dst = *v
				changed = append(changed, name)
			}
		}
		set("name", &n.Name, u.Name)
		set("description", &n.Description, u.Description)
		set("have", &n.Have, u.Have)
		set("need", &n.Need, u.Need)
		set("feed_visibility", &n.FeedVisibility, u.FeedVisibility)
		set("contact_name", &n.ContactName, u.ContactName)
		set("contact_email", &n.ContactEmail, u.ContactEmail)
		if u.RotateFeedToken && newFeedToken != "" {
			n.FeedToken = newFeedToken
			changed = append(changed, "feed_token")
		}
		if len(changed) == 0 {
			out = n
			return nil
		}
		in, err := natverk.NetworkInput{Name: n.Name, Slug: n.Slug, Kind: n.Kind, Description: n.Description, Have: n.Have, Need: n.Need,
			TimeZone: n.TimeZone, FeedVisibility: n.FeedVisibility, ContactName: n.ContactName, ContactEmail: n.ContactEmail}.Normalize(func(string) error { return nil })
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE networks SET name = $1, description = $2, have = $3, need = $4, feed_visibility = $5, feed_token = $6,
			contact_name = $7, contact_email = $8, updated_at = $9 WHERE id = $10`,
			in.Name, in.Description, in.Have, in.Need, in.FeedVisibility, n.FeedToken, in.ContactName, in.ContactEmail, tx.now, id); err != nil {
			return storeErr("update network", err)
		}
		out, err = findNetwork(ctx, tx, noLock, "id = $1", id)
		if err != nil {
			return err
		}
		tx.emit(natverk.NetworkEvent(events.NetworkUpdated, out, tx.now, changed...))
		return nil
	})
	return out, err
}

// CloseNetwork closes a network and cancels its series.
func (db *DB) CloseNetwork(ctx context.Context, id int64, note string) (*natverk.Network, error) {
	var out *natverk.Network
	err := db.write(ctx, func(tx *Tx) error {
		n, err := findNetwork(ctx, tx, forNoKeyUpdate, "id = $1", id)
		if err != nil {
			return err
		}
		if n.Status == natverk.NetworkClosed {
			out = n
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE networks SET status = $1, closed_at = $2, updated_at = $2 WHERE id = $3`, natverk.NetworkClosed, tx.now, id); err != nil {
			return storeErr("close network", err)
		}
		series, err := findSeries(ctx, tx, true, "network_id = $1 AND status = $2", id, natverk.SeriesActive)
		if err != nil {
			return err
		}
		recipients, err := invitees(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, s := range series {
			s.Sequence++
			s.Status = natverk.SeriesCancelled
			if _, err := tx.Exec(ctx, `UPDATE series SET status = $1, sequence = $2, updated_at = $3 WHERE id = $4`, s.Status, s.Sequence, tx.now, s.ID); err != nil {
				return storeErr("cancel series", err)
			}
			s.UpdatedAt = tx.now
			tx.emit(natverk.MeetingEvent(events.MeetingEnded, s, tx.now, true))
			for _, mid := range recipients {
				tx.emit(natverk.MailEvent(natverk.MailNetworkClosed, id, s.ID, mid, nil, s.Sequence, note, tx.now))
			}
		}
		out, err = findNetwork(ctx, tx, noLock, "id = $1", id)
		if err != nil {
			return err
		}
		tx.emit(natverk.NetworkEvent(events.NetworkClosed, out, tx.now))
		return nil
	})
	return out, err
}

// invitees returns the members who receive the network's mail: the
// continuity rule (natverk.InvitedStatuses). Bouncing addresses are
// included: the mailer skips them at send time and records why.
func invitees(ctx context.Context, q querier, networkID int64) ([]int64, error) {
	rows, err := q.Query(ctx, `SELECT ms.member_id FROM memberships ms JOIN members m ON m.id = ms.member_id
		WHERE ms.network_id = $1 AND ms.status = ANY($2) AND NOT m.erased ORDER BY ms.member_id`, networkID, natverk.InvitedStatuses)
	if err != nil {
		return nil, storeErr("find invitees", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return ids, storeErr("find invitees", err)
}
