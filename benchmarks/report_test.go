package benchmarks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// synthetic returns results for the outage, brownout, throttle and
// post-timeouts scenarios in which retryscope meets every target. The
// peers run functions twice in post-timeouts only.
func synthetic() []Result {
	series := func(v float64) []float64 { return []float64{1, v, v, 1} }
	mk := func(sc, pol string, ok, ampl float64, dups int, winAtt, recMS float64) Result {
		r := Result{Scenario: sc, Policy: pol, Deadline: "none", Seed: 1, Requests: 100, Succeeded: int(ok * 100), SuccessRate: ok,
			Attempts: int(ampl * 100), Amplification: ampl, Executions: int(ampl * 100), Duplicates: dups,
			P50: 80, P95: 29000, P99: 58000, Max: 60000, RecoveryMS: recMS, Recovered: recMS >= 0,
			WindowAttempts: winAtt, WindowRequests: 40, Outcomes: map[string]int{"200": int(ok * 100)},
			Load: []int{4, 8, 12, 4}, Success: series(ok), Scale: 0.04, WindowFromMS: 1000, WindowToMS: 3000}
		if ok < 1 {
			r.Outcomes["504"] = 100 - int(ok*100)
		}
		return r
	}
	var out []Result
	for _, p := range []struct {
		name       string
		ok, ampl   float64
		dups       int
		winAtt, rc float64
	}{
		{"none", 0.6, 1, 0, 1, 0},
		{"retryablehttp", 0.95, 2.5, 12, 4.8, 0},
		{"failsafe-go", 0.95, 2, 10, 2.9, 0},
		{"aws-sdk-standard", 0.7, 1.2, 8, 1.5, 0},
		{"retryscope", 0.95, 1.1, 0, 0.5, 9000},
		{"retryscope-idempotency", 0.95, 1.15, 0, 0.5, 0},
	} {
		for _, sc := range []string{"outage", "brownout", "throttle", "post-timeouts"} {
			if p.name == "retryscope-idempotency" && sc != "post-timeouts" {
				continue
			}
			dups := 0
			if sc == "post-timeouts" {
				dups = p.dups
			}
			out = append(out, mk(sc, p.name, p.ok, p.ampl, dups, p.winAtt, p.rc))
		}
	}
	return out
}

// statuses maps each target's name to its status.
func statuses(ts []Target) map[string]string {
	m := map[string]string{}
	for _, t := range ts {
		m[t.Name] = t.Status
	}
	return m
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	res := synthetic()
	got := Evaluate(res)
	for _, tg := range got {
		if tg.Status != StatusMet {
			t.Errorf("%s: %s (%s; %s), want met", tg.Name, tg.Status, tg.Numbers, tg.Why)
		}
	}
	// Every scenario that ran has its dominance target; the other outage
	// scenarios did not run.
	for _, sc := range []string{"outage", "brownout", "throttle", "post-timeouts"} {
		if _, ok := statuses(got)[sc+": no peer succeeds more often, or as often with fewer attempts per request or a lower p99 of successful requests"]; !ok {
			t.Errorf("no dominance target for %s", sc)
		}
	}
	for name := range statuses(got) {
		if strings.HasPrefix(name, "outage-60s") || strings.HasPrefix(name, "http-api-outage") {
			t.Errorf("target %q for a scenario that did not run", name)
		}
	}
	// Break targets in turn.
	for i := range res {
		r := &res[i]
		switch {
		case r.Policy == "retryscope" && r.Scenario == "post-timeouts":
			r.Duplicates = 1
		case r.Policy == "retryscope-idempotency":
			r.SuccessRate = 0.8 // the peers that ran functions twice: 95%
		case r.Policy == "retryscope" && r.Scenario == "outage":
			r.WindowAttempts, r.Recovered, r.RecoveryMS = 1.3, false, -1
			r.Outcomes["circuit_open"] = 5
		case r.Policy == "retryscope" && r.Scenario == "brownout":
			r.SuccessRate = 0.8 // retryablehttp and failsafe-go: 95%
		case r.Policy == "retryscope" && r.Scenario == "throttle":
			r.Amplification = 2.2 // failsafe-go ties at 2.0
		}
	}
	var notMet []string
	for _, tg := range Evaluate(res) {
		if tg.Status == StatusNotMet {
			if tg.Why == "" || strings.Contains(tg.Why, "\n") {
				t.Errorf("%s: not met without a one-line reason: %q", tg.Name, tg.Why)
			}
			notMet = append(notMet, tg.Name)
		}
	}
	want := []string{
		"retryscope (defaults): zero duplicate executions",
		"brownout: no peer succeeds more often",
		"throttle: no peer succeeds more often",
		"post-timeouts: retryscope-idempotency reaches",
		"outage: at most 1.2 attempts per logical request",
		"outage: back to 95% success",
	}
	if len(notMet) != len(want) {
		t.Errorf("not met: %q, want %q", notMet, want)
	}
	for i := range min(len(notMet), len(want)) {
		if !strings.HasPrefix(notMet[i], want[i]) {
			t.Errorf("not met #%d: %q, want %q...", i, notMet[i], want[i])
		}
	}
	if got := Evaluate(nil); len(got) != 0 {
		t.Errorf("no results: %d targets, want none", len(got))
	}
}

