package natverk

import (
	"cmp"
	"context"
	"strings"
	"time"

	"github.com/natverk/natverk/calendar"
)

// Choosing the meeting time. Before a new network's first meeting its
// organizer offers two to five weekday-and-time options; every invitee
// gets a mail with a signed link and votes yes, if need be, or no on
// each. The organizer picks one (the best is suggested: most yes, then
// most if-need-be), and the recurring series is created and everyone
// invited to it in the same transaction.

// Poll statuses.
const (
	PollOpen    = "open"
	PollDecided = "decided"
)

// Votes on one option.
const (
	VoteYes      = "yes"
	VoteIfNeedBe = "if_need_be"
	VoteNo       = "no"
)

// ParseVote accepts yes / if_need_be / no, their Swedish forms (ja, om
// det behövs, nej) and a few spellings of "if need be".
func ParseVote(s string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "ja", "y":
		return VoteYes, true
	case "if_need_be", "ifneedbe", "if need be", "if-need-be", "om det behövs", "om_det_behovs", "om-det-behovs", "maybe", "kanske":
		return VoteIfNeedBe, true
	case "no", "nej", "n":
		return VoteNo, true
	}
	return "", false
}

// Poll limits.
const (
	MinPollOptions = 2
	MaxPollOptions = 5
)

// PollOption is one proposed meeting time: the first meeting and its
// rule, as a SeriesInput takes them.
type PollOption struct {
	ID              int64  `json:"id"`
	Start           string `json:"start"`
	TimeZone        string `json:"time_zone,omitempty"`
	DurationMinutes int    `json:"duration_minutes,omitempty"`
	RRule           string `json:"rrule,omitempty"`
	Location        string `json:"location,omitempty"`
}

// SeriesInput returns the series the option proposes.
func (o PollOption) SeriesInput() SeriesInput {
	return SeriesInput{Start: o.Start, TimeZone: o.TimeZone, DurationMinutes: o.DurationMinutes, RRule: o.RRule, Location: o.Location}
}

// Poll asks a network's invitees when to meet.
type Poll struct {
	ID        int64        `json:"id"`
	NetworkID int64        `json:"network_id"`
	Title     string       `json:"title"`
	Status    string       `json:"status"`
	Options   []PollOption `json:"options"`
	CreatedBy int64        `json:"created_by,omitempty"`
	CreatedAt time.Time    `json:"created_at"`
	DecidedAt *time.Time   `json:"decided_at,omitempty"`
	// DecidedOption is the option picked, and SeriesID the series it
	// became.
	DecidedOption int64 `json:"decided_option,omitempty"`
	SeriesID      int64 `json:"series_id,omitempty"`
}

// Option returns the option with the id, or nil.
func (p *Poll) Option(id int64) *PollOption {
	for i := range p.Options {
		if p.Options[i].ID == id {
			return &p.Options[i]
		}
	}
	return nil
}

// PollInput opens a poll.
type PollInput struct {
	// Title is the question the invitees see ("När ska vi ses?");
	// default: the network's name.
	Title   string       `json:"title"`
	Options []PollOption `json:"options"`
}

// Build validates the input for the network: 2–5 options, each valid as
// a SeriesInput (fields are named options[i].start, …) and no two the
// same. It returns the poll to store, its options normalized.
func (in PollInput) Build(n *Network, c Checks) (*Poll, error) {
	var fields []FieldError
	p := &Poll{NetworkID: n.ID, Title: strings.TrimSpace(in.Title), Status: PollOpen}
	if p.Title == "" {
		p.Title = n.Name
	}
	if fe := checkText("title", p.Title, 200, false); fe != nil {
		fields = append(fields, *fe)
	}
	if len(in.Options) < MinPollOptions || len(in.Options) > MaxPollOptions {
		fields = append(fields, FieldError{"options", "offer between 2 and 5 options"})
	}
	seen := map[string]int{}
	for i, o := range in.Options {
		if i >= MaxPollOptions {
			break
		}
		prefix := "options[" + itoa(i) + "]."
		s, err := o.SeriesInput().Build(n, c)
		if err != nil {
			for _, f := range ErrorFields(err) {
				fields = append(fields, FieldError{prefix + f.Field, f.Reason})
			}
			continue
		}
		norm := PollOption{
			Start: s.Start.Format("2006-01-02T15:04"), TimeZone: s.TimeZone, DurationMinutes: s.DurationMinutes(),
			RRule: s.Rule, Location: s.Location,
		}
		key := norm.Start + "|" + norm.TimeZone + "|" + norm.RRule + "|" + itoa(norm.DurationMinutes) + "|" + norm.Location
		if j, dup := seen[key]; dup {
			fields = append(fields, FieldError{prefix + "start", "is the same as option " + itoa(j+1)})
		}
		seen[key] = i
		p.Options = append(p.Options, norm)
	}
	if len(fields) > 0 {
		return nil, Invalid(fields...)
	}
	return p, nil
}

// PollVote is one member's vote on one option.
type PollVote struct {
	PollID   int64     `json:"poll_id"`
	OptionID int64     `json:"option_id"`
	MemberID int64     `json:"member_id"`
	Vote     string    `json:"vote"`
	VotedAt  time.Time `json:"voted_at"`
}

