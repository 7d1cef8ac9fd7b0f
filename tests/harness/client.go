package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client calls one natverk process's HTTP API.
type Client struct {
	Base, Token string
	HTTP        *http.Client
}

// NewClient returns a client for the API at base, authenticated with
// token.
func NewClient(base, token string) *Client {
	return &Client{Base: base, Token: token, HTTP: &http.Client{Timeout: 60 * time.Second}}
}

// Response is an HTTP answer, read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Problem is an RFC 9457 problem document as the API writes it.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
}

// Problem decodes the body as a problem document; ok is false when it is
// not one.
func (r *Response) Problem() (p Problem, ok bool) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
		return p, false
	}
	return p, json.Unmarshal(r.Body, &p) == nil && p.Status == r.Status
}

// String shows the status and the body, for messages.
func (r *Response) String() string {
	return fmt.Sprintf("%d %s", r.Status, strings.TrimSpace(string(r.Body)))
}

// Do sends a request; body is sent with contentType when not empty.
func (c *Client) Do(ctx context.Context, method, path, contentType, body string) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("harness: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("harness: %s %s: read body: %w", method, path, err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// call sends a request, checks the status and decodes the JSON answer.
func (c *Client) call(ctx context.Context, method, path, contentType, body string, want int, out any) error {
	r, err := c.Do(ctx, method, path, contentType, body)
	if err != nil {
		return err
	}
	if r.Status != want {
		return fmt.Errorf("harness: %s %s: got %s, want %d", method, path, r, want)
	}
	if out != nil {
		if err := json.Unmarshal(r.Body, out); err != nil {
			return fmt.Errorf("harness: %s %s: %w: %s", method, path, err, r.Body)
		}
	}
	return nil
}

// ImportResult is the answer to a member import.
type ImportResult struct {
	Created, Updated, Unchanged int
	Rejected                    []json.RawMessage
}

// ImportMembers imports a CSV register.
func (c *Client) ImportMembers(ctx context.Context, csv string) (ImportResult, error) {
	var r ImportResult
	err := c.call(ctx, "POST", "/api/v1/members/import", "text/csv", csv, http.StatusOK, &r)
	return r, err
}

// CreateNetwork creates a network with a monthly meeting (second Tuesday,
// 18:00 Europe/Stockholm, from 2027) and returns its id.
func (c *Client) CreateNetwork(ctx context.Context, name string) (int64, error) {
	body, _ := json.Marshal(map[string]any{
		"name": name, "kind": "geographic", "description": "Reliability test network.", "have": "A room", "need": "Speakers",
		"meeting": map[string]any{"start": "2027-01-12T18:00", "time_zone": "Europe/Stockholm", "duration_minutes": 120,
			"rrule": "FREQ=MONTHLY;BYDAY=2TU", "location": "Järntorget 1, Göteborg"},
	})
	var n struct{ ID int64 }
	err := c.call(ctx, "POST", "/api/v1/networks", "application/json", string(body), http.StatusCreated, &n)
	return n.ID, err
}

// InviteResult is the answer to an invitation call.
type InviteResult struct {
	Invited int
	Skipped map[string]int
}

// InviteTown invites every member whose town matches town.
func (c *Client) InviteTown(ctx context.Context, networkID int64, town string) (InviteResult, error) {
	body, _ := json.Marshal(map[string]any{"search": map[string]string{"town": town}})
	var r InviteResult
	err := c.call(ctx, "POST", "/api/v1/networks/"+strconv.FormatInt(networkID, 10)+"/invitations", "application/json", string(body), http.StatusAccepted, &r)
	return r, err
}

// Member is a member as the admin API shows it.
type Member struct {
	ID           int64  `json:"id"`
	Email        string `json:"email"`
	Bouncing     bool   `json:"bouncing"`
	BounceReason string `json:"bounce_reason"`
}

// FindMembers searches the directory with the given query parameters
// (q, town, limit, offset…) and returns one page and the total.
func (c *Client) FindMembers(ctx context.Context, query url.Values) ([]Member, int, error) {
	var r struct {
		Total   int
		Members []Member
	}
	err := c.call(ctx, "GET", "/api/v1/members?"+query.Encode(), "", "", http.StatusOK, &r)
	return r.Members, r.Total, err
}

// AllMembers pages through every member whose town matches town.
func (c *Client) AllMembers(ctx context.Context, town string) ([]Member, error) {
	var all []Member
	for {
		page, total, err := c.FindMembers(ctx, url.Values{"town": {town}, "limit": {"500"}, "offset": {strconv.Itoa(len(all))}})
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(page) == 0 || len(all) >= total {
			return all, nil
		}
	}
}

// Member returns one member.
func (c *Client) Member(ctx context.Context, id int64) (Member, error) {
	var m Member
	err := c.call(ctx, "GET", "/api/v1/members/"+strconv.FormatInt(id, 10), "", "", http.StatusOK, &m)
	return m, err
}

// Readiness is the /readyz answer.
type Readiness struct {
	Code   int
	Status string
	Checks []struct {
		Name  string
		OK    bool
		Error string
	}
	RetryAfter string
}

// Degraded returns the names of the failing checks.
func (r Readiness) Degraded() []string {
	var out []string
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c.Name)
		}
	}
	return out
}

// Readyz asks /readyz.
func (c *Client) Readyz(ctx context.Context) (Readiness, error) {
	r, err := c.Do(ctx, "GET", "/readyz", "", "")
	if err != nil {
		return Readiness{}, err
	}
	out := Readiness{Code: r.Status, RetryAfter: r.Header.Get("Retry-After")}
	if err := json.Unmarshal(r.Body, &out); err != nil {
		return out, fmt.Errorf("harness: /readyz: %w: %s", err, r.Body)
	}
	return out, nil
}

// DeadLetter is one entry of GET /api/v1/dlq.
type DeadLetter struct {
	Seq        uint64
	Consumer   string
	Subject    string
	Reason     string
	Deliveries int
	Event      struct{ ID, Type string }
	Data       []byte
}

// DeadLetters lists the dead letters (all consumers).
func (c *Client) DeadLetters(ctx context.Context) ([]DeadLetter, error) {
	var out []DeadLetter
	err := c.call(ctx, "GET", "/api/v1/dlq", "", "", http.StatusOK, &out)
	return out, err
}

// MailRecord is one entry of GET /api/v1/mail: the store's record of one
// message.
type MailRecord struct {
	Key       string `json:"key"`
	MessageID string `json:"message_id"`
	To        string `json:"to"`
	Status    string `json:"status"`
	Attempts  int    `json:"attempts"`
	Error     string `json:"error"`
	Code      int    `json:"code"`
}

// Mail lists the mail records with a status ("" = any; at most 200).
func (c *Client) Mail(ctx context.Context, status string) ([]MailRecord, error) {
	var out []MailRecord
	err := c.call(ctx, "GET", "/api/v1/mail?status="+url.QueryEscape(status), "", "", http.StatusOK, &out)
	return out, err
}