// cellsOf aggregates hand-made runs of one scenario and deadline: each
// policy's success rates, attempts per request and p99s (ms), one per seed.
func cellsOf(t *testing.T, runs map[string][][3]float64) []Cell {
	t.Helper()
	var res []Result
	for _, pol := range append(comparators(), "retryscope") {
		for seed, v := range runs[pol] {
			res = append(res, Result{Scenario: "s", Policy: pol, Deadline: "10s", Seed: int64(seed + 1), Requests: 1000,
				SuccessRate: v[0], Amplification: v[1], P99OK: v[2], Outcomes: map[string]int{"200": int(1000 * v[0])}})
		}
	}
	return Aggregate(res)
}

// The dominance rule on hand-made rows: a peer dominates when it succeeds
// more often past the seeds' spread, or ties on success with fewer attempts
// or a lower p99 past the tolerance; more success is worth more attempts.
func TestDominance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		rs, peer [][3]float64 // per seed: success, attempts per request, p99 ms
		want     string       // "" for no domination, else a substring of the reason
	}{
		{"identical", [][3]float64{{1, 1, 100}, {1, 1, 100}}, [][3]float64{{1, 1, 100}, {1, 1, 100}}, ""},
		{"peer more success past the spread",
			[][3]float64{{0.60, 2, 10e3}, {0.64, 2, 10e3}}, [][3]float64{{0.70, 1, 10e3}, {0.70, 1, 10e3}},
			"succeeds more often: 70.0% against 62.0% (8.0 pp, tolerance 2.0 pp)"},
		{"peer more success within the spread, fewer attempts",
			[][3]float64{{0.58, 2, 10e3}, {0.66, 2, 10e3}}, [][3]float64{{0.66, 1, 10e3}, {0.74, 1, 10e3}},
			"ties on success (70.0% against 62.0%, within 8.0 pp) with fewer attempts per request: 1.00 against 2.00"},
		{"tie, more attempts within the tolerance",
			[][3]float64{{0.9, 1.10, 10e3}, {0.9, 1.20, 10e3}}, [][3]float64{{0.9, 1.05, 10e3}, {0.9, 1.15, 10e3}}, ""},
		{"tie, more attempts by less than the floor",
			[][3]float64{{0.9, 1.005, 10e3}}, [][3]float64{{0.9, 1.0, 10e3}}, ""},
		{"tie, retryscope more success within the spread, more attempts",
			[][3]float64{{0.60, 1.6, 10e3}, {0.80, 1.6, 10e3}}, [][3]float64{{0.65, 1, 10e3}, {0.65, 1, 10e3}},
			"ties on success (65.0% against 70.0%, within 10.0 pp) with fewer attempts"},
		{"retryscope more success past the spread: more attempts and a longer p99 are its price",
			[][3]float64{{0.93, 1.4, 145e3}, {0.93, 1.4, 145e3}}, [][3]float64{{0.70, 1, 3e3}, {0.70, 1, 3e3}}, ""},
		{"tie, same attempts, longer p99 past 5%",
			[][3]float64{{1, 1.06, 64e3}}, [][3]float64{{1, 1.62, 60e3}}, "with a lower p99 of successful requests: 60 s against 64 s (tolerance 3.00 s)"},
		{"tie with retryscope ahead on average, fewer attempts, longer p99: the saved requests' latency",
			[][3]float64{{0.43, 0.55, 7.8e3}, {0.49, 0.55, 7.8e3}}, [][3]float64{{0.41, 1, 110}, {0.44, 1, 110}}, ""},
		{"tie with the peer ahead on average, longer p99",
			[][3]float64{{0.41, 0.55, 7.8e3}, {0.44, 0.55, 7.8e3}}, [][3]float64{{0.42, 1, 110}, {0.44, 1, 110}}, "with a lower p99 of successful requests"},
		{"tie, same attempts, longer p99 within 5%",
			[][3]float64{{1, 1.06, 62e3}}, [][3]float64{{1, 1.62, 60e3}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cells := cellsOf(t, map[string][][3]float64{"retryscope": tc.rs, "retryablehttp": tc.peer})
			c, p := findCell(cells, "s", "retryscope", "10s"), findCell(cells, "s", "retryablehttp", "10s")
			d, ok := dominance(c, p)
			if ok != (tc.want != "") || !strings.Contains(d.text, tc.want) {
				t.Errorf("dominated %v, %q; want %q", ok, d.text, tc.want)
			}
			tg := dominanceTarget(cells, "s")
			if want := map[bool]string{true: StatusNotMet, false: StatusMet}[tc.want != ""]; tg.Status != want {
				t.Errorf("target %s (%s), want %s", tg.Status, tg.Why, want)
			}
		})
	}
}

