package natverk

import (
	"net/url"
	"strings"
	"time"
)

// Network kinds.
const (
	KindGeographic   = "geographic"
	KindProfessional = "professional"
	KindInterest     = "interest"
	KindTemporary    = "temporary"
)

// Network statuses.
const (
	NetworkActive = "active"
	NetworkClosed = "closed"
)

// Feed visibilities.
const (
	FeedPublic  = "public"
	FeedPrivate = "private"
)

// DefaultTimeZone is the zone of a network that names none.
const DefaultTimeZone = "Europe/Stockholm"

// Network is a group of members that meets regularly.
type Network struct {
	ID   int64  `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Description says what the network is.
	Description string `json:"description,omitempty"`
	// Have and Need: what the network has to offer and what it looks for.
	Have string `json:"have,omitempty"`
	Need string `json:"need,omitempty"`
	// TimeZone is the IANA zone its meetings are held in.
	TimeZone string `json:"time_zone"`
	// FeedVisibility is public (feed and page open to all) or private
	// (feed behind FeedToken).
	FeedVisibility string `json:"feed_visibility"`
	// FeedToken is the unguessable path element of a private feed; it can
	// be rotated.
	FeedToken string `json:"-"`
	Status    string `json:"status"`
	// ContactName and ContactEmail are the human organizer's, used as
	// Reply-To.
	ContactName  string     `json:"contact_name,omitempty"`
	ContactEmail string     `json:"contact_email,omitempty"`
	Organizers   []int64    `json:"organizers,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
}

// NetworkInput creates a network.
type NetworkInput struct {
	Name           string  `json:"name"`
	Slug           string  `json:"slug,omitempty"`
	Kind           string  `json:"kind"`
	Description    string  `json:"description,omitempty"`
	Have           string  `json:"have,omitempty"`
	Need           string  `json:"need,omitempty"`
	TimeZone       string  `json:"time_zone,omitempty"`
	FeedVisibility string  `json:"feed_visibility,omitempty"`
	ContactName    string  `json:"contact_name,omitempty"`
	ContactEmail   string  `json:"contact_email,omitempty"`
	Organizers     []int64 `json:"organizers,omitempty"`
}

// Normalize validates the input and fills defaults. checkZone validates
// the time zone (the calendar package's check).
func (in NetworkInput) Normalize(checkZone func(string) error) (NetworkInput, error) {
	var fields []FieldError
	in.Name = strings.TrimSpace(in.Name)
	in.Description = normalizeNewlines(strings.TrimSpace(in.Description))
	in.Have = normalizeNewlines(strings.TrimSpace(in.Have))
	in.Need = normalizeNewlines(strings.TrimSpace(in.Need))
	if in.Name == "" {
		fields = append(fields, FieldError{"name", "is required"})
	}
	for _, f := range []struct {
		name, v string
		max     int
		multi   bool
	}{{"name", in.Name, 120, false}, {"description", in.Description, 5000, true}, {"have", in.Have, 2000, true}, {"need", in.Need, 2000, true}, {"contact_name", in.ContactName, 200, false}} {
		if fe := checkText(f.name, f.v, f.max, f.multi); fe != nil {
			fields = append(fields, *fe)
		}
	}
	if in.Slug == "" {
		in.Slug = Slugify(in.Name)
	} else if in.Slug != Slugify(in.Slug) {
		fields = append(fields, FieldError{"slug", "may hold only lower-case letters a-z, digits and dashes"})
	}
	if in.Slug == "" && in.Name != "" {
		fields = append(fields, FieldError{"name", "needs at least one letter or digit"})
	}
	switch in.Kind {
	case "":
		in.Kind = KindInterest
	case KindGeographic, KindProfessional, KindInterest, KindTemporary:
	default:
		fields = append(fields, FieldError{"kind", "must be geographic, professional, interest or temporary"})
	}
	if in.TimeZone == "" {
		in.TimeZone = DefaultTimeZone
	} else if err := checkZone(in.TimeZone); err != nil {
		fields = append(fields, FieldError{"time_zone", "is not a time zone of the tz database"})
	}
	switch in.FeedVisibility {
	case "":
		in.FeedVisibility = FeedPublic
	case FeedPublic, FeedPrivate:
	default:
		fields = append(fields, FieldError{"feed_visibility", "must be public or private"})
	}
	if in.ContactEmail != "" {
		e, err := NormalizeEmail(in.ContactEmail)
		if err != nil {
			fields = append(fields, FieldError{"contact_email", "is not a valid address"})
		}
		in.ContactEmail = e
	}
	if len(fields) > 0 {
		return in, Invalid(fields...)
	}
	return in, nil
}

// NetworkUpdate changes a network. Nil fields are left alone.
type NetworkUpdate struct {
	Name           *string `json:"name,omitempty"`
	Description    *string `json:"description,omitempty"`
	Have           *string `json:"have,omitempty"`
	Need           *string `json:"need,omitempty"`
	FeedVisibility *string `json:"feed_visibility,omitempty"`
	ContactName    *string `json:"contact_name,omitempty"`
	ContactEmail   *string `json:"contact_email,omitempty"`
	// RotateFeedToken issues a new private feed token; the old one stops
	// working.
	RotateFeedToken bool `json:"rotate_feed_token,omitempty"`
}

// NetworkFilter selects networks.
type NetworkFilter struct {
	Status string
	// OrganizerID restricts to networks the member organizes.
	OrganizerID int64
	// MemberID restricts to networks the member belongs to (invited or
	// joined).
	MemberID int64
	Offset   int
	Limit    int
}

// ValidHTTPURL reports whether s is an absolute http(s) URL without
// spaces or control characters.
func ValidHTTPURL(s string) bool {
	if s == "" || len(s) > 2000 || strings.ContainsAny(s, " \t\r\n<>\"") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
