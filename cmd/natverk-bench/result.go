package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// Result is one measured figure beside its reference and target: one
// JSON line of the bench's output.
type Result struct {
	Scenario string `json:"scenario"`
	Store    string `json:"store"`
	// Value is our figure in Unit.
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	// Reference names what Value is compared with ("" = an absolute
	// target), ReferenceValue is its figure measured in the same run, and
	// Ratio is Value / ReferenceValue.
	Reference      string  `json:"reference"`
	ReferenceValue float64 `json:"reference_value"`
	Ratio          float64 `json:"ratio"`
	// Target says what must hold ("≥ 0.9× ref", "≤ 50 ms", "report").
	Target string `json:"target"`
	OK     bool   `json:"ok"`
	// Note explains a figure (sizes, a failure); printed in the table only.
	Note string `json:"-"`
}

// target is a check of a figure: a bound on the ratio to the reference,
// or on the value itself.
type target struct {
	ratio bool    // bound the ratio (else the value)
	min   bool    // a lower bound (else upper)
	bound float64 // the bound
	only  bool    // no bound: report only
}

func atLeastRatio(x float64) target { return target{ratio: true, min: true, bound: x} }
func atMostRatio(x float64) target  { return target{ratio: true, bound: x} }
func atLeast(x float64) target      { return target{min: true, bound: x} }
func atMost(x float64) target       { return target{bound: x} }
func reportOnly() target            { return target{only: true} }

// result builds a Result and evaluates its target.
func result(scenario, store string, value float64, unit, ref string, refValue float64, t target) Result {
	r := Result{Scenario: scenario, Store: store, Value: round(value), Unit: unit, Reference: ref, ReferenceValue: round(refValue)}
	if refValue != 0 {
		r.Ratio = round(value / refValue)
	}
	x := value
	op := "≤"
	if t.min {
		op = "≥"
	}
	switch {
	case t.only:
		r.Target, r.OK = "report", true
		return r
	case t.ratio:
		r.Target = fmt.Sprintf("%s %g× %s", op, t.bound, ref)
		x = r.Ratio
		if refValue == 0 {
			r.OK = false
			return r
		}
	default:
		r.Target = fmt.Sprintf("%s %g %s", op, t.bound, unit)
	}
	if t.min {
		r.OK = x >= t.bound
	} else {
		r.OK = x <= t.bound
	}
	if math.IsNaN(x) {
		r.OK = false
	}
	return r
}

// failed records a scenario that could not be measured: it counts as a
// missed target.
func failed(scenario, store string, err error) Result {
	return Result{Scenario: scenario, Store: store, Target: "measured", Note: "failed: " + err.Error()}
}

func round(x float64) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	// Four significant digits are plenty for figures that wander by more
	// between runs.
	p := math.Pow(10, 3-math.Floor(math.Log10(math.Abs(x))))
	return math.Round(x*p) / p
}

// printTable writes the results as an aligned table.
func printTable(w io.Writer, rs []Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tstore\tvalue\tunit\treference\tref value\tratio\ttarget\tok\tnote")
	for _, r := range rs {
		ok := "ok"
		if !r.OK {
			ok = "MISSED"
		}
		ratio, refv := "", ""
		if r.Reference != "" {
			ratio, refv = fmt.Sprintf("%.3g", r.Ratio), fmt.Sprintf("%g", r.ReferenceValue)
		}
		fmt.Fprintf(tw, "%s\t%s\t%g\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Scenario, r.Store, r.Value, r.Unit,
			r.Reference, refv, ratio, r.Target, ok, shorten(strings.ReplaceAll(r.Note, "\n", " "), 200))
	}
	tw.Flush()
}

// printJSON writes one JSON line per result.
func printJSON(w io.Writer, rs []Result) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, r := range rs {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

// shorten cuts s to n runes.
func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
