package httpapi

import (
	"context"
	"net/http"

	"github.com/natverk/natverk/internal/natverk"
)

// pollView is a poll as the API shows it: its options in words, the
// tally and the suggested option.
type pollView struct {
	*natverk.Poll
	Described []string          `json:"options_described"`
	Tally     natverk.PollTally `json:"tally"`
}

func (s *Server) viewPoll(ctx context.Context, p *natverk.Poll) (*pollView, error) {
	votes, err := s.Store.FindVotes(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	v := &pollView{Poll: p, Tally: natverk.Tally(p, votes), Described: []string{}}
	for _, o := range p.Options {
		v.Described = append(v.Described, o.Describe(natverk.LocaleSV))
	}
	return v, nil
}

// handleCreatePoll offers meeting times to vote on:
// POST /api/v1/networks/{id}/polls {title, options: [{start, rrule,
// duration_minutes, location}]}. Every invitee gets a mail with a link
// to vote.
func (s *Server) handleCreatePoll(w http.ResponseWriter, r *http.Request) error {
	n, err := s.network(r)
	if err != nil {
		return err
	}
	var in natverk.PollInput
	if err := decodeJSON(w, r, s.MaxBody, &in); err != nil {
		return err
	}
	p, err := in.Build(n, s.Checks)
	if err != nil {
		return err
	}
	p.CreatedBy = natverk.ActorFromContext(r.Context()).MemberID
	stored, err := s.Store.CreatePoll(r.Context(), p)
	if err != nil {
		return err
	}
	v, err := s.viewPoll(r.Context(), stored)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/polls/"+itoa(stored.ID))
	writeJSON(w, http.StatusCreated, v)
	return nil
}

// handleListPolls lists a network's polls.
func (s *Server) handleListPolls(w http.ResponseWriter, r *http.Request) error {
	n, err := s.network(r)
	if err != nil {
		return err
	}
	ps, err := s.Store.FindPolls(r.Context(), n.ID)
	if err != nil {
		return err
	}
	out := []*pollView{}
	for _, p := range ps {
		v, err := s.viewPoll(r.Context(), p)
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// poll loads the poll in the path and checks the actor manages its
// network.
func (s *Server) poll(r *http.Request) (*natverk.Poll, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	p, err := s.Store.FindPollByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if !natverk.ActorFromContext(r.Context()).CanManage(p.NetworkID) {
		return nil, natverk.Errorf(natverk.ENOTFOUND, "Poll not found.")
	}
	return p, nil
}

// handleGetPoll shows a poll with its tally.
func (s *Server) handleGetPoll(w http.ResponseWriter, r *http.Request) error {
	p, err := s.poll(r)
	if err != nil {
		return err
	}
	v, err := s.viewPoll(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// handleDecidePoll picks an option: POST /api/v1/polls/{id}/decide
// {option_id} (no option_id: the suggested one). The series is created
// and every invitee invited to it.
func (s *Server) handleDecidePoll(w http.ResponseWriter, r *http.Request) error {
	p, err := s.poll(r)
	if err != nil {
		return err
	}
	var req struct {
		OptionID int64 `json:"option_id,omitempty"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, s.MaxBody, &req); err != nil {
			return err
		}
	}
	decided, sr, err := s.decidePoll(r.Context(), p, req.OptionID)
	if err != nil {
		return err
	}
	v, err := s.viewPoll(r.Context(), decided)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"poll": v, "meeting": s.viewSeries(sr)})
	return nil
}

// decidePoll picks option (0: the suggested one) and creates its series.
func (s *Server) decidePoll(ctx context.Context, p *natverk.Poll, option int64) (*natverk.Poll, *natverk.Series, error) {
	if p.Status != natverk.PollOpen {
		return nil, nil, natverk.Errorf(natverk.ECONFLICT, "The poll is decided.")
	}
	if option == 0 {
		votes, err := s.Store.FindVotes(ctx, p.ID)
		if err != nil {
			return nil, nil, err
		}
		option = natverk.Tally(p, votes).Suggested
	}
	o := p.Option(option)
	if o == nil {
		return nil, nil, natverk.Invalid(natverk.FieldError{Field: "option_id", Reason: "is not an option of this poll"})
	}
	n, err := s.Store.FindNetworkByID(ctx, p.NetworkID)
	if err != nil {
		return nil, nil, err
	}
	sr, err := o.SeriesInput().Build(n, s.Checks)
	if err != nil {
		return nil, nil, err
	}
	sr.UID = newUID(s.Links.MailDomain)
	return s.Store.DecidePoll(ctx, p.ID, o.ID, sr)
}
