package otelx

import (
	"context"
	"errors"

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/contrib/propagators/aws/xray"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Option configures Setup.
type Option func(*setupConfig)

type setupConfig struct {
	service  string
	xray     bool
	dst      *Providers
	exporter sdktrace.SpanExporter
	reader   sdkmetric.Reader
}

// WithServiceName sets service.name when neither OTEL_SERVICE_NAME nor
// OTEL_RESOURCE_ATTRIBUTES sets it; default the SDK's
// "unknown_service:<program>".
func WithServiceName(name string) Option {
	return func(c *setupConfig) { c.service = name }
}

// WithXRay makes traces AWS X-Ray compatible: trace ids from
// xray.NewIDGenerator (epoch seconds in the first 4 bytes, so API Gateway
// and X-Ray accept them) and the X-Ray propagator (X-Amzn-Trace-Id) next to
// W3C TraceContext and Baggage. Default off: W3C only. Do not combine it with
// a ratio sampler (OTEL_TRACES_SAMPLER=traceidratio): X-Ray ids are not
// uniformly random.
func WithXRay() Option {
	return func(c *setupConfig) { c.xray = true }
}

// WithoutGlobals keeps Setup from setting the OpenTelemetry globals (tracer
// provider, meter provider, propagator) and stores the providers in dst
// instead; hand them to transport.WithTracerProvider, WithMeterProvider and
// WithPropagator. Default: Setup sets the globals, which the transport uses
// unless told otherwise.
func WithoutGlobals(dst *Providers) Option {
	return func(c *setupConfig) { c.dst = dst }
}

// WithSpanExporter exports spans with e instead of the exporter named by
// OTEL_TRACES_EXPORTER; default none (the environment decides). Spans still
// go through a batching processor.
func WithSpanExporter(e sdktrace.SpanExporter) Option {
	return func(c *setupConfig) { c.exporter = e }
}

// WithMetricReader reads metrics with r instead of the reader named by
// OTEL_METRICS_EXPORTER; default none (the environment decides).
func WithMetricReader(r sdkmetric.Reader) Option {
	return func(c *setupConfig) { c.reader = r }
}

// Providers are the providers Setup built, for WithoutGlobals.
type Providers struct {
	TracerProvider *sdktrace.TracerProvider
	MeterProvider  *sdkmetric.MeterProvider
	Propagator     propagation.TextMapPropagator
}

// Setup builds a tracer provider and a meter provider from the standard
// OpenTelemetry environment variables, through autoexport:
// OTEL_TRACES_EXPORTER and OTEL_METRICS_EXPORTER ("otlp", the default,
// "console", "none"; metrics also "prometheus"), OTEL_EXPORTER_OTLP_PROTOCOL
// ("http/protobuf", the default, or "grpc"), OTEL_EXPORTER_OTLP_ENDPOINT
// (default http://localhost:4318 or localhost:4317), OTEL_SERVICE_NAME,
// OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER and the OTEL_BSP_* batching
// settings. By default it sets them, and the W3C TraceContext and Baggage
// propagator, as the OpenTelemetry globals (see WithoutGlobals).
//
// Exporting never stands in a request's way: spans go through a batching
// processor that drops them when its queue is full, and metrics through a
// periodic reader, both in the background. A broken exporter or an
// unreachable collector costs no request any time and fails none; its errors
// go to otel.Handle.
//
// Call the returned shutdown before the program exits: it flushes what is
// buffered and stops the exporters, waiting at most until ctx is done (give
// it a timeout: an unreachable collector would otherwise hold it for the
// exporter's own timeout, 10 s by default).
func Setup(ctx context.Context, opts ...Option) (shutdown func(context.Context) error, err error) {
	var c setupConfig
	for _, o := range opts {
		o(&c)
	}
	res, err := newResource(ctx, c.service)
	if err != nil {
		return nil, err
	}
	exp := c.exporter
	if exp == nil {
		if exp, err = autoexport.NewSpanExporter(ctx); err != nil {
			return nil, err
		}
	}
	reader := c.reader
	if reader == nil {
		if reader, err = autoexport.NewMetricReader(ctx); err != nil {
			return nil, errors.Join(err, exp.Shutdown(ctx))
		}
	}
	topts := []sdktrace.TracerProviderOption{sdktrace.WithBatcher(exp), sdktrace.WithResource(res)}
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	if c.xray {
		topts = append(topts, sdktrace.WithIDGenerator(xray.NewIDGenerator()))
		prop = XRayPropagator()
	}
	p := Providers{
		TracerProvider: sdktrace.NewTracerProvider(topts...),
		MeterProvider:  sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithResource(res)),
		Propagator:     prop,
	}
	if c.dst != nil {
		*c.dst = p
	} else {
		otel.SetTracerProvider(p.TracerProvider)
		otel.SetMeterProvider(p.MeterProvider)
		otel.SetTextMapPropagator(p.Propagator)
	}
	return func(ctx context.Context) error {
		return errors.Join(p.TracerProvider.Shutdown(ctx), p.MeterProvider.Shutdown(ctx))
	}, nil
}

// newResource describes the program: service.name (the environment wins over
// name), the OTEL_RESOURCE_ATTRIBUTES, and the SDK's own attributes.
func newResource(ctx context.Context, name string) (*resource.Resource, error) {
	var attrs []attribute.KeyValue
	if name != "" {
		attrs = append(attrs, attribute.String("service.name", name))
	}
	own, err := resource.New(ctx, resource.WithAttributes(attrs...), resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, err
	}
	return resource.Merge(resource.Default(), own)
}
