package policy

import (
	"bytes"
	"net/http"
	"strings"
)

// Signature recognises one kind of answer by its status, a header and the
// start of its body, and says what it means. API Gateway's gateway responses
// are customisable (status, headers, body), so users add their own
// signatures with Policy.Signatures; they are matched before the built-in
// ones, in order, and the first match wins.
//
// A zero field matches anything: Status 0 matches every status, an empty
// Header matches every header set, an empty BodyContains every body.
type Signature struct {
	// Cause is a short stable token for the answer, e.g.
	// "integration_timeout". It becomes Outcome.Cause and a metric
	// attribute, so keep the set small.
	Cause string
	// Status is the status code to match; 0 matches any.
	Status int
	// Header names a response header that must be present; "" matches any.
	Header string
	// HeaderContains, when not empty, must occur in Header's value.
	HeaderContains string
	// BodyContains, when not empty, must occur in the first bytes of the body
	// (case-sensitive: API Gateway REST says "Internal server error", HTTP
	// APIs "Internal Server Error").
	BodyContains string

	// Reach is how far an attempt with this answer got.
	Reach Reach
	// Retryable says whether the answer is transient. Whether a retry is
	// also safe is decided by Policy.Decide from the method and Reach.
	Retryable bool
	// Reason says in words what the answer means.
	Reason string
}

func (s *Signature) matches(status int, h http.Header, body []byte) bool {
	if s.Status != 0 && s.Status != status {
		return false
	}
	if s.Header != "" {
		v, ok := h[http.CanonicalHeaderKey(s.Header)]
		if !ok {
			return false
		}
		if s.HeaderContains != "" && !anyContains(v, s.HeaderContains) {
			return false
		}
	}
	if s.BodyContains != "" && !bytes.Contains(body, []byte(s.BodyContains)) {
		return false
	}
	return true
}

func anyContains(values []string, sub string) bool {
	for _, v := range values {
		if strings.Contains(v, sub) {
			return true
		}
	}
	return false
}

// Header names API Gateway and CloudFront answer with.
const (
	HeaderRequestID         = "X-Amzn-Requestid" // x-amzn-RequestId: API Gateway's request id (REST); a client may set it
	HeaderExtendedRequestID = "X-Amz-Apigw-Id"   // x-amz-apigw-id: the extended request id (REST)
	HeaderHTTPAPIRequestID  = "Apigw-Requestid"  // apigw-requestid: the request id of HTTP APIs (v2)
	HeaderErrorType         = "X-Amzn-Errortype" // x-amzn-ErrorType: set when API Gateway itself answered
	HeaderTraceID           = "X-Amzn-Trace-Id"  // X-Ray trace header
	HeaderIdempotencyKey    = "Idempotency-Key"  // IETF draft-ietf-httpapi-idempotency-key-header
)

// APIGatewaySignatures are API Gateway's default gateway responses for
// Lambda proxy integrations, REST and HTTP APIs, and the errors CloudFront
// generates itself in front of edge-optimised APIs (AWS-FACTS.md section 1).
// Policy.Classify matches them after Policy.Signatures. The slice is shared:
// copy it before changing it.
var APIGatewaySignatures = []Signature{
	// REST APIs: API Gateway's own answers carry x-amzn-ErrorType; status
	// plus body tell them apart.
	{Cause: "integration_timeout", Status: 504, BodyContains: "Endpoint request timed out",
		Reach: ReachBackendTimeout, Retryable: true,
		Reason: "API Gateway integration timeout: the gateway stopped waiting, the function may still be running"},
	{Cause: "function_error", Status: 502, Header: HeaderErrorType, BodyContains: "Internal server error",
		Reach: ReachBackend, Retryable: false,
		Reason: "function error or malformed proxy response: the function ran and failed"},
	{Cause: "gateway_error", Status: 500, Header: HeaderErrorType, BodyContains: "Internal server error",
		Reach: ReachGateway, Retryable: true,
		Reason: "API Gateway 500: Lambda throttled or a configuration error, the function did not run"},
	{Cause: "throttled", Status: 429, BodyContains: "Too Many Requests",
		Reach: ReachGateway, Retryable: true,
		Reason: "API Gateway throttled the request: the function did not run"},
	{Cause: "quota_exceeded", Status: 429, BodyContains: "Limit Exceeded",
		Reach: ReachGateway, Retryable: false,
		Reason: "usage plan quota exceeded: retrying cannot succeed before the quota period resets"},
	{Cause: "missing_auth_token", Status: 403, BodyContains: "Missing Authentication Token",
		Reach: ReachGateway, Retryable: false,
		Reason: "missing authentication token or unknown route: the function did not run"},

	// HTTP APIs (v2) answer an integration timeout with 503.
	{Cause: "integration_timeout", Status: 503, Header: HeaderHTTPAPIRequestID, BodyContains: "Service Unavailable",
		Reach: ReachBackendTimeout, Retryable: true,
		Reason: "HTTP API integration timeout: the gateway stopped waiting, the function may still be running"},
	{Cause: "function_error", Status: 500, Header: HeaderHTTPAPIRequestID, BodyContains: "Internal Server Error",
		Reach: ReachBackend, Retryable: false,
		Reason: "HTTP API integration failure: the function may have run and failed"},

	// CloudFront-generated errors (text/html, "Generated by cloudfront", no
	// API Gateway request id): the request never reached API Gateway.
	{Cause: "edge_error", Status: 502, BodyContains: "Generated by cloudfront",
		Reach: ReachGateway, Retryable: true, Reason: "CloudFront could not reach the origin: API Gateway did not run the request"},
	{Cause: "edge_error", Status: 503, BodyContains: "Generated by cloudfront",
		Reach: ReachGateway, Retryable: true, Reason: "CloudFront answered 503 itself: API Gateway did not run the request"},
	{Cause: "edge_error", Status: 504, BodyContains: "Generated by cloudfront",
		Reach: ReachGateway, Retryable: true, Reason: "CloudFront timed out reaching the origin before API Gateway answered"},
	{Cause: "edge_error", BodyContains: "Generated by cloudfront",
		Reach: ReachGateway, Retryable: false, Reason: "CloudFront refused the request: API Gateway did not run it"},
}