// OptionTally counts one option's votes.
type OptionTally struct {
	OptionID int64 `json:"option_id"`
	Yes      int   `json:"yes"`
	IfNeedBe int   `json:"if_need_be"`
	No       int   `json:"no"`
}

// PollTally counts a poll's votes and suggests an option.
type PollTally struct {
	Options []OptionTally `json:"options"`
	// Voters counts the members who voted on at least one option.
	Voters int `json:"voters"`
	// Suggested is the option with the most yes, then the most if need
	// be, then the one offered first.
	Suggested int64 `json:"suggested"`
}

// Tally counts the votes of a poll.
func Tally(p *Poll, votes []*PollVote) PollTally {
	t := PollTally{Options: make([]OptionTally, len(p.Options))}
	idx := map[int64]int{}
	for i, o := range p.Options {
		t.Options[i].OptionID = o.ID
		idx[o.ID] = i
	}
	voters := map[int64]bool{}
	for _, v := range votes {
		i, ok := idx[v.OptionID]
		if !ok {
			continue
		}
		voters[v.MemberID] = true
		switch v.Vote {
		case VoteYes:
			t.Options[i].Yes++
		case VoteIfNeedBe:
			t.Options[i].IfNeedBe++
		case VoteNo:
			t.Options[i].No++
		}
	}
	t.Voters = len(voters)
	best := -1
	for i, o := range t.Options {
		if best < 0 || cmp.Or(cmp.Compare(o.Yes, t.Options[best].Yes), cmp.Compare(o.IfNeedBe, t.Options[best].IfNeedBe)) > 0 {
			best = i
		}
	}
	if best >= 0 {
		t.Suggested = t.Options[best].OptionID
	}
	return t
}

// CheckVotes validates a member's votes on a poll: every option id is
// the poll's and every vote a known value.
func CheckVotes(p *Poll, votes map[int64]string) error {
	if len(votes) == 0 {
		return Invalid(FieldError{"votes", "vote on at least one option"})
	}
	for id, v := range votes {
		if p.Option(id) == nil {
			return Invalid(FieldError{"votes", "option " + itoa(int(id)) + " is not an option of this poll"})
		}
		if v != VoteYes && v != VoteIfNeedBe && v != VoteNo {
			return Invalid(FieldError{"votes", "a vote is yes, if_need_be or no"})
		}
	}
	return nil
}

// PollStore keeps polls and votes.
type PollStore interface {
	// CreatePoll stores a built poll (its options get ids), writes
	// poll.opened and queues the poll mail to every member who receives
	// the network's invitations. ENOTFOUND for no network; ECONFLICT if
	// the network is closed, already has an active meeting series, or
	// has an open poll.
	CreatePoll(ctx context.Context, p *Poll) (*Poll, error)
	// FindPollByID returns ENOTFOUND if there is no such poll.
	FindPollByID(ctx context.Context, id int64) (*Poll, error)
	// FindPolls lists a network's polls, newest first.
	FindPolls(ctx context.Context, networkID int64) ([]*Poll, error)
	// RecordVotes stores a member's votes (option id → vote), replacing
	// earlier votes on the same options, and writes poll.voted.
	// ECONFLICT if the poll is decided; EFORBIDDEN if the member does not
	// receive the network's invitations; EINVALID for unknown options or
	// votes (CheckVotes).
	RecordVotes(ctx context.Context, pollID, memberID int64, votes map[int64]string, at time.Time) error
	// FindVotes lists a poll's votes.
	FindVotes(ctx context.Context, pollID int64) ([]*PollVote, error)
	// DecidePoll picks the option, stores s (built from it, UID set) as
	// the network's series and invites every member who receives the
	// network's invitations, all in one transaction: poll.decided,
	// meeting.scheduled and one invitation per invitee. ECONFLICT if the
	// poll was decided or the network closed; EINVALID for an option not
	// of the poll.
	DecidePoll(ctx context.Context, pollID, optionID int64, s *Series) (*Poll, *Series, error)
}

// Describe says when and where the option would meet, in Swedish
// (locale "sv") or English: "varje tisdag kl. 18:00–20:00, första gången
// 2 februari 2027, Biblioteket". An option that cannot be read (it was
// validated when the poll opened) is shown as given.
func (o PollOption) Describe(locale string) string {
	sv := locale != LocaleEN
	loc, err := time.LoadLocation(o.TimeZone)
	if err != nil {
		return o.Start
	}
	start, ok := ParseLocal(o.Start, loc)
	if !ok {
		return o.Start
	}
	s := &Series{TimeZone: o.TimeZone, Start: start, Duration: time.Duration(cmp.Or(o.DurationMinutes, 120)) * time.Minute, Rule: o.RRule}
	text := calendar.Describe(s.schedule(), locale)
	if o.RRule != "" {
		first := "first on "
		if sv {
			first = "första gången "
		}
		text += ", " + first + longDate(start, sv)
	}
	if o.Location != "" {
		text += ", " + o.Location
	}
	return text
}

var (
	monthsSV = [12]string{"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december"}
	monthsEN = [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
)

// longDate writes "2 februari 2027" ("2 February 2027").
func longDate(t time.Time, sv bool) string {
	m := monthsEN[t.Month()-1]
	if sv {
		m = monthsSV[t.Month()-1]
	}
	return itoa(t.Day()) + " " + m + " " + itoa(t.Year())
}
