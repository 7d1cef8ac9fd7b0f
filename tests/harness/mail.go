package harness

import (
	"bytes"
	"fmt"
	"net/mail"
	"slices"
	"strings"

	"github.com/natverk/natverk/internal/smtptest"
)

// Delivery is one message a sink accepted, reduced to what the
// exactly-once checks need.
type Delivery struct {
	To        string
	MessageID string
	Subject   string
}

// Deliveries reads the recipient and Message-ID of every message the
// sinks accepted.
func Deliveries(sinks ...*smtptest.Sink) ([]Delivery, error) {
	var out []Delivery
	for _, s := range sinks {
		for _, m := range s.Messages() {
			msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
			if err != nil {
				return nil, fmt.Errorf("harness: a message to %v does not parse: %w", m.To, err)
			}
			for _, to := range m.To {
				out = append(out, Delivery{To: strings.ToLower(to), MessageID: msg.Header.Get("Message-Id"), Subject: msg.Header.Get("Subject")})
			}
		}
	}
	return out, nil
}

// Tally counts deliveries per recipient.
type Tally struct {
	// Total is the number of deliveries.
	Total int
	// Distinct is the number of distinct recipients.
	Distinct int
	// Missing are wanted recipients with no delivery.
	Missing []string
	// Unexpected are recipients nobody wanted.
	Unexpected []string
	// Duplicates maps a recipient delivered more than once to its
	// Message-IDs, one per copy.
	Duplicates map[string][]string
	// MixedIDs lists duplicated recipients whose copies carry different
	// Message-IDs: two different messages, not one message repeated.
	MixedIDs []string
	// NoID counts deliveries without a Message-ID.
	NoID int
}

// Count tallies ds against the recipients that should each get exactly
// one message.
func Count(ds []Delivery, want []string) Tally {
	t := Tally{Total: len(ds), Duplicates: map[string][]string{}}
	by := map[string][]string{}
	for _, d := range ds {
		by[d.To] = append(by[d.To], d.MessageID)
		if d.MessageID == "" {
			t.NoID++
		}
	}
	t.Distinct = len(by)
	wanted := map[string]bool{}
	for _, w := range want {
		w = strings.ToLower(w)
		wanted[w] = true
		if len(by[w]) == 0 {
			t.Missing = append(t.Missing, w)
		}
	}
	for to, ids := range by {
		if !wanted[to] {
			t.Unexpected = append(t.Unexpected, to)
		}
		if len(ids) > 1 {
			t.Duplicates[to] = ids
			if slices.ContainsFunc(ids, func(id string) bool { return id != ids[0] }) {
				t.MixedIDs = append(t.MixedIDs, to)
			}
		}
	}
	slices.Sort(t.Missing)
	slices.Sort(t.Unexpected)
	slices.Sort(t.MixedIDs)
	return t
}

// Extra is the number of copies beyond the first.
func (t Tally) Extra() int { return t.Total - t.Distinct }

// Check returns an error unless every wanted recipient got its message,
// nobody else got one, every copy carries a Message-ID, and there are at
// most maxExtra repeated copies, each with the same Message-ID as the
// first.
func (t Tally) Check(maxExtra int) error {
	var errs []string
	if len(t.Missing) > 0 {
		errs = append(errs, fmt.Sprintf("%d recipients got nothing (first: %v)", len(t.Missing), t.Missing[:min(5, len(t.Missing))]))
	}
	if len(t.Unexpected) > 0 {
		errs = append(errs, fmt.Sprintf("%d unexpected recipients (first: %v)", len(t.Unexpected), t.Unexpected[:min(5, len(t.Unexpected))]))
	}
	if t.NoID > 0 {
		errs = append(errs, fmt.Sprintf("%d messages without a Message-ID", t.NoID))
	}
	if len(t.MixedIDs) > 0 {
		errs = append(errs, fmt.Sprintf("%d recipients got different messages (first: %s %v)", len(t.MixedIDs), t.MixedIDs[0], t.Duplicates[t.MixedIDs[0]]))
	}
	if t.Extra() > maxExtra {
		errs = append(errs, fmt.Sprintf("%d repeated copies, at most %d allowed", t.Extra(), maxExtra))
	}
	if len(errs) > 0 {
		return fmt.Errorf("harness: deliveries: %s", strings.Join(errs, "; "))
	}
	return nil
}

// String summarises the tally.
func (t Tally) String() string {
	return fmt.Sprintf("%d messages to %d recipients (%d repeated copies, %d missing, %d unexpected)", t.Total, t.Distinct, t.Extra(), len(t.Missing), len(t.Unexpected))
}
