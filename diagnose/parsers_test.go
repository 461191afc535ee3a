package diagnose

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseExecutionLine(t *testing.T) {
	t.Parallel()
	const id = "a3f1c2d4-5e6f-4a1b-8c9d-0e1f2a3b4c5d"
	const lid = "5f8e7d6c-1111-2222-3333-444455556666"
	tests := []struct {
		line string
		want executionLine
	}{
		{"(" + id + ") Starting execution for request: " + id, executionLine{RequestID: id, Event: execStarting}},
		{"(" + id + ") Sending request to https://lambda.eu-west-1.amazonaws.com/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:f/invocations",
			executionLine{RequestID: id, Event: execSending}},
		{"(" + id + ") Received response. Integration latency: 5 ms", executionLine{RequestID: id, Event: execReceived, LatencyMS: 5}},
		{"(" + id + ") Execution failed due to a timeout error", executionLine{RequestID: id, Event: execTimeout}},
		{"(" + id + ") Lambda execution failed with status 200 due to customer function error: division by zero. Lambda request id: " + lid,
			executionLine{RequestID: id, Event: execFunctionError, Status: 200, LambdaRequestID: lid}},
		{"(" + id + ") Lambda execution failed with status 200 due to customer function error: a. b. c. Lambda request id: " + lid,
			executionLine{RequestID: id, Event: execFunctionError, Status: 200, LambdaRequestID: lid}},
		{"(" + id + ") Execution failed due to configuration error: Malformed Lambda proxy response", executionLine{RequestID: id, Event: execMalformedProxy}},
		{"(" + id + ") Execution failed due to configuration error: Invalid permissions on Lambda function", executionLine{RequestID: id, Event: execConfigurationError,
			Signals: endpointSignals{refusal: "permission denied (Invalid permissions on Lambda function)"}}},
		{"(" + id + ") Received response. Status: 200, Integration latency: 356 ms", executionLine{RequestID: id, Event: execReceived, Status: 200, LatencyMS: 356}},
		{"(" + id + ") Endpoint request URI: https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:f/invocations",
			executionLine{RequestID: id, Event: execSending}},
		{"(" + id + ") Endpoint response headers: {Date=Thu, 01 Apr 2021 21:58:32 GMT, Content-Type=application/json, x-amzn-RequestId=" + lid + ", X-Amzn-Trace-Id=root=1-60664378-0123456789abcdef01234567;sampled=0}",
			executionLine{RequestID: id, Event: execResponseHeaders, LambdaRequestID: lid, Signals: endpointSignals{lambdaRequestID: lid}}},
		{"(" + id + ") Endpoint response headers: {Connection=keep-alive, x-amzn-RequestId=" + lid + ", x-amzn-ErrorType=TooManyRequestsException, Content-Type=application/json}",
			executionLine{RequestID: id, Event: execResponseHeaders, LambdaRequestID: lid, Signals: endpointSignals{lambdaRequestID: lid, errorType: "TooManyRequestsException", refusal: "throttled (TooManyRequestsException)"}}},
		{"(" + id + ") Endpoint response body before transformations: {\"Reason\":\"ReservedFunctionConcurrentInvocationLimitExceeded\",\"Type\":\"User\",\"message\":\"Rate Exceeded.\"}",
			executionLine{RequestID: id, Event: execResponseBody, Signals: endpointSignals{bodyRefusal: "throttled (ReservedFunctionConcurrentInvocationLimitExceeded)"}}},
		{"(" + id + ") Endpoint response body before transformations: {\"statusCode\":200,\"body\":\"ok\"}", executionLine{RequestID: id, Event: execResponseBody}},
		{"(" + id + ") Successfully completed execution", executionLine{RequestID: id, Event: execCompleted}},
		{"(" + id + ") Lambda invocation failed with status: 429. Lambda request id: " + lid,
			executionLine{RequestID: id, Event: execInvocationFailed, Status: 429, LambdaRequestID: lid}},
		{"(" + id + ") Lambda invocation failed with status: 403", executionLine{RequestID: id, Event: execInvocationFailed, Status: 403}},
		{"(" + id + ") Method completed with status: 504", executionLine{RequestID: id, Event: execMethodCompleted, Status: 504}},
		{"(" + id + ") Method request body before transformations: {}", executionLine{RequestID: id, Event: execOther}},
		{"(" + id + ")", executionLine{RequestID: id, Event: execOther}},
	}
	for _, tt := range tests {
		tt.want.Prefixed = true
		got, err := parseExecutionLine([]byte(tt.line))
		if err != nil || got != tt.want {
			t.Errorf("parseExecutionLine(%q) = %+v, %v; want %+v", tt.line, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "(", "()", "() text", "(a b) text", "no parenthesis", "(" + strings.Repeat("x", 200) + ") text"} {
		if _, err := parseExecutionLine([]byte(bad)); err == nil {
			t.Errorf("parseExecutionLine(%q) accepted", bad)
		}
	}
}

func TestParsePlatformLine(t *testing.T) {
	t.Parallel()
	const lid = "5f8e7d6c-1111-2222-3333-444455556666"
	tests := []struct {
		line string
		want platformLine
	}{
		{"START RequestId: " + lid + " Version: $LATEST", platformLine{Event: platformStart, RequestID: lid}},
		{"END RequestId: " + lid, platformLine{Event: platformEnd, RequestID: lid}},
		{"REPORT RequestId: " + lid + "\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB",
			platformLine{Event: platformReport, RequestID: lid, DurationMS: 12.34, HasDuration: true}},
		{"REPORT RequestId: " + lid + "\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\tStatus: timeout",
			platformLine{Event: platformReport, RequestID: lid, DurationMS: 3000, HasDuration: true, TimedOut: true}},
		{"REPORT RequestId: " + lid + " Duration: 7 ms Billed Duration: 7 ms", platformLine{Event: platformReport, RequestID: lid, DurationMS: 7, HasDuration: true}},
		{lid + " Task timed out after 3.00 seconds", platformLine{Event: platformTimedOut, RequestID: lid, TimedOut: true}},
		{"INIT_START Runtime Version: provided:al2023.v80", platformLine{Event: platformInit}},
		{"INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout", platformLine{Event: platformInit, InitTimedOut: true}},
		{"INIT_REPORT Init Duration: 412.51 ms\tPhase: init\tStatus: error\tError Type: Runtime.ImportModuleError", platformLine{Event: platformInit}},
	}
	for _, tt := range tests {
		if !isPlatformLine([]byte(tt.line)) {
			t.Errorf("isPlatformLine(%q) = false", tt.line)
		}
		got, err := parsePlatformLine([]byte(tt.line))
		if err != nil || got != tt.want {
			t.Errorf("parsePlatformLine(%q) = %+v, %v; want %+v", tt.line, got, err, tt.want)
		}
	}
	for _, bad := range []string{"START RequestId:", "END RequestId: ", "REPORT RequestId:\tDuration: 1 ms"} {
		if _, err := parsePlatformLine([]byte(bad)); err == nil {
			t.Errorf("parsePlatformLine(%q) accepted", bad)
		}
	}
}

func TestParseAccessRecord(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 26, 1, 0, 0, 10_000_000, time.UTC)
	tests := []struct {
		name         string
		line         string
		want         accessRecord
		timeout      bool
		calledLambda bool
	}{
		{"timeout", `{"error_message":"Endpoint request timed out","error_responseType":"INTEGRATION_TIMEOUT","extendedRequestId":"K2G9wEbUoAMEvag=","integration_error":"-","integration_integrationStatus":"-","integration_latency":"-","integration_requestId":"-","integration_status":"-","integrationLatency":"-","requestId":"r1","requestTimeEpoch":"1795654800010","responseLatency":"29012","status":"504"}`,
			accessRecord{RequestID: "r1", ExtendedRequestID: "K2G9wEbUoAMEvag=", Status: 504, ErrorMessage: "Endpoint request timed out", ErrorResponseType: "INTEGRATION_TIMEOUT", ResponseLatencyMS: 29012, HasResponseLatency: true, RequestTime: at, LogsIntegration: true},
			true, true},
		{"success, numbers unquoted", `{"requestId":"r2","status":200,"integration_requestId":"l2","integration_status":200,"integration_integrationStatus":200,"integrationLatency":120,"responseLatency":131,"requestTimeEpoch":1795654800010}`,
			accessRecord{RequestID: "r2", Status: 200, IntegrationRequestID: "l2", IntegrationStatus: 200, LambdaStatus: 200, IntegrationLatencyMS: 120, HasIntegrationLatency: true, ResponseLatencyMS: 131, HasResponseLatency: true, RequestTime: at, LogsIntegration: true},
			false, true},
		{"throttled", `{"requestId":"r3","status":"429","error_responseType":"THROTTLED","error_message":"Too Many Requests","integration_latency":"-","integration_requestId":"-","requestTime":"26/Nov/2026:01:00:00 +0000"}`,
			accessRecord{RequestID: "r3", Status: 429, ErrorResponseType: "THROTTLED", ErrorMessage: "Too Many Requests", RequestTime: time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC), LogsIntegration: true},
			false, false},
		{"null values", `{"requestId":"r4","status":null,"integration_latency":null}`, accessRecord{RequestID: "r4", LogsIntegration: true}, false, false},
		{"replaced client id", `{"requestId":"0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b_REPLACED_INVALID_REQUEST_ID","status":"200"}`,
			accessRecord{RequestID: "0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b", Status: 200}, false, false},
	}
	for _, tt := range tests {
		got, err := parseAccessRecord([]byte(tt.line))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, got, tt.want)
		}
		if got.isIntegrationTimeout() != tt.timeout || got.calledIntegration() != tt.calledLambda {
			t.Errorf("%s: timeout %v called %v", tt.name, got.isIntegrationTimeout(), got.calledIntegration())
		}
	}
	for _, bad := range []string{`{"requestId":"-"}`, `{"requestId":""}`, `{"requestId":"r","status":{}}`, `{"requestId":"r"`} {
		if _, err := parseAccessRecord([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestParseAttemptRecord(t *testing.T) {
	t.Parallel()
	good := `{"time":"2026-11-26T01:00:29.05Z","level":"INFO","msg":"attempt","invocation_id":"i","attempt":1,"max_attempts":3,"hedge":false,"method":"PUT","url":"https://x/y","start":"2026-11-26T01:00:00Z","duration_ms":29050,"status":504,"reach":"backend_timeout","cause":"integration_timeout","request_id_sent":"5a5a5a5a-5a5a-4a5a-8a5a-5a5a5a5a5a5a","retry":true,"wait_ms":100,"reason":"r"}`
	a, err := parseAttemptRecord([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	from, to := a.interval()
	if a.gatewayRequestID() != "5a5a5a5a-5a5a-4a5a-8a5a-5a5a5a5a5a5a" || to.Sub(from) != 29050*time.Millisecond || a.Status != 504 || a.Reach != "backend_timeout" {
		t.Errorf("%+v", a)
	}
	// The id the logs carry: a REST API's answer, an HTTP API's own id
	// (it adopts nothing, whatever else its answer carries), the UUID sent
	// when nothing answered, and nothing for a non-UUID that a REST API
	// would have replaced.
	for _, tt := range []struct{ sent, answered, apigwID, httpAPI, want string }{
		{a.RequestIDSent, "answered", "K2Ib_G66IAMEF6g=", "", "answered"},
		{a.RequestIDSent, "", "", "U9euFi_ySQ0EPsw=", "U9euFi_ySQ0EPsw="},
		{a.RequestIDSent, "11111111-1111-4111-8111-111111111111", "", "U9euFi_ySQ0EPsw=", "U9euFi_ySQ0EPsw="},
		{"s", "", "", "", ""},
	} {
		b := a
		b.RequestIDSent, b.RequestID, b.APIGatewayID, b.HTTPAPIID = tt.sent, tt.answered, tt.apigwID, tt.httpAPI
		if got := b.gatewayRequestID(); got != tt.want {
			t.Errorf("%+v: gatewayRequestID %q, want %q", tt, got, tt.want)
		}
	}
	for _, bad := range []string{
		`{"msg":"attempt","attempt":1}`,
		`{"msg":"attempt","invocation_id":"i","attempt":0}`,
		`{"msg":"attempt","invocation_id":"i","attempt":"1"}`,
		`{"msg":"attempt","invocation_id":"i","attempt":1,"duration_ms":-1}`,
	} {
		if _, err := parseAttemptRecord([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestSplitTimestamp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line, rest string
		want       time.Time
	}{
		{"2026-11-26T01:00:00.123Z (id) text", "(id) text", time.Date(2026, 11, 26, 1, 0, 0, 123e6, time.UTC)},
		{"2026-11-26T01:00:00.123Z\tSTART RequestId: x", "START RequestId: x", time.Date(2026, 11, 26, 1, 0, 0, 123e6, time.UTC)},
		{"2026-11-26 01:00:00.123 (id) text", "(id) text", time.Date(2026, 11, 26, 1, 0, 0, 123e6, time.UTC)},
		{"2026-11-26T02:00:00+01:00 x", "x", time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)},
		{"(id) text", "(id) text", time.Time{}},
		{"2026-11-26Tgarbage (id) x", "2026-11-26Tgarbage (id) x", time.Time{}},
	}
	for _, tt := range tests {
		got, rest := splitTimestamp([]byte(tt.line))
		if !got.Equal(tt.want) || string(rest) != tt.rest {
			t.Errorf("splitTimestamp(%q) = %v, %q", tt.line, got, rest)
		}
	}
}

func TestClassifyLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line    string
		kind    lineKind
		wantErr bool
	}{
		{"", kindBlank, false},
		{`{"msg":"attempt","invocation_id":"i","attempt":1}`, kindAttempt, false},
		{`{"msg":"request done"}`, kindOtherJSON, false},
		{`{"requestId":"r","status":"200"}`, kindAccess, false},
		{`{"msg":"lambda_invocation","lambda_request_id":"l","start":"2026-11-26T01:00:00Z","duration_ms":1,"status":200}`, kindInvocation, false},
		{`{"msg":"lambda_invocation","status":200}`, kindInvocation, true},
		{`{"time":"2026-11-26T01:00:00Z","type":"platform.start","record":{"requestId":"l","version":"$LATEST"}}`, kindPlatform, false},
		{`{"time":"2026-11-26T01:00:00Z","type":"platform.report","record":{"requestId":"l","metrics":{"durationMs":3.5}}}`, kindPlatform, false},
		{`{"requestId":"r"`, kindOtherJSON, true},
		{"(r) Method completed with status: 200", kindExecution, false},
		{"2026-11-26T01:00:00Z START RequestId: l Version: $LATEST", kindPlatform, false},
		{"2026-11-26T01:00:00Z l\tINFO\thello", kindOtherText, false},
		{`{"requestId":"r","status":"200","level":"x"}`, kindAccess, false},
		{"hello", kindOtherText, false},
		{"END of batch", kindOtherText, false},
		{"2026-11-26T01:00:00.000Z\t5f8e7d6c-1111-2222-3333-444455556666\tINFO\tprocessing", kindPlatform, false},
		{`{"timestamp":"2026-11-26T01:00:00Z","level":"INFO","requestId":"5f8e7d6c-1111-2222-3333-444455556666","message":"hi"}`, kindPlatform, false},
		// Logged during init: no invocation, but not damaged (awslambdaric's JsonFormatter writes "requestId": "").
		{`{"timestamp":"2026-11-26T01:00:00Z","level":"INFO","requestId":"","message":"hi"}`, kindPlatform, false},
		{`{"timestamp":"2026-11-26T01:00:00Z","level":"INFO","requestId":7,"message":"hi"}`, kindPlatform, true},
		// Unquoted $context variables: bare numbers, and a bare "-" where
		// a value is missing.
		{`{"requestId":"r","status":504,"integrationLatency":-,"xrayTraceId": - }`, kindAccess, false},
		{`{"requestId":"r","status":504,"integrationLatency":-`, kindOtherJSON, true},
		{`{"requestId":"r","status":504,"integrationLatency":-5,}`, kindOtherJSON, true},
		{`{"requestId":"r","note":"a -, b","integrationLatency":"-"}`, kindAccess, false},
		// Java's and .NET's lines under their request id.
		{`{"timestamp":"2026-11-26T01:00:00.000Z","message":"hi","level":"INFO","AWSRequestId":"5f8e7d6c-1111-2222-3333-444455556666"}`, kindPlatform, false},
		{"2026-11-26 01:00:00 5f8e7d6c-1111-2222-3333-444455556666 INFO  Handler:42 - hi", kindPlatform, false},
		{"2026-11-26T01:00:00.000Z\t5f8e7d6c-1111-2222-3333-444455556666\tinfo\thi", kindPlatform, false},
		{`{"timestamp":"2026-11-26T01:00:00.000Z","level":"Information","requestId":"5f8e7d6c-1111-2222-3333-444455556666","message":"hi"}`, kindPlatform, false},
		// The init phase in the JSON log format.
		{`{"time":"2026-11-26T01:00:00Z","type":"platform.initStart","record":{"initializationType":"on-demand","phase":"init"}}`, kindPlatform, false},
		{`{"time":"2026-11-26T01:00:10Z","type":"platform.initReport","record":{"initializationType":"on-demand","phase":"init","status":"timeout","metrics":{"durationMs":10000.0}}}`, kindPlatform, false},
		{`{"time":"2026-11-26T01:00:10Z","type":"platform.initReport","record":[]}`, kindPlatform, true},
		{`{"time":"2026-11-26T01:00:00Z","type":"platform.telemetrySubscription","record":{"name":"x"}}`, kindOtherJSON, false},
	}
	for _, tt := range tests {
		p, err := classifyLine([]byte(tt.line))
		if p.kind != tt.kind || (err != nil) != tt.wantErr {
			t.Errorf("classifyLine(%q) = kind %d, err %v; want %d, err %v", tt.line, p.kind, err, tt.kind, tt.wantErr)
		}
	}
}

// TestQuoteBareValues: what an access-log format with unquoted $context
// variables logs, and the JSON the repair makes of it. want "" means the
// line is left as it is (false): JSON already, or not one the repair can
// trust.
func TestQuoteBareValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, line, want string
	}{
		{"missing value", `{"requestId":"r","integrationLatency":-}`, `{"requestId":"r","integrationLatency":"-"}`},
		{"missing values with spaces", `{"requestId":"r", "status": 504, "integrationLatency": - , "xrayTraceId": - }`,
			`{"requestId":"r", "status": 504, "integrationLatency": "-" , "xrayTraceId": "-" }`},
		{"IP address", `{"requestId":"r","ip":203.0.113.7,"status":200}`, `{"requestId":"r","ip":"203.0.113.7","status":200}`},
		{"UUID", `{"requestId":5f1c2a3e-7b9d-4e0f-a1b2-c3d4e5f6a7b8,"status":504}`, `{"requestId":"5f1c2a3e-7b9d-4e0f-a1b2-c3d4e5f6a7b8","status":504}`},
		{"request time", `{"requestId":"r","requestTime":04/Dec/2026:10:00:00 +0000,"status":200}`, `{"requestId":"r","requestTime":"04/Dec/2026:10:00:00 +0000","status":200}`},
		{"response type last", `{"requestId":"r","integrationStatus":200,"responseType":INTEGRATION_TIMEOUT}`, `{"requestId":"r","integrationStatus":200,"responseType":"INTEGRATION_TIMEOUT"}`},
		{"user agent", `{"requestId":"r","userAgent":curl/8.5.0,"status":200}`, `{"requestId":"r","userAgent":"curl/8.5.0","status":200}`},
		{"message with spaces", `{"requestId":"r","errorMessage":Endpoint request timed out,"status":504}`, `{"requestId":"r","errorMessage":"Endpoint request timed out","status":504}`},
		{"comma inside the value", `{"requestId":"r","userAgent":Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36,"status":200}`,
			`{"requestId":"r","userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36","status":200}`},
		{"comma and quote inside the value", `{"requestId":"r","userAgent":a, "b" c,"status":200}`, `{"requestId":"r","userAgent":"a, \"b\" c","status":200}`},
		{"quote and backslash", `{"requestId":"r","errorMessage":say "hi" C:\tmp\,"status":200}`, `{"requestId":"r","errorMessage":"say \"hi\" C:\\tmp\\","status":200}`},
		{"control byte", "{\"requestId\":\"r\",\"errorMessage\":a\tb}", `{"requestId":"r","errorMessage":"a\u0009b"}`},
		{"empty", `{"requestId":"r","errorMessage":,"status":200}`, `{"requestId":"r","errorMessage":"","status":200}`},
		{"JSON values kept", `{"requestId":"r","a":-5,"b":1.5e3,"c":true,"d":null,"e":[1,2],"f":{"g":0},"ip":10.0.0.1}`,
			`{"requestId":"r","a":-5,"b":1.5e3,"c":true,"d":null,"e":[1,2],"f":{"g":0},"ip":"10.0.0.1"}`},
		{"a value that starts like a JSON value", `{"requestId":"r","a":nullable,"b":truee,"c":0x1F,"d":01}`, `{"requestId":"r","a":"nullable","b":"truee","c":"0x1F","d":"01"}`},
		{"nested object", `{"requestId":"r","identity":{"sourceIp":203.0.113.7,"userAgent":curl/8.5.0},"status":200}`,
			`{"requestId":"r","identity":{"sourceIp":"203.0.113.7","userAgent":"curl/8.5.0"},"status":200}`},
		{"nested object last", `{"requestId":"r","identity":{"sourceIp":203.0.113.7}}`, `{"requestId":"r","identity":{"sourceIp":"203.0.113.7"}}`},
		{"brace inside the value", `{"requestId":"r","a":x}y,"b":1}`, `{"requestId":"r","a":"x}y","b":1}`},

		{"JSON already", `{"requestId":"r","status":504,"ip":"203.0.113.7","a":[1,{"b":null}]}`, ""},
		{"JSON already, bare numbers", `{"requestId":"r", "status":504 , "n":{"m":-1e-3} }`, ""},
		{"truncated in a value", `{"requestId":"r","status":504,"ip":203.0.113.7`, ""},
		{"truncated after a value", `{"requestId":"r","ip":203.0.113.7,`, ""},
		{"truncated after a key", `{"requestId":"r","ip":`, ""},
		{"truncated in a nested object", `{"requestId":"r","identity":{"sourceIp":203.0.113.7}`, ""},
		{"one brace too many", `{"requestId":"r","ip":203.0.113.7}}`, ""},
		{"one brace too many, nested", `{"requestId":"r","identity":{"sourceIp":203.0.113.7}}}`, ""},
		{"one brace too few at the start", `{{"requestId":"r","ip":203.0.113.7}`, ""},
		{"two records run together", `{"requestId":"a","status":50{"requestId":"b","status":200}`, ""},
		{"a record right after", `{"requestId":"a","ip":203.0.113.7}{"requestId":"b"}`, ""},
		{"trailing comma", `{"requestId":"r","status":504,"integrationLatency":-5,}`, ""},
		{"key unquoted", `{requestId:"r","ip":203.0.113.7}`, ""},
		{"not an object", `-`, ""},
	}
	for _, tt := range tests {
		out, ok := quoteBareValues([]byte(tt.line))
		if tt.want == "" {
			if ok || string(out) != tt.line {
				t.Errorf("%s: quoteBareValues(%s) = %s, %v; want it unchanged", tt.name, tt.line, out, ok)
			}
			continue
		}
		if !ok || string(out) != tt.want {
			t.Errorf("%s: quoteBareValues(%s)\n got %s, %v\nwant %s, true", tt.name, tt.line, out, ok, tt.want)
		}
	}
}

// TestQuoteBareValuesLinear: the repair's work grows with the line's
// length, whatever the line holds: the bytes it looks at stay under 4 per
// byte of the line, for 100 kB as for 1 MB (1 MiB is the longest line
// diagnose reads). Each shape is built to make a naive end-of-value search
// go back over what it has seen.
func TestQuoteBareValuesLinear(t *testing.T) {
	t.Parallel()
	shapes := []struct {
		name   string
		repair bool   // the repair succeeds
		head   string // once
		unit   string // repeated to the size
		tail   string // once
	}{
		{"many short bare values", true, `{"requestId":"r"`, `,"ip":1.2.3.4`, `}`},
		{"one value of near-keys", true, `{"requestId":"r","ua":`, `x, "y" z,"w`, `","status":200}`},
		{"commas before quotes", true, `{"requestId":"r","ua":`, `,"a`, `,"status":200}`},
		{"spaces between commas", true, `{"requestId":"r","ua":a`, `,      `, `,"status":200}`},
		{"braces in a nested value", true, `{"requestId":"r","n":{"ua":a`, `}x`, `}}`},
		{"escaped quotes after a comma", false, `{"requestId":"r","ua":a,"`, `\",`, ``},
		{"a value without end", false, `{"requestId":"r","ua":`, `a, "b" `, ``},
	}
	for _, sh := range shapes {
		var scanned [2]int
		for i, size := range []int{100_000, 1_000_000} {
			var b strings.Builder
			b.WriteString(sh.head)
			for b.Len() < size-len(sh.tail) {
				b.WriteString(sh.unit)
			}
			b.WriteString(sh.tail)
			line := []byte(b.String())
			s := bareValueScan{line: line}
			_, ok := s.repair()
			if ok != sh.repair {
				t.Errorf("%s, %d bytes: repaired %v, want %v", sh.name, len(line), ok, sh.repair)
			}
			if s.scanned > 4*len(line) {
				t.Errorf("%s, %d bytes: looked at %d bytes, more than 4 per byte", sh.name, len(line), s.scanned)
			}
			scanned[i] = s.scanned
		}
		if scanned[1] > 12*scanned[0] {
			t.Errorf("%s: looked at %d bytes for 100 kB and %d for 1 MB: more than linear", sh.name, scanned[0], scanned[1])
		}
	}
}

// TestClassifyLineUnquotedAccessValues: a record whose format leaves
// string variables unquoted is read as the access-log record it is, each
// field with its text, where every one of these was malformed.
func TestClassifyLineUnquotedAccessValues(t *testing.T) {
	t.Parallel()
	const id = "5f1c2a3e-7b9d-4e0f-a1b2-c3d4e5f6a7b8"
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		line string
		want accessRecord
	}{
		{"request id a bare UUID", `{"requestId":` + id + `,"status":504,"error_responseType":INTEGRATION_TIMEOUT}`,
			accessRecord{RequestID: id, Status: 504, ErrorResponseType: "INTEGRATION_TIMEOUT"}},
		{"source IP", `{"requestId":"` + id + `","ip":203.0.113.7,"status":200}`,
			accessRecord{RequestID: id, Status: 200}},
		{"request time", `{"requestId":"` + id + `","requestTime":04/Dec/2026:10:00:00 +0000,"status":429,"error_responseType":THROTTLED}`,
			accessRecord{RequestID: id, Status: 429, ErrorResponseType: "THROTTLED", RequestTime: at}},
		{"response type after a bare status", `{"requestId":"` + id + `","status":504,"integration_integrationStatus":200,"error_responseType":INTEGRATION_TIMEOUT}`,
			accessRecord{RequestID: id, Status: 504, LambdaStatus: 200, ErrorResponseType: "INTEGRATION_TIMEOUT", LogsIntegration: true}},
		{"user agent", `{"requestId":"` + id + `","userAgent":curl/8.5.0,"status":200}`,
			accessRecord{RequestID: id, Status: 200}},
		{"error message with spaces", `{"requestId":"` + id + `","status":504,"error_message":Endpoint request timed out,"integration_latency":-}`,
			accessRecord{RequestID: id, Status: 504, ErrorMessage: "Endpoint request timed out", LogsIntegration: true}},
		{"user agent with a comma", `{"requestId":"` + id + `","userAgent":Mozilla/5.0 (KHTML, like Gecko),"status":502,"error_responseType":INTEGRATION_FAILURE}`,
			accessRecord{RequestID: id, Status: 502, ErrorResponseType: "INTEGRATION_FAILURE"}},
		{"every value bare", `{"requestId":` + id + `,"ip":203.0.113.7,"requestTime":04/Dec/2026:10:00:00 +0000,"status":504,"userAgent":Mozilla/5.0 (KHTML, like Gecko),` +
			`"integration_requestId":-,"integration_latency":-,"error_message":Endpoint request timed out,"error_responseType":INTEGRATION_TIMEOUT,"xrayTraceId":Root=1-67891233-abcdef012345678912345678}`,
			accessRecord{RequestID: id, Status: 504, ErrorMessage: "Endpoint request timed out", ErrorResponseType: "INTEGRATION_TIMEOUT", RequestTime: at,
				XRayTraceID: "Root=1-67891233-abcdef012345678912345678", LogsIntegration: true}},
	}
	for _, tt := range tests {
		p, err := classifyLine([]byte(tt.line))
		if err != nil || p.kind != kindAccess {
			t.Errorf("%s: kind %d, err %v; want an access-log record", tt.name, p.kind, err)
			continue
		}
		if p.access != tt.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, p.access, tt.want)
		}
	}
	for _, bad := range []string{
		`{"requestId":"` + id + `","status":504,"ip":203.0.113.7`,
		`{"requestId":"` + id + `","ip":203.0.113.7}}`,
		`{"requestId":"` + id + `","status":50{"requestId":"` + id + `","status":200}`,
		// Repaired, but only an access-log record is taken so.
		`{"msg":"attempt","invocation_id":"i","attempt":1,"requestId":x y}`,
	} {
		if p, err := classifyLine([]byte(bad)); err == nil || p.kind == kindAccess || p.kind == kindAttempt {
			t.Errorf("classifyLine(%s) = kind %d, err %v; want malformed", bad, p.kind, err)
		}
	}
}

