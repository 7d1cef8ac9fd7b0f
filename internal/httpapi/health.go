package httpapi

import (
	"context"
	"net/http"
	"sort"
	"time"
)

// handleHealthz says the process is alive.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// handleReadyz checks every dependency (store, NATS, SMTP…) and answers
// 200 when all are healthy, 503 naming the degraded ones otherwise.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]error{"store": s.Store.Ping(ctx)}
	if s.Ready != nil {
		for k, v := range s.Ready(ctx) {
			checks[k] = v
		}
	}
	type check struct {
		Name  string `json:"name"`
		OK    bool   `json:"ok"`
		Error string `json:"error,omitempty"`
	}
	out := struct {
		Status string  `json:"status"`
		Checks []check `json:"checks"`
	}{Status: "ready"}
	for name, err := range checks {
		c := check{Name: name, OK: err == nil}
		if err != nil {
			c.Error = err.Error()
			out.Status = "degraded"
		}
		out.Checks = append(out.Checks, c)
	}
	sort.Slice(out.Checks, func(i, j int) bool { return out.Checks[i].Name < out.Checks[j].Name })
	status := http.StatusOK
	if out.Status != "ready" {
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "5")
	}
	writeJSON(w, status, out)
}
