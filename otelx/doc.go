// Package otelx sets up OpenTelemetry for programs that use retryscope:
// Setup builds exporting tracer and meter providers from the standard
// OTEL_* environment variables (through autoexport), and WithXRay and
// XRayPropagator make traces AWS X-Ray compatible.
//
//	shutdown, err := otelx.Setup(ctx, otelx.WithXRay())
//	defer shutdown(context.Background())
//	client := &http.Client{Transport: transport.New(nil)} // uses the providers Setup set
//
// The transport itself depends on the OpenTelemetry API only; this package
// is where the SDK and its exporters come in, so a program that brings its
// own providers (transport.WithTracerProvider, WithMeterProvider) need not
// import it.
//
// # Spans
//
// One trace per logical request, also when the caller has no span of its
// own. A request its first attempt answers is that attempt's CLIENT span
// alone, the child of the caller's span (a root without one), as the HTTP
// semantic conventions record a request that is not resent. A second
// attempt (a retry or a hedge) starts the INTERNAL span of the logical
// request, from the request's start, as the caller's span's child, and the
// attempts after the first are its children:
//
//	handler                   the caller's span
//	├── GET                   CLIENT    attempt 1
//	└── retryscope GET        INTERNAL  the logical request
//	    ├── GET               CLIENT    attempt 2, http.request.resend_count=1
//	    └── GET               CLIENT    attempt 3, hedge: retryscope.hedge=true
//
// When the caller has no span, the logical span is the first attempt's
// child instead, so the retries stay in the first attempt's trace. A
// breaker's or a budget's refusal starts the logical span too (a request
// refused before any attempt is that span alone).
//
// Each attempt span follows the stable HTTP semantic conventions
// (http.request.method, url.full, server.address, server.port,
// http.response.status_code, network.protocol.version, error.type; the
// first four, which the conventions list for sampling decisions, are given
// when the span starts, so that a sampler can decide on them) and adds
// aws.request_id (the id
// API Gateway logged the attempt under, as Attempt.APIGatewayRequestID
// gives it: an HTTP API's apigw-requestid, else the x-amzn-RequestId a REST
// API answered, else the UUID the attempt sent, which a REST API adopts),
// aws.extended_request_id (x-amz-apigw-id, or apigw-requestid from HTTP
// APIs), aws.xray.trace_id, and retryscope.reach: whether the attempt reached
// the function (with retryscope.cause and retryscope.reason). The retry
// decision and its wait are attributes of the attempt it followed
// (retryscope.retry, retryscope.retry.wait_ms, retryscope.decision,
// retryscope.decision.reason); a plain success (2xx or 3xx, nothing to
// retry) records its status and reach only. The logical span carries what
// the attempts do not: retryscope.attempts, the final status
// (http.response.status_code, error.type) and, as retryscope.refused
// events, the breaker's and the budget's refusals; the HTTP request
// attributes are on the attempt spans.
//
// Each attempt's own span context is injected into that attempt's headers
// (W3C traceparent by default; XRayPropagator adds X-Amzn-Trace-Id), so the
// server sees every attempt separately. The X-Ray trace id API Gateway
// echoes is recorded even when its header holds only a Root, as after a
// 504.
//
// url.full never carries credentials: a userinfo is written
// "REDACTED:REDACTED@", as the HTTP conventions ask, and query values and
// path parameter values (";jsessionid=..."; a query part or parameter
// without '=' is hidden whole) are redacted; error messages are recorded with the URL redacted, and
// credential headers are never recorded.
//
// # Metrics
//
// http.client.request.duration per attempt, and the counters
// retryscope.attempts, retryscope.retries, retryscope.breaker.transitions and
// retryscope.refusals, all with bounded attribute sets (methods, status
// codes, hosts, reach values, causes and rules, never request ids or URLs).
//
// # Exporting
//
// Setup uses a batching span processor and a periodic metric reader, so a
// broken exporter or an unreachable collector never slows or fails a
// request (spans are dropped when the queue is full).
package otelx
