package natverk

import "time"

// Membership statuses.
const (
	// StatusInvited: invited, has not said yes yet. Keeps being invited.
	StatusInvited = "invited"
	// StatusJoined: said yes to an invitation, or joined via the API.
	StatusJoined = "joined"
	// StatusLeft: left the network; gets nothing more from it.
	StatusLeft = "left"
	// StatusUnsubscribed: stopped invitations from the network.
	StatusUnsubscribed = "unsubscribed"
)

// Membership is a member's relation to a network.
type Membership struct {
	NetworkID int64     `json:"network_id"`
	MemberID  int64     `json:"member_id"`
	Status    string    `json:"status"`
	Organizer bool      `json:"organizer"`
	InvitedAt time.Time `json:"invited_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ReceivesInvitations is the continuity rule, in one place: a member who
// was invited or joined keeps receiving every invitation, update and
// reminder of the network, whatever they answered before and whether or
// not they came. Only leaving or unsubscribing stops it. The stores
// select recipients with InvitedStatuses, which holds the same rule.
func ReceivesInvitations(status string) bool {
	for _, s := range InvitedStatuses {
		if s == status {
			return true
		}
	}
	return false
}

// InvitedStatuses are the membership statuses that receive a network's
// mail (see ReceivesInvitations).
var InvitedStatuses = []string{StatusInvited, StatusJoined}

// Invite skip reasons, reported by an invitation call.
const (
	SkipAlreadyInvited = "already_invited"
	SkipAlreadyMember  = "already_member"
	SkipUnsubscribed   = "unsubscribed"
	SkipLeft           = "left"
	SkipHidden         = "hidden"
	SkipBouncing       = "bouncing"
	SkipUnknown        = "unknown_member"
	SkipErased         = "erased"
)

// InviteRequest says whom to invite to a network: addresses, member ids,
// or a directory search.
type InviteRequest struct {
	Emails    []string      `json:"emails,omitempty"`
	MemberIDs []int64       `json:"member_ids,omitempty"`
	Search    *MemberFilter `json:"-"`
	// DryRun counts without inviting.
	DryRun bool `json:"dry_run,omitempty"`
	// Via records how the invitation was made (api, search, cli).
	Via string `json:"-"`
}

// InviteResult reports an invitation call.
type InviteResult struct {
	Invited int `json:"invited"`
	// Skipped counts members not invited, by reason.
	Skipped map[string]int `json:"skipped"`
	// Unknown lists addresses not in the register.
	Unknown []string `json:"unknown,omitempty"`
	DryRun  bool     `json:"dry_run,omitempty"`
}

// SkipReason returns why a member with the given current membership
// status (or "" for none) is not invited, or "" to invite.
func SkipReason(m *Member, status string, searched bool) string {
	switch {
	case m.Erased:
		return SkipErased
	case m.Bouncing:
		return SkipBouncing
	case searched && m.Hidden:
		return SkipHidden
	}
	switch status {
	case StatusInvited:
		return SkipAlreadyInvited
	case StatusJoined:
		return SkipAlreadyMember
	case StatusUnsubscribed:
		return SkipUnsubscribed
	}
	return ""
}
