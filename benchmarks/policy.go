package benchmarks

import (
	"net/http"
	"time"

	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// Client sends one logical request, retrying as its policy does. An
// *http.Client is one.
type Client interface {
	Do(*http.Request) (*http.Response, error)
}

// Policy is one way of retrying, through its own library configured as its
// users would: the library's defaults, with every duration multiplied by the
// run's time scale.
type Policy struct {
	// Name is the policy's command-line name, e.g. "retryablehttp".
	Name string
	// Summary says what the policy is and how it is configured.
	Summary string
	// Peer is true for the libraries people use instead of retryscope
	// (the targets compare against them).
	Peer bool
	// Only, when not empty, lists the scenarios the policy runs in when
	// the scenarios are not named explicitly; default: every scenario.
	Only []string
	// New returns a client for one run that sends every attempt through
	// env.Base, with its durations multiplied by env.Scale and its
	// randomness drawn from env.Rand.
	New func(env Env) Client
}

// Env is what a policy's client is made from, once per run.
type Env struct {
	// Base sends one attempt to the run's emulator and counts it: every
	// attempt the client makes must go through it.
	Base http.RoundTripper
	// Scale is real time per emulated time: 1 in virtual time (the
	// default engine), below 1 in a -realtime run. Multiply every duration
	// of the policy by it (Env.Scaled).
	Scale float64
	// Rand returns a uniform value in [0, n) for n > 0 from a source that
	// depends on the run's seed and the policy's name only; it is safe for
	// concurrent use. Jitter drawn from it repeats with the seed; jitter
	// drawn from math/rand or crypto/rand does not.
	Rand func(n int64) int64
	// Fleet is this member's view of the fleet store the run's members
	// share (in memory, with redisfleet's semantics: a 100 ms sync), for
	// transport.WithFleet; nil when the scenario has one member.
	Fleet transport.Fleet
}

// Scaled multiplies an emulated duration by the run's time scale.
func (e Env) Scaled(d time.Duration) time.Duration { return scaled(d, e.Scale) }

// Float64 returns a uniform value in [0, 1) from Rand.
func (e Env) Float64() float64 { return float64(e.Rand(1<<53)) / (1 << 53) }

// scaled multiplies an emulated duration by the time scale.
func scaled(d time.Duration, scale float64) time.Duration {
	if scale == 1 {
		return d
	}
	return time.Duration(float64(d) * scale)
}

// HedgeDelay is the hedge delay of the retryscope-hedge policy (emulated):
// ten times the healthy function's mean latency, well past its p99.
const HedgeDelay = 500 * time.Millisecond

// retryscopeOptions is transport.New's defaults with every duration scaled:
// backoff base and cap, MaxRetryAfter, the breaker's open time, interval and
// bucket, and the budget's per-second floor (tokens per emulated second).
func retryscopeOptions(env Env) []transport.Option {
	scale := env.Scale
	p := policy.Default()
	p.Rand = env.Rand
	p.Backoff.Base = scaled(p.Backoff.Base, scale)
	p.Backoff.Cap = scaled(p.Backoff.Cap, scale)
	p.MaxRetryAfter = scaled(p.MaxRetryAfter, scale)
	p.InProgressDelay = scaled(p.InProgressDelay, scale)
	b := transport.DefaultBreaker()
	b.Timeout = scaled(b.Timeout, scale)
	b.Interval = scaled(b.Interval, scale)
	b.BucketPeriod = scaled(b.BucketPeriod, scale)
	budget := policy.BudgetConfig{MinRetriesPerSecond: policy.DefaultBudgetMinRetriesPerSecond / scale}
	p.ThrottleBackoff.Base = scaled(p.ThrottleBackoff.Base, scale)
	p.ThrottleBackoff.Cap = scaled(p.ThrottleBackoff.Cap, scale)
	p.LambdaThrottleCap = scaled(p.LambdaThrottleCap, scale)
	wait := transport.WaitConfig{MaxWait: scaled(transport.DefaultMaxWait, scale),
		ProbeInterval: scaled(transport.DefaultProbeInterval, scale), Tick: scaled(transport.DefaultWaitTick, scale)}
	return []transport.Option{transport.WithPolicy(p), transport.WithBreaker(b), transport.WithBudget(budget),
		transport.WithWaitForHost(wait), transport.WithSlowCallThreshold(scaled(transport.DefaultSlowCallThreshold, scale)),
		transport.WithSendRate(policy.SendRateConfig{Period: scaled(policy.DefaultSendRatePeriod, scale)})}
}

func retryscopeClient(extra ...transport.Option) func(Env) Client {
	return func(env Env) Client {
		opts := append(retryscopeOptions(env), extra...)
		return &http.Client{Transport: transport.New(env.Base, opts...)}
	}
}

// Policies returns the benchmark's policies, in the order reports list
// them: none, retryablehttp, failsafe-go, aws-sdk-standard, retryscope,
// retryscope-hedge, retryscope-no-budget, retryscope-no-breaker,
// retryscope-fleet, retryscope-idempotency, then the composed peers:
// retryablehttp-gobreaker, failsafe-go-breaker, failsafe-go-default,
// failsafe-go-docs.
func Policies() []Policy {
	return append([]Policy{
		{
			Name:    "none",
			Summary: "plain http.Transport, no retries",
			New: func(env Env) Client {
				return &http.Client{Transport: env.Base}
			},
		},
		{
			Name: "retryablehttp",
			Summary: "hashicorp/go-retryablehttp v0.7.8 NewClient defaults: RetryMax 4 (5 attempts), " +
				"DefaultBackoff 1 s doubling to 30 s without jitter, DefaultRetryPolicy (429, every 5xx but 501, any method)",
			Peer: true,
			New:  newRetryablehttp,
		},
		{
			Name: "failsafe-go",
			Summary: "failsafe-go v0.9.8 failsafehttp.NewRetryPolicyBuilder defaults (3 attempts; 429, 5xx but 501, " +
				"errors; any method) with WithBackoff(1 s, 30 s) as its docs show",
			Peer: true,
			New:  newFailsafe,
		},
		{
			Name: "aws-sdk-standard",
			Summary: "aws-sdk-go-v2 v1.48.0 retry.NewStandard defaults (3 attempts, 500-token bucket, retry 14 tokens, " +
				"throttle 5, 50 ms/1 s base, 20 s cap) driving plain HTTP",
			Peer: true,
			New:  newAWSStandard,
		},
		{
			Name:    "retryscope",
			Summary: "transport.New defaults: 4 attempts when safe, full jitter 100 ms..10 s, breaker, budget 20% + 1/s",
			New:     retryscopeClient(),
		},
		{
			Name:    "retryscope-hedge",
			Summary: "retryscope defaults with WithHedging(500 ms)",
			New: func(env Env) Client {
				return retryscopeClient(transport.WithHedging(env.Scaled(HedgeDelay)))(env)
			},
		},
		{
			Name:    "retryscope-no-budget",
			Summary: "retryscope defaults with WithoutBudget",
			New:     retryscopeClient(transport.WithoutBudget()),
		},
		{
			Name:    "retryscope-no-breaker",
			Summary: "retryscope defaults with WithoutBreaker",
			New:     retryscopeClient(transport.WithoutBreaker()),
		},
		{
			Name:    "retryscope-fleet",
			Summary: "retryscope defaults with WithFleet: breaker openings and the retry budget shared by the fleet (in memory, synced every 100 ms as redisfleet does)",
			Only:    []string{"fleet"},
			New: func(env Env) Client {
				if env.Fleet == nil {
					return retryscopeClient()(env)
				}
				return retryscopeClient(transport.WithFleet(env.Fleet))(env)
			},
		},
		{
			Name:    "retryscope-idempotency",
			Summary: "retryscope defaults with WithIdempotencyKeys; the function dedupes by key like Powertools",
			Only:    []string{"post-timeouts"},
			New:     retryscopeClient(transport.WithIdempotencyKeys()),
		},
	}, composedPeers()...)
}

// PolicyNames returns the names of Policies, in order.
func PolicyNames() []string {
	var names []string
	for _, p := range Policies() {
		names = append(names, p.Name)
	}
	return names
}

// PolicyByName returns the policy called name.
func PolicyByName(name string) (Policy, bool) {
	for _, p := range Policies() {
		if p.Name == name {
			return p, true
		}
	}
	return Policy{}, false
}

// appliesTo reports whether p runs in scenario s by default.
func (p *Policy) appliesTo(s string) bool {
	if len(p.Only) == 0 {
		return true
	}
	for _, o := range p.Only {
		if o == s {
			return true
		}
	}
	return false
}
