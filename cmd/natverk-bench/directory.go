package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"time"
)

// directoryQueries returns n searches as organizers type them: surnames
// and full names, towns and companies typed without diacritics, word
// prefixes, the town, industry and company filters, combinations, and a
// few later pages.
func directoryQueries(ps []person, n int, seed uint64) []url.Values {
	r := rand.New(rand.NewPCG(seed, seed+1))
	pick := func() person { return ps[r.IntN(len(ps))] }
	out := make([]url.Values, 0, n)
	for len(out) < n {
		p := pick()
		surname := p.Name[strings.LastIndex(p.Name, " ")+1:]
		q := url.Values{}
		switch k := r.IntN(20); {
		case k < 5:
			q.Set("q", surname)
		case k < 8:
			q.Set("q", p.Name)
		case k < 10:
			q.Set("q", fold(p.Town)) // "goteborg" finds Göteborg
		case k < 12:
			q.Set("q", fold(surname)[:min(4, len(fold(surname)))]) // a prefix while typing
		case k < 14:
			q.Set("town", p.Town)
		case k < 15:
			q.Set("industry", p.Industry)
		case k < 16:
			q.Set("company", p.Company)
		case k < 18:
			q.Set("town", fold(p.Town))
			q.Set("industry", p.Industry)
		default:
			q.Set("q", fold(p.Town)+" "+strings.Fields(p.Company)[0])
		}
		if r.IntN(10) == 0 {
			q.Set("offset", "50")
		}
		out = append(out, q)
	}
	return out
}

// benchDirectory runs the mixed queries one after another through the
// API (GET /api/v1/members) and reports the 99th percentile latency.
func (b *bench) benchDirectory(ctx context.Context, st store, svc *service, ps []person) {
	qs := directoryQueries(ps, b.sizes.queries+20, 7)
	var found struct{ Total int }
	lat := make([]time.Duration, 0, len(qs))
	var slowest []timedQuery
	hits := 0
	for i, q := range qs {
		start := time.Now()
		if err := svc.api(ctx, "GET", "/api/v1/members?"+q.Encode(), "", nil, 200, &found); err != nil {
			b.add(failed("directory_search", st.name, err))
			return
		}
		if i < 20 {
			continue // warm-up: the first queries of a fresh process
		}
		lat = append(lat, time.Since(start))
		slowest = append(slowest, timedQuery{q.Encode(), lat[len(lat)-1], found.Total})
		if found.Total > 0 {
			hits++
		}
	}
	p50, p99 := percentile(lat, 50), percentile(lat, 99)
	r := result("directory_search", st.name, ms(p99), "ms p99", "", 0, atMost(20))
	slices.SortFunc(slowest, func(a, b timedQuery) int { return int(b.d - a.d) })
	var slow []string
	for _, t := range slowest[:min(3, len(slowest))] {
		slow = append(slow, fmt.Sprintf("%s %.0f ms (%d found)", t.q, ms(t.d), t.total))
	}
	r.Note = fmt.Sprintf("%d queries over %d members, p50 %.2f ms, %d found someone; slowest: %s", len(lat), len(ps), ms(p50), hits, strings.Join(slow, ", "))
	b.add(r)
}

// timedQuery is one directory query and how long it took.
type timedQuery struct {
	q     string
	d     time.Duration
	total int
}

// percentile returns the p-th percentile (nearest rank) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
