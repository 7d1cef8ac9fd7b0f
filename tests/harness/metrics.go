package harness

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Sample is one Prometheus sample.
type Sample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// Scrape reads a Prometheus text exposition from url.
func Scrape(ctx context.Context, url string) ([]Sample, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("harness: scrape %s: %w", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("harness: scrape %s: %d %v", url, resp.StatusCode, err)
	}
	return ParseMetrics(string(b))
}

// ParseMetrics parses the Prometheus text format (version 0.0.4):
// comment lines are skipped, each other line is name{labels} value.
func ParseMetrics(text string) ([]Sample, error) {
	var out []Sample
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s := Sample{Labels: map[string]string{}}
		rest := line
		if j := strings.IndexAny(line, "{ "); j >= 0 && line[j] == '{' {
			s.Name = line[:j]
			end := strings.LastIndex(line, "}")
			if end < j {
				return nil, fmt.Errorf("harness: metrics line %d: unclosed labels: %q", i+1, line)
			}
			if err := parseLabels(line[j+1:end], s.Labels); err != nil {
				return nil, fmt.Errorf("harness: metrics line %d: %w", i+1, err)
			}
			rest = strings.TrimSpace(line[end+1:])
		} else {
			name, r, _ := strings.Cut(line, " ")
			s.Name, rest = name, r
		}
		val, _, _ := strings.Cut(strings.TrimSpace(rest), " ") // a timestamp may follow
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return nil, fmt.Errorf("harness: metrics line %d: value %q: %w", i+1, val, err)
		}
		s.Value = v
		out = append(out, s)
	}
	return out, nil
}

func parseLabels(s string, into map[string]string) error {
	for s != "" {
		k, rest, ok := strings.Cut(s, "=")
		if !ok || !strings.HasPrefix(rest, `"`) {
			return fmt.Errorf("bad labels %q", s)
		}
		rest = rest[1:]
		var v strings.Builder
		i := 0
		for ; i < len(rest) && rest[i] != '"'; i++ {
			if rest[i] == '\\' && i+1 < len(rest) {
				i++
				switch rest[i] {
				case 'n':
					v.WriteByte('\n')
				default:
					v.WriteByte(rest[i])
				}
				continue
			}
			v.WriteByte(rest[i])
		}
		if i == len(rest) {
			return fmt.Errorf("unterminated label value in %q", s)
		}
		into[strings.TrimSpace(k)] = v.String()
		s = strings.TrimPrefix(strings.TrimSpace(rest[i+1:]), ",")
	}
	return nil
}

// Sum adds the values of every sample named name whose labels include
// all of match.
func Sum(samples []Sample, name string, match map[string]string) float64 {
	var total float64
	for _, s := range samples {
		if s.Name != name {
			continue
		}
		ok := true
		for k, v := range match {
			if s.Labels[k] != v {
				ok = false
				break
			}
		}
		if ok {
			total += s.Value
		}
	}
	return total
}
