package otelx

import (
	"go.opentelemetry.io/contrib/propagators/aws/xray"
	"go.opentelemetry.io/otel/propagation"
)

// XRayPropagator returns the propagator WithXRay installs: W3C
// TraceContext, Baggage and the AWS X-Ray propagator (X-Amzn-Trace-Id), so
// each attempt carries its span as both traceparent and
// X-Amzn-Trace-Id Parent. Pair it with X-Ray trace ids
// (sdktrace.WithIDGenerator(xray.NewIDGenerator()), as Setup(WithXRay())
// does): X-Ray expects the first 4 bytes of a Root to be the epoch.
func XRayPropagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}, xray.Propagator{})
}
