package apigwtest

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

var (
	uuidRe     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	apigwIDRe  = regexp.MustCompile(`^[A-Za-z0-9_-]{15}=$`) // URL-safe base64
	rootOnlyRe = regexp.MustCompile(`^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$`)
)

// golden is one row of the answers table in docs/aws-behaviour.md.
type golden struct {
	status    int
	body      string
	errorType string         // "" means the header must be absent
	traceRe   *regexp.Regexp // nil: the header must be absent
}

func checkGolden(t *testing.T, got answer, want golden) {
	t.Helper()
	if got.status != want.status || got.body != want.body {
		t.Errorf("got %d %q, want %d %q", got.status, got.body, want.status, want.body)
	}
	if id := got.header.Get("x-amzn-RequestId"); !uuidRe.MatchString(id) {
		t.Errorf("x-amzn-RequestId %q is not a UUID", id)
	}
	if id := got.header.Get("x-amz-apigw-id"); !apigwIDRe.MatchString(id) {
		t.Errorf("x-amz-apigw-id %q is not base64-ish", id)
	}
	if et, has := got.header["X-Amzn-Errortype"]; want.errorType == "" && has || want.errorType != "" && (len(et) != 1 || et[0] != want.errorType) {
		t.Errorf("x-amzn-ErrorType %q, want %q", et, want.errorType)
	}
	if tr, has := got.header["X-Amzn-Trace-Id"]; want.traceRe == nil && has {
		t.Errorf("X-Amzn-Trace-Id %q on an answer that carries none", tr)
	} else if want.traceRe != nil && (len(tr) != 1 || !want.traceRe.MatchString(tr[0])) {
		t.Errorf("X-Amzn-Trace-Id %q does not match %s", tr, want.traceRe)
	}
	if ct := got.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
}

func TestGoldenIntegrationTimeout(t *testing.T) {
	t.Parallel()
	var orders atomic.Int64
	release := make(chan struct{})
	s := NewServer(func(ctx context.Context, _ events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		<-release     // slower than the integration timeout
		orders.Add(1) // the side effect still happens
		return events.APIGatewayProxyResponse{StatusCode: 201, Body: "created"}, nil
	}, WithTimeScale(0.005))
	defer s.Close()

	got := get(t, s.URL+"/orders")
	checkGolden(t, got, golden{504, `{"message": "Endpoint request timed out"}`, "InternalServerErrorException", rootOnlyRe})
	if n := orders.Load(); n != 0 {
		t.Fatalf("the function finished before the 504 (%d orders)", n)
	}
	close(release)
	s.Wait()
	if n := orders.Load(); n != 1 {
		t.Fatalf("orders after Wait = %d, want 1", n)
	}
	invs := s.Invocations()
	if len(invs) != 1 {
		t.Fatalf("%d invocations, want 1", len(invs))
	}
	inv := invs[0]
	if !inv.Finished || !inv.GatewayTimedOut || !inv.RanAfterTimeout || inv.Status != 504 {
		t.Errorf("invocation %+v: want finished after a 504", inv)
	}
	if inv.RequestID != got.header.Get("x-amzn-RequestId") || inv.ExtendedRequestID != got.header.Get("x-amz-apigw-id") {
		t.Errorf("ids %q %q do not match the response's", inv.RequestID, inv.ExtendedRequestID)
	}
	st := s.Stats()
	if st.RanAfterTimeout != 1 || st.GatewayTimeouts != 1 || st.Completed != 1 || st.Answers[504] != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestGoldenFunctionError(t *testing.T) {
	t.Parallel()
	s := NewServer(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{}, errors.New("boom")
	}, fastScale)
	defer s.Close()
	checkGolden(t, get(t, s.URL+"/x"), golden{502, `{"message": "Internal server error"}`, "InternalServerErrorException", rootOnlyRe})
	if inv := s.Invocations()[0]; inv.FunctionError != "errorString" || !inv.Finished {
		t.Errorf("invocation %+v", inv)
	}
}

