// Package apigwtest is a local API Gateway + Lambda that reproduces 504s
// faithfully, used the way net/http/httptest is: start a Server, point a
// client at its URL, Close it.
//
//	s := apigwtest.NewServer(handler, apigwtest.WithTimeScale(0.001))
//	defer s.Close()
//	resp, _ := http.Get(s.URL + "/orders")
//
// A request flows like this (DESIGN.md: the server side of the flow):
//
//	client -> API Gateway: request id (adopt the client's UUID
//	          x-amzn-RequestId), x-amz-apigw-id, X-Ray trace,
//	          throttle (token bucket: 429), usage plan quota (429),
//	          stage route (403), payload limit (413)
//	       -> fault for this moment (WithFault, WithSchedule, WithFaultFunc)
//	       -> bad permissions (OutageConfiguration: 500)
//	       -> Lambda: concurrency slot (none: 429, the client gets 500),
//	          warm environment or cold start, proxy event, the function
//	       -> API Gateway waits up to the integration timeout: the
//	          function's response (mapped; malformed: 502), its error
//	          (502), or 504 "Endpoint request timed out" while the
//	          function keeps running to completion, as in AWS.
//
// The answers (status, body bytes, headers) are those of AWS-FACTS.md
// section 1; an HTTP API (v2) flavour is WithHTTPAPI. Every request writes
// an access-log JSON line (WithAccessLog) and execution-log lines
// "(<requestId>) <text>" (WithExecutionLog) that CloudWatch Logs Insights
// queries parse; every invocation writes START, END and REPORT lines
// (WithLambdaLog).
//
// Ground truth: Server.Invocations lists every invocation with its API
// Gateway and Lambda request ids, its request headers, whether it finished
// and whether it finished after the gateway had answered 504;
// Server.Stats counts; Server.Wait waits for functions still running.
//
// Time: WithTimeScale multiplies every duration (timeouts, cold starts,
// idle expiry, fault latencies, phase windows, the throttle's refill, Sleep
// in handlers), so a 29 s timeout takes 29 ms in a test. Logs report
// emulated time.
//
// NewRuntimeServer runs an unmodified aws-lambda-go binary (lambda.Start)
// as the function: it serves the Lambda Runtime API, one process per
// execution environment, and a cold start is a real process start.
//
// Inferred behaviour (not documented by AWS, see AWS-FACTS.md): the client's
// x-amzn-RequestId reaching the event as requestContext.requestId; the 413
// body; the access-log values of integration_error, integration_status and
// error_responseType on function errors; base64 for bodies that are not
// valid UTF-8; the trace header on non-504 answers ("Root=...;Sampled=...");
// a function's 1xx statusCode treated as a malformed response (502).
package apigwtest
