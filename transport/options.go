package transport

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/sony/gobreaker/v2"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/retryscope/retryscope/policy"
)

// Option configures a Transport.
type Option func(*config)

type config struct {
	policy      policy.Policy
	bodyLimit   int64
	correlation bool
	idemKeys    bool
	logger      *slog.Logger
	breaker     *gobreaker.Settings // nil: breaking off
	budget      *policy.BudgetConfig
	hedgeDelay  time.Duration
	tracer      trace.TracerProvider
	meter       metric.MeterProvider
	propagator  propagation.TextMapPropagator
	propFields  []string // the propagator's header names, canonical
	reqHeaders  []string
	respHeaders []string
	fleet       Fleet
	hostIdleTTL time.Duration // <= 0: per-host state kept for ever
	wait        *WaitConfig   // nil: fail fast
	slowCall    time.Duration
	sendRate    *policy.SendRateConfig // nil: no pacing
}

func defaults() config {
	b := DefaultBreaker()
	return config{
		policy:      policy.Default(),
		bodyLimit:   DefaultBodyLimit,
		correlation: true,
		breaker:     &b,
		budget:      &policy.BudgetConfig{},
		hostIdleTTL: DefaultHostIdleTTL,
		wait:        &WaitConfig{},
		sendRate:    &policy.SendRateConfig{},
	}
}

// WithPolicy sets the retry rules; default policy.Default().
func WithPolicy(p policy.Policy) Option {
	return func(c *config) { c.policy = p }
}

// WithBodyLimit sets how many bytes of a request body without GetBody are
// buffered for replay; default DefaultBodyLimit (1 MiB). A larger body is
// sent once and not retried (its attempt records rule "not_replayable").
// The body is buffered once the first attempt may go: a request waiting
// for its host (see WithWaitForHost) holds no copy of it.
func WithBodyLimit(n int64) Option {
	return func(c *config) {
		if n >= 0 {
			c.bodyLimit = n
		}
	}
}

// WithCorrelation turns the correlation headers on or off; default on. When
// on, every attempt sends a fresh UUID in x-amzn-RequestId (API Gateway
// adopts it as its request id, so the attempt can be found in its logs even
// when no response came), the logical request's id in
// amz-sdk-invocation-id, and "attempt=N; max=M" in amz-sdk-request, the AWS
// SDKs' convention. A value the caller set is kept.
func WithCorrelation(on bool) Option {
	return func(c *config) { c.correlation = on }
}

// WithIdempotencyKeys makes the transport add an Idempotency-Key (a quoted
// UUID, as the IETF draft's structured-field string) to every POST and
// PATCH that has none; the same key goes with every attempt, so those
// requests become safe to retry against servers that honour the key. A
// caller's own key is never replaced. Default off.
func WithIdempotencyKeys() Option {
	return func(c *config) { c.idemKeys = true }
}

// WithLogger writes one structured record per attempt (message "attempt",
// level Info) with stable keys: invocation_id, attempt, max_attempts, hedge,
// method, url (redacted), start, duration_ms, status, error, reach, cause,
// request_id_sent, request_id, apigw_id, apigw_requestid, trace_id, retry,
// wait_ms, rule, reason. Default none. `retryscope diagnose` reads these
// records as JSON lines (slog.NewJSONHandler). Every URL in error and
// reason (a *url.Error quotes the request's) is written without userinfo,
// query values, path parameter values or fragment.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// WithBreaker sets the circuit breaker settings, a template from which one
// breaker per host (scheme, host and port) is made, named after the host.
// The user's OnStateChange, ReadyToTrip, IsSuccessful and IsExcluded are
// still called; IsSuccessful and IsExcluded receive nil or an *OutcomeError.
// Default DefaultBreaker(). See WithoutBreaker.
func WithBreaker(s gobreaker.Settings) Option {
	return func(c *config) { c.breaker = &s }
}

// WithoutBreaker turns circuit breaking off.
func WithoutBreaker() Option {
	return func(c *config) { c.breaker = nil }
}

// WithBudget sets the per-host retry budget; default policy.BudgetConfig{}
// (its documented defaults). When the budget is spent, retrying stops and
// the attempt records rule "budget".
func WithBudget(b policy.BudgetConfig) Option {
	return func(c *config) { c.budget = &b }
}

// WithoutBudget turns the retry budget off.
func WithoutBudget() Option {
	return func(c *config) { c.budget = nil }
}

// WithHedging sends another attempt when the current one has not answered
// after delay, for requests that are safe to repeat (idempotent method or
// Idempotency-Key); the first good answer wins and the others are
// cancelled. Hedges count as attempts and spend the retry budget. Default
// off (delay 0).
func WithHedging(delay time.Duration) Option {
	return func(c *config) { c.hedgeDelay = delay }
}

// WithTracerProvider sets where spans go: one CLIENT span per attempt and,
// for a request retried or hedged, one INTERNAL span for the logical
// request (otelx's package doc shows the layout). Default: the global provider
// (otel.GetTracerProvider), which records nothing until one is set.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tracer = tp }
}

// WithMeterProvider sets where metrics go. Default: the global provider.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.meter = mp }
}

// WithPropagator sets how each attempt's trace context is injected into its
// headers. Default: the global propagator when one is set (otelx.Setup sets
// it), else W3C traceparent (propagation.TraceContext). Use
// otelx.XRayPropagator to send X-Amzn-Trace-Id as well.
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(c *config) {
		c.propagator, c.propFields = p, nil
		if p != nil {
			for _, f := range p.Fields() {
				c.propFields = append(c.propFields, http.CanonicalHeaderKey(f))
			}
		}
	}
}

// WithRecordedHeaders records the named request and response headers on
// attempt spans (http.request.header.<name>, http.response.header.<name>).
// Headers whose names carry credentials by their words are never recorded,
// even when named: Authorization, Proxy-Authorization, Cookie, Set-Cookie,
// X-Api-Key, X-Amz-Security-Token, and any name with a word such as auth,
// session, credential, signature, a word ending in token, secret or
// password, or "key" after api, access, secret, private or subscription
// (X-Auth-Token, X-Session-Id, Ocp-Apim-Subscription-Key).
// Default none.
func WithRecordedHeaders(request, response []string) Option {
	return func(c *config) { c.reqHeaders, c.respHeaders = request, response }
}

// WithHostIdleTTL sets how long a host's state (its breaker, its retry
// budget) is kept after its last request ended; default
// DefaultHostIdleTTL (10 minutes). A host with a request in flight or an
// open breaker is always kept. d <= 0 keeps every host's state for ever.
func WithHostIdleTTL(d time.Duration) Option {
	return func(c *config) { c.hostIdleTTL = d }
}
