package benchmarks

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// synthetic returns results for the outage, brownout, throttle and
// post-timeouts scenarios in which retryscope meets every target.
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
	} {
		for _, sc := range []string{"outage", "brownout", "throttle", "post-timeouts"} {
			out = append(out, mk(sc, p.name, p.ok, p.ampl, p.dups, p.winAtt, p.rc))
		}
	}
	return out
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	res := synthetic()
	for _, tg := range Evaluate(res) {
		if tg.Status != StatusMet {
			t.Errorf("%s: %s (%s; %s), want met", tg.Name, tg.Status, tg.Numbers, tg.Why)
		}
	}
	// Break each target in turn.
	for i := range res {
		r := &res[i]
		if r.Policy != "retryscope" {
			continue
		}
		switch r.Scenario {
		case "post-timeouts":
			r.Duplicates = 1
		case "outage":
			r.WindowAttempts, r.Recovered, r.RecoveryMS = 1.3, false, -1
			r.Outcomes["circuit_open"] = 5
		case "brownout":
			r.SuccessRate = 0.8
		case "throttle":
			r.Amplification = 1.3
		}
	}
	for _, tg := range Evaluate(res) {
		if tg.Status != StatusNotMet || tg.Why == "" {
			t.Errorf("%s: %s, why %q; want not met with a reason", tg.Name, tg.Status, tg.Why)
		}
	}
	if got := Evaluate(nil); len(got) != 0 {
		t.Errorf("no results: %d targets, want none", len(got))
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
	if tg := brownout(res); tg.Status != StatusNotMet || !strings.Contains(tg.Why, "vs retryablehttp: success 6.0 pp lower (tolerance 4.0 pp)") {
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
	for _, want := range []string{"## Targets for retryscope's defaults", "**MET**", "| outage | **retryscope** | none |", "![outage-success-peers](outage-success-peers.png)", "## Method"} {
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
