package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// network is a network the bench created, with its one series.
type network struct {
	ID       int64
	Slug     string
	Feed     struct{ HTTPS string }
	Meetings []struct{ ID int64 }
}

func (n *network) seriesID() int64 { return n.Meetings[0].ID }

// createNetwork creates a network with a weekly Tuesday meeting at 18:00
// in Stockholm: count meetings from the first Tuesday after from.
func createNetwork(ctx context.Context, svc *service, name string, from time.Time, count int) (*network, error) {
	first := nextTuesday(from)
	body, _ := json.Marshal(map[string]any{
		"name": name, "kind": "geographic",
		"description": "Nätverk för chefer och specialister som vill träffas regelbundet, utbyta erfarenheter och hjälpa varandra framåt.",
		"have":        "En lokal vid Järntorget, fika och en projektor.",
		"need":        "Talare till höstens träffar och någon som vill hålla i anmälningarna.",
		"meeting": map[string]any{
			"summary": name + ": månadsträff", "start": first.Format("2006-01-02") + "T18:00", "time_zone": "Europe/Stockholm",
			"duration_minutes": 120, "rrule": fmt.Sprintf("FREQ=WEEKLY;BYDAY=TU;COUNT=%d", count),
			"location": "Järntorget 1, 413 04 Göteborg",
		},
	})
	var n network
	if err := svc.api(ctx, "POST", "/api/v1/networks", "application/json", body, 201, &n); err != nil {
		return nil, err
	}
	if len(n.Meetings) != 1 {
		return nil, fmt.Errorf("network %s has %d meetings, want 1", name, len(n.Meetings))
	}
	return &n, nil
}

// nextTuesday returns the first Tuesday after t (a date).
func nextTuesday(t time.Time) time.Time {
	d := t.AddDate(0, 0, 1)
	for d.Weekday() != time.Tuesday {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// invite invites the members by address and checks that all were.
func invite(ctx context.Context, svc *service, networkID int64, ps []person) error {
	emails := make([]string, len(ps))
	for i, p := range ps {
		emails[i] = p.Email
	}
	body, _ := json.Marshal(map[string]any{"emails": emails})
	var res struct {
		Invited int
		Skipped map[string]int
		Unknown []string
	}
	if err := svc.api(ctx, "POST", fmt.Sprintf("/api/v1/networks/%d/invitations", networkID), "application/json", body, 202, &res); err != nil {
		return err
	}
	if res.Invited != len(ps) {
		return fmt.Errorf("invited %d of %d (skipped %v, unknown %d)", res.Invited, len(ps), res.Skipped, len(res.Unknown))
	}
	return nil
}
