// Package otelx is retryscope's OpenTelemetry side: the spans and metrics
// the transport records for every logical request and every attempt, the
// X-Ray header helpers, and Setup, which builds exporting providers from the
// standard OTEL_* environment variables.
//
// # Spans
//
// One trace per logical request (see DESIGN.md, "Span contract"):
//
//	retryscope GET            INTERNAL  the logical request (StartRequest)
//	├── GET                   CLIENT    attempt 1 (StartAttempt)
//	├── GET                   CLIENT    attempt 2, http.request.resend_count=1
//	└── GET                   CLIENT    attempt 3, hedge: retryscope.hedge=true
//
// Each attempt span follows the stable HTTP semantic conventions
// (http.request.method, url.full, server.address, server.port,
// http.response.status_code, error.type) and adds aws.request_id (the
// x-amzn-RequestId the attempt sent, or the one API Gateway answered),
// aws.extended_request_id, aws.xray.trace_id, and retryscope.reach: whether
// the attempt reached the function. The retry decision and its wait are
// attributes of the attempt it followed; breaker and budget refusals are
// events on the logical span. Each attempt's own span context is injected
// into that attempt's headers (W3C traceparent by default; XRayPropagator
// adds X-Amzn-Trace-Id), so the server sees every attempt separately. The
// X-Ray trace id API Gateway echoes is recorded even when its header holds
// only a Root, as after a 504 (ParseTraceHeader, TraceRoot).
//
// url.full never carries userinfo or query values, error messages are
// recorded with the URL redacted, and credential headers are never recorded.
//
// # Metrics
//
// http.client.request.duration per attempt, and the counters
// retryscope.attempts, retryscope.retries, retryscope.breaker.transitions and
// retryscope.refusals, all with bounded attribute sets.
//
// # Cost
//
// A nil *Instrumentation (what New returns for no-op providers) costs
// nothing. With the default Config and OpenTelemetry globals that nobody has
// set, no span is started either (until otel.SetTracerProvider is called),
// and metric attributes are built only for instruments that are enabled.
// Spans that do not record cost no attributes. A recording span gets all
// its attributes in one SetAttributes call when it ends (one copy into the
// SDK instead of two), built in recycled buffers; the first attempt's
// telemetry is allocated with its logical request's, and the traceparent
// value is kept in it rather than in a slice of its own. Exporting happens in
// the background: Setup uses a batching span processor and a periodic metric
// reader, so a broken exporter or an unreachable collector never slows or
// fails a request (spans are dropped when the queue is full).
package otelx
