package timeline

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retryscope/retryscope/diagnose"
)

var t0 = time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

const s = time.Second

// x is where offset d lands on an axis of span.
func x(d, span time.Duration) float64 { return xAt(d, span) }

func near(a, b float64) bool { return math.Abs(a-b) <= 0.11 }

func hasClass(classes, c string) bool { return strings.Contains(" "+classes+" ", " "+c+" ") }

func TestBuildLane(t *testing.T) {
	t.Parallel()
	timedOut := Attempt{Number: 1, RequestID: "aaaaaaaa-1111", Status: 504, Reach: "backend_timeout", Verdict: VerdictRan,
		Sent: at(0), Answered: at(29 * s), GatewayTimedOut: true, Deadline: at(29 * s), GaveUp: at(29 * s), Evidence: "lambda.log:3",
		Function: &Execution{LambdaRequestID: "cccccccc-1", Start: at(s), End: at(35 * s), StartEvidence: "lambda.log:1", EndEvidence: "lambda.log:3"}}
	tests := []struct {
		name string
		req  Request
		// want
		span                 time.Duration
		bars                 [][2]float64 // x, width of each attempt bar
		exec                 [][][2]float64
		execClass            [][]string
		marks                []float64
		waits                [][2]float64
		verdicts             []string
		classes, notClasses  []string
		note                 string
		ran, notRun, maybe   int
		timeoutsRan, ranPast int
		dups                 int
	}{
		{
			name:      "504 whose function ran past the timeout",
			req:       Request{Attempts: []Attempt{timedOut}},
			span:      35 * s,
			bars:      [][2]float64{{x(0, 35*s), x(29*s, 35*s) - x(0, 35*s)}},
			exec:      [][][2]float64{{{x(s, 35*s), x(29*s, 35*s) - x(s, 35*s)}, {x(29*s, 35*s), x(35*s, 35*s) - x(29*s, 35*s)}}},
			execClass: [][]string{{"exec", "exec late"}}, marks: []float64{x(29*s, 35*s)},
			verdicts: []string{"ran"}, classes: []string{"v-ran", "st-504", "late"}, notClasses: []string{"dup"},
			note: "ran 6 s past the timeout", ran: 1, timeoutsRan: 1, ranPast: 1,
		},
		{
			name: "504 not run, backoff, then 200 that ran",
			req: Request{Attempts: []Attempt{
				{Number: 1, Status: 504, Reach: "backend_timeout", Verdict: VerdictNotRun, Sent: at(0), Answered: at(29 * s), Wait: 2 * s,
					GatewayTimedOut: true, Deadline: at(29 * s), GaveUp: at(29 * s)},
				{Number: 2, Status: 200, Reach: "backend", Verdict: VerdictRan, Sent: at(31 * s), Answered: at(32 * s),
					Function: &Execution{Start: at(31 * s), End: at(32 * s)}},
			}},
			span: 32 * s,
			bars: [][2]float64{{x(0, 32*s), x(29*s, 32*s) - x(0, 32*s)}, {x(31*s, 32*s), x(32*s, 32*s) - x(31*s, 32*s)}},
			exec: [][][2]float64{nil, {{x(31*s, 32*s), x(32*s, 32*s) - x(31*s, 32*s)}}}, execClass: [][]string{nil, {"exec"}},
			marks: []float64{x(29*s, 32*s)}, waits: [][2]float64{{x(29*s, 32*s), x(31*s, 32*s)}},
			verdicts: []string{"not run", "ran"}, classes: []string{"v-ran", "v-not_run", "st-504", "st-2xx"}, notClasses: []string{"late", "dup", "v-maybe"},
			ran: 1, notRun: 1,
		},
		{
			name: "two runs: a duplicate execution",
			req: Request{Attempts: []Attempt{timedOut, {Number: 2, Status: 200, Reach: "backend", Verdict: VerdictRan, Sent: at(30 * s), Answered: at(31 * s),
				Function: &Execution{Start: at(30 * s), End: at(31 * s)}}}},
			span:  35 * s,
			bars:  [][2]float64{{x(0, 35*s), x(29*s, 35*s) - x(0, 35*s)}, {x(30*s, 35*s), x(31*s, 35*s) - x(30*s, 35*s)}},
			exec:  [][][2]float64{{{x(s, 35*s), x(29*s, 35*s) - x(s, 35*s)}, {x(29*s, 35*s), x(35*s, 35*s) - x(29*s, 35*s)}}, {{x(30*s, 35*s), x(31*s, 35*s) - x(30*s, 35*s)}}},
			marks: []float64{x(29*s, 35*s)}, verdicts: []string{"ran", "ran"}, classes: []string{"dup", "late"},
			note: "ran 6 s past the timeout", ran: 2, timeoutsRan: 1, ranPast: 1, dups: 1,
		},
		{
			name: "function finished before the gateway gave up",
			req: Request{Attempts: []Attempt{{Number: 1, Status: 504, Reach: "backend_timeout", Verdict: VerdictRan, Sent: at(0), Answered: at(29 * s),
				GatewayTimedOut: true, Deadline: at(29 * s), GaveUp: at(29 * s), Function: &Execution{Start: at(s), End: at(28 * s)}}}},
			span: 29 * s,
			bars: [][2]float64{{x(0, 29*s), x(29*s, 29*s) - x(0, 29*s)}},
			exec: [][][2]float64{{{x(s, 29*s), x(28*s, 29*s) - x(s, 29*s)}}}, execClass: [][]string{{"exec"}},
			marks: []float64{x(29*s, 29*s)}, verdicts: []string{"ran"}, classes: []string{"v-ran"}, notClasses: []string{"late"},
			note: "finished before the timeout", ran: 1, timeoutsRan: 1,
		},
		{
			name: "function without an END line",
			req: Request{Attempts: []Attempt{{Number: 1, Status: 504, Reach: "backend_timeout", Verdict: VerdictRan, Sent: at(0), Answered: at(29 * s),
				GatewayTimedOut: true, Deadline: at(29 * s), GaveUp: at(29 * s), Function: &Execution{Start: at(s)}}}},
			span: 29 * s,
			bars: [][2]float64{{x(0, 29*s), x(29*s, 29*s) - x(0, 29*s)}},
			exec: [][][2]float64{{{x(s, 29*s), 24}}}, execClass: [][]string{{"exec open"}},
			marks: []float64{x(29*s, 29*s)}, verdicts: []string{"ran"}, notClasses: []string{"late"},
			note: "no END line: still running when the log ends?", ran: 1, timeoutsRan: 1,
		},
		{
			name: "a 429, a connection refused, no answer: maybe, no times",
			req: Request{Attempts: []Attempt{
				{Number: 1, Status: 429, Reach: "gateway", Verdict: VerdictNotRun, Sent: at(0), Answered: at(10 * time.Millisecond)},
				{Number: 2, Reach: "not_sent", Verdict: VerdictNotRun, Sent: at(20 * time.Millisecond), Answered: at(20 * time.Millisecond)},
				{Number: 3, Reach: "unknown", Verdict: VerdictMaybe},
			}},
			span: 20 * time.Millisecond,
			bars: [][2]float64{{x(0, 20*time.Millisecond), plotW / 2}, {x(20*time.Millisecond, 20*time.Millisecond), minBarW}, {0, 0}},
			exec: [][][2]float64{nil, nil, nil}, verdicts: []string{"not run", "not run", "maybe"},
			classes: []string{"v-not_run", "v-maybe", "st-4xx", "st-none"}, notClasses: []string{"v-ran"}, notRun: 2, maybe: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := Build(Input{Requests: []Request{tt.req}})
			if p.Axis.Span != tt.span {
				t.Errorf("span %v, want %v", p.Axis.Span, tt.span)
			}
			lane := p.Lanes[0]
			if len(lane.Rows) != len(tt.bars) {
				t.Fatalf("%d rows, want %d", len(lane.Rows), len(tt.bars))
			}
			for i, row := range lane.Rows {
				if !near(row.Bar.X, tt.bars[i][0]) || !near(row.Bar.W, tt.bars[i][1]) {
					t.Errorf("attempt %d bar at x %.1f width %.1f, want %.1f, %.1f", i+1, row.Bar.X, row.Bar.W, tt.bars[i][0], tt.bars[i][1])
				}
				if row.Verdict != tt.verdicts[i] {
					t.Errorf("attempt %d verdict label %q, want %q", i+1, row.Verdict, tt.verdicts[i])
				}
				if i < len(tt.exec) {
					if len(row.Exec) != len(tt.exec[i]) {
						t.Errorf("attempt %d: %d execution bars, want %d", i+1, len(row.Exec), len(tt.exec[i]))
						continue
					}
					for k, b := range row.Exec {
						if !near(b.X, tt.exec[i][k][0]) || !near(b.W, tt.exec[i][k][1]) {
							t.Errorf("attempt %d execution bar %d at x %.1f width %.1f, want %.1f, %.1f", i+1, k, b.X, b.W, tt.exec[i][k][0], tt.exec[i][k][1])
						}
						if i < len(tt.execClass) && k < len(tt.execClass[i]) && b.Class != tt.execClass[i][k] {
							t.Errorf("attempt %d execution bar %d class %q, want %q", i+1, k, b.Class, tt.execClass[i][k])
						}
					}
				}
			}
			if len(lane.Marks) != len(tt.marks) {
				t.Errorf("%d timeout lines, want %d", len(lane.Marks), len(tt.marks))
			}
			for i := range min(len(lane.Marks), len(tt.marks)) {
				if !near(lane.Marks[i].X, tt.marks[i]) {
					t.Errorf("timeout line at %.1f, want %.1f", lane.Marks[i].X, tt.marks[i])
				}
			}
			if len(lane.Waits) != len(tt.waits) {
				t.Errorf("%d waits, want %d", len(lane.Waits), len(tt.waits))
			}
			for i := range min(len(lane.Waits), len(tt.waits)) {
				if w := lane.Waits[i]; !near(w.X1, tt.waits[i][0]) || !near(w.X2, tt.waits[i][1]) {
					t.Errorf("wait from %.1f to %.1f, want %.1f to %.1f", w.X1, w.X2, tt.waits[i][0], tt.waits[i][1])
				}
			}
			for _, c := range tt.classes {
				if !hasClass(lane.Classes, c) {
					t.Errorf("lane classes %q lack %s", lane.Classes, c)
				}
			}
			for _, c := range tt.notClasses {
				if hasClass(lane.Classes, c) {
					t.Errorf("lane classes %q have %s", lane.Classes, c)
				}
			}
			var notes []string
			for _, r := range lane.Rows {
				if r.ExecNote != nil {
					notes = append(notes, r.ExecNote.Label)
				}
			}
			if tt.note != "" && (len(notes) == 0 || notes[0] != tt.note) {
				t.Errorf("notes %q, want %q first", notes, tt.note)
			}
			if tt.note == "" && len(notes) > 0 {
				t.Errorf("notes %q, want none", notes)
			}
			sum := p.Summary
			if sum.Requests != 1 || sum.Attempts != len(tt.req.Attempts) || sum.Ran != tt.ran || sum.NotRun != tt.notRun || sum.Maybe != tt.maybe ||
				sum.TimeoutsRan != tt.timeoutsRan || sum.RanPastTimeout != tt.ranPast || sum.Duplicates != tt.dups {
				t.Errorf("summary %+v, want ran %d not run %d maybe %d timeouts ran %d ran past %d duplicates %d",
					sum, tt.ran, tt.notRun, tt.maybe, tt.timeoutsRan, tt.ranPast, tt.dups)
			}
		})
	}
}

