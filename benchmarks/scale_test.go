package benchmarks

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sony/gobreaker/v2"
)

// An opening reaches the other members at their next sync (within 100 ms)
// and not before; the fleet-wide budget counts every member's retries.
func TestMemFleet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFleet()
		defer f.Close()
		a, b := f.member(0), f.member(1)
		time.Sleep(time.Millisecond) // both have synced once
		now := time.Now()
		if b.CircuitOpen("h", now) {
			t.Fatal("open before anyone opened")
		}
		a.BreakerChanged("h", gobreaker.StateOpen, now.Add(10*time.Second))
		synctest.Wait()
		if b.CircuitOpen("h", time.Now()) {
			t.Fatal("b heard of the opening before its next sync")
		}
		time.Sleep(fleetSync)
		if !b.CircuitOpen("h", time.Now()) {
			t.Fatal("b did not hear of the opening within one sync")
		}
		if b.CircuitOpen("h", now.Add(10*time.Second)) {
			t.Fatal("still open at the half-open time")
		}
		// Budget: 10 first attempts, so 0.2*10 + 10 = 12 retries in the window.
		for range 10 {
			a.CountRequest("h", false)
		}
		for range 12 {
			a.CountRequest("h", true)
		}
		time.Sleep(fleetSync)
		if b.RetryAllowed("h", time.Now()) {
			t.Error("b may retry past the fleet's budget")
		}
		time.Sleep(fleetWindow + fleetSync)
		if !b.RetryAllowed("h", time.Now()) {
			t.Error("the window did not slide: no retry allowed 10 s later")
		}
	})
}

// The storm keeps over 10,000 callers waiting at once; the fleet scenario
// splits its callers over 200 clients, and sharing the fleet's state
// sends fewer attempts during the stall than deciding alone, within the
// shared budget.
func TestScaleScenarios(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("runs the storm and fleet scenarios (gigabytes under the race detector)")
	}
	t.Parallel()
	storm, _ := ScenarioByName("storm")
	fl, _ := ScenarioByName("fleet")
	none, _ := PolicyByName("none")
	alone, _ := PolicyByName("retryscope")
	shared, _ := PolicyByName("retryscope-fleet")
	jobs := []Job{{Scenario: storm, Policy: none}, {Scenario: fl, Policy: alone}, {Scenario: fl, Policy: shared}}
	res, err := RunVirtual(WithTesting(context.Background(), t), jobs, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].PeakInFlight < 10_000 {
		t.Errorf("storm: %d callers at most in flight, want at least 10,000", res[0].PeakInFlight)
	}
	if res[2].WindowAttempts >= res[1].WindowAttempts {
		t.Errorf("fleet: %.2f attempts per request in the stall shared, %.2f alone; want fewer shared",
			res[2].WindowAttempts, res[1].WindowAttempts)
	}
	// Shared, the members take their parts of the budget's room: at most
	// a little over it (the parts' rounding, a few retries in the windows
	// after the load, when only its floor of 1 per second pays), and the
	// retries it refuses wait for room instead of failing at once.
	if res[2].FleetBudgetUse > 1.25 {
		t.Errorf("fleet: the members' retries used %.2f of the shared budget in one window; want at most 1.25", res[2].FleetBudgetUse)
	}
	if res[2].SuccessRate < 0.95 {
		t.Errorf("fleet: %.1f%% success shared; want at least 95%%", 100*res[2].SuccessRate)
	}
}