// A NOT MET names the strongest comparator first (more success before a
// tie), the others by name, on one line; a peer that ran functions twice
// is no bar.
func TestDominanceWhy(t *testing.T) {
	t.Parallel()
	cells := cellsOf(t, map[string][][3]float64{
		"retryscope":       {{0.62, 2, 10e3}},
		"none":             {{0.62, 1, 10e3}},
		"retryablehttp":    {{0.80, 3, 10e3}},
		"aws-sdk-standard": {{0.62, 1.5, 10e3}},
	})
	tg := dominanceTarget(cells, "s")
	if tg.Status != StatusNotMet || !strings.HasPrefix(tg.Why, "retryablehttp succeeds more often") ||
		!strings.Contains(tg.Why, "; also dominated by none, aws-sdk-standard; retryscope's requests ended: 200 620") {
		t.Errorf("%s: %q", tg.Status, tg.Why)
	}
	// retryablehttp's success bought with duplicate executions: no bar.
	for i := range cells {
		if cells[i].Policy == "retryablehttp" {
			cells[i].Duplicates = 3
		}
	}
	tg = dominanceTarget(cells, "s")
	if !strings.HasPrefix(tg.Why, "none ties on success") || !strings.Contains(tg.Why, "(retries add no success here beyond the seeds' spread") ||
		strings.Contains(tg.Why, "retryablehttp") ||
		!strings.Contains(tg.Numbers, "(no bar: 3 duplicate executions)") {
		t.Errorf("%q; %q", tg.Why, tg.Numbers)
	}
}

// With several seeds a shortfall within the cells' spreads is a tie; past
// them it is not met, with the reason.
func TestEvaluateSpread(t *testing.T) {
	t.Parallel()
	var res []Result
	for seed, rates := range [][2]float64{{0.90, 0.93}, {0.96, 0.95}, {0.93, 0.94}} {
		for _, r := range synthetic() {
			if r.Scenario != "brownout" {
				continue
			}
			r.Seed = int64(seed + 1)
			switch r.Policy {
			case "retryscope":
				r.SuccessRate = rates[0]
			case "retryablehttp":
				r.SuccessRate = rates[1]
			}
			res = append(res, r)
		}
	}
	brownout := func(res []Result) Target {
		for _, tg := range Evaluate(res) {
			if strings.HasPrefix(tg.Name, "brownout") {
				return tg
			}
		}
		t.Fatal("no brownout target")
		return Target{}
	}
	// Means 93.0% against 94.0%, spreads 3 and 1 pp: within.
	if tg := brownout(res); tg.Status != StatusMet || !strings.Contains(tg.Numbers, "93.0 ±3.0%") {
		t.Errorf("within the spread: %s (%s; %s), want met", tg.Status, tg.Numbers, tg.Why)
	}
	for i := range res {
		if res[i].Policy == "retryscope" {
			res[i].SuccessRate -= 0.05
		}
	}
	if tg := brownout(res); tg.Status != StatusNotMet || !strings.HasPrefix(tg.Why, "failsafe-go succeeds more often: 95.0% against 88.0% (7.0 pp, tolerance 3.0 pp); also dominated by retryablehttp;") {
		t.Errorf("past the spread: %s, why %q", tg.Status, tg.Why)
	}
}

func TestReportFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	res := synthetic()
	if err := WriteReport(dir, res, Meta{Command: "go run ./cmd/retryscope bench -quick", Seeds: []int64{1}, Quick: true, Parallel: 12}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"report.md", "outage-success-peers.png", "outage-load-variants.png", "amplification.png", "duplicates.png"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	for _, want := range []string{"## Targets for retryscope's defaults", "judged by dominance against no retries", "**MET**", "| outage | **retryscope** | none |", "![outage-success-peers](outage-success-peers.png)", "## Method"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "overload-load-peers.png")); err == nil {
		t.Error("overload plots written without overload results")
	}
}

