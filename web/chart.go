package web

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// chartPoint is one published figure of a chart: its label and value, or
// withheld (nil).
type chartPoint struct {
	Label string
	Value *float64
}

// measure is a figure the dashboard charts: its name, unit and range.
type measure struct {
	Key, Name, Unit string
	Min, Max        float64
}

func measures() []measure {
	return []measure{
		{"satisfaction", "Satisfaction (mean, 1 to 5)", "", 1, 5},
		{"effort", "Effort (mean, 1 easy to 5 hard)", "", 1, 5},
		{"nps", "Net promoter score (-100 to 100)", "", -100, 100},
		{"felt_safe", "Felt safe (% yes)", "%", 0, 100},
		{"felt_believed", "Felt believed (% yes)", "%", 0, 100},
	}
}

func measureByKey(key string) (measure, bool) {
	for _, m := range measures() {
		if m.Key == key {
			return m, true
		}
	}
	return measure{}, false
}

func formatValue(v float64, m measure) string {
	if m.Max <= 5 {
		return fmt.Sprintf("%.1f%s", v, m.Unit)
	}
	return fmt.Sprintf("%.0f%s", v, m.Unit)
}

// chartSVG draws the figures as server-rendered SVG: a line over months
// (trend) or bars across groups (comparison). Every value is written beside
// its mark and the bars are hatched, so colour is never the only cue; a
// withheld figure is drawn as the word "withheld". The title and
// description make it an image with a text alternative, and the page's
// table holds the same figures. All text is escaped.
func chartSVG(id, title, desc string, m measure, points []chartPoint, trend bool) template.HTML {
	const width, rowH, left, right, top = 640.0, 34.0, 230.0, 70.0, 16.0
	esc := template.HTMLEscapeString
	var b strings.Builder
	span := m.Max - m.Min
	x := func(v float64) float64 { return left + (width-left-right)*(v-m.Min)/span }
	if trend {
		h := 260.0
		fmt.Fprintf(&b, `<svg class="candour-chart" role="img" aria-labelledby="%s-title %s-desc" viewBox="0 0 %g %g" width="100%%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">`, id, id, width, h+60)
		fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, id, esc(title), id, esc(desc))
		plotL, plotR, plotT, plotB := 60.0, width-20, 20.0, h
		y := func(v float64) float64 { return plotB - (plotB-plotT)*(v-m.Min)/span }
		for _, g := range []float64{m.Min, m.Min + span/2, m.Max} {
			fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#b1b4b6" stroke-width="1"/>`, plotL, y(g), plotR, y(g))
			fmt.Fprintf(&b, `<text x="%g" y="%.1f" text-anchor="end" font-size="14" fill="#0b0c0c">%s</text>`, plotL-6, y(g)+5, esc(formatValue(g, m)))
		}
		n := len(points)
		step := (plotR - plotL - 40) / math.Max(float64(n-1), 1)
		px := func(i int) float64 { return plotL + 20 + step*float64(i) }
		var path []string
		for i, p := range points {
			if p.Value == nil {
				if len(path) > 1 {
					fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#1d70b8" stroke-width="3"/>`, strings.Join(path, " "))
				}
				path = nil
				continue
			}
			path = append(path, fmt.Sprintf("%.1f,%.1f", px(i), y(*p.Value)))
		}
		if len(path) > 1 {
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#1d70b8" stroke-width="3"/>`, strings.Join(path, " "))
		}
		for i, p := range points {
			fmt.Fprintf(&b, `<text x="%.1f" y="%g" text-anchor="middle" font-size="13" fill="#0b0c0c">%s</text>`, px(i), plotB+22, esc(p.Label))
			if p.Value == nil {
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="13" fill="#505a5f">withheld</text>`, px(i), (plotT+plotB)/2)
				continue
			}
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="10" height="10" fill="#0b0c0c" transform="rotate(45 %.1f %.1f)"/>`, px(i)-5, y(*p.Value)-5, px(i), y(*p.Value))
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="14" font-weight="bold" fill="#0b0c0c">%s</text>`, px(i), y(*p.Value)-12, esc(formatValue(*p.Value, m)))
		}
		b.WriteString(`</svg>`)
		return template.HTML(b.String())
	}
	h := top*2 + rowH*float64(len(points))
	fmt.Fprintf(&b, `<svg class="candour-chart" role="img" aria-labelledby="%s-title %s-desc" viewBox="0 0 %g %g" width="100%%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">`, id, id, width, h)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, id, esc(title), id, esc(desc))
	fmt.Fprintf(&b, `<defs><pattern id="%s-hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#1d70b8"/><line x1="0" y1="0" x2="0" y2="8" stroke="#ffffff" stroke-width="3"/></pattern></defs>`, id)
	zero := x(math.Max(m.Min, math.Min(0, m.Max))) // the bars start at 0, or at the scale's end nearest it
	for i, p := range points {
		yy := top + rowH*float64(i)
		label := p.Label
		if r := []rune(label); len(r) > 30 {
			label = string(r[:29]) + "…"
		}
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" text-anchor="end" font-size="14" fill="#0b0c0c">%s</text>`, left-8, yy+rowH/2+5, esc(label))
		if p.Value == nil {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="14" fill="#505a5f">withheld</text>`, zero+4, yy+rowH/2+5)
			continue
		}
		x0, x1 := zero, x(*p.Value)
		if x1 < x0 {
			x0, x1 = x1, x0
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="url(#%s-hatch)" stroke="#0b0c0c" stroke-width="1"/>`, x0, yy+6, math.Max(x1-x0, 1), rowH-12, id)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="14" font-weight="bold" fill="#0b0c0c">%s</text>`, math.Max(x1, zero)+6, yy+rowH/2+5, esc(formatValue(*p.Value, m)))
	}
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%g" x2="%.1f" y2="%.1f" stroke="#0b0c0c" stroke-width="2"/>`, zero, top-4, zero, h-top+4)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
