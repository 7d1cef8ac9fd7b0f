package inbound

import (
	"context"
	"fmt"
	"time"

	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/token"
)

// unsubscribe handles mail to the List-Unsubscribe mailto address
// (RFC 2369, links.Builder.UnsubscribeMailto): the token names the member
// and the network, and must carry the member's current token epoch. The
// member stops receiving the network's invitations, exactly as with the
// unsubscribe page.
func (p *Processor) unsubscribe(ctx context.Context, tok string, now time.Time) (outcome, error) {
	c, err := p.Links.Signer.Verify(tok, token.Unsubscribe, now)
	if err != nil {
		return refused("the unsubscribe address carries a token that does not verify: "+err.Error(), 0, 0), nil
	}
	m, err := p.Store.FindMemberByID(ctx, c.MemberID)
	switch {
	case err != nil && !isAnswer(err):
		return outcome{}, fmt.Errorf("inbound: find member %d: %w", c.MemberID, err)
	case err != nil || m.Erased:
		return refused("the unsubscribe address names a member who is no longer in the register", 0, c.MemberID), nil
	case int64(m.TokenEpoch) != c.Epoch:
		return refused("the unsubscribe address was revoked (the member's links were renewed)", 0, m.ID), nil
	}
	changed, err := p.Store.SetMembership(ctx, c.NetworkID, m.ID, natverk.StatusUnsubscribed, "mailto")
	if err != nil {
		if isAnswer(err) {
			return refused("unsubscribe: "+natverk.ErrorMessage(err), 0, m.ID), nil
		}
		return outcome{}, fmt.Errorf("inbound: unsubscribe member %d from network %d: %w", m.ID, c.NetworkID, err)
	}
	if !changed {
		return outcome{Result: Result{Status: natverk.InboundIgnored, Reason: fmt.Sprintf("already unsubscribed from network %d", c.NetworkID), MemberID: m.ID}}, nil
	}
	return outcome{Result: Result{Status: natverk.InboundApplied, Reason: fmt.Sprintf("unsubscribed from network %d by mail", c.NetworkID), MemberID: m.ID}}, nil
}