func TestGoldenPanic(t *testing.T) {
	t.Parallel()
	s := NewServer(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		panic("nil map")
	}, fastScale)
	defer s.Close()
	checkGolden(t, get(t, s.URL+"/x"), golden{502, `{"message": "Internal server error"}`, "InternalServerErrorException", rootOnlyRe})
	// The panicking environment is replaced: the next invocation is cold.
	_ = get(t, s.URL+"/x")
	if st := s.Stats(); st.ColdStarts != 2 {
		t.Errorf("cold starts %d, want 2", st.ColdStarts)
	}
}

func TestGoldenMalformed(t *testing.T) {
	t.Parallel()
	s := NewServer(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{}, nil // statusCode 0
	}, fastScale)
	defer s.Close()
	checkGolden(t, get(t, s.URL+"/x"), golden{502, `{"message": "Internal server error"}`, "InternalServerErrorException", rootOnlyRe})
}

func TestGoldenLambdaThrottled(t *testing.T) {
	t.Parallel()
	var ran atomic.Int64
	s := NewServer(func(ctx context.Context, r events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		ran.Add(1)
		return ok(ctx, r)
	}, fastScale, WithFault(Fault{Outage: OutageThrottle}))
	defer s.Close()
	checkGolden(t, get(t, s.URL+"/x"), golden{500, `{"message": "Internal server error"}`, "InternalServerErrorException", rootOnlyRe})
	if ran.Load() != 0 || len(s.Invocations()) != 0 || s.Stats().LambdaThrottled != 1 {
		t.Errorf("the function ran on a Lambda 429")
	}
}

func TestGoldenGatewayThrottle(t *testing.T) {
	t.Parallel()
	s := NewServer(ok, fastScale, WithThrottle(0, 1))
	defer s.Close()
	if got := get(t, s.URL+"/x"); got.status != 200 {
		t.Fatalf("first request: %d", got.status)
	}
	got := get(t, s.URL+"/x")
	checkGolden(t, got, golden{429, `{"message":"Too Many Requests"}`, "TooManyRequestsException", rootOnlyRe})
	if got.header.Get("Retry-After") != "" {
		t.Error("API Gateway sends no Retry-After")
	}
}

func TestGoldenMissingAuthenticationToken(t *testing.T) {
	t.Parallel()
	s := NewServer(ok, fastScale)
	defer s.Close()
	root := strings.TrimSuffix(s.URL, "/prod")
	checkGolden(t, get(t, root+"/other/x"), golden{403, `{"message":"Missing Authentication Token"}`, "MissingAuthenticationTokenException", nil})
	if len(s.Invocations()) != 0 {
		t.Error("the function ran for an unknown route")
	}
}

func TestGoldenFunctionResponse(t *testing.T) {
	t.Parallel()
	s := NewServer(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{
			StatusCode:        418,
			Headers:           map[string]string{"Content-Type": "text/plain", "X-One": "1"},
			MultiValueHeaders: map[string][]string{"Set-Cookie": {"a=1", "b=2"}},
			Body:              "teapot",
		}, nil
	}, fastScale)
	defer s.Close()
	got := get(t, s.URL+"/x")
	if got.status != 418 || got.body != "teapot" || got.header.Get("Content-Type") != "text/plain" ||
		got.header.Get("X-One") != "1" || len(got.header["Set-Cookie"]) != 2 {
		t.Errorf("got %d %q %v", got.status, got.body, got.header)
	}
	if _, has := got.header["X-Amzn-Errortype"]; has {
		t.Error("x-amzn-ErrorType on the function's own response")
	}
	if !uuidRe.MatchString(got.header.Get("x-amzn-RequestId")) || !apigwIDRe.MatchString(got.header.Get("x-amz-apigw-id")) {
		t.Errorf("id headers %v", got.header)
	}
}

