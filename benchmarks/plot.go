package benchmarks

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Plot sizes.
const (
	lineWidth  = 9 * vg.Inch
	lineHeight = 4.5 * vg.Inch
	barWidth   = 11 * vg.Inch
	barHeight  = 4.5 * vg.Inch
)

// palette has a distinct colour for each policy (Tableau 10).
var palette = []color.Color{
	color.RGBA{0x79, 0x70, 0x6e, 0xff}, // none: grey
	color.RGBA{0xd6, 0x27, 0x28, 0xff}, // red
	color.RGBA{0xff, 0x7f, 0x0e, 0xff}, // orange
	color.RGBA{0x8c, 0x56, 0x4b, 0xff}, // brown
	color.RGBA{0x1f, 0x77, 0xb4, 0xff}, // retryscope: blue
	color.RGBA{0x2c, 0xa0, 0x2c, 0xff}, // green
	color.RGBA{0x94, 0x67, 0xbd, 0xff}, // purple
	color.RGBA{0x17, 0xbe, 0xcf, 0xff}, // cyan
	color.RGBA{0xe3, 0x77, 0xc2, 0xff}, // pink
	color.RGBA{0xbc, 0xbd, 0x22, 0xff}, // olive
}

// policyColor gives every policy the same colour in every plot, by its
// place in Policies.
func policyColor(name string) color.Color {
	return palette[indexOf(PolicyNames(), name)%len(palette)]
}

// dashes tells lines apart where they overlap: each policy keeps its own
// pattern in every plot (retryscope's default is solid and thicker).
var dashes = [][]vg.Length{
	nil,
	{vg.Points(8), vg.Points(3)},
	{vg.Points(2), vg.Points(2)},
	{vg.Points(8), vg.Points(2), vg.Points(2), vg.Points(2)},
	nil,
	{vg.Points(4), vg.Points(4)},
	{vg.Points(12), vg.Points(4)},
	{vg.Points(1), vg.Points(3)},
	{vg.Points(6), vg.Points(2), vg.Points(1), vg.Points(2)},
	{vg.Points(10), vg.Points(2), vg.Points(2), vg.Points(2), vg.Points(2), vg.Points(2)},
	{vg.Points(3), vg.Points(6)},
}

// policyStyle draws retryscope's default with a thicker solid line and
// every other policy in its own colour and dash pattern.
func policyStyle(name string) draw.LineStyle {
	i := indexOf(PolicyNames(), name)
	st := draw.LineStyle{Color: policyColor(name), Width: vg.Points(1.6), Dashes: dashes[i%len(dashes)]}
	if name == "retryscope" {
		st.Width, st.Dashes = vg.Points(3), nil
	}
	return st
}

// Margins of a saved plot: around the whole image, and the legend's
// column on the right, off the data.
const (
	plotMargin  = 12
	legendWidth = 2.1 * vg.Inch
)

// savePlot writes p as a PNG of the given size with a margin all round
// (the title clear of the edge) and its legend in a column of its own to
// the right of the axes, where it cannot hide data.
func savePlot(p *plot.Plot, w, h vg.Length, file string) error {
	return savePlotLegend(p, w, h, file, true)
}

