package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/token"
)

// The vote page: GET /vote/{token} shows the poll's options with the
// member's votes; POST records the votes pressed (CSRF-checked, like the
// RSVP page). The token is a token.Vote signed for the member, naming
// the network and, in its SeriesID claim, the poll.

// votePage is the data of the vote page.
type votePage struct {
	Lang, Title string
	Network     *natverk.Network
	Poll        *natverk.Poll
	Options     []voteOption
	Open        bool
	Saved       bool
	Decided     string
	Error       string
	Action      string
	CSRF        string
	// Choices are the values of each option's radio buttons.
	Choices []string
}

// voteOption is one option with the member's vote.
type voteOption struct {
	Field, Label, When, Vote string
}

// voteChoices are the values a vote takes, in the order shown.
var voteChoices = []string{natverk.VoteYes, natverk.VoteIfNeedBe, natverk.VoteNo}

// loadVote verifies a vote link and loads its member, network and poll.
func (s *Server) loadVote(r *http.Request, tok string) (*natverk.Member, *natverk.Network, *natverk.Poll, error) {
	c, m, err := s.memberFromToken(r, tok, token.Vote)
	if err != nil {
		return nil, nil, nil, err
	}
	p, err := s.Store.FindPollByID(r.Context(), c.SeriesID)
	if err != nil {
		return nil, nil, nil, err
	}
	if p.NetworkID != c.NetworkID {
		return nil, nil, nil, natverk.Errorf(natverk.ENOTFOUND, "Poll not found.")
	}
	n, err := s.Store.FindNetworkByID(r.Context(), p.NetworkID)
	if err != nil {
		return nil, nil, nil, err
	}
	return m, n, p, nil
}

// votePageData fills the page with the member's stored votes.
func (s *Server) votePageData(r *http.Request, tok, lang string, m *natverk.Member, n *natverk.Network, p *natverk.Poll) (votePage, error) {
	pg := votePage{Lang: lang, Title: ft(lang, "vote.title") + " — " + n.Name, Network: n, Poll: p,
		Open: p.Status == natverk.PollOpen && n.Status == natverk.NetworkActive, Action: "/vote/" + tok, CSRF: s.csrfFor(tok), Choices: voteChoices}
	votes, err := s.Store.FindVotes(r.Context(), p.ID)
	if err != nil {
		return pg, err
	}
	mine := map[int64]string{}
	for _, v := range votes {
		if v.MemberID == m.ID {
			mine[v.OptionID] = v.Vote
		}
	}
	for i, o := range p.Options {
		pg.Options = append(pg.Options, voteOption{Field: "o" + strconv.FormatInt(o.ID, 10), Label: fmt.Sprintf(ft(lang, "vote.option"), i+1),
			When: o.Describe(lang), Vote: mine[o.ID]})
		if p.DecidedOption == o.ID {
			pg.Decided = fmt.Sprintf(ft(lang, "vote.decided"), o.Describe(lang))
		}
	}
	return pg, nil
}

// handleVotePage shows the options. A GET changes nothing.
func (s *Server) handleVotePage(w http.ResponseWriter, r *http.Request) error {
	tok := r.PathValue("token")
	m, n, p, err := s.loadVote(r, tok)
	if err != nil {
		s.pageError(w, r, langFor(r, ""), err)
		return nil
	}
	pg, err := s.votePageData(r, tok, langFor(r, m.Locale), m, n, p)
	if err != nil {
		return err
	}
	s.renderFeaturePage(w, http.StatusOK, "vote", pg)
	return nil
}

// handleVotePost records the votes the member chose.
func (s *Server) handleVotePost(w http.ResponseWriter, r *http.Request) error {
	tok := r.PathValue("token")
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	m, n, p, err := s.loadVote(r, tok)
	if err != nil {
		s.pageError(w, r, langFor(r, ""), err)
		return nil
	}
	lang := langFor(r, m.Locale)
	if err := r.ParseForm(); err != nil || !s.checkCSRF(r, tok) {
		pg, err := s.votePageData(r, tok, lang, m, n, p)
		if err != nil {
			return err
		}
		pg.Error = t(lang, "csrf")
		s.renderFeaturePage(w, http.StatusForbidden, "vote", pg)
		return nil
	}
	votes := map[int64]string{}
	for key, vals := range r.PostForm {
		id, err := strconv.ParseInt(strings.TrimPrefix(key, "o"), 10, 64)
		if !strings.HasPrefix(key, "o") || err != nil || len(vals) != 1 {
			continue
		}
		v, ok := natverk.ParseVote(vals[0])
		if !ok {
			return natverk.Invalid(natverk.FieldError{Field: key, Reason: "must be yes, if_need_be or no"})
		}
		votes[id] = v
	}
	err = s.Store.RecordVotes(r.Context(), p.ID, m.ID, votes, s.now())
	switch natverk.ErrorCode(err) {
	case "":
	case natverk.EFORBIDDEN:
		s.pageError(w, r, lang, err)
		return nil
	case natverk.ECONFLICT, natverk.EINVALID:
		if p, err = s.Store.FindPollByID(r.Context(), p.ID); err != nil {
			return err
		}
		pg, err := s.votePageData(r, tok, lang, m, n, p)
		if err != nil {
			return err
		}
		pg.Error = t(lang, "org.error") + " " + formMessage(lang, err)
		s.renderFeaturePage(w, http.StatusConflict, "vote", pg)
		return nil
	default:
		return err
	}
	pg, err := s.votePageData(r, tok, lang, m, n, p)
	if err != nil {
		return err
	}
	pg.Saved = true
	s.renderFeaturePage(w, http.StatusOK, "vote", pg)
	return nil
}
