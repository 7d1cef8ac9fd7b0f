package httpapi

import (
	"net/http/httptest"
	"testing"
)

func TestAcceptsGzip(t *testing.T) {
	for ae, want := range map[string]bool{
		"":                         false,
		"gzip":                     true,
		"GZIP":                     true,
		"deflate, gzip":            true,
		"gzip;q=0.5":               true,
		"gzip; q=0.001":            true,
		"gzip;q=1.0, identity":     true,
		"gzip;q=0":                 false,
		"gzip; q=0.000":            false,
		"gzip;Q=0.0":               false,
		"br, deflate":              false,
		"identity;q=0.5, gzip;q=0": false,
	} {
		r := httptest.NewRequest("GET", "/feeds/x.ics", nil)
		if ae != "" {
			r.Header.Set("Accept-Encoding", ae)
		}
		if got := acceptsGzip(r); got != want {
			t.Errorf("Accept-Encoding %q: gzip %v; want %v", ae, got, want)
		}
	}
}
