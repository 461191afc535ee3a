package lambdalog

import "time"

// RecordMessage is the value of Record.Message on every line this package
// writes; readers use it to tell these lines from the function's own output.
const RecordMessage = "lambda_invocation"

// Record is the JSON line written for one invocation. Empty ids are omitted;
// Start, DurationMS and Status are always present.
type Record struct {
	// Message is always RecordMessage.
	Message string `json:"msg"`
	// LambdaRequestID is the Lambda request id (lambdacontext AwsRequestID),
	// the id START, END and REPORT lines carry.
	LambdaRequestID string `json:"lambda_request_id,omitempty"`
	// APIGatewayRequestID is requestContext.requestId: the client's
	// x-amzn-RequestId when it sent a UUID, else the gateway's own.
	APIGatewayRequestID string `json:"apigw_request_id,omitempty"`
	// ExtendedRequestID is requestContext.extendedRequestId (x-amz-apigw-id).
	ExtendedRequestID string `json:"apigw_extended_request_id,omitempty"`
	// InvocationID is the client's amz-sdk-invocation-id header, stable
	// across the attempts of one logical request; at most 128 bytes.
	InvocationID string `json:"invocation_id,omitempty"`
	// Attempt is the attempt number from amz-sdk-request (1-based); 0 when
	// the header is absent or malformed.
	Attempt int `json:"attempt,omitempty"`
	// MaxAttempts is max= from amz-sdk-request; 0 when absent.
	MaxAttempts int `json:"max_attempts,omitempty"`
	// TraceID is the X-Ray Root (1-xxxxxxxx-...) when known, else the W3C
	// trace id (32 hex digits) from traceparent, else empty; at most 128
	// bytes.
	TraceID string `json:"trace_id,omitempty"`
	// Method is the HTTP method of the proxied request.
	Method string `json:"method,omitempty"`
	// Resource is the API Gateway resource template (e.g. /orders/{id}),
	// never the concrete path or query.
	Resource string `json:"resource,omitempty"`
	// Start is when the handler was called.
	Start time.Time `json:"start"`
	// DurationMS is the handler's running time in milliseconds.
	DurationMS float64 `json:"duration_ms"`
	// Status is the statusCode the handler returned (0 when it returned an
	// error, which API Gateway turns into a 502).
	Status int `json:"status"`
	// Error is the handler's error text, absent when none.
	Error string `json:"error,omitempty"`
}
