package otelwire

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/httpconv"
)

// Metric names. Every attribute set is bounded: methods, status codes,
// hosts, reach values, causes and rules, never request ids or URLs.
const (
	// MetricAttempts counts attempts, with retryscope.reach,
	// retryscope.cause and retryscope.retry.
	MetricAttempts = "retryscope.attempts"
	// MetricRetries counts attempts followed by a retry, with
	// retryscope.cause.
	MetricRetries = "retryscope.retries"
	// MetricBreakerTransitions counts circuit breaker state changes, with
	// server.address, retryscope.breaker.from and retryscope.breaker.to.
	MetricBreakerTransitions = "retryscope.breaker.transitions"
	// MetricRefusals counts attempts a breaker or a budget refused, with
	// retryscope.refusal ("circuit_open" or "budget").
	MetricRefusals = "retryscope.refusals"
)

// instruments are the metrics of one Instrumentation. A nil *instruments
// records nothing.
type instruments struct {
	duration    httpconv.ClientRequestDuration // http.client.request.duration, per attempt
	attempts    metric.Int64Counter
	retries     metric.Int64Counter
	transitions metric.Int64Counter
	refusals    metric.Int64Counter

	durationSets optionCache[durationKey]
	attemptSets  optionCache[attemptKey]
	retrySets    optionCache[string]
	refusalSets  optionCache[string]
	breakerSets  optionCache[transitionKey]
}

type transitionKey struct {
	host, from, to string
}

func (k transitionKey) attrs() []attribute.KeyValue {
	return []attribute.KeyValue{semconv.ServerAddress(k.host), AttrBreakerFrom.String(k.from), AttrBreakerTo.String(k.to)}
}

func refusalAttrs(kind string) []attribute.KeyValue {
	return []attribute.KeyValue{AttrRefusal.String(kind)}
}

type durationKey struct {
	method, host, errType, proto string
	port, status                 int
}

type attemptKey struct {
	reach, cause string
	retry        bool
}

func (k durationKey) attrs() []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 6)
	attrs = append(attrs,
		semconv.HTTPRequestMethodKey.String(k.method),
		semconv.ServerAddress(k.host),
		semconv.ServerPort(k.port))
	if k.status != 0 {
		attrs = append(attrs, semconv.HTTPResponseStatusCode(k.status))
	}
	if k.proto != "" {
		attrs = append(attrs, semconv.NetworkProtocolVersion(k.proto))
	}
	if k.errType != "" {
		attrs = append(attrs, semconv.ErrorTypeKey.String(k.errType))
	}
	return attrs
}

func (k attemptKey) attrs() []attribute.KeyValue {
	return []attribute.KeyValue{AttrReach.String(k.reach), AttrCause.String(k.cause), AttrRetry.Bool(k.retry)}
}

func causeAttrs(cause string) []attribute.KeyValue {
	return []attribute.KeyValue{AttrCause.String(cause)}
}

// newInstruments makes the instruments; an instrument the meter refuses is
// reported to otel.Handle and replaced by a no-op, so metrics never fail a
// request.
func newInstruments(m metric.Meter) *instruments {
	var is instruments
	var err error
	is.duration, err = httpconv.NewClientRequestDuration(m)
	handle(err)
	is.attempts, err = m.Int64Counter(MetricAttempts, metric.WithUnit("{attempt}"),
		metric.WithDescription("Attempts sent, by how far they got (reach), cause and whether a retry followed."))
	handle(err)
	is.retries, err = m.Int64Counter(MetricRetries, metric.WithUnit("{retry}"),
		metric.WithDescription("Attempts followed by a retry, by the cause of the failed attempt."))
	handle(err)
	is.transitions, err = m.Int64Counter(MetricBreakerTransitions, metric.WithUnit("{transition}"),
		metric.WithDescription("Circuit breaker state changes, per host."))
	handle(err)
	is.refusals, err = m.Int64Counter(MetricRefusals, metric.WithUnit("{refusal}"),
		metric.WithDescription("Attempts not sent because a circuit breaker or a retry budget refused them."))
	handle(err)
	return &is
}

func handle(err error) {
	if err != nil {
		otel.Handle(err)
	}
}

// attempt records one attempt's duration and counts.
func (is *instruments) attempt(ctx context.Context, t target, r AttemptResult, errType string) {
	if is == nil {
		return
	}
	if h := is.duration.Inst(); h.Enabled(ctx) {
		k := durationKey{method: t.method, host: t.host, port: t.port, errType: errType}
		if r.Response != nil {
			k.status, k.proto = r.Response.StatusCode, protocolVersion(r.Response)
		}
		h.Record(ctx, r.Duration.Seconds(), is.durationSets.get(k, durationKey.attrs).record...)
	}
	if is.attempts.Enabled(ctx) {
		k := attemptKey{reach: string(r.Outcome.Reach), cause: string(r.Outcome.Cause), retry: r.Decision.Retry}
		is.attempts.Add(ctx, 1, is.attemptSets.get(k, attemptKey.attrs).add...)
	}
	if r.Decision.Retry && is.retries.Enabled(ctx) {
		is.retries.Add(ctx, 1, is.retrySets.get(string(r.Outcome.Cause), causeAttrs).add...)
	}
}

// metricsUnset reports whether the instruments come from the global meter
// provider while nobody has set it: they record nothing then.
func (in *Instrumentation) metricsUnset() bool {
	return in.unsetMeter != nil && otel.GetMeterProvider() == in.unsetMeter
}

// enabled reports whether the per-attempt instruments record anything.
func (is *instruments) enabled(ctx context.Context) bool {
	return is != nil && (is.duration.Inst().Enabled(ctx) || is.attempts.Enabled(ctx) || is.retries.Enabled(ctx))
}

func (is *instruments) refused(kind string) {
	ctx := context.Background()
	if is == nil || !is.refusals.Enabled(ctx) {
		return
	}
	is.refusals.Add(ctx, 1, is.refusalSets.get(kind, refusalAttrs).add...)
}

// BreakerTransition counts a circuit breaker's change of state for host
// (retryscope.breaker.transitions, with server.address,
// retryscope.breaker.from and retryscope.breaker.to), e.g. from "closed" to
// "open". A nil Instrumentation does nothing.
func (in *Instrumentation) BreakerTransition(host, from, to string) {
	if in == nil || in.m == nil {
		return
	}
	ctx := context.Background()
	if !in.m.transitions.Enabled(ctx) {
		return
	}
	k := transitionKey{host: host, from: from, to: to}
	in.m.transitions.Add(ctx, 1, in.m.breakerSets.get(k, transitionKey.attrs).add...)
}
