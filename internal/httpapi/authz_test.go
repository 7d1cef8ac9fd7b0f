package httpapi

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/natverk/natverk/internal/token"
)

// access classes of the API routes.
const (
	accessPublic      = "public"        // no token; pages, feeds, health
	accessAdmin       = "admin"         // the admin token only
	accessOrganizer   = "organizer"     // any organizer token or the admin
	accessNetwork     = "network"       // {id} is a network: its organizers and the admin
	accessMeeting     = "meeting"       // {id} is a meeting series: its network's organizers and the admin
	accessMailByQuery = "mail-by-query" // ?network_id= names the network
	accessPoll        = "poll"          // {id} is a poll: its network's organizers and the admin
)

// authzTable says who may call each route. A route missing here fails
// TestAuthorizationMatrix: add it with its class.
var authzTable = map[string]string{
	"GET /healthz":                   accessPublic,
	"GET /readyz":                    accessPublic,
	"GET /metrics":                   accessPublic,
	"GET /{$}":                       accessPublic,
	"GET /static/site.css":           accessPublic,
	"GET /rsvp/{token}":              accessPublic,
	"POST /rsvp/{token}":             accessPublic,
	"GET /rsvp/{token}/invite.ics":   accessPublic,
	"GET /unsubscribe/{token}":       accessPublic,
	"POST /unsubscribe/{token}":      accessPublic,
	"GET /n/{slug}":                  accessPublic,
	"GET /feeds/{file}":              accessPublic,
	"GET /feeds/p/{token}/{file}":    accessPublic,
	"GET /feeds/m/{file}":            accessPublic,
	"GET /mail":                      accessPublic,
	"GET /mail/{name}":               accessPublic,
	"GET /organize/{token}":          accessPublic,
	"GET /organize/{token}/close":    accessPublic,
	"POST /organize/{token}/cancel":  accessPublic,
	"POST /organize/{token}/close":   accessPublic,
	"POST /organize/{token}/invite":  accessPublic,
	"POST /organize/{token}/move":    accessPublic,
	"POST /organize/{token}/support": accessPublic,

	// Capacity, attendance and meeting-time polls (features.go).
	"GET /organize/{token}/report":         accessPublic,
	"GET /organize/{token}/report.csv":     accessPublic,
	"POST /organize/{token}/attendance":    accessPublic,
	"POST /organize/{token}/decide":        accessPublic,
	"GET /vote/{token}":                    accessPublic,
	"POST /vote/{token}":                   accessPublic,
	"PUT /api/v1/meetings/{id}/capacity":   accessMeeting,
	"PUT /api/v1/meetings/{id}/attendance": accessMeeting,
	"GET /api/v1/meetings/{id}/attendance": accessMeeting,
	"GET /api/v1/networks/{id}/report":     accessNetwork,
	"POST /api/v1/networks/{id}/polls":     accessNetwork,
	"GET /api/v1/networks/{id}/polls":      accessNetwork,
	"GET /api/v1/polls/{id}":               accessPoll,
	"POST /api/v1/polls/{id}/decide":       accessPoll,

	"POST /api/v1/members/import":                   accessAdmin,
	"GET /api/v1/members":                           accessOrganizer,
	"GET /api/v1/members/{id}":                      accessAdmin,
	"PATCH /api/v1/members/{id}":                    accessAdmin,
	"DELETE /api/v1/members/{id}":                   accessAdmin,
	"GET /api/v1/members/{id}/export":               accessAdmin,
	"POST /api/v1/members/{id}/revoke-links":        accessAdmin,
	"POST /api/v1/networks":                         accessOrganizer,
	"GET /api/v1/networks":                          accessOrganizer,
	"GET /api/v1/networks/{id}":                     accessNetwork,
	"PATCH /api/v1/networks/{id}":                   accessNetwork,
	"POST /api/v1/networks/{id}/close":              accessNetwork,
	"GET /api/v1/networks/{id}/members":             accessNetwork,
	"PUT /api/v1/networks/{id}/members/{member_id}": accessNetwork,
	"POST /api/v1/networks/{id}/invitations":        accessNetwork,
	"POST /api/v1/networks/{id}/meetings":           accessNetwork,
	"GET /api/v1/networks/{id}/meetings":            accessNetwork,
	"POST /api/v1/networks/{id}/support":            accessNetwork,
	"GET /api/v1/networks/{id}/support":             accessNetwork,
	"POST /api/v1/networks/{id}/organizer-link":     accessAdmin,
	"GET /api/v1/meetings/{id}":                     accessMeeting,
	"PATCH /api/v1/meetings/{id}":                   accessMeeting,
	"POST /api/v1/meetings/{id}/split":              accessMeeting,
	"POST /api/v1/meetings/{id}/cancel-occurrence":  accessMeeting,
	"POST /api/v1/meetings/{id}/move-occurrence":    accessMeeting,
	"GET /api/v1/meetings/{id}/occurrences":         accessMeeting,
	"POST /api/v1/meetings/{id}/answers":            accessMeeting,
	"GET /api/v1/support":                           accessAdmin,
	"POST /api/v1/support/{id}/decision":            accessAdmin,
	"POST /api/v1/tokens":                           accessAdmin,
	"DELETE /api/v1/tokens/{id}":                    accessAdmin,
	"GET /api/v1/mail":                              accessMailByQuery,
	"GET /api/v1/inbound":                           accessAdmin,
	"GET /api/v1/dlq":                               accessAdmin,
	"POST /api/v1/webhooks":                         accessAdmin,
	"GET /api/v1/webhooks":                          accessAdmin,
	"GET /api/v1/webhooks/{id}":                     accessAdmin,
	"PATCH /api/v1/webhooks/{id}":                   accessAdmin,
	"DELETE /api/v1/webhooks/{id}":                  accessAdmin,
	"POST /api/v1/webhooks/{id}/rotate-secret":      accessAdmin,
	"POST /api/v1/webhooks/{id}/test":               accessAdmin,
	"POST /api/v1/dlq/{seq}/retry":                  accessAdmin,
}

