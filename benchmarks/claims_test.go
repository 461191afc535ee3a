package benchmarks

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// Retries a member counted after its last sync must reach the store when
// the fleet closes: budgetUse (Result.FleetBudgetUse) is read after Close,
// and the run's last retries, sent less than a sync interval before the
// last request ended, were left out of it.
func TestBugFleetBudgetUseCountsRetriesAfterLastSync(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFleet()
		m := f.member(0)
		time.Sleep(time.Millisecond) // synced once
		for range 30 {
			m.CountRequest("h", true)
		}
		// The last request ends well within the next sync interval.
		time.Sleep(fleetSync / 2)
		f.Close()
		// 30 retries, no first attempts: 30 over the window's floor of 10.
		if got := f.budgetUse(); got < 3 {
			t.Errorf("budgetUse after Close = %.2f, want 3.00: the retries counted since the last sync were dropped", got)
		}
	})
}

// The README's comparison table is WriteComparison of the committed
// docs/bench/results.json, byte for byte (rounding, rows, columns), and
// the headline count of targets met is Evaluate's.
func TestClaimsReadmeTableMatchesResults(t *testing.T) {
	raw, err := os.ReadFile("../docs/bench/results.json")
	if err != nil {
		t.Skip("no committed results:", err)
	}
	var results []Result
	if err := jsonResults(raw, &results); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "<!-- bench-table -->\n")
	table, _, ok2 := strings.Cut(rest, "<!-- /bench-table -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no bench-table markers")
	}
	var b strings.Builder
	if err := WriteComparison(&b, results); err != nil {
		t.Fatal(err)
	}
	if table != b.String() {
		t.Errorf("README's table differs from WriteComparison(docs/bench/results.json):\n%s\nwant:\n%s", table, b.String())
	}
	met, all := 0, 0
	for _, tg := range Evaluate(results) {
		all++
		if tg.Status == StatusMet {
			met++
		}
	}
	if want := fmt.Sprintf("all %d targets are met", all); met != all || !strings.Contains(strings.Join(strings.Fields(string(readme)), " "), want) {
		t.Errorf("Evaluate: %d of %d targets met; README should say %q", met, all, want)
	}
}
