package redisfleet

import (
	"context"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"

	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// Fleet is a transport.Fleet over Redis: hand it to transport.WithFleet.
// Its methods answer from memory and never wait for Redis; a goroutine
// started by New syncs with Redis every SyncInterval until Close. Give each
// process (or each Transport that should count as a member) its own Fleet;
// members of one fleet share a Redis and a key prefix. A Fleet is safe for
// concurrent use.
type Fleet struct {
	client redis.UniversalClient
	cfg    config
	id     string // this member's name in the hosts' member sets: random

	hosts  sync.Map     // host name -> *host
	readAt atomic.Int64 // unix nanos of the last successful sync; 0 before

	// Redis's clock less this member's, read at the last sync (TIME);
	// noTime once the server refused TIME.
	redisOffset atomic.Int64
	noTime      atomic.Bool

	// The hosts the next sync covers: those used since the last one, and
	// those a sync must still cover (an opening to publish, a circuit the
	// fleet holds open). A host is listed at most once (host.listed).
	mu     sync.Mutex
	listed []*host
	swept  time.Time // when idle hosts were last dropped; the sync goroutine's

	kick    chan struct{}
	ctx     context.Context // cancelled by Close: ends a sync in flight
	cancel  context.CancelFunc
	done    chan struct{}
	closing sync.Once
}

var _ transport.Fleet = (*Fleet)(nil)

// host is what a Fleet knows about one host, all of it atomics so the
// transport's calls take no lock.
type host struct {
	keys hostKeys

	// Counted here, not yet handed to a sync.
	pendingReqs, pendingRetries atomic.Int64
	// Handed to a sync that has not yet read its result back.
	sendingReqs, sendingRetries atomic.Int64
	// A local opening to publish: unix nanos until which the breaker is
	// open; 0 when there is none.
	publish atomic.Int64

	// The fleet's view, from the last successful sync that covered it.
	openUntil    atomic.Int64  // unix nanos; 0 when the fleet holds nothing open
	fleetReqs    atomic.Int64  // first attempts in the window
	fleetRetries atomic.Int64  // retries in the window
	ownReqs      atomic.Int64  // this member's first attempts in fleetReqs
	members      atomic.Int64  // members that synced within the window
	draw         atomic.Uint64 // float64 bits: the view's draw that rounds this member's share
	readAt       atomic.Int64  // unix nanos of that sync; 0 before

	// This member's first attempts written per second of the window,
	// slot = second mod the window's seconds; the sync goroutine's.
	own []ownSecond

	listed   atomic.Bool  // in Fleet.listed, for the next sync
	lastUsed atomic.Int64 // unix nanos of the last sync that covered it
}

// New returns a Fleet that shares state through client and starts its sync
// goroutine; Close stops it. The client stays the caller's to close (after
// the Fleet). Defaults: key prefix "retryscope:", sync every 100 ms, 50 ms
// per sync, view trusted for 1 s, budget ratio 0.2 plus 1 retry per second
// over a 10 s window; opts change them.
func New(client redis.UniversalClient, opts ...Option) *Fleet {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	cfg.fix()
	f := newFleet(client, cfg)
	go f.run()
	return f
}

// newFleet builds a Fleet without starting its goroutine (unit tests drive
// it by hand).
func newFleet(client redis.UniversalClient, cfg config) *Fleet {
	ctx, cancel := context.WithCancel(context.Background())
	return &Fleet{
		client: client,
		cfg:    cfg,
		id:     strconv.FormatUint(rand.Uint64(), 36),
		kick:   make(chan struct{}, 1),
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
	}
}

// Close stops the sync goroutine and waits for it, so at most for a sync
// in flight to end: within Timeout when the client honours context
// deadlines (NewClient's do), else within the client's own timeouts. Counts not yet written are dropped. After
// Close the Fleet's methods still answer, as one that knows nothing once
// its view is stale. Close is idempotent.
func (f *Fleet) Close() error {
	f.closing.Do(func() {
		f.cancel()
		<-f.done
	})
	return nil
}

// host returns the state for name, creating it on first use, and lists it
// for the next sync: only hosts in use are synced.
func (f *Fleet) host(name string) *host {
	v, ok := f.hosts.Load(name)
	if !ok {
		v, ok = f.hosts.LoadOrStore(name, &host{keys: newHostKeys(f.cfg.prefix, name)})
		if !ok {
			f.wake() // read the fleet's view of a new host now, not in up to a SyncInterval
		}
	}
	h := v.(*host)
	if !h.listed.Load() && f.list(h) && h.readAt.Load() < f.readAt.Load() {
		// Back in use after missing a sync: its view is old, read it now.
		f.wake()
	}
	return h
}

// list puts h on the list of the next sync, unless it already is; it
// reports whether h was added.
func (f *Fleet) list(h *host) bool {
	if !h.listed.CompareAndSwap(false, true) {
		return false
	}
	f.mu.Lock()
	f.listed = append(f.listed, h)
	f.mu.Unlock()
	return true
}

// fresh reports whether what the last sync read about h may still be
// trusted at now.
func (f *Fleet) fresh(h *host, now time.Time) bool {
	at := h.readAt.Load()
	return at != 0 && now.UnixNano()-at <= int64(f.cfg.staleAfter)
}

// CircuitOpen reports whether a member of the fleet (this one included)
// holds host's circuit open at now, from the last sync; false when that is
// older than StaleAfter. It never touches the network.
func (f *Fleet) CircuitOpen(host string, now time.Time) bool {
	h := f.host(host)
	return f.fresh(h, now) && now.UnixNano() < h.openUntil.Load()
}

// BreakerChanged records that this member's breaker for host moved to to;
// an opening (until: when it half-opens) is published at once by the sync
// goroutine. Other states are not shared: an opening expires by itself. It
// never touches the network.
func (f *Fleet) BreakerChanged(host string, to gobreaker.State, until time.Time) {
	if to != gobreaker.StateOpen {
		return
	}
	h := f.host(host)
	u := until.UnixNano()
	for {
		cur := h.publish.Load()
		if cur >= u || h.publish.CompareAndSwap(cur, u) {
			break
		}
	}
	f.wake()
}

// wake asks the sync goroutine for a sync now, without waiting.
func (f *Fleet) wake() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// CountRequest counts one attempt to host, a retry or a first attempt, to
// be written at the next sync. It never touches the network.
func (f *Fleet) CountRequest(host string, retry bool) {
	if !f.cfg.budget {
		return
	}
	h := f.host(host)
	if retry {
		h.pendingRetries.Add(1)
	} else {
		h.pendingReqs.Add(1)
	}
}

// RetryAllowed reports whether the fleet-wide budget for host has room at
// now for one more retry of this member's: the fleet's retries in the
// window, as last read, leave room under Ratio × its first attempts +
// MinRetriesPerSecond × the window's seconds, and this member's retries
// since are fewer than its part of that room (about half its share of the
// fleet's first attempts, one more counted for each member:
// policy.FleetBudget). True when the view is older than StaleAfter or the
// budget is off. It never touches the network.
func (f *Fleet) RetryAllowed(host string, now time.Time) bool {
	if !f.cfg.budget {
		return true
	}
	h := f.host(host)
	if !f.fresh(h, now) {
		return true
	}
	v := policy.FleetView{
		Firsts:     h.fleetReqs.Load(),
		Retries:    h.fleetRetries.Load(),
		OwnFirsts:  h.ownReqs.Load(),
		Members:    h.members.Load(),
		NewFirsts:  h.sendingReqs.Load() + h.pendingReqs.Load(),
		NewRetries: h.sendingRetries.Load() + h.pendingRetries.Load(),
	}
	b := policy.FleetBudget{Ratio: f.cfg.ratio, MinRetriesPerSecond: f.cfg.minPerSecond, Window: f.cfg.window}
	return b.Allows(v, math.Float64frombits(h.draw.Load()))
}

// Synced returns when the last successful sync read the fleet's view; zero
// before the first.
func (f *Fleet) Synced() time.Time {
	at := f.readAt.Load()
	if at == 0 {
		return time.Time{}
	}
	return time.Unix(0, at)
}

// hostState returns the state for name if the Fleet has it (tests).
func (f *Fleet) hostState(name string) *host {
	h, _ := f.hosts.Load(name)
	hs, _ := h.(*host)
	return hs
}