// declaredRoutes reads every route pattern registered in the package's
// sources (mux.Handle and mux.HandleFunc calls).
func declaredRoutes(t testing.TB) []string {
	t.Helper()
	files, _ := filepath.Glob("*.go")
	re := regexp.MustCompile(`\.Handle(?:Func)?\("([A-Z]+ /[^"]*)"`)
	seen := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			seen[m[1]] = true
		}
	}
	var out []string
	for r := range seen {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// TestAuthorizationMatrix walks every API route with no token, a
// member's link token, another network's organizer, the network's own
// organizer and the admin, and checks each answer against authzTable.
func TestAuthorizationMatrix(t *testing.T) {
	routes := declaredRoutes(t)
	if len(routes) < 40 {
		t.Fatalf("found only %d routes; is the pattern reader broken?", len(routes))
	}
	for _, r := range routes {
		if _, ok := authzTable[r]; !ok {
			t.Errorf("route %q is not in authzTable (authz_test.go): add it with who may call it", r)
		}
	}
	for r := range authzTable {
		if !contains(routes, r) {
			t.Errorf("authzTable lists %q, which no longer exists", r)
		}
	}
	probe := newAPIEnv(t)
	linkToken := probe.signer.Sign(token.Claims{Kind: token.RSVP, MemberID: probe.m["bo"].ID, SeriesID: probe.series["goteborg"].ID})
	for _, route := range routes {
		class := authzTable[route]
		if class == accessPublic || !strings.Contains(route, "/api/") {
			continue
		}
		method, pattern, _ := strings.Cut(route, " ")
		t.Run(route, func(t *testing.T) {
			// Refused callers change nothing, so they share one store.
			for _, who := range []struct {
				name, bearer string
				want         int
			}{
				{"NoToken", "", 401},
				{"MemberLinkToken", linkToken, 401},
				{"GarbageToken", "x", 401},
			} {
				if got := probe.status(method, pattern, "goteborg", who.bearer); got != who.want {
					t.Errorf("%s: %d, want %d", who.name, got, who.want)
				}
			}
			other := probe.tokens["olle"] // organizes Malmö, not Göteborg
			switch class {
			case accessAdmin:
				if got := probe.status(method, pattern, "goteborg", other); got != 403 {
					t.Errorf("an organizer: %d, want 403", got)
				}
			case accessNetwork, accessMeeting, accessMailByQuery, accessPoll:
				if got := probe.status(method, pattern, "goteborg", other); got != 404 && got != 403 {
					t.Errorf("another network's organizer: %d, want 404 (or 403)", got)
				}
			}
			// Allowed callers get a fresh store each: they may change it.
			if class != accessAdmin {
				e := newAPIEnv(t)
				if got := e.status(method, pattern, "goteborg", e.tokens["anna"]); got == 401 || got == 403 || got == 404 && !strings.Contains(pattern, "{seq}") {
					t.Errorf("the network's own organizer: %d", got)
				}
			}
			e := newAPIEnv(t)
			if got := e.status(method, pattern, "goteborg", testAdminToken); got == 401 || got == 403 || got >= 500 && got != 503 {
				t.Errorf("the admin: %d", got)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// status calls a route pattern for a network's data with a bearer token
// and an empty JSON object, and returns the status.
func (e *apiEnv) status(method, pattern, network, bearer string) int {
	e.t.Helper()
	path := e.routePath(pattern, network)
	var body *strings.Reader
	ct := ""
	if method != "GET" && method != "DELETE" {
		body, ct = strings.NewReader("{}"), "application/json"
	} else {
		body = strings.NewReader("")
	}
	resp := e.call(method, path, bearer, ct, body, nil)
	resp.Body.Close()
	return resp.StatusCode
}

// routePath fills a route pattern's ids with those of a network's data.
func (e *apiEnv) routePath(pattern, network string) string {
	e.t.Helper()
	path := pattern
	id := e.net[network].ID
	if strings.HasPrefix(pattern, "/api/v1/meetings/") {
		id = e.series[network].ID
	}
	if strings.HasPrefix(pattern, "/api/v1/members/") || strings.HasPrefix(pattern, "/api/v1/tokens/") || strings.HasPrefix(pattern, "/api/v1/support/") {
		id = e.m["bo"].ID
	}
	if strings.HasPrefix(pattern, "/api/v1/polls/") {
		id = e.pollID(network)
	}
	path = strings.ReplaceAll(path, "{id}", itoa(id))
	path = strings.ReplaceAll(path, "{member_id}", itoa(e.m["bo"].ID))
	path = strings.ReplaceAll(path, "{seq}", "1")
	if pattern == "/api/v1/mail" {
		path += "?network_id=" + itoa(e.net[network].ID)
	}
	return path
}

// TestAPIDocumentsEveryRoute keeps docs/API.md in step with the routes:
// every /api/v1 route has a "### `METHOD /path`" section, and every
// section names a route that exists.
func TestAPIDocumentsEveryRoute(t *testing.T) {
	doc, err := os.ReadFile("../../docs/API.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?m)^### `([A-Z]+ /api/v1/[^`]*)`")
	documented := map[string]bool{}
	for _, m := range re.FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]] = true
	}
	routes := declaredRoutes(t)
	for _, r := range routes {
		if strings.Contains(r, " /api/v1/") && !documented[r] {
			t.Errorf("docs/API.md does not describe %s", r)
		}
	}
	for r := range documented {
		if !contains(routes, r) {
			t.Errorf("docs/API.md describes %s, which does not exist", r)
		}
	}
}
