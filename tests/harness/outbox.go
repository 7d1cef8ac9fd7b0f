package harness

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// OutboxRow is one row of the Postgres outbox.
type OutboxRow struct {
	Seq       int64
	EventID   string
	Type      string
	NetworkID int64
	Published bool
}

// ReadOutbox reads the whole outbox in seq order (the relay's publishing
// order) from the Postgres store at dsn.
func ReadOutbox(ctx context.Context, dsn string) ([]OutboxRow, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT seq, event_id, type, network_id, published_at IS NOT NULL FROM outbox ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("harness: read outbox: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (OutboxRow, error) {
		var o OutboxRow
		err := r.Scan(&o.Seq, &o.EventID, &o.Type, &o.NetworkID, &o.Published)
		return o, err
	})
	if err != nil {
		return nil, fmt.Errorf("harness: read outbox: %w", err)
	}
	return out, nil
}

// QueryInt runs a query returning one integer (a count, say).
func QueryInt(ctx context.Context, dsn, sql string, args ...any) (int64, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, fmt.Errorf("harness: %w", err)
	}
	defer conn.Close(ctx)
	var n int64
	if err := conn.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("harness: %s: %w", sql, err)
	}
	return n, nil
}

// CheckPublished compares the outbox with the stream. once reports
// outbox events missing from the stream or in it more than once, and
// events in the stream that the outbox does not hold; order reports the
// networks whose events are in the stream in another order than in the
// outbox.
func CheckPublished(outbox []OutboxRow, stream []StreamEvent) (once, order error) {
	var errs, orderErrs []string
	inStream := map[string]int{}
	perNet := map[int64][]string{}
	for _, m := range Events(stream, "") {
		inStream[m.Event.ID]++
		perNet[m.Event.NetworkID] = append(perNet[m.Event.NetworkID], m.Event.ID)
	}
	wantNet := map[int64][]string{}
	known := map[string]bool{}
	missing, twice := 0, 0
	for _, o := range outbox {
		known[o.EventID] = true
		wantNet[o.NetworkID] = append(wantNet[o.NetworkID], o.EventID)
		switch inStream[o.EventID] {
		case 0:
			missing++
			if missing <= 3 {
				errs = append(errs, fmt.Sprintf("outbox event %d %s (%s) is not in the stream", o.Seq, o.EventID, o.Type))
			}
		case 1:
		default:
			twice++
			if twice <= 3 {
				errs = append(errs, fmt.Sprintf("outbox event %d %s (%s) is in the stream %d times", o.Seq, o.EventID, o.Type, inStream[o.EventID]))
			}
		}
	}
	strays := 0
	for id := range inStream {
		if !known[id] {
			strays++
		}
	}
	if strays > 0 {
		errs = append(errs, fmt.Sprintf("%d events in the stream are not in the outbox", strays))
	}
	if missing > 0 || twice > 0 {
		errs = append(errs, fmt.Sprintf("in all: %d of %d outbox events missing, %d more than once", missing, len(outbox), twice))
	}
	for _, net := range slices.Sorted(maps.Keys(wantNet)) {
		got, want := perNet[net], wantNet[net]
		if slices.Equal(got, want) {
			continue
		}
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				orderErrs = append(orderErrs, fmt.Sprintf("network %d: the stream's event %d is %s, the outbox's %s", net, i, got[i], want[i]))
				break
			}
		}
	}
	if len(errs) > 0 {
		once = fmt.Errorf("harness: outbox vs stream: %s", strings.Join(errs, "; "))
	}
	if len(orderErrs) > 0 {
		order = fmt.Errorf("harness: stream order differs from outbox order: %s", strings.Join(orderErrs, "; "))
	}
	return once, order
}
