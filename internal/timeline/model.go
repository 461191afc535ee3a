package timeline

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Geometry of a lane's SVG, in pixels.
const (
	svgWidth  = 1100.0
	labelW    = 290.0 // the left column with attempt labels
	plotX0    = labelW + 10
	plotW     = svgWidth - plotX0 - 240 // room on the right for notes past the last bar
	topPad    = 16.0                    // room for the timeout lines' labels
	rowH      = 22.0                    // an attempt's bar row
	execH     = 14.0                    // the execution row under it
	rowGap    = 6.0
	attemptH  = rowH + execH + rowGap
	barH      = 18.0
	execBarH  = 10.0
	minBarW   = 2.0
	charW     = 6.6 // a label character's width at 11px, for fitting labels in bars
	tickCount = 6
)

// Page is the page model: everything positioned, ready for the template.
type Page struct {
	Title, Source string
	Summary       Summary
	Findings      []PageFinding
	Notes, Files  []string
	Axis          Axis
	Lanes         []Lane
	// Filters for verdicts and statuses; only those with matches.
	VerdictFilters, StatusFilters []Filter
	// Open says whether lanes' evidence tables start open (few lanes).
	Open bool
	// IntegrationTimeout as text, "" when unknown.
	IntegrationTimeout string
	InferredVerdicts   bool
}

// Summary counts what the page shows.
type Summary struct {
	Requests, Attempts       int
	Ran, NotRun, Maybe, None int
	// TimeoutsRan counts gateway timeouts (504s) whose function ran;
	// RanPastTimeout those of them still running when the gateway gave up.
	TimeoutsRan, RanPastTimeout int
	// Duplicates counts logical requests that ran the function more than
	// once; ExtraRuns the runs beyond the first.
	Duplicates, ExtraRuns int
}

// PageFinding is a finding with links to the lanes it names.
type PageFinding struct {
	Finding
	Lanes []LaneRef
}

// LaneRef links to a lane.
type LaneRef struct {
	Anchor, Label string
}

// Filter is one filter choice.
type Filter struct {
	ID, Label string
	Count     int
}

// Axis is the shared time axis: the same scale for every lane, each lane's
// origin its own first moment.
type Axis struct {
	Span  time.Duration
	Ticks []Tick
}

// Tick is one axis mark.
type Tick struct {
	X     float64
	Label string
}

// Lane is one logical request's swimlane.
type Lane struct {
	Anchor  string
	Classes string
	Label   string
	What    string
	ID      string
	Final   string // final status or error
	Height  float64
	Rows    []LaneRow
	Waits   []Wait
	Marks   []Mark
	Grid    string // the axis ticks' vertical lines, one SVG path
	Details []DetailRow
	// Open is the page's Open, for the lane's own template.
	Open bool
}

// LaneRow is one attempt's two rows: its bar and the function run under it.
type LaneRow struct {
	Y, ExecY   float64 // top of the attempt bar, top of the execution bar
	TextY      float64 // baseline of the attempt label
	ExecTextY  float64
	Label      string // left column: "#1 504 bcb120d3"
	Verdict    string // ran / not run / maybe / ?
	VerdictCls string
	ExecLabel  string // left column of the execution row, "" for none
	Bar        Bar
	Exec       []Bar // the run, split at the gateway's give-up
	ExecNote   *Text // "ran 61 ms past the timeout"
}

// Bar is a rectangle with an optional label and a tooltip.
type Bar struct {
	X, Y, W, H float64
	Class      string
	Label      string
	LabelX     float64
	LabelIn    bool // the label fits inside the bar
	TextY      float64
	Title      string
}

// Text is a label at a position.
type Text struct {
	X, Y  float64
	Label string
}

// Wait is a backoff between attempts, drawn as a line.
type Wait struct {
	X1, X2, Y float64
	Label     string
	LabelX    float64
}

// Mark is a vertical line: the gateway's integration timeout.
type Mark struct {
	X, Y1, Y2 float64
	Label     string
	Title     string
}

// DetailRow is one attempt in the lane's evidence table.
type DetailRow struct {
	Attempt, RequestID, Status, Reach, Verdict, VerdictCls, Reason, Evidence, Function, RanOn string
}

