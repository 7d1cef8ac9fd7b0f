package httpapi

import (
	"net/http/httptest"
	"testing"
	"time"
)

func TestObservePattern(t *testing.T) {
	e := newAPIEnv(t)
	var got string
	e.s.Observe = func(route string, status int, d time.Duration) { got = route }
	h := e.s.Handler()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/feeds/goteborg.ics", nil))
	if got != "GET /feeds/{file}" {
		t.Fatalf("route = %q", got)
	}
}
