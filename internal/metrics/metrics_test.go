package metrics

import (
	"sync"
	"testing"
	"time"
)

// requestSeries returns natverk_http_requests_total by "route code" and
// the sample count of natverk_http_request_seconds by route.
func requestSeries(t *testing.T, m *Metrics) (map[string]float64, map[string]uint64) {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts, seconds := map[string]float64{}, map[string]uint64{}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range mt.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			switch mf.GetName() {
			case "natverk_http_requests_total":
				counts[labels["route"]+" "+labels["code"]] = mt.GetCounter().GetValue()
			case "natverk_http_request_seconds":
				seconds[labels["route"]] = mt.GetHistogram().GetSampleCount()
			}
		}
	}
	return counts, seconds
}

func TestRequest(t *testing.T) {
	m := New()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				m.Request("GET /feeds/{file}", 304, time.Millisecond)
			}
			m.Request("GET /feeds/{file}", 200, time.Millisecond)
			m.Request("unmatched", 404, time.Millisecond)
		}()
	}
	wg.Wait()
	counts, seconds := requestSeries(t, m)
	for k, want := range map[string]float64{"GET /feeds/{file} 304": 800, "GET /feeds/{file} 200": 8, "unmatched 404": 8} {
		if counts[k] != want {
			t.Errorf("requests %q = %v, want %v (all: %v)", k, counts[k], want, counts)
		}
	}
	if seconds["GET /feeds/{file}"] != 808 || seconds["unmatched"] != 8 {
		t.Errorf("latency samples %v", seconds)
	}
}

func BenchmarkRequest(b *testing.B) {
	m := New()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Request("GET /feeds/{file}", 304, 300*time.Microsecond)
		}
	})
}
