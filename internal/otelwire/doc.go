// Package otelwire records the spans and metrics the transport makes for
// every logical request and every attempt; package otelx documents them for
// users and sets up exporting providers. This package imports the
// OpenTelemetry API only, never the SDK, so that importing the transport
// does not compile the SDK, its exporters, gRPC or Prometheus.
//
// # Cost
//
// A nil *Instrumentation (what New returns for no-op providers) costs
// nothing. With the default Config and OpenTelemetry globals that nobody has
// set, no span is started either (until otel.SetTracerProvider is called),
// and metric attributes are built only for instruments that are enabled.
// A request its first attempt answers starts one span, its attempt's: the
// logical span starts only for a second attempt or a refusal (see
// Request). An attempt span starts with the attributes a sampler may
// decide on (the HTTP conventions' method, server address and port, and
// url.full), built once per request; spans that do not record cost no
// other attributes. A recording span gets the rest of its attributes in
// one SetAttributes call when it ends, built in buffers that are recycled
// when the span is the SDK's (recognised by its type's package, without
// importing it); the
// first attempt's telemetry is allocated with its logical request's, and the
// traceparent value is kept in it rather than in a slice of its own.
package otelwire
