package redisfleet

import (
	"math/rand/v2"
	"time"

	"github.com/retryscope/retryscope/policy"
)

// Defaults of a Fleet.
const (
	// DefaultKeyPrefix starts every key a Fleet writes.
	DefaultKeyPrefix = "retryscope:"
	// DefaultSyncInterval is how often a Fleet meets Redis: 100 ms spreads
	// an opening across the fleet well within a second at about 10 small
	// pipelines a second per member.
	DefaultSyncInterval = 100 * time.Millisecond
	// DefaultTimeout bounds one sync (one pipelined round trip): 50 ms is
	// far beyond a healthy Redis's sub-millisecond answer and well inside a
	// sync interval.
	DefaultTimeout = 50 * time.Millisecond
	// DefaultStaleAfter is how long what was read is trusted: after 1 s
	// without a successful sync the Fleet knows nothing.
	DefaultStaleAfter = time.Second
	// DefaultBudgetWindow is the span over which the fleet's requests and
	// retries are summed: 10 s, the TTL of Finagle's and Linkerd's budget.
	DefaultBudgetWindow = 10 * time.Second
	// DefaultBudgetRatio is the share of first attempts that may be
	// retried, policy.DefaultBudgetRatio (0.2).
	DefaultBudgetRatio = policy.DefaultBudgetRatio
	// DefaultBudgetMinRetriesPerSecond is the retries the whole fleet may
	// always make, per second of the window, policy's default (1).
	DefaultBudgetMinRetriesPerSecond = policy.DefaultBudgetMinRetriesPerSecond
	// DefaultHostIdleTTL is how long a Fleet keeps what it knows of a host
	// no request has asked about: 10 minutes, as the transport keeps its
	// per-host state (transport.DefaultHostIdleTTL). A host with counts or
	// an opening still to write, or that the fleet holds open, is kept.
	DefaultHostIdleTTL = 10 * time.Minute
)

// Option configures a Fleet.
type Option func(*config)

type config struct {
	prefix       string
	syncInterval time.Duration
	timeout      time.Duration
	staleAfter   time.Duration
	window       time.Duration
	ratio        float64
	minPerSecond float64
	budget       bool
	onError      func(error)
	now          func() time.Time
	draw         func() float64 // a uniform value in [0, 1) per host per sync: rounds its share (policy.FleetBudget)
	hostIdleTTL  time.Duration
}

func defaultConfig() config {
	return config{
		prefix:       DefaultKeyPrefix,
		syncInterval: DefaultSyncInterval,
		timeout:      DefaultTimeout,
		staleAfter:   DefaultStaleAfter,
		window:       DefaultBudgetWindow,
		ratio:        DefaultBudgetRatio,
		minPerSecond: DefaultBudgetMinRetriesPerSecond,
		budget:       true,
		now:          time.Now,
		draw:         rand.Float64,
		hostIdleTTL:  DefaultHostIdleTTL,
	}
}

// fix brings the settings into range: a window of whole seconds (at least
// one), and staleness no shorter than a sync plus its timeout, or a healthy
// fleet would flicker between knowing and not knowing.
func (c *config) fix() {
	c.window = max(c.window.Truncate(time.Second), time.Second)
	c.staleAfter = max(c.staleAfter, c.syncInterval+c.timeout)
}

// WithKeyPrefix starts every key with prefix; default DefaultKeyPrefix
// ("retryscope:"). Members of one fleet must use the same prefix; separate
// fleets (or tests) on one Redis use different ones.
func WithKeyPrefix(prefix string) Option {
	return func(c *config) { c.prefix = prefix }
}

// WithSyncInterval sets how often the Fleet writes its counts and reads the
// fleet's view; default DefaultSyncInterval (100 ms). Values <= 0 are
// ignored.
func WithSyncInterval(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.syncInterval = d
		}
	}
}

// WithTimeout bounds each sync; default DefaultTimeout (50 ms). Values <= 0
// are ignored. The client must honour context deadlines for this to bind
// (ContextTimeoutEnabled, as NewClient sets); otherwise its own read and
// write timeouts do, and the view simply goes stale meanwhile.
func WithTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithStaleAfter sets how long the fleet's view is trusted after the last
// successful sync; default DefaultStaleAfter (1 s). It is raised to at
// least the sync interval plus the timeout. Values <= 0 are ignored.
func WithStaleAfter(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.staleAfter = d
		}
	}
}

// WithBudget sets the fleet-wide retry budget: retries in the window must
// stay under ratio × first attempts + minPerSecond × window seconds, each
// member taking its part of the room (policy.FleetBudget); defaults
// DefaultBudgetRatio (0.2) and DefaultBudgetMinRetriesPerSecond (1).
// Negative values mean 0.
func WithBudget(ratio, minPerSecond float64) Option {
	return func(c *config) {
		c.ratio, c.minPerSecond, c.budget = max(ratio, 0), max(minPerSecond, 0), true
	}
}

// WithBudgetWindow sets the span over which the fleet's counts are summed,
// in whole seconds (at least 1); default DefaultBudgetWindow (10 s).
func WithBudgetWindow(d time.Duration) Option {
	return func(c *config) { c.window = d }
}

// WithoutBudget shares breaker openings only: RetryAllowed always answers
// true and nothing is counted. Default: the budget is shared.
func WithoutBudget() Option {
	return func(c *config) { c.budget = false }
}

// WithErrorHandler calls f, from the Fleet's goroutine, with every error of
// a sync; default none. f must not block.
func WithErrorHandler(f func(error)) Option {
	return func(c *config) { c.onError = f }
}

// WithHostIdleTTL sets how long the Fleet keeps a host no request has
// asked about; default DefaultHostIdleTTL (10 minutes). d <= 0 keeps every
// host for ever. Only hosts in use (asked about since the last sync, or
// held open) are synced, whatever the TTL.
func WithHostIdleTTL(d time.Duration) Option {
	return func(c *config) { c.hostIdleTTL = d }
}
