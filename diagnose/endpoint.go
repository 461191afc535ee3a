package diagnose

import (
	"bytes"
	"regexp"
	"strings"
)

// What Lambda's answer to API Gateway's Invoke call says, as execution logs
// print it ("Endpoint response headers: {...}", "Endpoint response body
// before transformations: ..."). A Lambda request id there means Lambda
// answered; whether the function ran depends on what it answered: the
// Invoke API's throttling, permission and configuration errors are answered
// before any function code runs (docs/aws-behaviour.md#execution-logs).

// endpointSignals is what one text (or its continuation lines) says.
type endpointSignals struct {
	lambdaRequestID string // x-amzn-RequestId in the endpoint response headers
	errorType       string // x-amzn-ErrorType, or a "Type"/"__type" in the body
	functionError   bool   // X-Amz-Function-Error: the function ran and failed
	// refusal names why Lambda did not run the function, from the
	// response headers' error type or API Gateway's own error line; ""
	// when they do not say it refused.
	refusal string
	// bodyRefusal is the same read from a response body (a throttle's
	// "Reason"). A body is the function's own payload when Lambda
	// answered 200, so it counts only when nothing says Lambda did.
	bodyRefusal string
}

func (s *endpointSignals) merge(o endpointSignals) {
	if s.lambdaRequestID == "" {
		s.lambdaRequestID = o.lambdaRequestID
	}
	if s.errorType == "" {
		s.errorType = o.errorType
	}
	s.functionError = s.functionError || o.functionError
	if s.refusal == "" {
		s.refusal = o.refusal
	}
	if s.bodyRefusal == "" {
		s.bodyRefusal = o.bodyRefusal
	}
}

var (
	// Header maps print as {Name=value, ...}; some exports quote them as
	// JSON ("Name": "value"). Names are matched in any case.
	reHeaderRequestID = regexp.MustCompile(`(?i)x-amzn-requestid"?\s*[=:]\s*"?([0-9A-Za-z-]{8,128})`)
	reHeaderErrorType = regexp.MustCompile(`(?i)x-amzn-errortype"?\s*[=:]\s*"?([A-Za-z0-9.:_-]+)`)
	reHeaderFuncError = regexp.MustCompile(`(?i)x-amz-function-error"?\s*[=:]\s*"?[A-Za-z]`)
	reBodyReason      = regexp.MustCompile(`"Reason"\s*:\s*"([A-Za-z]+)"`)
	// A function's error payload says "errorType" (its own error, which
	// may well be an AWS SDK's AccessDeniedException): not read here.
	reBodyType         = regexp.MustCompile(`"(?:__type|Type)"\s*:\s*"([A-Za-z0-9.:#_-]+)"`)
	reBodyRateExceeded = regexp.MustCompile(`(?i)"message"\s*:\s*"Rate Exceeded\.?"`)
	// The messages of Lambda's AccessDeniedException and
	// ResourceNotFoundException bodies.
	reBodyDenied   = regexp.MustCompile(`is not authorized to perform: lambda:InvokeFunction`)
	reBodyNotFound = regexp.MustCompile(`"[Mm]essage"\s*:\s*"Function not found: arn:`)
)

// lambdaThrottleReasons are the "Reason" values of Lambda's
// TooManyRequestsException (Invoke API reference).
var lambdaThrottleReasons = map[string]bool{
	"ConcurrentInvocationLimitExceeded":                 true,
	"FunctionInvocationRateLimitExceeded":               true,
	"ReservedFunctionConcurrentInvocationLimitExceeded": true,
	"ReservedFunctionInvocationRateLimitExceeded":       true,
	"CallerRateLimitExceeded":                           true,
	"ConcurrentSnapshotCreateLimitExceeded":             true,
}

// lambdaRefusalTypes are Invoke API error types returned before the
// function's code runs: throttling, permissions, a function that does not
// exist or is not ready, a request Lambda will not take. Errors that can
// happen while the function runs (ServiceException, EFSIOException, the
// KMS and network ones) are not here: they prove nothing either way.
var lambdaRefusalTypes = map[string]string{
	"TooManyRequestsException":       "throttled",
	"AccessDeniedException":          "permission denied",
	"UnrecognizedClientException":    "permission denied",
	"ResourceNotFoundException":      "function not found",
	"ResourceConflictException":      "function not ready",
	"ResourceNotReadyException":      "function not ready",
	"SnapStartNotReadyException":     "function not ready",
	"InvalidParameterValueException": "request refused",
	"InvalidRequestContentException": "request refused",
	"RequestTooLargeException":       "request refused",
	"UnsupportedMediaTypeException":  "request refused",
	"RecursiveInvocationException":   "request refused",
}

// refusalOfType returns the refusal an error type names, "" for none. AWS
// JSON error types may carry a namespace ("...#TooManyRequestsException")
// or a suffix after ":".
func refusalOfType(t string) string {
	if i := strings.LastIndexByte(t, '#'); i >= 0 {
		t = t[i+1:]
	}
	if i := strings.IndexByte(t, ':'); i >= 0 {
		t = t[:i]
	}
	if r, ok := lambdaRefusalTypes[t]; ok {
		return r + " (" + t + ")"
	}
	return ""
}

// scanEndpointText reads a headers or body text (or a continuation line of
// one). headers is true for "Endpoint response headers".
func scanEndpointText(text []byte, headers bool) endpointSignals {
	var s endpointSignals
	var refusal string
	if headers || bytes.Contains(bytes.ToLower(text), []byte("x-amzn-")) {
		if m := reHeaderRequestID.FindSubmatch(text); m != nil && headers {
			s.lambdaRequestID = string(m[1])
		}
		if m := reHeaderErrorType.FindSubmatch(text); m != nil {
			s.errorType = string(m[1])
		}
		s.functionError = reHeaderFuncError.Match(text)
	}
	if m := reBodyReason.FindSubmatch(text); m != nil && lambdaThrottleReasons[string(m[1])] {
		refusal = "throttled (" + string(m[1]) + ")"
	}
	if m := reBodyType.FindSubmatch(text); m != nil && s.errorType == "" && refusalOfType(string(m[1])) != "" {
		s.errorType = string(m[1])
	}
	if refusal == "" && s.errorType != "" {
		refusal = refusalOfType(s.errorType)
	}
	switch {
	case refusal != "":
	case reBodyRateExceeded.Match(text):
		refusal = "throttled (Rate Exceeded)"
	case reBodyDenied.Match(text):
		refusal = "permission denied (not authorized to perform lambda:InvokeFunction)"
	case reBodyNotFound.Match(text):
		refusal = "function not found"
	}
	if headers {
		s.refusal = refusal
	} else {
		s.bodyRefusal = refusal
	}
	return s
}

// scanConfigurationError reads "Execution failed due to configuration
// error: <what>". Invalid permissions (API Gateway may not invoke the
// function) and a throttle ("Rate Exceeded") are answered before the
// function runs; a malformed proxy response is parsed apart, other
// configuration errors prove nothing.
func scanConfigurationError(text []byte) endpointSignals {
	lower := bytes.ToLower(text)
	switch {
	case bytes.Contains(lower, []byte("invalid permissions on lambda function")):
		return endpointSignals{refusal: "permission denied (Invalid permissions on Lambda function)"}
	case bytes.Contains(lower, []byte("rate exceeded")):
		return endpointSignals{refusal: "throttled (Rate Exceeded)"}
	}
	return endpointSignals{}
}
