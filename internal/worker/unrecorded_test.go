package worker_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/smtptest"
	"github.com/natverk/natverk/internal/sqlite"
)

// refusingRecords is the real store, except that recording a finished
// send fails while refuse is set (a full disk).
type refusingRecords struct {
	*sqlite.DB
	refuse atomic.Bool
}

func (s *refusingRecords) CompleteMail(ctx context.Context, key, status string, bounce bool, detail string, code int, at time.Time) error {
	if s.refuse.Load() {
		return errors.New("injected: database or disk is full")
	}
	return s.DB.CompleteMail(ctx, key, status, bounce, detail, code, at)
}

// TestUnrecordedSendHoldsNewSends: when the store refuses to record a
// sent message, the mailer claims nothing new until the record is
// written, and writes it once the store accepts writes again, so the
// message is not sent twice.
func TestUnrecordedSendHoldsNewSends(t *testing.T) {
	f := newFixture(t, smtptest.Faults{})
	store := &refusingRecords{DB: f.store}
	f.w.Store = store
	evs, _ := f.store.PendingOutbox(context.Background(), 1000)
	var invited []events.Envelope
	for _, e := range evs {
		if e.Event.Type == events.MemberInvited {
			invited = append(invited, e.Event)
		}
	}
	if len(invited) != 3 {
		t.Fatalf("%d invitations queued", len(invited))
	}
	ctx := context.Background()
	store.refuse.Store(true)
	if err := f.w.Handle(ctx, invited[0]); err == nil {
		t.Fatal("the send's record was refused, but Handle reported success")
	}
	f.sink.WaitFor(t, 1, 10*time.Second)
	// While the record waits, no other message is sent.
	if err := f.w.Handle(ctx, invited[1]); err == nil {
		t.Fatal("a new message was handled while a sent one was unrecorded")
	}
	time.Sleep(100 * time.Millisecond)
	if got := f.sink.Count(); got != 1 {
		t.Fatalf("%d messages sent while the store refused records, want 1", got)
	}
	// The store recovers: the held record is written first, the
	// redelivered first invitation is recognised as sent, the others go.
	store.refuse.Store(false)
	for _, e := range invited {
		if err := f.w.Handle(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	f.sink.WaitFor(t, 3, 10*time.Second)
	time.Sleep(100 * time.Millisecond)
	if got := f.sink.Count(); got != 3 {
		t.Fatalf("%d messages for 3 invitations, want 3 (the unrecorded one must not be sent again)", got)
	}
	mails, err := f.store.FindMail(ctx, natverk.MailFilter{NetworkID: f.net.ID})
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	for _, m := range mails {
		if m.Status == natverk.MailSent {
			sent++
		}
	}
	if sent != 3 {
		t.Fatalf("%d of 3 invitations recorded as sent", sent)
	}
}