// Every parser must survive any input; a fuzz failure is a crash or an
// impossible result.
func FuzzClassifyLine(f *testing.F) {
	for _, s := range []string{
		`{"msg":"attempt","invocation_id":"i","attempt":1,"duration_ms":5}`,
		`{"requestId":"r","status":"504","integration_latency":"-","requestTimeEpoch":"1795654800010"}`,
		`{"msg":"lambda_invocation","lambda_request_id":"l","apigw_request_id":"r","start":"2026-11-26T01:00:00Z"}`,
		`{"type":"platform.report","record":{"requestId":"l","metrics":{"durationMs":1}}}`,
		"(r) Lambda execution failed with status 200 due to customer function error: x. Lambda request id: l",
		"(r) Lambda invocation failed with status: 429. Lambda request id: l",
		"(r) Received response. Integration latency: 5 ms",
		"2026-11-26T01:00:00.000Z REPORT RequestId: l\tDuration: 1.5 ms\tStatus: timeout",
		"2026-11-26 01:00:00.000 (r) Method completed with status: 504",
		"l Task timed out after 3.00 seconds",
		`{"requestId":"r","status":504,"integrationLatency":-,"integration_requestId": - }`,
		`{"requestId":5f1c2a3e-7b9d-4e0f-a1b2-c3d4e5f6a7b8,"status":504,"error_responseType":INTEGRATION_TIMEOUT,"error_message":Endpoint request timed out,"requestTime":04/Dec/2026:10:00:00 +0000}`,
		`{"requestId":"r","ip":203.0.113.7,"userAgent":Mozilla/5.0 (KHTML, like Gecko),"status":200}`,
		`{"timestamp":"2026-11-26T01:00:00.000Z","message":"m","level":"INFO","AWSRequestId":"l"}`,
		"2026-11-26 01:00:00 5f8e7d6c-1111-2222-3333-444455556666 INFO  Handler:42 - m",
		"2026-11-26T01:00:00.000Z\t5f8e7d6c-1111-2222-3333-444455556666\tinfo\tm",
		`{"time":"2026-11-26T01:00:10Z","type":"platform.initReport","record":{"phase":"init","status":"timeout"}}`,
		"INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout",
		"{", "(", "START", "",
		"{'resource': '/orders', 'headers': {'Authorization': 'x'}}", "{ headers: { host: 'h' } }", "{\n  \"a\": 1}", "{ }",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if b := bytes.TrimSpace(line); len(b) > 0 && b[0] == '{' && json.Valid(b) && !opensJSONObject(b) {
			t.Fatalf("JSON object %q not taken for one", b)
		}
		p, err := classifyLine(line)
		if err != nil {
			return
		}
		switch p.kind {
		case kindAttempt:
			if p.attempt.InvocationID == "" || p.attempt.Attempt < 1 {
				t.Fatalf("invalid attempt %+v", p.attempt)
			}
		case kindAccess:
			if p.access.RequestID == "" {
				t.Fatal("access record without request id")
			}
		case kindExecution:
			if p.exec.Prefixed && (p.exec.RequestID == "" || strings.ContainsAny(p.exec.RequestID, " \t)")) {
				t.Fatalf("bad execution request id %q", p.exec.RequestID)
			}
		case kindPlatform:
			if p.platform.Event != platformInit && p.platform.Event != platformRuntime && p.platform.Event != platformTrace && p.platform.RequestID == "" {
				t.Fatalf("platform line without id %+v", p.platform)
			}
		}
		_ = utf8.Valid([]byte(excerpt(line)))
	})
}

