package inbound_test

import (
	"strings"
	"testing"

	"github.com/natverk/natverk/internal/natverk"
)

// FuzzProcess feeds random bytes and mutations of real replies to the
// processor: it must never panic, and every message must end stored with
// an outcome (or be recognised as a duplicate of one stored before).
func FuzzProcess(f *testing.F) {
	e := newEnv(f, 2)
	fw := &forwards{}
	e.proc.Forward = fw.forward
	m := e.members[0]
	to := e.links.ReplyAddress(m.ID, e.series.ID)
	for _, fixture := range []string{"google.reply", "google.counter", "outlookmac.reply", "exchange.reply", "apple.reply", "thunderbird.reply"} {
		for _, occ := range []int{-1, 2} {
			raw, _ := render(f, fixture, e.reply(e.series, m, occ, "ACCEPTED"))
			f.Add(raw)
		}
	}
	for _, fixture := range []string{"outofoffice", "human", "forwarded.invite"} {
		d := e.reply(e.series, m, -1, "")
		d.MessageID = fixture + "@example.org"
		raw, _ := render(f, fixture, d)
		f.Add(raw)
	}
	f.Add([]byte(panicking))
	f.Add(nested(12))
	f.Add(wide(55))
	f.Add(garbage(300))
	f.Add([]byte{})
	valid := map[string]bool{natverk.InboundApplied: true, natverk.InboundIgnored: true, natverk.InboundRefused: true,
		natverk.InboundReview: true, natverk.InboundFailed: true, natverk.InboundOther: true}
	f.Fuzz(func(t *testing.T, raw []byte) {
		e.saved.mu.Lock()
		before := len(e.saved.byID)
		e.saved.mu.Unlock()
		res, err := e.proc.Process(ctxT(t), m.Email, []string{to}, raw)
		if err != nil {
			t.Fatalf("process (the store is up): %v", err)
		}
		if !valid[res.Status] {
			t.Fatalf("status %q", res.Status)
		}
		e.saved.mu.Lock()
		after := len(e.saved.byID)
		e.saved.mu.Unlock()
		if after != before+1 && !strings.HasPrefix(res.Reason, "duplicate") {
			t.Fatalf("%s (%s) but nothing was stored", res.Status, res.Reason)
		}
	})
}