func TestWriteJSONAndTable(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := WriteJSON(&b, synthetic()[:1]); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Results []map[string]any `json:"results"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil || len(doc.Results) != 1 {
		t.Fatalf("JSON %s: %v", b.String(), err)
	}
	for _, k := range []string{"scenario", "policy", "deadline", "seed", "requests", "succeeded", "attempts", "executions", "duplicates", "p50_ms", "p99_ms", "recovery_ms"} {
		if _, ok := doc.Results[0][k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	b.Reset()
	if err := WriteJSON(&b, nil); err != nil || !strings.Contains(b.String(), `"results": []`) {
		t.Errorf("empty JSON: %q, %v", b.String(), err)
	}
	b.Reset()
	if err := WriteTable(&b, synthetic()[:2]); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "SCENARIO") || !strings.Contains(lines[1], "outage") {
		t.Errorf("table:\n%s", b.String())
	}
	for _, want := range []string{"emulated seconds", "never:", "-: the scenario has no fault window", "0.00 s: back at once"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table's legend lacks %q:\n%s", want, b.String())
		}
	}
}

// The terminal gets one line per target, the reason on the NOT MET's own
// line, and a count.
func TestWriteTargets(t *testing.T) {
	t.Parallel()
	res := synthetic()
	for i := range res {
		if res[i].Policy == "retryscope" && res[i].Scenario == "throttle" {
			res[i].Amplification = 2.2
		}
	}
	var b bytes.Buffer
	if err := WriteTargets(&b, res); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	var why []string
	for _, l := range lines {
		if strings.HasPrefix(l, "NOT MET") {
			why = append(why, l)
		}
	}
	if len(why) != 1 || !strings.Contains(why[0], "[deadline none] throttle: ") ||
		!strings.Contains(why[0], "-- why: failsafe-go ties on success (95.0% against 95.0%, within 6.0 pp) with fewer attempts per request: 2.00 against 2.20") {
		t.Errorf("NOT MET lines: %q", why)
	}
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, fmt.Sprintf("targets: %d met, 1 not met", len(lines)-2)) {
		t.Errorf("last line %q", last)
	}
}

// A one-seed shortfall on the p99 of successes that rests on a request or
// two says it is the draw's; one that many requests make does not.
func TestTailByChance(t *testing.T) {
	t.Parallel()
	// 198 successes: the p99 is the 2nd slowest, 1 may be slower.
	tail := func(slow ...float64) []float64 {
		out := []float64{80, 80, 80, 80, 80, 80, 80, 80, 80, 80}
		return append(out[len(slow):], slow...)
	}
	for _, tc := range []struct {
		name  string
		seeds int
		ok    int
		tail  []float64
		want  string // "" for no note, else a substring
	}{
		{"one request past the rank", 1, 198, tail(20e3, 20e3), "by chance of the draw: that p99 is the 2nd slowest of 198 successes, and 1 more of them than that took longer than 12 s, within the one-seed noise of 2.7 requests"},
		{"three past the rank: past 2.7", 1, 198, tail(20e3, 20e3, 20e3, 20e3), ""},
		{"every kept success past the limit", 1, 500, tail(20e3, 20e3, 20e3, 20e3, 20e3, 20e3, 20e3, 20e3, 20e3, 20e3), ""},
		{"several seeds: their spreads are the tolerance", 2, 198, tail(20e3, 20e3), ""},
		{"no successes kept", 1, 0, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Cell{}
			for range tc.seeds {
				c.Runs = append(c.Runs, &Result{Succeeded: tc.ok, SlowestOK: tc.tail})
			}
			got := tailByChance(c, 12e3)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("%q, want %q", got, tc.want)
			}
		})
	}
	for n, want := range map[int]string{1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 11: "11th", 12: "12th", 13: "13th", 21: "21st", 102: "102nd"} {
		if got := ordinal(n); got != want {
			t.Errorf("ordinal(%d) = %q, want %q", n, got, want)
		}
	}
}

// A NOT MET in an outage scenario against a peer whose success came with
// more than MaxOutageAttempts during the outage says so; a tie on success
// with fewer attempts says what retryscope's extra attempts bought.
func TestDominanceNotes(t *testing.T) {
	t.Parallel()
	row := func(pol string, ok, ampl, win float64) Result {
		return Result{Scenario: "outage-60s", Policy: pol, Deadline: "60s", Seed: 1, Requests: 600, Succeeded: int(600 * ok),
			SuccessRate: ok, Amplification: ampl, WindowAttempts: win, Outcomes: map[string]int{"200": int(600 * ok)}}
	}
	cells := Aggregate([]Result{row("retryscope", 0.962, 1.02, 1.05), row("failsafe-go-default", 0.982, 1.64, 2.53)})
	tg := dominanceTarget(cells, "outage-60s")
	if !strings.Contains(tg.Why, "succeeds more often") ||
		!strings.Contains(tg.Why, "failsafe-go-default's extra successes came with 2.53 attempts per request issued during the outage, past the 1.2 retryscope is held to") {
		t.Errorf("%s: %q", tg.Status, tg.Why)
	}
	cells = Aggregate([]Result{row("retryscope", 0.962, 1.02, 1.05), row("failsafe-go-default", 0.982, 1.64, 1.1)})
	if tg := dominanceTarget(cells, "outage-60s"); strings.Contains(tg.Why, "held to") {
		t.Errorf("a peer within the cap: %q", tg.Why)
	}
	cells = cellsOf(t, map[string][][3]float64{"retryscope": {{0.690, 0.76, 4e3}}, "failsafe-go-breaker": {{0.662, 0.71, 4e3}}})
	d, ok := dominance(findCell(cells, "s", "retryscope", "10s"), findCell(cells, "s", "failsafe-go-breaker", "10s"))
	if !ok || !strings.Contains(d.text, "(retryscope's 0.05 more attempts per request came with 2.8 pp more success: 0.56 successes per extra attempt)") {
		t.Errorf("%v %q", ok, d.text)
	}
}

// The slowest successes are kept with their attempts, slowest last: the
// 2% slowest, at least SlowestOKMin; failures and drops are not.
func TestSlowestOK(t *testing.T) {
	t.Parallel()
	var recs []Record
	for i := range 30 {
		recs = append(recs, Record{OK: true, Latency: time.Duration(i) * time.Millisecond, Attempts: 1 + i%3})
	}
	recs = append(recs, Record{Latency: time.Hour, Attempts: 4}, Record{Dropped: true, Latency: time.Hour})
	lat, att := slowestOK(recs)
	if len(lat) != SlowestOKMin || len(att) != SlowestOKMin || lat[0] != 20 || lat[9] != 29 || att[0] != 3 || att[1] != 1 || att[9] != 3 {
		t.Errorf("slowest %v, attempts %v", lat, att)
	}
	recs = recs[:0]
	for i := range 1000 {
		recs = append(recs, Record{OK: true, Latency: time.Duration(i) * time.Millisecond, Attempts: 1})
	}
	if lat, _ := slowestOK(recs); len(lat) != 20 || lat[0] != 980 {
		t.Errorf("1000 successes: kept %d from %v", len(lat), lat[:1])
	}
	if lat, att := slowestOK(nil); lat != nil || att != nil {
		t.Errorf("none: %v %v", lat, att)
	}
}

// A p99 shortfall whose slowest successes took as many attempts as the
// comparator's says the gap is in the waits between them; one whose
// slowest took more attempts does not.
func TestWaitNote(t *testing.T) {
	t.Parallel()
	run := func(pol string, p99 float64, tailAttempts int) Result {
		// 462 successes: the p99 is the 5th slowest.
		r := Result{Scenario: "s", Policy: pol, Deadline: "none", Seed: 5, Requests: 462, Succeeded: 462, SuccessRate: 1,
			Amplification: 1.13, P99OK: p99, Outcomes: map[string]int{"200": 462}}
		for i := range 10 {
			r.SlowestOK = append(r.SlowestOK, p99-50+float64(10*i))
			r.SlowestOKAttempts = append(r.SlowestOKAttempts, tailAttempts)
		}
		return r
	}
	for _, tc := range []struct {
		name     string
		peerTail int
		want     string
	}{
		{"as many attempts", 3, "-- the successes at or past both p99s took about as many attempts (retryscope 3.0 on average, failsafe-go-default 3.0): the gap is in the waits between attempts"},
		{"the peer's took fewer", 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cells := Aggregate([]Result{run("retryscope", 360, 3), run("failsafe-go-default", 160, tc.peerTail)})
			d, ok := dominance(findCell(cells, "s", "retryscope", "none"), findCell(cells, "s", "failsafe-go-default", "none"))
			if !ok || !strings.Contains(d.text, "with a lower p99 of successful requests") || strings.Contains(d.text, "chance") {
				t.Fatalf("%v %q", ok, d.text)
			}
			if got := strings.Contains(d.text, "waits between attempts"); got != (tc.want != "") || !strings.Contains(d.text, tc.want) {
				t.Errorf("%q, want %q", d.text, tc.want)
			}
		})
	}
}
