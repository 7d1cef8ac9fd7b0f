package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
)

const networkColumns = `id, slug, name, kind, description, have, need, time_zone, feed_visibility, feed_token, status, contact_name, contact_email, created_at, updated_at, closed_at`

func scanNetwork(row scanner) (*natverk.Network, error) {
	var n natverk.Network
	var created, updated string
	var closed sql.NullString
	if err := row.Scan(&n.ID, &n.Slug, &n.Name, &n.Kind, &n.Description, &n.Have, &n.Need, &n.TimeZone, &n.FeedVisibility, &n.FeedToken,
		&n.Status, &n.ContactName, &n.ContactEmail, &created, &updated, &closed); err != nil {
		return nil, err
	}
	n.CreatedAt, n.UpdatedAt, n.ClosedAt = parseTime(created), parseTime(updated), parseTimePtr(closed)
	return &n, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func findNetwork(ctx context.Context, q querier, where string, arg any) (*natverk.Network, error) {
	n, err := scanNetwork(q.QueryRowContext(ctx, `SELECT `+networkColumns+` FROM networks WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, natverk.Errorf(natverk.ENOTFOUND, "Network not found.")
	} else if err != nil {
		return nil, storeErr("find network", err)
	}
	rows, err := q.QueryContext(ctx, `SELECT member_id FROM memberships WHERE network_id = ? AND organizer = 1 ORDER BY member_id`, n.ID)
	if err != nil {
		return nil, storeErr("find organizers", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, storeErr("scan organizer", err)
		}
		n.Organizers = append(n.Organizers, id)
	}
	return n, storeErr("find organizers", rows.Err())
}

// CreateNetwork stores a network and its organizers.
func (db *DB) CreateNetwork(ctx context.Context, in natverk.NetworkInput, feedToken string) (*natverk.Network, error) {
	var out *natverk.Network
	err := db.write(ctx, func(tx *Tx) error {
		now := fmtTime(tx.now)
		res, err := tx.ExecContext(ctx, `INSERT INTO networks (slug, name, kind, description, have, need, time_zone, feed_visibility, feed_token, status, contact_name, contact_email, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			in.Slug, in.Name, in.Kind, in.Description, in.Have, in.Need, in.TimeZone, in.FeedVisibility, feedToken, natverk.NetworkActive,
			in.ContactName, in.ContactEmail, now, now)
		if err != nil {
			if natverk.ErrorCode(storeErr("", err)) == natverk.ECONFLICT {
				return natverk.Errorf(natverk.ECONFLICT, "A network with the slug %q exists already.", in.Slug)
			}
			return storeErr("insert network", err)
		}
		id, _ := res.LastInsertId()
		for _, mid := range in.Organizers {
			if err := upsertMembership(ctx, tx, id, mid, natverk.StatusJoined, true); err != nil {
				return err
			}
		}
		out, err = findNetwork(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		return tx.emit(ctx, natverk.NetworkEvent(events.NetworkCreated, out, tx.now))
	})
	return out, err
}

// upsertMembership sets a membership, creating it if needed.
func upsertMembership(ctx context.Context, tx *Tx, networkID, memberID int64, status string, organizer bool) error {
	var exists int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM members WHERE id = ? AND erased = 0`, memberID).Scan(&exists); err != nil {
		return storeErr("find member", err)
	} else if exists == 0 {
		return natverk.Errorf(natverk.ENOTFOUND, "Member %d not found.", memberID)
	}
	now := fmtTime(tx.now)
	_, err := tx.ExecContext(ctx, `INSERT INTO memberships (network_id, member_id, status, organizer, invited_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (network_id, member_id) DO UPDATE SET status = excluded.status, organizer = max(organizer, excluded.organizer), updated_at = excluded.updated_at`,
		networkID, memberID, status, boolInt(organizer), now, now)
	return storeErr("upsert membership", err)
}

// FindNetworkByID returns a network.
func (db *DB) FindNetworkByID(ctx context.Context, id int64) (*natverk.Network, error) {
	return findNetwork(ctx, db.r, "id = ?", id)
}

// FindNetworkBySlug returns a network.
func (db *DB) FindNetworkBySlug(ctx context.Context, slug string) (*natverk.Network, error) {
	return findNetwork(ctx, db.r, "slug = ?", slug)
}

// FindNetworks lists networks.
func (db *DB) FindNetworks(ctx context.Context, f natverk.NetworkFilter) ([]*natverk.Network, int, error) {
	if f.Limit <= 0 || f.Limit > natverk.MaxPageSize {
		f.Limit = 100
	}
	where, args := []string{"1 = 1"}, []any{}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.OrganizerID != 0 {
		where, args = append(where, "id IN (SELECT network_id FROM memberships WHERE member_id = ? AND organizer = 1)"), append(args, f.OrganizerID)
	}
	if f.MemberID != 0 {
		where, args = append(where, "id IN (SELECT network_id FROM memberships WHERE member_id = ? AND status IN (?, ?))"),
			append(args, f.MemberID, natverk.StatusInvited, natverk.StatusJoined)
	}
	w := strings.Join(where, " AND ")
	var total int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM networks WHERE `+w, args...).Scan(&total); err != nil {
		return nil, 0, storeErr("count networks", err)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT id FROM networks WHERE `+w+` ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, storeErr("find networks", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, 0, storeErr("scan network", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	out := make([]*natverk.Network, 0, len(ids))
	for _, id := range ids {
		n, err := db.FindNetworkByID(ctx, id)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, n)
	}
	return out, total, nil
}

// UpdateNetwork applies an update.
func (db *DB) UpdateNetwork(ctx context.Context, id int64, u natverk.NetworkUpdate, newFeedToken string) (*natverk.Network, error) {
	var out *natverk.Network
	err := db.write(ctx, func(tx *Tx) error {
		n, err := findNetwork(ctx, tx, "id = ?", id)
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
		if _, err := tx.ExecContext(ctx, `UPDATE networks SET name = ?, description = ?, have = ?, need = ?, feed_visibility = ?, feed_token = ?, contact_name = ?, contact_email = ?, updated_at = ? WHERE id = ?`,
			in.Name, in.Description, in.Have, in.Need, in.FeedVisibility, n.FeedToken, in.ContactName, in.ContactEmail, fmtTime(tx.now), id); err != nil {
			return storeErr("update network", err)
		}
		out, err = findNetwork(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		return tx.emit(ctx, natverk.NetworkEvent(events.NetworkUpdated, out, tx.now, changed...))
	})
	return out, err
}

// CloseNetwork closes a network and cancels its series.
func (db *DB) CloseNetwork(ctx context.Context, id int64, note string) (*natverk.Network, error) {
	var out *natverk.Network
	err := db.write(ctx, func(tx *Tx) error {
		n, err := findNetwork(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		if n.Status == natverk.NetworkClosed {
			out = n
			return nil
		}
		now := fmtTime(tx.now)
		if _, err := tx.ExecContext(ctx, `UPDATE networks SET status = ?, closed_at = ?, updated_at = ? WHERE id = ?`, natverk.NetworkClosed, now, now, id); err != nil {
			return storeErr("close network", err)
		}
		series, err := findSeries(ctx, tx, "network_id = ? AND status = ?", id, natverk.SeriesActive)
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
			if _, err := tx.ExecContext(ctx, `UPDATE series SET status = ?, sequence = ?, updated_at = ? WHERE id = ?`, s.Status, s.Sequence, now, s.ID); err != nil {
				return storeErr("cancel series", err)
			}
			s.UpdatedAt = tx.now
			evs := []events.Envelope{natverk.MeetingEvent(events.MeetingEnded, s, tx.now, true)}
			for _, mid := range recipients {
				evs = append(evs, natverk.MailEvent(natverk.MailNetworkClosed, id, s.ID, mid, nil, s.Sequence, note, tx.now))
			}
			if err := tx.emit(ctx, evs...); err != nil {
				return err
			}
		}
		out, err = findNetwork(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		return tx.emit(ctx, natverk.NetworkEvent(events.NetworkClosed, out, tx.now))
	})
	return out, err
}

// invitees returns the members who receive the network's mail: the
// continuity rule (natverk.InvitedStatuses). Bouncing addresses are
// included: the mailer skips them at send time and records why.
func invitees(ctx context.Context, tx *Tx, networkID int64) ([]int64, error) {
	st := natverk.InvitedStatuses
	args := []any{networkID}
	for _, s := range st {
		args = append(args, s)
	}
	rows, err := tx.QueryContext(ctx, `SELECT ms.member_id FROM memberships ms JOIN members m ON m.id = ms.member_id
		WHERE ms.network_id = ? AND ms.status IN (`+placeholders(len(st))+`) AND m.erased = 0 ORDER BY ms.member_id`, args...)
	if err != nil {
		return nil, storeErr("find invitees", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, storeErr("scan invitee", err)
		}
		out = append(out, id)
	}
	return out, storeErr("find invitees", rows.Err())
}
