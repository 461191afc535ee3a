package lambdalog

import (
	"io"
	"os"
	"time"

	"go.opentelemetry.io/contrib/propagators/aws/xray"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Option configures Wrap.
type Option func(*config)

type config struct {
	out        io.Writer
	tracer     trace.TracerProvider
	propagator propagation.TextMapPropagator
	now        func() time.Time
}

func newConfig(opts []Option) config {
	c := config{
		out: os.Stdout,
		// X-Ray first, W3C second: when both headers are present the later
		// extractor wins, and traceparent names the client's own span
		// while X-Amzn-Trace-Id's Parent is API Gateway's segment.
		propagator: propagation.NewCompositeTextMapPropagator(xray.Propagator{}, propagation.TraceContext{}),
		now:        time.Now,
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithWriter sets where the JSON lines go. Default os.Stdout, which Lambda
// sends to CloudWatch Logs. Writes are serialised by the middleware, so w
// need not be safe for concurrent use.
func WithWriter(w io.Writer) Option {
	return func(c *config) {
		if w != nil {
			c.out = w
		}
	}
}

// WithTracerProvider makes the middleware start one SERVER span per
// invocation, continuing the trace extracted from the event's headers.
// Default: no spans.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tracer = tp }
}

// WithPropagator sets how the client's trace context is read from the
// event's headers. Default: X-Ray (X-Amzn-Trace-Id) then W3C (traceparent),
// the W3C context winning when both are present. Only used with
// WithTracerProvider.
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(c *config) {
		if p != nil {
			c.propagator = p
		}
	}
}

// WithClock sets the clock used for Start and DurationMS. Default time.Now.
// Tests use it to make lines reproducible.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}
