package natverk

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"
)

// Roles of API credentials.
const (
	RoleAdmin     = "admin"
	RoleOrganizer = "organizer"
	// RoleMember acts only through signed links (RSVP, unsubscribe).
	RoleMember = "member"
)

// APIToken is an API credential issued to an organizer (the admin token
// comes from configuration). Only its SHA-256 hash is stored.
type APIToken struct {
	ID        int64      `json:"id"`
	Hash      string     `json:"-"`
	Role      string     `json:"role"`
	MemberID  int64      `json:"member_id,omitempty"`
	Label     string     `json:"label,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Actor is who makes a request.
type Actor struct {
	Role string
	// MemberID is the organizer or member acting (0 for the admin).
	MemberID int64
	// Networks lists the networks an organizer organizes.
	Networks []int64
}

// IsAdmin reports whether the actor is the admin.
func (a *Actor) IsAdmin() bool { return a != nil && a.Role == RoleAdmin }

// CanManage reports whether the actor may manage the network.
func (a *Actor) CanManage(networkID int64) bool {
	if a == nil {
		return false
	}
	if a.Role == RoleAdmin {
		return true
	}
	if a.Role != RoleOrganizer {
		return false
	}
	for _, id := range a.Networks {
		if id == networkID {
			return true
		}
	}
	return false
}

type actorKey struct{}

// NewContextWithActor returns ctx carrying the actor.
func NewContextWithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFromContext returns the actor in ctx, or nil.
func ActorFromContext(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey{}).(*Actor)
	return a
}

// NewAPIToken makes a new API credential for a role: the secret to hand
// out once, and the record to store, which holds only its hash.
func NewAPIToken(role string, memberID int64, label string, expires *time.Time) (string, *APIToken) {
	b := make([]byte, 24)
	rand.Read(b)
	secret := "org_" + base64.RawURLEncoding.EncodeToString(b)
	return secret, &APIToken{Hash: HashAPIToken(secret), Role: role, MemberID: memberID, Label: label, ExpiresAt: expires}
}

// HashAPIToken returns the stored form of an API token: hex SHA-256.
func HashAPIToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
