// Package apigwtest is a local API Gateway + Lambda that reproduces 504s
// faithfully, used the way net/http/httptest is: start a Server, point a
// client at its URL, Close it.
//
//	s := apigwtest.NewServer(handler, apigwtest.WithTimeScale(0.001))
//	defer s.Close()
//	resp, _ := http.Get(s.URL + "/orders")
//
// A request flows like this:
//
//	client -> API Gateway: request id (adopt the client's UUID
//	          x-amzn-RequestId), x-amz-apigw-id, X-Ray trace,
//	          throttle (token bucket: 429), usage plan quota (429),
//	          stage route (403), payload limit (413)
//	       -> fault for this moment (WithFault, WithSchedule, WithFaultFunc)
//	       -> bad permissions (OutageConfiguration: 500)
//	       -> Lambda: event over 6 MB (413, the client gets 500),
//	          concurrency slot (none: 429, the client gets 500),
//	          warm environment or cold start, proxy event, the function
//	       -> API Gateway waits up to the integration timeout: the
//	          function's response (mapped; malformed: 502), its error
//	          (502), or 504 "Endpoint request timed out" while the
//	          function keeps running to completion, as in AWS.
//
// The answers (status, body bytes, headers) are those of API Gateway's
// default gateway responses as published captures show them; an HTTP API
// (v2) flavour is WithHTTPAPI, whose Lambda integration sends payload
// format 1.0 events by default and 2.0 ones with NewHTTPAPIServer (an
// in-process handler of events.APIGatewayV2HTTPRequest) or, for a runtime
// binary, WithPayloadFormat("2.0"). testdata/captures holds one documented
// capture per answer, and TestWireGolden compares the emulator's raw bytes
// with each. On the wire, over HTTP/1.1:
//
//   - header names are spelled as API Gateway writes them: x-amzn-RequestId,
//     x-amzn-ErrorType, x-amz-apigw-id, X-Amzn-Trace-Id (HeaderRequestID and
//     the other Header constants), plus Connection: keep-alive; an HTTP API
//     sends Apigw-Requestid. Go clients canonicalise them on reading.
//     Source: HTTP/1.1 curl and httpie transcripts of 2019 to 2023.
//   - X-Amzn-Trace-Id: the function's answers carry "Root=...;Sampled=..."
//     (an HTTP/1.1 capture of 2021); API Gateway's own 5xx answers "Root=..."
//     only (a curl -v series of May 2025), and so do its 429s [inferred];
//     its 403s none (captures of 2018 to 2024), nor its 413s [inferred];
//     HTTP APIs none (captures of 2020 to 2025).
//   - x-amz-apigw-id is 16 characters of URL-safe base64 ("_" and "-"), as
//     every id in those captures.
//   - an HTTP API's 503 has no Content-Type (a curl transcript of 2020).
//
// The proxy event carries each request header of a REST API under the
// name the client wrote, case included, as AWS does; net/http would
// canonicalise the names, so the server reads them off the connection as
// they arrive (it serves HTTP/1.1, where names keep their case; HTTP/2
// clients send them in lower case anyway). An HTTP API's event lowercases
// the names but for Content-Length, Content-Type, Host, User-Agent and the
// X-Forwarded-* and X-Amzn-Trace-Id headers, as published events show, and
// its X-Amzn-Trace-Id holds the X-Ray Root alone.
//
// Payload format 2.0 (AWS's "Working with AWS Lambda proxy integrations
// for HTTP APIs" page): the event has version "2.0", routeKey and stage
// "$default", rawPath and rawQueryString, every header name in lower case
// with a repeated header's values joined by commas (and so a repeated
// query parameter's in queryStringParameters), the Cookie header's
// cookies in cookies, and requestContext.requestId the HTTP API's own id.
// The gateway's own headers, the body (base64 when not UTF-8) and the
// times are as in 1.0. A response with a statusCode is mapped as in 1.0,
// its cookies becoming Set-Cookie headers and multiValueHeaders ignored;
// valid JSON without a statusCode is a 200 application/json whose body is
// that JSON (a JSON string's text); anything else is malformed (500).
//
// Every request writes an access-log JSON line (WithAccessLog) and
// execution-log lines "(<requestId>) <text>" (WithExecutionLog) in today's
// wording: "Received response. Status: 200, Integration latency: N ms",
// "Endpoint response headers: {..., x-amzn-RequestId=<Lambda request id>,
// ...}", "Endpoint response body before transformations: ...", then
// "Successfully completed execution" or the failure, and "Method completed
// with status: N". A function error's access line says error_responseType
// INTEGRATION_FAILURE, error_message "Internal server error" and
// integration_error "Lambda Customer Function Error:<message>", and a
// Lambda throttle's says INTEGRATION_FAILURE, the same message and
// integration_error "Execution failed due to configuration error: Rate
// Exceeded." (published access logs of 2024); API Gateway's own throttle
// says THROTTLED and calls nothing. The wording is that of test-invoke
// transcripts of 2020 to 2023 and CloudWatch exports of 2025. Every
// invocation writes START, END and REPORT lines (WithLambdaLog). Each
// source is named in docs/aws-behaviour.md.
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
// Inferred behaviour (not documented by AWS, and each seen in few or no
// captures; the sources are in docs/aws-behaviour.md): the client's
// x-amzn-RequestId reaching the event as requestContext.requestId; the 413
// body and that 413 carries no trace header (as 403 does not); a Root-only
// trace header on 429 (one published 429 carries none); the access-log
// values of integration_status on function errors and of error_responseType
// on malformed responses; an access line for every throttled request
// (AWS may log too many 429s only in part); the execution log's
// "Endpoint response headers" beyond the Lambda request id (the Date, the
// Content-Length of the payload) and the " [TRUNCATED]" mark on lines cut
// at API Gateway's documented 1024-byte log event limit; the Apigw-Requestid spelling over HTTP/1.1 (captures show
// both it and apigw-requestid); base64 for bodies that are not valid UTF-8;
// a function's 1xx statusCode treated as a malformed response (502); which
// header names an HTTP API's event keeps capitalised (those seen in few
// published events), and that its X-Amzn-Trace-Id continues a client's
// Root; in payload format 2.0, that the Cookie header leaves headers for
// cookies, split at semicolons, that a named stage stays in rawPath, that
// a response's unknown fields and multiValueHeaders are ignored while a
// wrongly typed field or a statusCode that is not an integer from 200 to
// 599 is malformed, and what a fault's malformed response is
// ({"statusCode":"OK"}).
//
// The emulator's own bounds, which AWS does not publish: a request's
// headers must arrive within 10 s and its body within 30 s of them (real
// time, not scaled); a client that stalls has its connection closed.
package apigwtest
