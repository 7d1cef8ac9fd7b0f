package natverk

import (
	"net/mail"
	"strings"
	"time"
)

// Member is a person in the association's member register.
type Member struct {
	ID       int64  `json:"id"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Town     string `json:"town,omitempty"`
	Industry string `json:"industry,omitempty"`
	Company  string `json:"company,omitempty"`
	Title    string `json:"title,omitempty"`
	// Locale is "sv" (default) or "en": the language of mails and pages.
	Locale string `json:"locale"`
	// Hidden members appear in no directory search or count except for
	// themselves and the admin.
	Hidden bool `json:"hidden"`
	// Bouncing is set when mail to the address failed permanently; sending
	// pauses until the address is changed or the flag cleared.
	Bouncing     bool   `json:"bouncing"`
	BounceReason string `json:"bounce_reason,omitempty"`
	// TokenEpoch is raised to revoke every link token issued to the member.
	TokenEpoch int `json:"-"`
	// Erased is set when the member's personal data was erased on request.
	Erased    bool      `json:"erased,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Supported locales.
const (
	LocaleSV = "sv"
	LocaleEN = "en"
)

// MemberInput is one row of the member register, as imported.
type MemberInput struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Town     string `json:"town,omitempty"`
	Industry string `json:"industry,omitempty"`
	Company  string `json:"company,omitempty"`
	Title    string `json:"title,omitempty"`
	Locale   string `json:"locale,omitempty"`
}

// NormalizeEmail validates a bare email address and returns it with the
// domain lower-cased and surrounding space trimmed. Display names, CR/LF
// and other header tricks are refused.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", Invalid(FieldError{"email", "is required"})
	}
	if len(s) > 254 || strings.ContainsAny(s, "\r\n<>\"(),;: \t") {
		return "", Invalid(FieldError{"email", "is not a valid address"})
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", Invalid(FieldError{"email", "is not a valid address"})
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], strings.ToLower(s[at+1:])
	if local == "" || !strings.Contains(domain, ".") && domain != "localhost" {
		return "", Invalid(FieldError{"email", "is not a valid address"})
	}
	return local + "@" + domain, nil
}

// EmailKey is the case-insensitive identity of an address: members are
// upserted by it.
func EmailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// Normalize validates the row and returns it cleaned: trimmed fields,
// normalized email, a supported locale.
func (in MemberInput) Normalize() (MemberInput, error) {
	var fields []FieldError
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		fields = append(fields, ErrorFields(err)...)
	}
	out := MemberInput{
		Email:    email,
		Name:     strings.TrimSpace(in.Name),
		Town:     strings.TrimSpace(in.Town),
		Industry: strings.TrimSpace(in.Industry),
		Company:  strings.TrimSpace(in.Company),
		Title:    strings.TrimSpace(in.Title),
		Locale:   strings.ToLower(strings.TrimSpace(in.Locale)),
	}
	if out.Name == "" {
		fields = append(fields, FieldError{"name", "is required"})
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"name", out.Name, 200}, {"town", out.Town, 100}, {"industry", out.Industry, 100}, {"company", out.Company, 200}, {"title", out.Title, 200}} {
		if fe := checkText(f.name, f.v, f.max, false); fe != nil {
			fields = append(fields, *fe)
		}
	}
	switch out.Locale {
	case "":
		out.Locale = LocaleSV
	case LocaleSV, LocaleEN:
	case "sv-se", "sv_se":
		out.Locale = LocaleSV
	case "en-gb", "en-us", "en_gb", "en_us":
		out.Locale = LocaleEN
	default:
		fields = append(fields, FieldError{"locale", "must be sv or en"})
	}
	if len(fields) > 0 {
		return MemberInput{}, Invalid(fields...)
	}
	return out, nil
}

// SearchText is the folded text a member is found by: name, town,
// industry and company.
func (in MemberInput) SearchText() string {
	return strings.Join(Words(in.Name+" "+in.Town+" "+in.Industry+" "+in.Company), " ")
}

// SortKey is the folded name members are listed by, so every store
// sorts them alike ("Åsa" with the a's).
func (in MemberInput) SortKey() string { return Fold(in.Name) }

// SameAs reports whether the stored member already has exactly the row's
// data (an import then counts it as unchanged).
func (m *Member) SameAs(in MemberInput) bool {
	return m.Email == in.Email && m.Name == in.Name && m.Town == in.Town && m.Industry == in.Industry &&
		m.Company == in.Company && m.Title == in.Title && m.Locale == in.Locale
}

// ImportResult reports what an import did.
type ImportResult struct {
	Created   int           `json:"created"`
	Updated   int           `json:"updated"`
	Unchanged int           `json:"unchanged"`
	Rejected  []RejectedRow `json:"rejected"`
	// UnknownColumns lists CSV columns that were ignored.
	UnknownColumns []string `json:"unknown_columns,omitempty"`
}

// RejectedRow is one input row an import refused, with its 1-based row
// number (the header is row 1 in a CSV file) and the reason.
type RejectedRow struct {
	Row    int    `json:"row"`
	Email  string `json:"email,omitempty"`
	Reason string `json:"reason"`
}

// ImportRow is a validated row with its source row number.
type ImportRow struct {
	Row int
	MemberInput
}

// MemberFilter selects members in the directory.
type MemberFilter struct {
	// Q is free text over name, town, industry and company: every word
	// must match the start of a word (case- and diacritic-insensitive).
	Q        string
	Town     string
	Industry string
	Company  string
	// IDs restricts to these members.
	IDs []int64
	// IncludeHidden includes members hidden from the directory (admin only).
	IncludeHidden bool
	// Viewer is a member who may see themself even when hidden.
	Viewer int64
	Offset int
	Limit  int
}

// MaxPageSize caps Limit on every listing.
const MaxPageSize = 500

// Normalize clamps paging and folds the filter values.
func (f MemberFilter) Normalize() MemberFilter {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > MaxPageSize {
		f.Limit = MaxPageSize
	}
	if f.Offset < 0 {
		f.Offset = 0
	}
	f.Town, f.Industry, f.Company = strings.Join(Words(f.Town), " "), strings.Join(Words(f.Industry), " "), strings.Join(Words(f.Company), " ")
	return f
}

// QueryWords returns the folded words of Q, capped at 8.
func (f MemberFilter) QueryWords() []string {
	w := Words(f.Q)
	if len(w) > 8 {
		w = w[:8]
	}
	return w
}

// MemberUpdate changes a member. Nil fields are left alone.
type MemberUpdate struct {
	Email    *string `json:"email,omitempty"`
	Name     *string `json:"name,omitempty"`
	Town     *string `json:"town,omitempty"`
	Industry *string `json:"industry,omitempty"`
	Company  *string `json:"company,omitempty"`
	Title    *string `json:"title,omitempty"`
	Locale   *string `json:"locale,omitempty"`
	Hidden   *bool   `json:"hidden,omitempty"`
	// ClearBounce clears the bouncing flag.
	ClearBounce bool `json:"clear_bounce,omitempty"`
}

// Apply returns in with the update applied, validated.
func (u MemberUpdate) Apply(m *Member) (MemberInput, error) {
	in := MemberInput{Email: m.Email, Name: m.Name, Town: m.Town, Industry: m.Industry, Company: m.Company, Title: m.Title, Locale: m.Locale}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&in.Email, u.Email)
	set(&in.Name, u.Name)
	set(&in.Town, u.Town)
	set(&in.Industry, u.Industry)
	set(&in.Company, u.Company)
	set(&in.Title, u.Title)
	set(&in.Locale, u.Locale)
	return in.Normalize()
}