// Build positions everything in in for the template.
func Build(in Input) Page {
	p := Page{Title: in.Title, Source: in.Source, Notes: in.Notes, Files: in.Files, InferredVerdicts: in.InferredVerdicts}
	if p.Title == "" {
		p.Title = "retryscope timeline"
	}
	if in.IntegrationTimeout > 0 {
		p.IntegrationTimeout = fmtDur(in.IntegrationTimeout)
	}
	p.Axis.Span = sharedSpan(in.Requests)
	p.Axis.Ticks = ticks(p.Axis.Span)
	p.Open = len(in.Requests) <= 20
	anchorOf := map[string]LaneRef{}
	verdictCount := map[string]int{}
	statusCount := map[string]int{}
	for i, r := range in.Requests {
		lane := buildLane(i, r, p.Axis.Span, &p.Summary)
		lane.Open = p.Open
		for _, a := range r.Attempts {
			if a.RequestID != "" {
				anchorOf[a.RequestID] = LaneRef{Anchor: lane.Anchor, Label: lane.Label}
			}
		}
		for _, c := range strings.Fields(lane.Classes) {
			if strings.HasPrefix(c, "st-") {
				statusCount[c]++
			} else {
				verdictCount[c]++
			}
		}
		var grid strings.Builder
		for _, t := range p.Axis.Ticks {
			fmt.Fprintf(&grid, "M%g 0V%g", t.X, lane.Height)
		}
		lane.Grid = strings.TrimSpace(grid.String())
		p.Lanes = append(p.Lanes, lane)
	}
	p.Summary.Requests = len(in.Requests)
	for _, f := range []Filter{{"v-ran", "ran", 0}, {"v-not_run", "not run", 0}, {"v-maybe", "maybe", 0}, {"late", "ran past the timeout", 0}, {"dup", "ran more than once", 0}} {
		if f.Count = verdictCount[f.ID]; f.Count > 0 {
			p.VerdictFilters = append(p.VerdictFilters, f)
		}
	}
	for _, f := range statusGroups {
		if f.Count = statusCount[f.ID]; f.Count > 0 {
			p.StatusFilters = append(p.StatusFilters, f)
		}
	}
	for _, f := range in.Findings {
		pf := PageFinding{Finding: f}
		seen := map[string]bool{}
		for _, id := range f.RequestIDs {
			if ref, ok := anchorOf[id]; ok && !seen[ref.Anchor] && len(pf.Lanes) < 20 {
				seen[ref.Anchor] = true
				pf.Lanes = append(pf.Lanes, ref)
			}
		}
		p.Findings = append(p.Findings, pf)
	}
	return p
}

// statusGroups are the status filters, in the order shown.
var statusGroups = []Filter{
	{ID: "st-2xx", Label: "2xx"}, {ID: "st-4xx", Label: "4xx"}, {ID: "st-502", Label: "502"},
	{ID: "st-504", Label: "504"}, {ID: "st-5xx", Label: "other 5xx"}, {ID: "st-none", Label: "no answer"},
}

// statusClass is the filter class of a status.
func statusClass(status int) string {
	switch {
	case status == 0:
		return "st-none"
	case status == 502 || status == 504:
		return fmt.Sprintf("st-%d", status)
	case status >= 500:
		return "st-5xx"
	case status >= 400:
		return "st-4xx"
	}
	return "st-2xx"
}

// laneBounds returns a request's first and last moments: attempts,
// function runs, and the deadlines of attempts the gateway timed out.
func laneBounds(r Request) (first, last time.Time) {
	see := func(t time.Time) {
		if t.IsZero() {
			return
		}
		if first.IsZero() || t.Before(first) {
			first = t
		}
		if t.After(last) {
			last = t
		}
	}
	for _, a := range r.Attempts {
		see(a.Sent)
		see(a.Answered)
		if a.Wait > 0 && !a.Answered.IsZero() {
			see(a.Answered.Add(a.Wait))
		}
		if a.GatewayTimedOut {
			see(a.Deadline)
			see(a.GaveUp)
		}
		if f := a.Function; f != nil {
			see(f.Start)
			see(f.End)
		}
	}
	return first, last
}

