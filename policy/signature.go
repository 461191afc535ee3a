package policy

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
)

// Signature recognises one kind of answer by its status, a header and the
// start of its body, and says what it means. API Gateway's gateway responses
// are customisable (status, headers, body), so users add their own
// signatures with Policy.Signatures; they are matched before the built-in
// ones, in order, and the first match wins.
//
// A zero field matches anything: Status 0 matches every status, an empty
// Header matches every header set, an empty BodyContains every body. The
// built-in signatures of CloudFront's own error pages (and copies of them
// from APIGatewaySignatures) also require that the answer carries no
// request id of API Gateway or of another AWS origin (x-amz-apigw-id,
// apigw-requestid, x-amzn-RequestId): CloudFront's own pages have none,
// and a page that has one went through the origin, say a function that
// relays a page it got from a service it called.
type Signature struct {
	// Cause is a short stable token for the answer, e.g.
	// CauseIntegrationTimeout or one of the user's own. It becomes
	// Outcome.Cause and a metric attribute, so keep the set small.
	Cause Cause
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

	// Reach is how far an attempt with this answer got; empty (or any
	// value but the five Reach constants) means ReachBackend, the
	// conservative choice: the function may have run.
	Reach Reach
	// Retryable says whether the answer is transient. Whether a retry is
	// also safe is decided by Policy.Decide from the method and Reach.
	Retryable bool
	// Reason says in words what the answer means.
	Reason string

	// edgeOnly: the answer must carry no origin's request id (see
	// originID); set on CloudFront's own pages.
	edgeOnly bool
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
	if s.edgeOnly && originID(h) {
		return false
	}
	return true
}

// originID reports whether an answer carries a request id that API Gateway
// (REST or HTTP API) or another AWS origin puts on what it answers, so that
// it went through that origin: CloudFront's own error pages carry none
// (docs/aws-behaviour.md#cloudfront).
func originID(h http.Header) bool {
	_, rest := h[HeaderExtendedRequestID]
	_, httpAPI := h[HeaderHTTPAPIRequestID]
	_, aws := h[HeaderRequestID]
	return rest || httpAPI || aws
}

// outcome is the Outcome of an answer that matches s.
func (s *Signature) outcome() Outcome {
	r := s.Reach
	switch r {
	case ReachNotSent, ReachUnknown, ReachGateway, ReachBackendTimeout, ReachBackend:
	default:
		r = ReachBackend // empty or misspelt: assume the function ran
	}
	reason := s.Reason
	if reason == "" {
		reason = "matched the signature for " + string(s.Cause)
	}
	return Outcome{Reach: r, Retryable: s.Retryable, Cause: s.Cause, Reason: reason}
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
	// HeaderXIdempotencyKey is the other name of the key that net/http's
	// Transport takes as marking a request idempotent; the transport and
	// the 409 "still in progress" rule read either.
	HeaderXIdempotencyKey = "X-Idempotency-Key"
)

// APIGatewaySignatures returns API Gateway's default gateway responses for
// Lambda proxy integrations, REST and HTTP APIs, and the errors CloudFront
// generates itself in front of edge-optimised APIs
// (docs/aws-behaviour.md#gateway-answers, #http-apis and #cloudfront):
// the signatures Policy.Classify matches after Policy.Signatures. Each call
// returns a new copy; changing it changes nothing else.
func APIGatewaySignatures() []Signature {
	return slices.Clone(builtinSignatures)
}

// builtinSignatures is what APIGatewaySignatures hands out copies of.
var builtinSignatures = slices.Concat(apiGatewaySignatures,
	// A CloudFront page's title comes within its first 300 bytes; its
	// "Generated by cloudfront" line only after about 900, past the default
	// peek, so that one matches short pages or a larger Policy.PeekBytes.
	cloudFrontSignatures("ERROR: The request could not be satisfied"),
	cloudFrontSignatures("Generated by cloudfront"))

