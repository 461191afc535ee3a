package apigwtest

// Fidelity audit: each test drives the emulator over real local HTTP and
// compares what it answers or logs with what AWS documents. The source of
// each expectation is named in the test's comment.

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// TestBugFidelityGatewayAnswers checks the gateway's own answers over HTTP
// against https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html
// ("If the Lambda API rejects the invocation request, API Gateway returns a
// 500 error code. If the function runs but returns an error, or returns a
// response in the wrong format, API Gateway returns a 502 ... the body ...
// is {"message": "Internal server error"}") and the HTTP API troubleshooting
// page.
func TestBugFidelityGatewayAnswers(t *testing.T) {
	t.Parallel()
	h := func(ctx context.Context, r events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		switch r.Path {
		case "/slow":
			_ = Sleep(ctx, 40*time.Second)
		case "/fail":
			return events.APIGatewayProxyResponse{}, errors.New("boom")
		case "/nostatus":
			return events.APIGatewayProxyResponse{Body: "x"}, nil // statusCode 0
		}
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: "ok"}, nil
	}
	for _, api := range []string{"rest", "http"} {
		opts := []Option{WithTimeScale(0.01), WithIntegrationTimeout(5 * time.Second)}
		if api == "http" {
			opts = append(opts, WithHTTPAPI())
		}
		s := NewServer(h, opts...)
		defer s.Close()
		want := map[string][3]string{ // path: status, body, x-amzn-ErrorType
			"/slow": {"504", `{"message": "Endpoint request timed out"}`, "InternalServerErrorException"},
			"/fail": {"502", `{"message": "Internal server error"}`, "InternalServerErrorException"},
		}
		if api == "http" {
			want = map[string][3]string{
				"/slow": {"503", `{"message":"Service Unavailable"}`, ""},
				"/fail": {"500", `{"message":"Internal Server Error"}`, ""},
			}
		}
		for p, w := range want {
			got := get(t, s.URL+p)
			if strconv.Itoa(got.status) != w[0] || got.body != w[1] || got.header.Get("x-amzn-ErrorType") != w[2] {
				t.Errorf("%s %s: %d %q %q, want %v", api, p, got.status, got.body, got.header.Get("x-amzn-ErrorType"), w)
			}
			if api == "rest" && (got.header.Get("x-amzn-RequestId") == "" || got.header.Get("x-amz-apigw-id") == "") {
				t.Errorf("%s %s: ids missing: %v", api, p, got.header)
			}
			if api == "http" && (got.header.Get("apigw-requestid") == "" || got.header.Get("x-amz-apigw-id") != "") {
				t.Errorf("%s %s: ids: %v", api, p, got.header)
			}
		}
		// statusCode 0 in the proxy response: wrong format.
		got := get(t, s.URL+"/nostatus")
		if api == "rest" && got.status != 502 || api == "http" && got.status != 500 {
			t.Errorf("%s statusCode 0: %d %q", api, got.status, got.body)
		}
	}
	// Lambda throttle: REST 500 "Internal server error".
	s := NewServer(h, fastScale, WithConcurrencyLimit(0))
	defer s.Close()
	got := get(t, s.URL+"/x")
	if got.status != 500 || got.body != `{"message": "Internal server error"}` {
		t.Errorf("lambda throttle: %d %q", got.status, got.body)
	}
}

// remapped is the documented treatment of headers a Lambda proxy
// integration sends back (response column, "lambda"), from "Amazon API
// Gateway important notes for REST APIs":
// https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-known-issues.html
// "Remapped means that the header name is changed from <string> to
// X-Amzn-Remapped-<string>."
var remappedResponseHeaders = map[string]string{
	"WWW-Authenticate":   "Remapped",
	"Authorization":      "Remapped",
	"Content-MD5":        "Remapped",
	"Max-Forwards":       "Remapped",
	"User-Agent":         "Remapped",
	"Server":             "Remapped Overwritten",
	"Date":               "Remapped Overwritten",
	"Expect":             "Dropped",
	"Proxy-Authenticate": "Dropped",
	"Via":                "Dropped",
}

func TestBugFidelityRemappedResponseHeaders(t *testing.T) {
	t.Parallel()
	const fnDate = "Mon, 01 Jan 2001 00:00:00 GMT"
	s := NewServer(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		h := map[string]string{}
		for k := range remappedResponseHeaders {
			h[k] = "fn-" + k
		}
		h["Date"] = fnDate
		h["X-Custom"] = "kept"
		return events.APIGatewayProxyResponse{StatusCode: 401, Headers: h, Body: "no"}, nil
	}, fastScale)
	defer s.Close()
	got := get(t, s.URL+"/x")
	if got.status != 401 || got.header.Get("X-Custom") != "kept" {
		t.Fatalf("answer %d %v", got.status, got.header)
	}
	for k, how := range remappedResponseHeaders {
		v := "fn-" + k
		if k == "Date" {
			v = fnDate
		}
		switch how {
		case "Remapped", "Remapped Overwritten":
			if got.header.Get("X-Amzn-Remapped-"+k) == "" {
				t.Errorf("%s: want X-Amzn-Remapped-%s, got headers %v", k, k, got.header)
			}
			if got.header.Get(k) == v {
				t.Errorf("%s: the function's value reached the client under its own name", k)
			}
		case "Dropped":
			if got.header.Get(k) != "" {
				t.Errorf("%s: want dropped, got %q", k, got.header.Get(k))
			}
		}
	}
}