// sharedSpan is the longest lane's span, the axis every lane shares.
func sharedSpan(reqs []Request) time.Duration {
	var span time.Duration
	for _, r := range reqs {
		first, last := laneBounds(r)
		span = max(span, last.Sub(first))
	}
	if span <= 0 {
		span = time.Millisecond
	}
	return span
}

// ticks places about tickCount round marks over span.
func ticks(span time.Duration) []Tick {
	step := niceStep(span / tickCount)
	var out []Tick
	for i := time.Duration(0); i <= 2*tickCount && i <= span/step; i++ {
		out = append(out, Tick{X: xAt(i*step, span), Label: fmtDur(i * step)})
	}
	return out
}

// niceStep rounds d up to 1, 2 or 5 times a power of ten (at least 1µs;
// d itself when that would overflow).
func niceStep(d time.Duration) time.Duration {
	if d < time.Microsecond {
		return time.Microsecond
	}
	if d > math.MaxInt64/20 {
		return d
	}
	p := math.Pow(10, math.Floor(math.Log10(float64(d))))
	for _, m := range []float64{1, 2, 5, 10} {
		if s := time.Duration(m * p); s >= d {
			return s
		}
	}
	return time.Duration(10 * p)
}

// xAt is the x position of offset t on an axis of span.
func xAt(t time.Duration, span time.Duration) float64 {
	return round1(plotX0 + float64(t)/float64(span)*plotW)
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

func buildLane(i int, r Request, span time.Duration, sum *Summary) Lane {
	lane := Lane{Anchor: fmt.Sprintf("r%d", i+1), ID: r.ID, Label: r.Label, What: r.What}
	if lane.Label == "" {
		lane.Label = fmt.Sprintf("request %d", i+1)
	}
	origin, _ := laneBounds(r)
	x := func(t time.Time) float64 { return xAt(t.Sub(origin), span) }
	classes := map[string]bool{}
	ran := 0
	for k, a := range r.Attempts {
		sum.Attempts++
		y := topPad + float64(k)*attemptH
		row := LaneRow{Y: y + (rowH-barH)/2, ExecY: y + rowH + (execH-execBarH)/2, TextY: y + 15, ExecTextY: y + rowH + 10}
		row.Verdict, row.VerdictCls = verdictLabel(a.Verdict)
		switch a.Verdict {
		case VerdictRan:
			sum.Ran++
			ran++
		case VerdictNotRun:
			sum.NotRun++
		case VerdictMaybe:
			sum.Maybe++
		default:
			sum.None++
		}
		classes["v-"+a.Verdict] = a.Verdict != ""
		classes[statusClass(a.Status)] = true
		row.Label = attemptLabel(a)
		if !a.Sent.IsZero() {
			b := Bar{X: x(a.Sent), Y: row.Y, H: barH, Class: "att " + row.VerdictCls + " reach-" + a.Reach, TextY: row.TextY}
			end := a.Answered
			if end.IsZero() || end.Before(a.Sent) {
				end = a.Sent
			}
			b.W = math.Max(minBarW, round1(x(end)-b.X))
			b.Label = statusText(a)
			if id := shortID(a.RequestID); id != "" {
				b.Label += " · " + id
			}
			placeLabel(&b)
			b.Title = attemptTitle(a)
			row.Bar = b
			if a.Wait > 0 && !a.Answered.IsZero() {
				w := Wait{X1: x(a.Answered), X2: x(a.Answered.Add(a.Wait)), Y: y + rowH/2,
					Label: "wait " + fmtDur(a.Wait)}
				if w.X2-w.X1 < float64(len(w.Label))*charW*0.9+8 {
					w.Label = "" // too short to label: the tooltip says it
				}
				w.LabelX = round1((w.X1 + w.X2) / 2)
				lane.Waits = append(lane.Waits, w)
			}
		}
		if a.GatewayTimedOut && !a.Deadline.IsZero() {
			label := "timeout"
			if k == 0 || !r.Attempts[k-1].GatewayTimedOut {
				label = "integration timeout"
			}
			lane.Marks = append(lane.Marks, Mark{X: x(a.Deadline), Y1: y - 4, Y2: y + attemptH - rowGap/2, Label: label,
				Title: fmt.Sprintf("the gateway's integration timeout for %s: %s after it arrived", orDash(a.RequestID), fmtDur(a.Deadline.Sub(a.Sent)))})
		}
		if a.GatewayTimedOut && a.Verdict == VerdictRan {
			sum.TimeoutsRan++
		}
		if f := a.Function; f != nil {
			row.ExecLabel = "λ " + orDash(shortID(f.LambdaRequestID))
			switch {
			case !f.Start.IsZero() && !f.End.IsZero():
				row.ExecLabel += " · ran " + fmtDur(f.End.Sub(f.Start))
			case f.DurationMS > 0:
				row.ExecLabel += " · REPORT " + fmtDur(time.Duration(f.DurationMS*float64(time.Millisecond)))
			}
			late := a.RanAfterTimeout
			if !f.Start.IsZero() {
				var drawnLate bool
				row.Exec, row.ExecNote, drawnLate = execBars(a, f, x, row)
				late = late || drawnLate
			} else {
				row.ExecLabel += " · no timed line"
			}
			if late && a.GatewayTimedOut && a.Verdict == VerdictRan {
				classes["late"] = true
				sum.RanPastTimeout++
			}
		}
		lane.Rows = append(lane.Rows, row)
		lane.Details = append(lane.Details, detailRow(a, row))
	}
	if ran > 1 {
		classes["dup"] = true
		sum.Duplicates++
		sum.ExtraRuns += ran - 1
	}
	var cls []string
	for _, c := range []string{"v-ran", "v-not_run", "v-maybe", "late", "dup"} {
		if classes[c] {
			cls = append(cls, c)
		}
	}
	for _, g := range statusGroups {
		if classes[g.ID] {
			cls = append(cls, g.ID)
		}
	}
	lane.Classes = strings.Join(cls, " ")
	lane.Height = topPad + 4 + float64(max(1, len(r.Attempts)))*attemptH
	if n := len(r.Attempts); n > 0 {
		lane.Final = finalText(r.Attempts[n-1])
	}
	return lane
}

// execBars draws a function run under its attempt, split where the gateway
// gave up: the part after it in its own colour, with a note.
func execBars(a Attempt, f *Execution, x func(time.Time) float64, row LaneRow) (bars []Bar, note *Text, late bool) {
	title := fmt.Sprintf("function run %s", orDash(f.LambdaRequestID))
	if f.StartEvidence != "" {
		title += "; started: " + f.StartEvidence
	}
	if f.EndEvidence != "" {
		title += "; ended: " + f.EndEvidence
	}
	mk := func(from, to time.Time, cls string) Bar {
		b := Bar{X: x(from), Y: row.ExecY, H: execBarH, Class: cls}
		b.W = math.Max(minBarW, round1(x(to)-b.X))
		return b
	}
	defer func() { bars[0].Title = title }()
	end := f.End
	if end.IsZero() {
		// No END or REPORT: still running when the log ends.
		b := mk(f.Start, f.Start, "exec open")
		b.W = 24
		return []Bar{b}, &Text{X: round1(b.X + b.W + 4), Y: row.ExecTextY, Label: "no END line: still running when the log ends?"}, false
	}
	if a.GatewayTimedOut && !a.GaveUp.IsZero() && end.After(a.GaveUp) {
		split := a.GaveUp
		if split.Before(f.Start) {
			split = f.Start
		}
		bars = []Bar{mk(f.Start, split, "exec"), mk(split, end, "exec late")}
		note = &Text{X: round1(bars[1].X + bars[1].W + 4), Y: row.ExecTextY,
			Label: "ran " + fmtDur(end.Sub(a.GaveUp)) + " past the timeout"}
		return bars, note, true
	}
	b := mk(f.Start, end, "exec")
	if a.GatewayTimedOut {
		note = &Text{X: round1(b.X + b.W + 4), Y: row.ExecTextY, Label: "finished before the timeout"}
	}
	return []Bar{b}, note, false
}

// placeLabel puts the label inside the bar when it fits, else after it.
func placeLabel(b *Bar) {
	if float64(len(b.Label))*charW+8 <= b.W {
		b.LabelIn = true
		b.LabelX = round1(b.X + 4)
		return
	}
	b.LabelX = round1(b.X + b.W + 4)
}

func verdictLabel(v string) (label, class string) {
	switch v {
	case VerdictRan:
		return "ran", "ran"
	case VerdictNotRun:
		return "not run", "notrun"
	case VerdictMaybe:
		return "maybe", "maybe"
	}
	return "?", "unknown"
}

func attemptLabel(a Attempt) string {
	s := "#?"
	if a.Number > 0 {
		s = fmt.Sprintf("#%d", a.Number)
	}
	if a.Hedge {
		s += " hedge"
	}
	return s + " " + statusText(a) + " " + orDash(shortID(a.RequestID))
}

func statusText(a Attempt) string {
	if a.Status != 0 {
		return fmt.Sprint(a.Status)
	}
	if a.Reach == "not_sent" {
		return "not sent"
	}
	return "no answer"
}

func finalText(a Attempt) string {
	if a.Status != 0 {
		return fmt.Sprint(a.Status)
	}
	if a.Error != "" {
		return "error"
	}
	return "no answer"
}

func attemptTitle(a Attempt) string {
	var b strings.Builder
	fmt.Fprintf(&b, "attempt %d: %s, request id %s", a.Number, statusText(a), orDash(a.RequestID))
	if a.Reach != "" {
		fmt.Fprintf(&b, ", reach %s", a.Reach)
	}
	if !a.Sent.IsZero() && !a.Answered.IsZero() {
		fmt.Fprintf(&b, ", %s", fmtDur(a.Answered.Sub(a.Sent)))
	}
	if a.Wait > 0 {
		fmt.Fprintf(&b, ", then a backoff of %s", fmtDur(a.Wait))
	}
	verdict, _ := verdictLabel(a.Verdict)
	fmt.Fprintf(&b, "\nverdict: %s", verdict)
	if a.Evidence != "" {
		fmt.Fprintf(&b, " (%s)", a.Evidence)
	}
	if a.Error != "" {
		fmt.Fprintf(&b, "\nerror: %s", a.Error)
	}
	return b.String()
}

func detailRow(a Attempt, row LaneRow) DetailRow {
	d := DetailRow{Attempt: strings.TrimPrefix(strings.Fields(row.Label)[0], "#"), RequestID: orDash(a.RequestID),
		Status: statusText(a), Reach: orDash(a.Reach), Verdict: row.Verdict, VerdictCls: row.VerdictCls,
		Reason: a.Reason, Evidence: orDash(a.Evidence), RanOn: a.RanOn}
	if a.Hedge {
		d.Attempt += " hedge"
	}
	if a.Error != "" {
		d.Status += ": " + a.Error
	}
	if f := a.Function; f != nil {
		d.Function = orDash(f.LambdaRequestID)
		if !f.Start.IsZero() && !f.End.IsZero() {
			d.Function += ", ran " + fmtDur(f.End.Sub(f.Start))
		}
		var lines []string
		for _, e := range []string{f.StartEvidence, f.EndEvidence} {
			if e != "" && (len(lines) == 0 || lines[0] != e) {
				lines = append(lines, e)
			}
		}
		if len(lines) > 0 {
			d.Function += " (" + strings.Join(lines, ", ") + ")"
		}
	}
	return d
}

// shortID is the first group of a UUID-like id, enough to tell attempts
// apart on the page; the full id is in the tooltip and the table.
func shortID(id string) string {
	if i := strings.IndexByte(id, '-'); i >= 8 {
		return id[:i]
	}
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// fmtDur formats d for axis and labels: ms below a second, s below a
// minute, else minutes and seconds.
func fmtDur(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + fmtDur(-d)
	case d == 0:
		return "0"
	case d < 100*time.Microsecond:
		return "<0.1 ms"
	case d < 10*time.Millisecond:
		return trimZeros(fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond))) + " ms"
	case d < time.Second:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	case d < time.Minute:
		return trimZeros(fmt.Sprintf("%.2f", d.Seconds())) + " s"
	}
	return d.Round(time.Second).String()
}

func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