// TestSharedAxis: every lane uses the longest lane's scale, each from its
// own start, so equal durations are equal widths.
func TestSharedAxis(t *testing.T) {
	t.Parallel()
	long := Request{Attempts: []Attempt{{Number: 1, Status: 200, Sent: at(0), Answered: at(10 * s)}}}
	short := Request{Attempts: []Attempt{{Number: 1, Status: 200, Sent: at(time.Hour), Answered: at(time.Hour + 5*s)}}}
	p := Build(Input{Requests: []Request{long, short}})
	if p.Axis.Span != 10*s {
		t.Fatalf("span %v, want 10s", p.Axis.Span)
	}
	a, b := p.Lanes[0].Rows[0].Bar, p.Lanes[1].Rows[0].Bar
	if a.X != plotX0 || b.X != plotX0 || !near(b.W*2, a.W) {
		t.Errorf("bars at %.1f (%.1f wide) and %.1f (%.1f wide): want both at %.1f, the second half as wide", a.X, a.W, b.X, b.W, plotX0)
	}
	if got := len(p.Axis.Ticks); got < 3 || got > 11 || p.Axis.Ticks[0].Label != "0" {
		t.Errorf("ticks %+v", p.Axis.Ticks)
	}
}

func TestFiltersAndFindings(t *testing.T) {
	t.Parallel()
	in := Input{
		Requests: []Request{
			{Attempts: []Attempt{{RequestID: "r1", Status: 504, Verdict: VerdictRan}}},
			{Attempts: []Attempt{{RequestID: "r2", Status: 200, Verdict: VerdictRan}, {RequestID: "r3", Status: 502, Verdict: VerdictRan}}},
			{Attempts: []Attempt{{RequestID: "r4", Status: 429, Verdict: VerdictNotRun}}},
		},
		Findings: []Finding{{Kind: "duplicate_execution", RequestIDs: []string{"r2", "r3", "unknown"}}},
	}
	p := Build(in)
	got := map[string]int{}
	for _, f := range append(p.VerdictFilters, p.StatusFilters...) {
		got[f.ID] = f.Count
	}
	want := map[string]int{"v-ran": 2, "v-not_run": 1, "dup": 1, "st-504": 1, "st-2xx": 1, "st-502": 1, "st-4xx": 1}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("filter %s counts %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("filters %v, want only %v", got, want)
	}
	if refs := p.Findings[0].Lanes; len(refs) != 1 || refs[0].Anchor != "r2" || refs[0].Label != "request 2" {
		t.Errorf("finding links %+v, want one to request 2", refs)
	}
}

