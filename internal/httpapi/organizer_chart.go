package httpapi

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/natverk/natverk/internal/natverk"
)

// chartRow is one meeting in the answers chart.
type chartRow struct {
	Label  string
	Counts natverk.Counts
}

// Geometry of the answers chart, in SVG user units (the chart scales to
// the page's width).
const (
	chartWidth  = 480
	chartLabelW = 124 // the meeting's date, left of the bars
	chartBarX   = chartLabelW
	chartBarW   = 268
	chartRowH   = 26
	chartBarH   = 16
	chartTop    = 30 // the legend
)

// chartSegments are the answers drawn, in order, with their colours
// (the pages' own: at least 3:1 against white, WCAG 1.4.11) and the text
// keys of their names.
var chartSegments = []struct {
	class, key string
	count      func(natverk.Counts) int
}{
	{"yes", "yes.short", func(c natverk.Counts) int { return c.Yes }},
	{"maybe", "maybe.short", func(c natverk.Counts) int { return c.Maybe }},
	{"no", "no.short", func(c natverk.Counts) int { return c.No }},
	{"none", "none.short", func(c natverk.Counts) int { return c.None }},
}

// answerChart draws the answers per meeting as a server-rendered SVG
// (no script): one stacked bar per meeting — coming, maybe, can't come,
// no answer — scaled to the largest number of invitees, with the counts
// written beside it. It is an image with a title and description for
// screen readers; the table beside it holds the same numbers as text.
func answerChart(lang string, rows []chartRow) template.HTML {
	scale := 1
	for _, r := range rows {
		scale = max(scale, r.Counts.Yes+r.Counts.Maybe+r.Counts.No+r.Counts.None)
	}
	height := chartTop + len(rows)*chartRowH + 4
	esc := template.HTMLEscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" role="img" aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d">`, chartWidth, height, chartWidth, height)
	fmt.Fprintf(&b, `<title id="chart-title">%s</title><desc id="chart-desc">%s</desc>`, esc(t(lang, "org.chart")), esc(t(lang, "org.chart.desc")))
	// Legend.
	x := 0
	for _, seg := range chartSegments {
		name := t(lang, seg.key)
		fmt.Fprintf(&b, `<rect class="%s" x="%d" y="6" width="12" height="12"/><text x="%d" y="16">%s</text>`, seg.class, x, x+16, esc(name))
		x += 16 + 8*len([]rune(name)) + 16
	}
	for i, r := range rows {
		y := chartTop + i*chartRowH
		fmt.Fprintf(&b, `<text x="0" y="%d">%s</text>`, y+chartBarH-3, esc(r.Label))
		bx := chartBarX
		var counts []string
		for _, seg := range chartSegments {
			n := seg.count(r.Counts)
			if seg.class != "none" {
				counts = append(counts, itoa(int64(n)))
			}
			if n == 0 {
				continue
			}
			w := max(n*chartBarW/scale, 2)
			fmt.Fprintf(&b, `<rect class="%s" x="%d" y="%d" width="%d" height="%d"><title>%d %s</title></rect>`, seg.class, bx, y, w, chartBarH, n, esc(t(lang, seg.key)))
			bx += w
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`, chartBarX+chartBarW+8, y+chartBarH-3, strings.Join(counts, " · "))
	}
	b.WriteString(`</svg>`)
	// Every piece of text above is escaped; the rest is fixed markup.
	return template.HTML(b.String())
}