var apiGatewaySignatures = []Signature{
	// REST APIs: API Gateway's own answers carry x-amzn-ErrorType; status
	// plus body tell them apart.
	{Cause: CauseIntegrationTimeout, Status: 504, BodyContains: "Endpoint request timed out",
		Reach: ReachBackendTimeout, Retryable: true,
		Reason: "API Gateway integration timeout: the gateway stopped waiting, the function may still be running"},
	// A function error is transient often enough (a dependency's blip, a
	// function timeout) that every peer retries it; the function ran, so
	// Decide retries only requests that are safe to repeat, as after a
	// plain 500. In the benchmark's function-errors scenario (10% of
	// invocations fail at random, GETs) retrying it took success from 89%
	// at 1.00 attempts per request to the peers' 99-100%.
	{Cause: CauseFunctionError, Status: 502, Header: HeaderErrorType, BodyContains: "Internal server error",
		Reach: ReachBackend, Retryable: true,
		Reason: "function error or malformed proxy response: the function ran and failed"},
	{Cause: CauseGatewayError, Status: 500, Header: HeaderErrorType, BodyContains: "Internal server error",
		Reach: ReachGateway, Retryable: true,
		Reason: "API Gateway 500: Lambda throttled or a configuration error, the function did not run"},
	// API Gateway's own 429s are told by x-amzn-ErrorType, not by their
	// words: a function behind a proxy integration may answer 429 with
	// any body, "Too Many Requests" included, and then it ran. A 429 that
	// matches neither is classified by Policy.Classify's 429 rule
	// (docs/aws-behaviour.md#whose-429). The header also tells the
	// answers to a HEAD request, which have no body (RFC 9110 §9.3.2).
	{Cause: CauseThrottled, Status: 429, Header: HeaderErrorType, HeaderContains: "TooManyRequestsException",
		Reach: ReachGateway, Retryable: true,
		Reason: "API Gateway throttled the request (x-amzn-ErrorType TooManyRequestsException): the function did not run"},
	{Cause: CauseQuotaExceeded, Status: 429, Header: HeaderErrorType, HeaderContains: "LimitExceededException",
		Reach: ReachGateway, Retryable: false,
		Reason: "usage plan quota exceeded: retrying cannot succeed before the quota period resets"},
	// A 502 without a body (to a HEAD request) is told by its error type.
	{Cause: CauseFunctionError, Status: 502, Header: HeaderErrorType, HeaderContains: "InternalServerErrorException",
		Reach: ReachBackend, Retryable: true,
		Reason: "function error or malformed proxy response: the function ran and failed"},
	// A Lambda or Cognito authorizer that failed, timed out or could not be
	// reached: API Gateway answers 500 {"message": null} (AUTHORIZER_FAILURE,
	// AUTHORIZER_CONFIGURATION_ERROR) before it calls the integration.
	{Cause: CauseAuthorizerError, Status: 500, Header: HeaderErrorType, HeaderContains: "Authorizer",
		Reach: ReachGateway, Retryable: true,
		Reason: "API Gateway 500 from the authorizer (failed, timed out or unreachable): the function did not run"},
	{Cause: CauseMissingAuthToken, Status: 403, BodyContains: "Missing Authentication Token",
		Reach: ReachGateway, Retryable: false,
		Reason: "missing authentication token or unknown route: the function did not run"},
	// Any other 403 API Gateway produced (an empty body, ForbiddenException,
	// a WAF or API key refusal) still names its error type.
	{Cause: CauseGatewayRefused, Status: 403, Header: HeaderErrorType,
		Reach: ReachGateway, Retryable: false,
		Reason: "API Gateway refused the request (x-amzn-ErrorType): the function did not run"},

	// HTTP APIs (v2) answer an integration timeout with 503.
	{Cause: CauseIntegrationTimeout, Status: 503, Header: HeaderHTTPAPIRequestID, BodyContains: "Service Unavailable",
		Reach: ReachBackendTimeout, Retryable: true,
		Reason: "HTTP API integration timeout: the gateway stopped waiting, the function may still be running"},
	{Cause: CauseFunctionError, Status: 500, Header: HeaderHTTPAPIRequestID, BodyContains: "Internal Server Error",
		Reach: ReachBackend, Retryable: true,
		Reason: "HTTP API integration failure: the function may have run and failed"},
}

// cloudFrontSignatures returns the signatures of the error pages CloudFront
// generates itself, recognised by marker and by the absence of any
// origin's request id (a page that carries one was relayed by the origin,
// and whatever answered it may have run). Their 502 and 503 mean API Gateway
// was not reached (could not connect, over capacity) and are transient; a
// 504 means CloudFront stopped waiting for the origin, which may have
// received the request: the function runs on when its caller gives up
// (docs/aws-behaviour.md#integration-timeout), and since June 2024 a Regional REST API's
// integration timeout may exceed CloudFront's origin timeout (30 s by
// default). That this 504 can follow a delivered request is [inferred].
func cloudFrontSignatures(marker string) []Signature {
	return []Signature{
		{Cause: CauseEdgeError, Status: 502, BodyContains: marker, edgeOnly: true,
			Reach: ReachGateway, Retryable: true, Reason: "CloudFront could not reach the origin: API Gateway did not run the request"},
		{Cause: CauseEdgeError, Status: 503, BodyContains: marker, edgeOnly: true,
			Reach: ReachGateway, Retryable: true, Reason: "CloudFront answered 503 itself: API Gateway did not run the request"},
		{Cause: CauseEdgeTimeout, Status: 504, BodyContains: marker, edgeOnly: true,
			Reach: ReachUnknown, Retryable: true, Reason: "CloudFront stopped waiting for the origin: the request may have reached API Gateway and the function may still be running"},
		{Cause: CauseEdgeError, BodyContains: marker, edgeOnly: true,
			Reach: ReachGateway, Retryable: false, Reason: "CloudFront refused the request: API Gateway did not run it"},
	}
}