func FuzzParseExecutionLine(f *testing.F) {
	for _, s := range []string{"(r) Starting execution for request: r", "(r) Received response. Integration latency: 5 ms", "(r) Lambda invocation failed with status: 429", "()", "(r"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parseExecutionLine([]byte(s))
		if err == nil && (e.RequestID == "" || e.LatencyMS < 0 || e.Status < 0) {
			t.Fatalf("%+v", e)
		}
	})
}

func FuzzParsePlatformLine(f *testing.F) {
	for _, s := range []string{"START RequestId: l Version: $LATEST", "REPORT RequestId: l\tDuration: 12.34 ms", "END RequestId: l", "INIT_START x", "REPORT RequestId:", "INIT_REPORT Init Duration: 1 ms\tPhase: init\tStatus: timeout"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !isPlatformLine([]byte(s)) {
			return
		}
		p, err := parsePlatformLine([]byte(s))
		if err == nil && p.Event != platformInit && p.RequestID == "" {
			t.Fatalf("%+v", p)
		}
	})
}

func FuzzParseAccessRecord(f *testing.F) {
	for _, s := range []string{
		`{"requestId":"r1","status":"504","integration_requestId":"-","integration_latency":"-","error_responseType":"INTEGRATION_TIMEOUT","responseLatency":"29012","requestTimeEpoch":"1795654800010"}`,
		`{"requestId":"r2","status":200,"integrationLatency":1e3}`,
		`{"requestId":"r","requestTime":"26/Nov/2026:01:00:00 +0000"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseAccessRecord([]byte(s))
		if err == nil && (r.RequestID == "" || r.Status < 0) {
			t.Fatalf("%+v", r)
		}
		_ = r.gaveUpAt()
	})
}

// FuzzQuoteBareValues: the repair never panics; it says whether it changed
// the line, and a line it returns changed is valid JSON that the input was
// not; and it only adds (quotes and escapes), so the input, less the
// control bytes it writes as \u00XX, is still there in order.
func FuzzQuoteBareValues(f *testing.F) {
	for _, s := range []string{
		`{"requestId":"r","integrationLatency":-}`, `{"a": - , "b":-5, "c":"-", "d":"x\"-"}`, `{"a":[-]}`, `{"a":-`, `-`, `{":-}`, `{"a":"\\",-}`,
		`{"requestId":5f1c2a3e-7b9d-4e0f-a1b2-c3d4e5f6a7b8,"ip":203.0.113.7,"status":504}`,
		`{"requestId":"r","requestTime":04/Dec/2026:10:00:00 +0000,"userAgent":Mozilla/5.0 (KHTML, like Gecko),"errorMessage":Endpoint request timed out}`,
		`{"requestId":"r","integrationStatus":200,"responseType":INTEGRATION_TIMEOUT}`, `{"requestId":"r","integrationLatency":-,"ip":203.0.113.7}`,
		`{"requestId":"r","identity":{"sourceIp":203.0.113.7,"userAgent":curl/8.5.0},"a":x "y" \z,"b":` + "\tt" + `}`,
		`{"requestId":"r","ip":203.0.113.7}}`, `{"requestId":"a","status":50{"requestId":"b","status":200}`, `{"a":1,}`, `{"a":}`, `{"a":{"b":x},"c":[1,{"d":y}]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, ok := quoteBareValues([]byte(s))
		if !ok {
			if string(out) != s {
				t.Fatalf("quoteBareValues(%q) changed it to %q without saying so", s, out)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("quoteBareValues(%q) = %q, not JSON", s, out)
		}
		if json.Valid([]byte(s)) {
			t.Fatalf("quoteBareValues changed valid JSON %q to %q", s, out)
		}
		rest := out
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 {
				continue
			}
			j := bytes.IndexByte(rest, s[i])
			if j < 0 {
				t.Fatalf("quoteBareValues(%q) = %q: byte %d (%q) is gone", s, out, i, s[i])
			}
			rest = rest[j+1:]
		}
	})
}

func FuzzParseAttemptRecord(f *testing.F) {
	f.Add(`{"msg":"attempt","invocation_id":"i","attempt":1,"start":"2026-11-26T01:00:00Z","duration_ms":5,"request_id_sent":"s"}`)
	f.Add(`{"msg":"attempt","invocation_id":"i","attempt":2,"duration_ms":1e308}`)
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseAttemptRecord([]byte(s))
		if err == nil && (a.InvocationID == "" || a.Attempt < 1) {
			t.Fatalf("%+v", a)
		}
		_, _ = a.interval()
	})
}
