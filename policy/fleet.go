package policy

import (
	"math"
	"time"
)

// FleetBudget is a retry budget shared by the members of a fleet (the
// processes of one service, see transport.Fleet): the fleet's retries to a
// host within Window stay fewer than Ratio × its first attempts there plus
// MinRetriesPerSecond × Window's seconds. Each member decides alone, from
// counts it read at its last sync (FleetView). It has no defaults of its
// own: the zero FleetBudget allows no retry; redisfleet's are 0.2, 1 per
// second and 10 s.
type FleetBudget struct {
	// Ratio is the retries each first attempt earns; 0 or less earns none.
	Ratio float64
	// MinRetriesPerSecond is the retries the fleet may send per second of
	// the window whatever its traffic; 0 or less allows none.
	MinRetriesPerSecond float64
	// Window is the span the counts cover.
	Window time.Duration
}

// FleetView is what a member knows of one host's fleet-wide counts.
type FleetView struct {
	// Firsts and Retries are the fleet's first attempts and retries in the
	// window, as read at the member's last sync (its own written counts
	// included).
	Firsts, Retries int64
	// OwnFirsts is the part of Firsts this member wrote.
	OwnFirsts int64
	// Members is how many members synced within the window, this one
	// included; 0 or less counts as 1.
	Members int64
	// NewFirsts and NewRetries are what this member counted since: not in
	// the view yet.
	NewFirsts, NewRetries int64
}

// Allows reports whether the member whose view is v may send one more
// retry. The room the view shows (the budget less the fleet's retries) is
// the whole fleet's, and every member sees it; so a member takes a part of
// it. Its weight p is its first attempts plus one, the fleet's P their
// first attempts plus one per member: weights that follow the first
// attempts that earned the room, and leave a member whose own first
// attempts have left the window (or a fleet with none) one first
// attempt's weight. It takes p / (2P - p) of the room: all of it when it
// is the fleet's only member (p = P), about half its weight's part
// otherwise, because its view misses what the others granted since they
// last wrote, as much as a sync interval of it; the rest comes with its
// next views. When room appears at once (old retries leave the window),
// the members' parts then stay together within it instead of each one's
// staler view adding to it. Parts rarely come to whole retries (a member
// of 200 with room for 20 has a twentieth of one): a part is rounded up
// when its fraction is above u, a uniform value in [0, 1) drawn once per
// view, so that the parts add up to the room on average instead of each
// rounding to a retry of its own.
func (b FleetBudget) Allows(v FleetView, u float64) bool {
	firsts := v.Firsts + v.NewFirsts
	room := math.Max(b.Ratio, 0)*float64(firsts) + math.Max(b.MinRetriesPerSecond, 0)*b.Window.Seconds() - float64(v.Retries)
	if !(room > 0) {
		return false
	}
	own := max(v.OwnFirsts+v.NewFirsts, 0)
	p := float64(own + 1)                                  // this member's weight
	total := float64(max(firsts, own) + max(v.Members, 1)) // the fleet's, P
	x := p / (2*total - p) * room
	n := math.Floor(x)
	if x-n > u {
		n++
	}
	return float64(v.NewRetries) < n
}
