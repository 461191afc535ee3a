// Package lambdalog is the Lambda side of retryscope: a middleware for
// aws-lambda-go API Gateway proxy handlers (Wrap for REST APIs and payload
// format 1.0, WrapHTTPAPI for HTTP API payload format 2.0) that writes one
// JSON line per invocation naming every id a client or API Gateway knows the
// request by.
//
// On the client side, retryscope's transport records, per attempt, the
// x-amzn-RequestId it sent (API Gateway adopts it as its requestId), the
// amz-sdk-invocation-id shared by all attempts of one logical request, and
// the attempt number. The line written here carries the same ids next to the
// Lambda request id, so searching the function's logs for an attempt's id
// answers "did this attempt reach Lambda?", and `retryscope diagnose` joins
// these lines with the gateway's logs.
//
// The line never contains header values other than the ids above, the
// request body, or query string values: Authorization, Cookie and
// X-Api-Key cannot leak through it.
//
// With WithTracerProvider the middleware continues the client's trace (W3C
// traceparent, or X-Ray X-Amzn-Trace-Id) with one SERVER span per invocation.
package lambdalog
