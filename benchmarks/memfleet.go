package benchmarks

import (
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/retryscope/retryscope/transport"
)

// memFleet is an in-memory transport.Fleet store with redisfleet's
// semantics: each member decides from a cached view and queued counts,
// and meets the store every fleetSync (100 ms, redisfleet's
// DefaultSyncInterval) and at once when its breaker opens. The store holds
// each host's circuit open until the latest opening's half-open time, and
// counts first attempts and retries per second over a 10 s window; a
// retry is allowed while the fleet's retries in the window are fewer than
// 0.2 x its first attempts + 1 per second of the window (redisfleet's
// defaults, those of policy.BudgetConfig). Created inside a run's bubble,
// its members' sync goroutines advance in virtual time.
type memFleet struct {
	mu        sync.Mutex
	openUntil map[string]time.Time
	buckets   map[string]map[int64][2]int // host -> unix second -> {first attempts, retries}
	stop      chan struct{}
	wg        sync.WaitGroup
}

// Fleet semantics (redisfleet's defaults).
const (
	fleetSync          = 100 * time.Millisecond
	fleetWindow        = 10 * time.Second
	fleetRatio         = 0.2
	fleetMinPerSecond  = 1.0
	fleetStaggerMember = 500 * time.Microsecond
)

func newMemFleet() *memFleet {
	return &memFleet{openUntil: map[string]time.Time{}, buckets: map[string]map[int64][2]int{}, stop: make(chan struct{})}
}

// Close stops every member's sync goroutine.
func (f *memFleet) Close() {
	close(f.stop)
	f.wg.Wait()
}

// member returns the k-th member's view; its syncs start k x 0.5 ms into
// the run, so members do not all sync at the same instant.
func (f *memFleet) member(k int) *fleetMember {
	m := &fleetMember{store: f, kick: make(chan struct{}, 1), hosts: map[string]*memberHost{}}
	f.wg.Add(1)
	go m.run(time.Duration(k%200) * fleetStaggerMember)
	return m
}

type memberHost struct {
	pending   [2]int // counts not yet written {first attempts, retries}
	publish   time.Time
	openUntil time.Time
	window    [2]int
}

// fleetMember is one process's transport.Fleet.
type fleetMember struct {
	store *memFleet
	kick  chan struct{}
	mu    sync.Mutex
	hosts map[string]*memberHost
	// synced is when the view was last read; zero before.
	synced time.Time
}

var _ transport.Fleet = (*fleetMember)(nil)

func (m *fleetMember) host(name string) *memberHost {
	h := m.hosts[name]
	if h == nil {
		h = &memberHost{}
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
	reqs := h.window[0] + h.pending[0]
	retries := h.window[1] + h.pending[1]
	return float64(retries) < fleetRatio*float64(reqs)+fleetMinPerSecond*fleetWindow.Seconds()
}

func (m *fleetMember) run(offset time.Duration) {
	defer m.store.wg.Done()
	t := time.NewTimer(offset)
	defer t.Stop()
	for {
		select {
		case <-m.store.stop:
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
		h.pending = [2]int{}
		if h.publish.After(f.openUntil[name]) {
			f.openUntil[name] = h.publish
		}
		h.openUntil = f.openUntil[name]
		var w [2]int
		for s := sec - int64(fleetWindow/time.Second) + 1; s <= sec; s++ {
			w[0] += b[s][0]
			w[1] += b[s][1]
		}
		h.window = w
		for s := range b {
			if s <= sec-int64(fleetWindow/time.Second) {
				delete(b, s)
			}
		}
	}
	m.synced = now
}
