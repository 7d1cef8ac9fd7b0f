package tests

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/tests/harness"
)

// TestRelayOrderAcrossLeaderChanges checks the relay's promise
// (docs/EVENTS.md, "Ordering") when the stream's leader changes while a
// fan-out is being published: in even rounds the leader steps down every
// 150 ms, up to 20 times (as in a rolling upgrade), in odd ones the node
// the relay is connected to, the leader, is killed. Every committed event
// must be in the stream exactly once; the per-network order is reported,
// since a publish lost at the old leader may be overtaken by the ones
// after it that the new leader stored.
func TestRelayOrderAcrossLeaderChanges(t *testing.T) {
	ctx := ctxFor(t, 10*time.Minute)
	nodes := harness.StartNATS(t, 3)
	dsn := postgresURL(t)
	dep := harness.NewDeployment(t, map[string]string{
		"DATABASE_URL": pooled(dsn), "NATS_URL": harness.NATSURLs(nodes), "NATVERK_STREAM_REPLICAS": "3",
	})
	admin := dep.Start("admin", "api", nil).Client()
	nc, _, err := harness.Connect(harness.NATSURLs(nodes))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	const rounds = 4
	n := size(4000, 5000)
	var csv strings.Builder
	for round := range rounds {
		reg := harness.Members(fmt.Sprintf("order%d", round), fmt.Sprintf("Ort%d", round), n)
		if round > 0 {
			_, reg.CSV, _ = strings.Cut(reg.CSV, "\n")
		}
		csv.WriteString(reg.CSV)
	}
	if r, err := admin.ImportMembers(ctx, csv.String()); err != nil || r.Created != rounds*n {
		t.Fatalf("import: %+v %v", r, err)
	}
	for round := range rounds {
		leader := streamLeader(t, ctx, nodes)
		// The relay connects to the leader only (it learns the other
		// nodes from it, for the reconnect).
		relay := dep.Start(fmt.Sprintf("relay%d", round), "api,relay", map[string]string{"NATS_URL": leader.URL()})
		id, err := admin.CreateNetwork(ctx, fmt.Sprintf("Ordning %d", round))
		if err != nil {
			t.Fatal(err)
		}
		waitPublished(t, dsn, 0)
		var invited atomic.Bool
		stepdowns := make(chan int, 1)
		if round%2 == 0 {
			go func() {
				i := 0
				defer func() { stepdowns <- i }()
				for ; i < 20; i++ {
					left, err := harness.QueryInt(ctx, dsn, `SELECT count(*) FROM outbox WHERE published_at IS NULL`)
					if err != nil || (invited.Load() && left == 0) {
						return
					}
					nc.Request("$JS.API.STREAM.LEADER.STEPDOWN."+events.DefaultStream, nil, 2*time.Second)
					time.Sleep(150 * time.Millisecond)
				}
			}()
		}
		if r, err := admin.InviteTown(ctx, id, fmt.Sprintf("ort%d", round)); err != nil || r.Invited != n {
			t.Fatalf("invite: %+v %v", r, err)
		}
		invited.Store(true)
		if round%2 == 0 {
			t.Logf("round %d: %d leader step-downs while %d events were published", round, <-stepdowns, n)
		} else {
			waitUntil(t, time.Minute, 5*time.Millisecond, "a fifth published", func() (bool, string) {
				left, err := harness.QueryInt(ctx, dsn, `SELECT count(*) FROM outbox WHERE published_at IS NULL`)
				return err == nil && left <= int64(4*n/5), fmt.Sprint(left, " left")
			})
			leader.Kill()
			left, _ := harness.QueryInt(ctx, dsn, `SELECT count(*) FROM outbox WHERE published_at IS NULL`)
			t.Logf("round %d: killed %s (stream leader, the relay's server) with %d of %d events unpublished", round, leader.Name, left, n)
			leader.Restart(t)
		}
		waitPublished(t, dsn, 0)
		relay.Stop(30 * time.Second)
	}
	// Exactly once, in any order: a leader change may reorder a batch
	// (docs/EVENTS.md, Ordering).
	checkOutbox(t, ctx, dsn, nodes, true)
}

// waitPublished waits until at most left outbox events are unpublished.
func waitPublished(t *testing.T, dsn string, left int64) {
	t.Helper()
	waitUntil(t, 3*time.Minute, 50*time.Millisecond, "outbox published", func() (bool, string) {
		n, err := harness.QueryInt(ctxFor(t, time.Minute), dsn, `SELECT count(*) FROM outbox WHERE published_at IS NULL`)
		return err == nil && n <= left, fmt.Sprint(n, " unpublished ", err)
	})
}