// The proxy event carries the Host header: the documented sample event in
// https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
// (and aws-lambda-go's events/testdata/apigw-request.json) has "Host":
// "<api id>.execute-api.<region>.amazonaws.com" in headers and
// multiValueHeaders. Request headers the known-issues table marks Dropped
// for a lambda integration (Max-Forwards, Content-MD5, Connection) do not
// reach the function.
func TestBugFidelityEventHeaders(t *testing.T) {
	t.Parallel()
	var c captured
	s := NewServer(c.handler, fastScale)
	defer s.Close()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/x", nil)
	req.Header.Set("Max-Forwards", "5")
	req.Header.Set("Content-MD5", "Q2hlY2sgSW50ZWdyaXR5IQ==")
	do(t, req)
	ev := c.events[0]
	if ev.Headers["Host"] == "" || len(ev.MultiValueHeaders["Host"]) != 1 {
		t.Errorf("event has no Host header: %v", ev.Headers)
	}
	for _, k := range []string{"Max-Forwards", "Content-MD5", "Connection"} {
		if _, ok := ev.Headers[k]; ok {
			t.Errorf("event carries %s, which API Gateway drops for Lambda", k)
		}
	}
}

// "API Gateway currently limits log events to 1024 bytes. Log events larger
// than 1024 bytes, such as request and response bodies, will be truncated by
// API Gateway before submission to CloudWatch Logs."
// https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-known-issues.html
func TestBugFidelityExecutionLogEventsAtMost1024Bytes(t *testing.T) {
	t.Parallel()
	var exec syncBuffer
	long := strings.Repeat("a", 5000)
	s := NewServer(func(_ context.Context, r events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		if r.Path == "/fail" {
			return events.APIGatewayProxyResponse{}, errors.New(long)
		}
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: long}, nil
	}, fastScale, WithExecutionLog(&exec))
	defer s.Close()
	get(t, s.URL+"/ok")
	get(t, s.URL+"/fail")
	for _, l := range exec.lines() {
		if len(l) > 1024 {
			t.Errorf("execution log event of %d bytes: %.120s...", len(l), l)
		}
	}
}

// Lambda's synchronous invocation payload limit is 6 MB for the request
// (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html: "For
// synchronous invocations, the maximum payload size is 6 MB";
// RequestTooLargeException, 413). A rejected Invoke is a 500 from API
// Gateway (services-apigateway-errors.html, above); the function never runs.
func TestBugFidelityLambdaRequestPayloadLimit(t *testing.T) {
	t.Parallel()
	s := NewServer(ok, fastScale)
	defer s.Close()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/x", strings.NewReader(strings.Repeat("a", 7<<20)))
	got := do(t, req)
	if got.status != 500 || got.body != `{"message": "Internal server error"}` {
		t.Errorf("7 MB body: %d %q, want 500 Internal server error", got.status, got.body)
	}
	if n := s.Stats().Invocations; n != 0 {
		t.Errorf("the function ran %d times", n)
	}
}

// Billed Duration: since August 1, 2025 the INIT phase is billed for every
// runtime (and always was for OS-only/custom runtimes, which Go functions
// use): https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/
// A cold start's Billed Duration therefore covers Duration + Init Duration.
func TestBugFidelityBilledDurationIncludesInit(t *testing.T) {
	t.Parallel()
	var lambda syncBuffer
	s := NewServer(ok, WithTimeScale(0.01), WithColdStart(2*time.Second), WithLambdaLog(&lambda))
	defer s.Close()
	get(t, s.URL+"/x")
	s.Wait()
	re := regexp.MustCompile(`Duration: ([\d.]+) ms\tBilled Duration: (\d+) ms.*Init Duration: ([\d.]+) ms`)
	found := false
	for _, l := range lambda.lines() {
		m := re.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		found = true
		d, _ := strconv.ParseFloat(m[1], 64)
		b, _ := strconv.ParseFloat(m[2], 64)
		i, _ := strconv.ParseFloat(m[3], 64)
		if b < d+i-1 {
			t.Errorf("Billed Duration %v ms < Duration %v + Init Duration %v: %s", b, d, i, l)
		}
	}
	if !found {
		t.Fatalf("no cold REPORT line: %q", lambda.lines())
	}
}
