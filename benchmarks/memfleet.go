package benchmarks

import (
	"hash/fnv"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// memFleet is an in-memory transport.Fleet store with redisfleet's
// semantics: each member decides from a cached view and queued counts,
// and meets the store every fleetSync (100 ms, redisfleet's
// DefaultSyncInterval) and at once when its breaker opens. The store holds
// each host's circuit open until the latest opening's half-open time, and
// counts first attempts and retries per second over a 10 s window; a
// member allows a retry while its part of the room under 0.2 x the
// fleet's first attempts + 1 per second of the window is not spent
// (policy.FleetBudget with redisfleet's defaults, those of
// policy.BudgetConfig, and the members counted as redisfleet counts them),
// rounding its part with a draw per sync from a generator of its own,
// seeded with its number. Created inside a run's
// bubble, its members' sync goroutines advance in virtual time.
type memFleet struct {
	mu        sync.Mutex
	openUntil map[string]time.Time
	buckets   map[string]map[int64][2]int // host -> unix second -> {first attempts, retries}, the whole run's
	members   map[string]*memberCount
	stop      chan struct{}
	wg        sync.WaitGroup
}

// Fleet semantics (redisfleet's defaults).
const (
	fleetSync          = 100 * time.Millisecond
	fleetWindow        = 10 * time.Second
	fleetWindowSeconds = int64(fleetWindow / time.Second)
	fleetRatio         = 0.2
	fleetMinPerSecond  = 1.0
	fleetStaggerMember = 500 * time.Microsecond
)

func newMemFleet() *memFleet {
	return &memFleet{openUntil: map[string]time.Time{}, buckets: map[string]map[int64][2]int{},
		members: map[string]*memberCount{}, stop: make(chan struct{})}
}

// Close stops every member's sync goroutine, each after a last sync: the
// counts since its previous one reach the store, for budgetUse.
func (f *memFleet) Close() {
	close(f.stop)
	f.wg.Wait()
}

// member returns the k-th member's view; its syncs start k x 0.5 ms into
// the run, so members do not all sync at the same instant.
func (f *memFleet) member(k int) *fleetMember {
	m := &fleetMember{store: f, kick: make(chan struct{}, 1), hosts: map[string]*memberHost{}, id: k, seed: uint64(k) + 1}
	f.wg.Add(1)
	go m.run(time.Duration(k%200) * fleetStaggerMember)
	return m
}

type memberHost struct {
	pending   [2]int // counts not yet written {first attempts, retries}
	publish   time.Time
	openUntil time.Time
	window    [2]int
	own       map[int64]int // this member's first attempts written, per unix second
	ownWindow int           // of which in the window at the last sync
	members   int           // members that synced within the window, at the last sync
	draw      float64       // the last sync's draw, which rounds this member's part
	seed      uint64        // the state of the draws (splitmix64), from the member's and the host's
}

// fleetMember is one process's transport.Fleet.
type fleetMember struct {
	store *memFleet
	kick  chan struct{}
	mu    sync.Mutex
	hosts map[string]*memberHost
	// synced is when the view was last read; zero before.
	synced time.Time
	id     int
	seed   uint64 // seeds the draws of each host, with the host's name
}

// memberCount counts the members that synced a host in the window, as
// redisfleet's sorted set of members does: each member's last second, and
// how many members last synced in each second.
type memberCount struct {
	last  map[int]int64
	inSec map[int64]int
}

// synced notes that member id synced at second sec and returns how many
// members synced in the window ending there.
func (c *memberCount) synced(id int, sec int64) int {
	if prev, ok := c.last[id]; !ok || prev != sec {
		if ok {
			c.inSec[prev]--
		}
		c.last[id] = sec
		c.inSec[sec]++
	}
	n := 0
	for s := sec - fleetWindowSeconds + 1; s <= sec; s++ {
		n += c.inSec[s]
	}
	return n
}

// fleetBudget is redisfleet's default fleet-wide budget.
var fleetBudget = policy.FleetBudget{Ratio: fleetRatio, MinRetriesPerSecond: fleetMinPerSecond, Window: fleetWindow}

var _ transport.Fleet = (*fleetMember)(nil)

func (m *fleetMember) host(name string) *memberHost {
	h := m.hosts[name]
	if h == nil {
		sum := fnv.New64a()
		sum.Write([]byte(name))
		h = &memberHost{seed: m.seed ^ sum.Sum64()}
		m.hosts[name] = h
	}
	return h
}

func (m *fleetMember) CircuitOpen(host string, now time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return !m.synced.IsZero() && now.Before(m.host(host).openUntil)
}

func (m *fleetMember) BreakerChanged(host string, to gobreaker.State, until time.Time) {
	if to != gobreaker.StateOpen {
		return
	}
	m.mu.Lock()
	if h := m.host(host); until.After(h.publish) {
		h.publish = until
	}
	m.mu.Unlock()
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

func (m *fleetMember) CountRequest(host string, retry bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := 0
	if retry {
		i = 1
	}
	m.host(host).pending[i]++
}

func (m *fleetMember) RetryAllowed(host string, now time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.synced.IsZero() {
		return true
	}
	h := m.host(host)
	v := policy.FleetView{Firsts: int64(h.window[0]), Retries: int64(h.window[1]), OwnFirsts: int64(h.ownWindow),
		Members: int64(h.members), NewFirsts: int64(h.pending[0]), NewRetries: int64(h.pending[1])}
	return fleetBudget.Allows(v, h.draw)
}

// nextDraw returns the host's next uniform value in [0, 1) (splitmix64).
func (h *memberHost) nextDraw() float64 {
	h.seed += 0x9e3779b97f4a7c15
	z := h.seed
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11) / (1 << 53)
}

func (m *fleetMember) run(offset time.Duration) {
	defer m.store.wg.Done()
	t := time.NewTimer(offset)
	defer t.Stop()
	for {
		select {
		case <-m.store.stop:
			m.sync() // what was counted since the last sync reaches the store (budgetUse)
			return
		case <-t.C:
			m.sync()
			t.Reset(fleetSync)
		case <-m.kick:
			m.sync()
		}
	}
}

// sync writes the member's counts and openings to the store and reads the
// fleet's view back, as one redisfleet sync does.
func (m *fleetMember) sync() {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.store
	f.mu.Lock()
	defer f.mu.Unlock()
	sec := now.Unix()
	for name, h := range m.hosts {
		b := f.buckets[name]
		if b == nil {
			b = map[int64][2]int{}
			f.buckets[name] = b
		}
		c := b[sec]
		c[0] += h.pending[0]
		c[1] += h.pending[1]
		b[sec] = c
		if h.own == nil {
			h.own = map[int64]int{}
		}
		h.own[sec] += h.pending[0]
		h.pending = [2]int{}
		if h.publish.After(f.openUntil[name]) {
			f.openUntil[name] = h.publish
		}
		h.openUntil = f.openUntil[name]
		h.window = windowCounts(b, sec)
		mc := f.members[name]
		if mc == nil {
			mc = &memberCount{last: map[int]int64{}, inSec: map[int64]int{}}
			f.members[name] = mc
		}
		h.members = mc.synced(m.id, sec)
		h.ownWindow = 0
		for s, n := range h.own {
			if s <= sec-fleetWindowSeconds {
				delete(h.own, s)
			} else {
				h.ownWindow += n
			}
		}
		h.draw = h.nextDraw()
	}
	m.synced = now
}

// budgetUse returns the most the fleet's retries used of its budget in a
// window of the run that ends in a second with retries, by whole seconds
// as the members read it: retries in the window over fleetRatio × first
// attempts + fleetMinPerSecond × its seconds; 0 when no retry was
// counted. (A window that ends later, when the first attempts that paid
// for those retries have left it, says nothing of the members' choices.)
func (f *memFleet) budgetUse() float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	use := 0.0
	for _, b := range f.buckets {
		for end, c := range b {
			if c[1] == 0 {
				continue // a window's use counts when a retry is sent in it
			}
			w := windowCounts(b, end)
			use = max(use, float64(w[1])/(fleetRatio*float64(w[0])+fleetMinPerSecond*float64(fleetWindowSeconds)))
		}
	}
	return use
}

// windowCounts sums a host's {first attempts, retries} over the window of
// whole seconds ending at second end.
func windowCounts(b map[int64][2]int, end int64) [2]int {
	var w [2]int
	for s := end - fleetWindowSeconds + 1; s <= end; s++ {
		w[0] += b[s][0]
		w[1] += b[s][1]
	}
	return w
}