func TestGoldenTooLarge(t *testing.T) {
	t.Parallel()
	// Real time: moving 10 MB through the event and back took over the
	// scaled integration timeout (1.45 s at fastScale) under -race on a
	// loaded machine, and the 200 became a 504. Nothing here waits.
	s := NewServer(ok, WithTimeScale(1))
	defer s.Close()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/upload", strings.NewReader(strings.Repeat("x", MaxPayload+1)))
	checkGolden(t, do(t, req), golden{413, `{"message":"Request Too Long"}`, "RequestTooLongException", nil})
	// 10 MB passes API Gateway, but Lambda refuses a synchronous Invoke
	// over 6 MB (API_Invoke.html), and a refused Invoke is a 500
	// (services-apigateway-errors.html).
	req, _ = http.NewRequest(http.MethodPost, s.URL+"/upload", strings.NewReader(strings.Repeat("x", MaxPayload)))
	if got := do(t, req); got.status != 500 || s.Stats().Invocations != 0 {
		t.Errorf("10 MB exactly: %d, %d invocations", got.status, s.Stats().Invocations)
	}
	req, _ = http.NewRequest(http.MethodPost, s.URL+"/upload", strings.NewReader(strings.Repeat("x", 5<<20)))
	if got := do(t, req); got.status != 200 {
		t.Errorf("5 MB: %d", got.status)
	}
}

func TestGoldenFunctionTimeoutShorterThanIntegration(t *testing.T) {
	t.Parallel()
	var stopped atomic.Bool
	s := NewServer(func(ctx context.Context, _ events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		if err := Sleep(ctx, 20*time.Second); err != nil {
			stopped.Store(true)
		}
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	}, WithTimeScale(0.01), WithFunctionTimeout(3*time.Second))
	defer s.Close()
	checkGolden(t, get(t, s.URL+"/x"), golden{502, `{"message": "Internal server error"}`, "InternalServerErrorException", rootOnlyRe})
	s.Wait()
	inv := s.Invocations()[0]
	if !inv.FunctionTimedOut || inv.Finished || inv.FunctionError != "Sandbox.Timedout" || !stopped.Load() {
		t.Errorf("invocation %+v", inv)
	}
}

// HTTP API (v2) answers.
func TestGoldenHTTPAPI(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, got answer, status int, body string) {
		t.Helper()
		if got.status != status || got.body != body {
			t.Errorf("got %d %q, want %d %q", got.status, got.body, status, body)
		}
		if id := got.header.Get("apigw-requestid"); !apigwIDRe.MatchString(id) {
			t.Errorf("apigw-requestid %q", id)
		}
		for _, h := range []string{"x-amzn-RequestId", "x-amz-apigw-id", "x-amzn-ErrorType"} {
			if got.header.Get(h) != "" {
				t.Errorf("HTTP API answer has %s", h)
			}
		}
	}
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		s := NewServer(func(ctx context.Context, _ events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
			_ = Sleep(ctx, 60*time.Second)
			return events.APIGatewayProxyResponse{StatusCode: 200}, nil
		}, WithHTTPAPI(), WithTimeScale(0.005))
		defer s.Close()
		check(t, get(t, s.URL+"/x"), 503, `{"message":"Service Unavailable"}`)
		s.Wait()
		if st := s.Stats(); st.RanAfterTimeout != 1 {
			t.Errorf("stats %+v", st)
		}
	})
	t.Run("function error", func(t *testing.T) {
		t.Parallel()
		s := NewServer(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
			return events.APIGatewayProxyResponse{}, errors.New("boom")
		}, WithHTTPAPI(), fastScale)
		defer s.Close()
		check(t, get(t, s.URL+"/x"), 500, `{"message":"Internal Server Error"}`)
	})
	t.Run("throttle", func(t *testing.T) {
		t.Parallel()
		s := NewServer(ok, WithHTTPAPI(), fastScale, WithThrottle(0, 0))
		defer s.Close()
		check(t, get(t, s.URL+"/x"), 429, `{"message":"Too Many Requests"}`)
	})
	t.Run("ok", func(t *testing.T) {
		t.Parallel()
		s := NewServer(ok, WithHTTPAPI(), fastScale)
		defer s.Close()
		if strings.Count(s.URL, "/") != 2 {
			t.Errorf("HTTP API URL %q has a stage prefix", s.URL)
		}
		check(t, get(t, s.URL+"/x"), 200, `{"ok":true}`)
	})
}

