package policy_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/retryscope/retryscope/policy"
)

// fleetBudget is redisfleet's default: 0.2 per first attempt and 1 per
// second over 10 s, so 10 retries whatever the traffic.
var fleetBudget = policy.FleetBudget{Ratio: 0.2, MinRetriesPerSecond: 1, Window: 10 * time.Second}

func TestFleetBudgetAllows(t *testing.T) {
	tests := []struct {
		name string
		b    policy.FleetBudget
		v    policy.FleetView
		u    float64
		want bool
	}{
		// The only member: all the room, 0.2*100 + 10 - 29 = 1.
		{"alone, room for one", fleetBudget, policy.FleetView{Firsts: 100, Retries: 29, OwnFirsts: 100, Members: 1}, 0.99, true},
		{"alone, that one sent", fleetBudget, policy.FleetView{Firsts: 100, Retries: 29, OwnFirsts: 100, Members: 1, NewRetries: 1}, 0, false},
		{"alone, own new first attempts earn room", fleetBudget, policy.FleetView{Firsts: 100, Retries: 29, OwnFirsts: 100, Members: 1, NewFirsts: 5, NewRetries: 1}, 0.99, true},
		{"no room", fleetBudget, policy.FleetView{Firsts: 100, Retries: 30, OwnFirsts: 100, Members: 1}, 0, false},
		{"over the budget", fleetBudget, policy.FleetView{Firsts: 0, Retries: 1000, Members: 1}, 0, false},
		// 10 of 100 first attempts, 10 members: p = 11, P = 110, so
		// 11/209 of the room 0.2*100 + 10 - 5 = 25: 1.32.
		{"a tenth of the traffic, draw above the fraction", fleetBudget, policy.FleetView{Firsts: 100, Retries: 5, OwnFirsts: 10, Members: 10}, 0.99, true},
		{"a tenth, its one retry sent", fleetBudget, policy.FleetView{Firsts: 100, Retries: 5, OwnFirsts: 10, Members: 10, NewRetries: 1}, 0.99, false},
		{"a tenth, rounded up", fleetBudget, policy.FleetView{Firsts: 100, Retries: 5, OwnFirsts: 10, Members: 10, NewRetries: 1}, 0.2, true},
		{"a tenth, rounded up, both sent", fleetBudget, policy.FleetView{Firsts: 100, Retries: 5, OwnFirsts: 10, Members: 10, NewRetries: 2}, 0, false},
		// No first attempts in the window, 4 members: 1/7 of 10 = 1.43.
		{"no traffic, 4 members", fleetBudget, policy.FleetView{Members: 4, NewRetries: 1}, 0.5, false},
		{"no traffic, 4 members, rounded up", fleetBudget, policy.FleetView{Members: 4, NewRetries: 1}, 0.4, true},
		// 200 members sharing room for 10: a part of 1/399 of it, 0.025.
		{"one of 200, draw under the part", fleetBudget, policy.FleetView{Members: 200}, 0.02, true},
		{"one of 200, draw above it", fleetBudget, policy.FleetView{Members: 200}, 0.03, false},
		{"members unknown count as one", fleetBudget, policy.FleetView{Members: 0}, 0.99, true},
		{"negative rates mean none", policy.FleetBudget{Ratio: -1, MinRetriesPerSecond: -1, Window: 10 * time.Second}, policy.FleetView{Firsts: 100, OwnFirsts: 100, Members: 1}, 0, false},
		{"ratio alone", policy.FleetBudget{Ratio: 0.5, Window: time.Second}, policy.FleetView{Firsts: 4, Retries: 1, OwnFirsts: 4, Members: 1, NewRetries: 0}, 0.99, true},
	}
	for _, tt := range tests {
		if got := tt.b.Allows(tt.v, tt.u); got != tt.want {
			t.Errorf("%s: Allows(%+v, %v) = %v, want %v", tt.name, tt.v, tt.u, got, tt.want)
		}
	}
}

// TestFleetBudgetStaysWithinTheRoom: room for retries appears at once
// (old retries leave the window) before members with more retries waiting
// than it holds. They sync one after another, each writing what it granted
// since its last sync and reading the fleet's count, then granting what
// its view allows; none sees what the others granted since they last
// wrote. Over ten rounds of syncs all of them together stay within the
// room, give or take the rounding of their parts, whatever the traffic's
// spread; each granting its weight's whole part (p / P) at every view
// would grant about half as much again.
func TestFleetBudgetStaysWithinTheRoom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var allGranted, allRoom float64
	for round := range 100 {
		members := 1 + r.IntN(300)
		owns := make([]int64, members)
		var firsts int64
		for i := range owns {
			owns[i] = r.Int64N(20)
			firsts += owns[i]
		}
		retries := r.Int64N(int64(0.2*float64(firsts)) + 10)
		room := 0.2*float64(firsts) + 10 - float64(retries)
		written := retries
		pending := make([]int64, members)
		granted := 0
		for range 10 {
			for k, own := range owns {
				written += pending[k]
				pending[k] = 0
				v := policy.FleetView{Firsts: firsts, Retries: written, OwnFirsts: own, Members: int64(members)}
				for u := r.Float64(); fleetBudget.Allows(v, u); v.NewRetries++ {
					pending[k]++
					granted++
				}
			}
		}
		if float64(granted) > room+4*math.Sqrt(room)+3 {
			t.Errorf("round %d: %d members granted %d retries, room %.1f", round, members, granted, room)
		}
		allGranted += float64(granted)
		allRoom += room
	}
	// The parts' rounding is noise of a few retries a round; over all
	// rounds it averages out.
	ratio := allGranted / allRoom
	t.Logf("granted %.2f times the room over %d rounds", ratio, 100)
	if ratio > 1.1 || ratio < 0.8 {
		t.Errorf("the members granted %.2f times the room in all", ratio)
	}
}
