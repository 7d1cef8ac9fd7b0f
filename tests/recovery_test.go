package tests

import (
	"fmt"
	"testing"
	"time"

	"github.com/natverk/natverk/tests/harness"
)

// TestStartDuringNATSRecovery starts a worker process right after a NATS
// cluster node came back (the moment an operator restarts the processes
// of a failed host): it must start, not give up on the stream.
func TestStartDuringNATSRecovery(t *testing.T) {
	ctx := ctxFor(t, 10*time.Minute)
	nodes := harness.StartNATS(t, 3)
	dsn := postgresURL(t)
	dep := harness.NewDeployment(t, map[string]string{
		"DATABASE_URL": pooled(dsn), "NATS_URL": harness.NATSURLs(nodes), "NATVERK_STREAM_REPLICAS": "3",
	})
	dep.Start("api", "api,relay", nil)
	nc, js, err := harness.Connect(harness.NATSURLs(nodes))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	for i := range 4 {
		for j := range 2000 {
			if _, err := js.PublishAsync(fmt.Sprintf("natverk.dlq.load%d", i), []byte(fmt.Sprintf("filler %d", j))); err != nil {
				t.Fatal(err)
			}
		}
		select {
		case <-js.PublishAsyncComplete():
		case <-time.After(30 * time.Second):
			t.Fatal("filler not acknowledged")
		}
		leader := streamLeader(t, ctx, nodes)
		leader.Kill()
		time.Sleep(2 * time.Second)
		leader.Restart(t)
		start := time.Now()
		w := dep.Prepare(fmt.Sprintf("worker%d", i), "mailer", map[string]string{"NATS_URL": leader.URL(), "SMTP_URL": "smtp://127.0.0.1:1?tls=none"})
		if err := w.TryRestart(); err != nil {
			t.Fatalf("round %d: a worker started right after %s came back did not start: %v", i, leader.Name, err)
		}
		t.Logf("round %d: worker ready %s after %s came back", i, time.Since(start).Round(time.Millisecond), leader.Name)
		w.Stop(30 * time.Second)
	}
}