func TestGoldenHTTPAPIGatewayRows(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		opts   []Option
		fn     Handler
		path   string
		status int
		body   string
	}{
		{"malformed", nil, func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
			return events.APIGatewayProxyResponse{}, nil
		}, "/x", 500, `{"message":"Internal Server Error"}`},
		{"lambda throttled", []Option{WithFault(Fault{Outage: OutageThrottle})}, ok, "/x", 500, `{"message":"Internal Server Error"}`},
		{"no route", []Option{WithStage("v2")}, ok, "/elsewhere", 404, `{"message":"Not Found"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := NewServer(tc.fn, append([]Option{WithHTTPAPI(), fastScale}, tc.opts...)...)
			defer s.Close()
			root := s.URL
			if i := strings.Index(root[len("http://"):], "/"); i >= 0 {
				root = root[:len("http://")+i]
			}
			got := get(t, root+tc.path)
			if got.status != tc.status || got.body != tc.body || !apigwIDRe.MatchString(got.header.Get("apigw-requestid")) {
				t.Errorf("got %d %q %v, want %d %q", got.status, got.body, got.header, tc.status, tc.body)
			}
		})
	}
}

func TestCloseWaitsForFunctionsWithinGrace(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var orders atomic.Int64
	s := NewServer(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		<-release
		orders.Add(1)
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	}, WithTimeScale(0.001), WithCloseGrace(time.Minute))
	if got := get(t, s.URL+"/x"); got.status != 504 {
		t.Fatalf("%d", got.status)
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		close(release)
	}()
	s.Close()
	if orders.Load() != 1 || !s.Invocations()[0].RanAfterTimeout {
		t.Errorf("Close did not wait for the function: %d orders", orders.Load())
	}
}

func TestGoldenConfigurationError(t *testing.T) {
	t.Parallel()
	var exec syncBuffer
	s := NewServer(ok, fastScale, WithExecutionLog(&exec), WithFault(Fault{Outage: OutageConfiguration}))
	defer s.Close()
	checkGolden(t, get(t, s.URL+"/x"), golden{500, `{"message": "Internal server error"}`, "InternalServerErrorException", rootOnlyRe})
	if len(s.Invocations()) != 0 {
		t.Error("the function ran despite a configuration error")
	}
	if text := strings.Join(exec.lines(), "\n"); !strings.Contains(text, "Invalid permissions on Lambda function") ||
		!strings.Contains(text, "Method completed with status: 500") {
		t.Errorf("execution log:\n%s", text)
	}
}

func TestGoldenQuotaExceeded(t *testing.T) {
	t.Parallel()
	s := NewServer(ok, fastScale, WithQuota(2))
	defer s.Close()
	req := func(key string) answer {
		r, _ := http.NewRequest(http.MethodGet, s.URL+"/x", nil)
		r.Header.Set("x-api-key", key)
		return do(t, r)
	}
	for range 2 {
		if got := req("alice"); got.status != 200 {
			t.Fatalf("within the quota: %d", got.status)
		}
	}
	checkGolden(t, req("alice"), golden{429, `{"message":"Limit Exceeded"}`, "LimitExceededException", rootOnlyRe})
	if got := req("bob"); got.status != 200 {
		t.Errorf("another key: %d", got.status)
	}
	if st := s.Stats(); st.QuotaExceeded != 1 || st.Invocations != 3 {
		t.Errorf("stats %+v", st)
	}
}

func TestGatewayLatency(t *testing.T) {
	t.Parallel()
	s := NewServer(ok, WithTimeScale(0.01), WithGatewayLatency(Fixed(20*time.Second))) // 200 ms
	defer s.Close()
	start := time.Now()
	if got := get(t, s.URL+"/x"); got.status != 200 {
		t.Fatalf("%d", got.status)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("answered after %v, before the gateway latency", d)
	}
}
