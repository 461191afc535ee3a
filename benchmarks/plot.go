package benchmarks

import (
	"fmt"
	"image/color"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Plot sizes.
const (
	lineWidth  = 9 * vg.Inch
	lineHeight = 4.5 * vg.Inch
	barWidth   = 11 * vg.Inch
	barHeight  = 4.5 * vg.Inch
)

// policyStyle gives every policy the same colour and dashes in every plot,
// and retryscope's default a thicker line.
func policyStyle(name string, order []string) draw.LineStyle {
	i := indexOf(order, name)
	st := draw.LineStyle{Color: plotutil.Color(i), Width: vg.Points(1.2), Dashes: plotutil.Dashes(i / 7)}
	if name == "retryscope" {
		st.Width = vg.Points(2.6)
	}
	return st
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

// plotSeries writes a line plot of one series per result of a scenario:
// success (rate over time) or load (invocations started per second).
func plotSeries(results []Result, scenario, what, file string, order []string) error {
	p := plot.New()
	p.X.Label.Text = "emulated time (s)"
	var ymax float64
	var lines []struct {
		name string
		xys  plotter.XYs
	}
	var window [2]float64
	for _, r := range results {
		if r.Scenario != scenario {
			continue
		}
		window = [2]float64{r.WindowFromMS / 1000, r.WindowToMS / 1000}
		var xys plotter.XYs
		if what == "success" {
			for i, v := range r.Success {
				if v >= 0 {
					xys = append(xys, plotter.XY{X: float64(i), Y: 100 * v})
				}
			}
		} else {
			for i, v := range r.Load {
				xys = append(xys, plotter.XY{X: float64(i), Y: float64(v)})
				ymax = max(ymax, float64(v))
			}
		}
		lines = append(lines, struct {
			name string
			xys  plotter.XYs
		}{r.Policy, xys})
	}
	if len(lines) == 0 {
		return nil
	}
	if what == "success" {
		p.Title.Text = scenario + ": success rate of requests issued in the next 5 s"
		p.Y.Label.Text = "success (%)"
		p.Y.Min, p.Y.Max, ymax = 0, 105, 105
	} else {
		p.Title.Text = scenario + ": backend load (Lambda invocations started per second)"
		p.Y.Label.Text = "invocations / s"
		p.Y.Min = 0
		ymax *= 1.05
	}
	if window[1] > window[0] {
		if err := shadeWindow(p, window[0], window[1], 0, ymax); err != nil {
			return err
		}
	}
	for _, l := range lines {
		ln, err := plotter.NewLine(l.xys)
		if err != nil {
			return err
		}
		ln.LineStyle = policyStyle(l.name, order)
		p.Add(ln)
		p.Legend.Add(l.name, ln)
	}
	p.Legend.Top = what != "success"
	p.Legend.Left = false
	p.Add(plotter.NewGrid())
	return p.Save(lineWidth, lineHeight, file)
}

// plotAmplification writes a grouped bar chart: for every scenario, one bar
// of attempts per logical request per policy.
func plotAmplification(results []Result, scenarios, policies []string, file string) error {
	p := plot.New()
	p.Title.Text = "amplification: attempts per logical request"
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
		b.Color = plotutil.Color(indexOf(policies, pol))
		b.LineStyle.Width = 0
		b.Offset = w * vg.Length(float64(i)-float64(len(policies)-1)/2)
		p.Add(b)
		p.Legend.Add(pol, b)
	}
	p.NominalX(scenarios...)
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p.Save(barWidth, barHeight, file)
}

// plotDuplicates writes a bar chart of duplicate executions per policy,
// summed over the scenarios.
func plotDuplicates(results []Result, policies []string, file string) error {
	p := plot.New()
	p.Title.Text = "duplicate executions: non-idempotent requests whose function ran more than once"
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
	b.Color = plotutil.Color(1)
	b.LineStyle.Width = 0
	p.Add(b)
	labels, err := plotter.NewLabels(valueLabels(vals))
	if err != nil {
		return err
	}
	p.Add(labels)
	p.NominalX(policies...)
	p.X.Tick.Label.Rotation = 0.35
	p.X.Tick.Label.XAlign = draw.XRight
	p.Add(plotter.NewGrid())
	return p.Save(barWidth, barHeight, file)
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
	scenarios, policies := names(results)
	var files []string
	for _, sc := range []string{"outage", "overload"} {
		for _, what := range []string{"success", "load"} {
			if !hasScenario(results, sc) {
				continue
			}
			f := sc + "-" + what + ".png"
			if err := plotSeries(results, sc, what, filepath.Join(dir, f), policies); err != nil {
				return files, fmt.Errorf("plot %s: %w", f, err)
			}
			files = append(files, f)
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