// savePlotLegend is savePlot, without the legend's column when legend is
// false.
func savePlotLegend(p *plot.Plot, w, h vg.Length, file string, withLegend bool) error {
	lw := legendWidth
	if !withLegend {
		lw = 0
	}
	img := vgimg.New(w, h)
	dc := draw.New(img)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	m := vg.Points(plotMargin)
	legend := p.Legend
	p.Legend = plot.NewLegend()
	p.Title.Padding = vg.Points(8)
	p.Draw(draw.Crop(dc, m, -(m + lw), m, -m))
	if withLegend {
		legend.Top, legend.Left = true, true
		title := p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y + p.Title.Padding
		legend.Draw(draw.Crop(dc, w-lw, -m, m, -(m + title)))
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return len(list)
}

// shadeWindow draws the fault window as a grey band from y0 to y1.
func shadeWindow(p *plot.Plot, from, to, y0, y1 float64) error {
	poly, err := plotter.NewPolygon(plotter.XYs{{X: from, Y: y0}, {X: to, Y: y0}, {X: to, Y: y1}, {X: from, Y: y1}})
	if err != nil {
		return err
	}
	poly.Color = color.Gray{Y: 230}
	poly.LineStyle.Width = 0
	p.Add(poly)
	p.Legend.Add("fault window", poly)
	return nil
}

// Plot groups: the peers against retryscope's default, and retryscope's
// variants against its default (with no retries as the reference).
var (
	groupPeers    = []string{"none", "retryablehttp", "failsafe-go", "aws-sdk-standard", "retryscope"}
	groupVariants = []string{"none", "retryscope", "retryscope-hedge", "retryscope-no-budget", "retryscope-no-breaker", "retryscope-idempotency"}
)

// secondTicks labels emulated seconds with whole numbers: a major tick
// every 30 s, a minor one every 10 s.
type secondTicks struct{}

func (secondTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for v := math.Ceil(lo/10) * 10; v <= hi; v += 10 {
		t := plot.Tick{Value: v}
		if int(v)%30 == 0 {
			t.Label = fmt.Sprintf("%.0f", v)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// smooth averages a per-second series over a centred 5 s window.
func smooth(v []int) []float64 {
	out := make([]float64, len(v))
	const half = 2
	for i := range v {
		sum, n := 0, 0
		for j := max(0, i-half); j <= min(len(v)-1, i+half); j++ {
			sum += v[j]
			n++
		}
		out[i] = float64(sum) / float64(n)
	}
	return out
}

// plotSeries writes a line plot of one series per result of a scenario
// whose policy is in group: success (rate over time) or load (invocations
// started per second, averaged over 5 s).
func plotSeries(results []Result, scenario, what, title, file string, group []string) (bool, error) {
	p := plot.New()
	p.X.Label.Text = "emulated time (s)"
	var ymax float64
	var lines []struct {
		name string
		xys  plotter.XYs
	}
	var window [2]float64
	for _, r := range results {
		if r.Scenario != scenario || indexOf(group, r.Policy) == len(group) {
			continue
		}
		window = [2]float64{r.WindowFromMS / 1000, r.WindowToMS / 1000}
		var xys plotter.XYs
		if what == "success" {
			// A point is the rate over [t, t+5 s), drawn at its middle.
			mid := RecoveryWindow.Seconds() / 2
			for i, v := range r.Success {
				if v >= 0 {
					xys = append(xys, plotter.XY{X: float64(i) + mid, Y: 100 * v})
				}
			}
		} else {
			for i, v := range smooth(r.Load) {
				xys = append(xys, plotter.XY{X: float64(i), Y: v})
				ymax = max(ymax, v)
			}
		}
		lines = append(lines, struct {
			name string
			xys  plotter.XYs
		}{r.Policy, xys})
	}
	if len(lines) == 0 {
		return false, nil
	}
	if what == "success" {
		p.Title.Text = scenario + ", " + title + ": share of the requests issued in each 5 s that succeeded"
		p.Y.Label.Text = "success of requests issued in [t, t+5 s) (%)"
		p.Y.Min, p.Y.Max, ymax = 0, 105, 105
	} else {
		p.Title.Text = scenario + ", " + title + ": backend load (Lambda invocations started per second, 5 s average)"
		p.Y.Label.Text = "invocations / s"
		p.Y.Min = 0
		ymax *= 1.05
	}
	if window[1] > window[0] {
		if err := shadeWindow(p, window[0], window[1], 0, ymax); err != nil {
			return false, err
		}
	}
	for _, l := range lines {
		ln, err := plotter.NewLine(l.xys)
		if err != nil {
			return false, err
		}
		ln.LineStyle = policyStyle(l.name)
		p.Add(ln)
		p.Legend.Add(l.name, ln)
	}
	// The x axis ends with the data; the legend has a column of its own.
	var xmax float64
	for _, l := range lines {
		if n := len(l.xys); n > 0 {
			xmax = max(xmax, l.xys[n-1].X)
		}
	}
	p.X.Min, p.X.Max = 0, xmax
	p.X.Tick.Marker = secondTicks{}
	p.Add(plotter.NewGrid())
	return true, savePlot(p, lineWidth, lineHeight, file)
}

// plotAmplification writes a grouped bar chart: for every scenario, one bar
// of attempts per logical request per policy.
func plotAmplification(results []Result, scenarios, policies []string, file string) error {
	p := plot.New()
	p.Title.Text = "amplification: attempts per logical request (first seed, first deadline)"
	p.Y.Label.Text = "attempts / request"
	p.Y.Min = 0
	w := vg.Points(60 / float64(max(len(policies), 1)))
	for i, pol := range policies {
		vals := make(plotter.Values, len(scenarios))
		ran := false
		for j, sc := range scenarios {
			if r := find(results, sc, pol); r != nil {
				vals[j], ran = r.Amplification, true
			}
		}
		if !ran {
			continue
		}
		b, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return err
		}
		b.Color = policyColor(pol)
		b.LineStyle.Width = 0
		b.Offset = w * vg.Length(float64(i)-float64(len(policies)-1)/2)
		p.Add(b)
		p.Legend.Add(pol, b)
	}
	p.NominalX(scenarios...)
	p.X.Tick.Label.Rotation = 0.35
	p.X.Tick.Label.XAlign = draw.XRight
	p.Add(plotter.NewGrid())
	return savePlot(p, barWidth, barHeight, file)
}

// plotDuplicates writes a bar chart of duplicate executions per policy,
// summed over the scenarios.
func plotDuplicates(results []Result, policies []string, file string) error {
	p := plot.New()
	p.Title.Text = "duplicate executions: non-idempotent requests (POST, post-timeouts) whose function ran more than once"
	p.Y.Label.Text = "duplicate executions"
	p.Y.Min = 0
	vals := make(plotter.Values, len(policies))
	for i, pol := range policies {
		for _, r := range results {
			if r.Policy == pol {
				vals[i] += float64(r.Duplicates)
			}
		}
	}
	b, err := plotter.NewBarChart(vals, vg.Points(30))
	if err != nil {
		return err
	}
	b.Color = policyColor("retryablehttp")
	b.LineStyle.Width = 0
	p.Add(b)
	labels, err := plotter.NewLabels(valueLabels(vals))
	if err != nil {
		return err
	}
	for i := range labels.TextStyle {
		labels.TextStyle[i].XAlign = draw.XCenter
	}
	labels.Offset = vg.Point{Y: vg.Points(3)}
	p.Add(labels)
	p.NominalX(policies...)
	p.X.Tick.Label.Rotation = 0.35
	p.X.Tick.Label.XAlign = draw.XRight
	// Room above the tallest bar for its label.
	top := 0.0
	for _, v := range vals {
		top = max(top, v)
	}
	p.Y.Max = math.Max(1, top*1.15)
	p.Add(plotter.NewGrid())
	return savePlotLegend(p, barWidth, barHeight, file, false)
}

func valueLabels(vals plotter.Values) plotter.XYLabels {
	var l plotter.XYLabels
	for i, v := range vals {
		l.XYs = append(l.XYs, plotter.XY{X: float64(i), Y: v})
		l.Labels = append(l.Labels, fmt.Sprintf("%.0f", v))
	}
	return l
}

func find(results []Result, scenario, policy string) *Result {
	for i := range results {
		if results[i].Scenario == scenario && results[i].Policy == policy {
			return &results[i]
		}
	}
	return nil
}

// Plots writes the report's plots into dir and returns their file names
// (relative to dir): success rate and backend load over time for the
// outage and overload scenarios (those that ran), amplification per policy
// and scenario, duplicate executions per policy.
func Plots(results []Result, dir string) ([]string, error) {
	results = firstRuns(results)
	scenarios, policies := names(results)
	var files []string
	for _, sc := range []string{"outage", "overload", "storm", "fleet"} {
		if !hasScenario(results, sc) {
			continue
		}
		groups := []struct {
			name, title string
			policies    []string
		}{{"peers", "peers vs retryscope", groupPeers}, {"variants", "retryscope variants", groupVariants}}
		if s, ok := ScenarioByName(sc); ok && s.Heavy {
			groups = groups[:1]
			groups[0].name, groups[0].title, groups[0].policies = "policies", "every policy", PolicyNames()
		}
		for _, g := range groups {
			for _, what := range []string{"success", "load"} {
				f := sc + "-" + what + "-" + g.name + ".png"
				ok, err := plotSeries(results, sc, what, g.title, filepath.Join(dir, f), g.policies)
				if err != nil {
					return files, fmt.Errorf("plot %s: %w", f, err)
				}
				if ok {
					files = append(files, f)
				}
			}
		}
	}
	if len(results) > 0 {
		if err := plotAmplification(results, scenarios, policies, filepath.Join(dir, "amplification.png")); err != nil {
			return files, fmt.Errorf("plot amplification.png: %w", err)
		}
		if err := plotDuplicates(results, policies, filepath.Join(dir, "duplicates.png")); err != nil {
			return files, fmt.Errorf("plot duplicates.png: %w", err)
		}
		files = append(files, "amplification.png", "duplicates.png")
	}
	return files, nil
}

func hasScenario(results []Result, sc string) bool {
	for _, r := range results {
		if r.Scenario == sc {
			return true
		}
	}
	return false
}

// names returns the scenarios and policies of results in first-seen order.
func names(results []Result) (scenarios, policies []string) {
	for _, r := range results {
		if indexOf(scenarios, r.Scenario) == len(scenarios) {
			scenarios = append(scenarios, r.Scenario)
		}
		if indexOf(policies, r.Policy) == len(policies) {
			policies = append(policies, r.Policy)
		}
	}
	return scenarios, policies
}

// firstRuns keeps the results of the first deadline and the first seed
// (the plots draw one run per policy).
func firstRuns(results []Result) []Result {
	if len(results) == 0 {
		return nil
	}
	d, seed := results[0].Deadline, results[0].Seed
	var out []Result
	for _, r := range results {
		if r.Deadline == d && r.Seed == seed {
			out = append(out, r)
		}
	}
	return out
}
