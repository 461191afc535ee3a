package apigwtest

// gatewayAnswer is a response API Gateway produces itself (a "gateway
// response"), as the client sees it with the default gateway responses.
type gatewayAnswer struct {
	status       int
	body         string
	errorType    string // x-amzn-ErrorType
	responseType string // $context.error.responseType
	message      string // $context.error.message
}

// The REST API's answers, byte for byte as published captures show them
// (docs/aws-behaviour.md).
// Note the space after the colon in the 504/502/500 bodies and none in the
// 429/403 ones: that is what AWS sends.
var (
	restTimeout = gatewayAnswer{504, `{"message": "Endpoint request timed out"}`,
		"InternalServerErrorException", "INTEGRATION_TIMEOUT", "Endpoint request timed out"}
	// A function error's access log says INTEGRATION_FAILURE (seen in
	// published access logs; the type's documented default status is 504,
	// but a Lambda function error reaches the client as 502).
	restFunctionError = gatewayAnswer{502, `{"message": "Internal server error"}`,
		"InternalServerErrorException", "INTEGRATION_FAILURE", "Internal server error"}
	restMalformed = gatewayAnswer{502, `{"message": "Internal server error"}`,
		"InternalServerErrorException", "API_CONFIGURATION_ERROR", "Internal server error"}
	// A Lambda throttle's access log says INTEGRATION_FAILURE too
	// (published access logs).
	restLambdaThrottled = gatewayAnswer{500, `{"message": "Internal server error"}`,
		"InternalServerErrorException", "INTEGRATION_FAILURE", "Internal server error"}
	restConfiguration = gatewayAnswer{500, `{"message": "Internal server error"}`,
		"InternalServerErrorException", "API_CONFIGURATION_ERROR", "Internal server error"}
	restThrottled = gatewayAnswer{429, `{"message":"Too Many Requests"}`,
		"TooManyRequestsException", "THROTTLED", "Too Many Requests"}
	restQuota = gatewayAnswer{429, `{"message":"Limit Exceeded"}`,
		"LimitExceededException", "QUOTA_EXCEEDED", "Limit Exceeded"}
	restMissingToken = gatewayAnswer{403, `{"message":"Missing Authentication Token"}`,
		"MissingAuthenticationTokenException", "MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token"}
	// The 413 body and error type are [inferred]: REQUEST_TOO_LARGE is
	// documented, its default text is not.
	restTooLarge = gatewayAnswer{413, `{"message":"Request Too Long"}`,
		"RequestTooLongException", "REQUEST_TOO_LARGE", "Request Too Long"}
)

// The HTTP API's answers. HTTP APIs send no x-amzn-ErrorType.
var (
	httpTimeout = gatewayAnswer{503, `{"message":"Service Unavailable"}`,
		"", "INTEGRATION_TIMEOUT", "Service Unavailable"}
	httpFunctionError = gatewayAnswer{500, `{"message":"Internal Server Error"}`,
		"", "DEFAULT_5XX", "Internal Server Error"}
	httpMalformed       = httpFunctionError
	httpLambdaThrottled = httpFunctionError
	httpThrottled       = gatewayAnswer{429, `{"message":"Too Many Requests"}`,
		"", "THROTTLED", "Too Many Requests"}
	httpConfiguration = httpFunctionError
	// HTTP APIs have no usage plans; the REST answer is kept [inferred].
	httpQuota    = gatewayAnswer{429, `{"message":"Limit Exceeded"}`, "", "QUOTA_EXCEEDED", "Limit Exceeded"}
	httpNotFound = gatewayAnswer{404, `{"message":"Not Found"}`,
		"", "RESOURCE_NOT_FOUND", "Not Found"}
	// [inferred]
	httpTooLarge = gatewayAnswer{413, `{"message":"Request Entity Too Large"}`,
		"", "REQUEST_TOO_LARGE", "Request Entity Too Large"}
)

// answerKind names a gateway answer independently of the API flavour.
type answerKind int

const (
	answerTimeout answerKind = iota
	answerFunctionError
	answerMalformed
	answerLambdaThrottled
	answerThrottled
	answerNoRoute
	answerTooLarge
	answerConfiguration
	answerQuota
)

func (s *Server) answer(k answerKind) gatewayAnswer {
	if s.cfg.httpAPI {
		return [...]gatewayAnswer{httpTimeout, httpFunctionError, httpMalformed,
			httpLambdaThrottled, httpThrottled, httpNotFound, httpTooLarge, httpConfiguration, httpQuota}[k]
	}
	return [...]gatewayAnswer{restTimeout, restFunctionError, restMalformed,
		restLambdaThrottled, restThrottled, restMissingToken, restTooLarge, restConfiguration, restQuota}[k]
}