func TestNiceStepAndFmtDur(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in, want time.Duration
	}{
		{0, time.Microsecond}, {3 * time.Millisecond, 5 * time.Millisecond}, {97 * time.Millisecond, 100 * time.Millisecond},
		{5833 * time.Millisecond, 10 * s}, {1500 * time.Millisecond, 2 * s}, {2 * s, 2 * s},
	} {
		if got := niceStep(tt.in); got != tt.want {
			t.Errorf("niceStep(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	// Spans near the largest duration once overflowed the tick loop,
	// which then never ended.
	for _, span := range []time.Duration{math.MaxInt64, math.MaxInt64 / 7, time.Nanosecond} {
		if n := len(ticks(span)); n == 0 || n > 2*tickCount+1 {
			t.Errorf("ticks(%v): %d marks", span, n)
		}
	}
	for _, tt := range []struct {
		in   time.Duration
		want string
	}{
		{0, "0"}, {50 * time.Microsecond, "<0.1 ms"}, {2500 * time.Microsecond, "2.5 ms"}, {97 * time.Millisecond, "97 ms"},
		{2900 * time.Millisecond, "2.9 s"}, {29 * s, "29 s"}, {90 * s, "1m30s"}, {-2 * s, "-2 s"},
	} {
		if got := fmtDur(tt.in); got != tt.want {
			t.Errorf("fmtDur(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestFromDiagnose reads diagnose's own fixtures: four logical requests,
// every verdict with its deciding line, the function runs placed.
func TestFromDiagnose(t *testing.T) {
	t.Parallel()
	ev := diagnose.NewEvidence(diagnose.Options{})
	for _, name := range []string{"attempts.jsonl", "access.jsonl", "execution.log", "lambda.log"} {
		f, err := os.Open(filepath.Join("..", "..", "diagnose", "testdata", "e2e", name))
		if err != nil {
			t.Fatal(err)
		}
		_, err = ev.ReadFile(name, f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	tl := ev.Timeline()
	in := FromDiagnose(tl)
	if len(in.Requests) != 4 {
		t.Fatalf("%d logical requests, want 4", len(in.Requests))
	}
	n := 0
	for _, r := range in.Requests {
		for _, a := range r.Attempts {
			v := tl.Report.Attempts[n]
			n++
			if a.RequestID != v.RequestID || a.Verdict != string(v.Verdict) || r.ID != v.InvocationID {
				t.Errorf("attempt %s/%s verdict %s, report says %s/%s %s", r.ID, a.RequestID, a.Verdict, v.InvocationID, v.RequestID, v.Verdict)
			}
			if v.DecidingLine != nil && a.Evidence != v.DecidingLine.Position.String() {
				t.Errorf("%s: evidence %q, want %s", a.RequestID, a.Evidence, v.DecidingLine.Position)
			}
			if a.Sent.IsZero() || a.Answered.Before(a.Sent) {
				t.Errorf("%s: sent %v answered %v", a.RequestID, a.Sent, a.Answered)
			}
			if v.Verdict == diagnose.VerdictRan && v.LambdaRequestID != "" && (a.Function == nil || a.Function.Start.IsZero() || a.Function.End.Before(a.Function.Start)) {
				t.Errorf("%s ran: function %+v", a.RequestID, a.Function)
			}
			if v.Verdict != diagnose.VerdictRan && a.Function != nil {
				t.Errorf("%s %s but a function run is drawn", a.RequestID, v.Verdict)
			}
		}
	}
	if n != len(tl.Report.Attempts) {
		t.Errorf("%d attempts on the page, %d in the report", n, len(tl.Report.Attempts))
	}
	// The first 504 ran on past the timeout: it is drawn so.
	p := Build(in)
	if !hasClass(p.Lanes[0].Classes, "late") || p.Summary.RanPastTimeout != 1 {
		t.Errorf("first lane %q, summary %+v: the first 504's function ran 4 s past the timeout", p.Lanes[0].Classes, p.Summary)
	}
}

// TestWriteEscapes: the page is text from logs; none of it is markup.
func TestWriteEscapes(t *testing.T) {
	t.Parallel()
	in := Input{Title: "<b>t</b>", Requests: []Request{{ID: `"><script>alert(1)</script>`, Attempts: []Attempt{
		{Number: 1, RequestID: "<img src=x onerror=alert(1)>", Status: 504, Verdict: VerdictMaybe, Reason: "</title><script>x()</script>", Evidence: "a.log:1",
			Sent: at(0), Answered: at(s)}}}},
		Findings: []Finding{{Kind: "k", Summary: "<i>s</i>", Advice: "<u>a</u>"}}}
	var buf bytes.Buffer
	if err := Write(&buf, Build(in)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, bad := range []string{"<script>", "<img", "<b>t</b>", "<i>s</i>", "<u>a</u>", "ZgotmplZ"} {
		if strings.Contains(out, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	if !strings.Contains(out, "&lt;script&gt;") {
		t.Error("the escaped text is missing")
	}
}

// A lane named its request by the logged URL's path as it came, path
// parameters (";jsessionid=...") included: an attempt log written before
// the transport redacted them holds them.
func TestBugWhatKeepsPathParams(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ method, url, want string }{
		{"GET", "https://h/prod/app;jsessionid=ABC123sess/orders?s3cr3tT0ken", "GET /prod/app;jsessionid=REDACTED/orders"},
		{"GET", "https://h/prod/orders?page=2", "GET /prod/orders"},
		{"", "https://h/p", ""},
	} {
		if got := what(tt.method, tt.url); got != tt.want {
			t.Errorf("what(%q, %q) = %q, want %q", tt.method, tt.url, got, tt.want)
		}
	}
}
