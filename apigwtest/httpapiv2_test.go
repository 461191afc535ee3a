package apigwtest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/retryscope/retryscope/internal/httpsyntax"
)

// v2Recorder is an HTTPAPIHandler that keeps each event it gets and
// answers 200.
type v2Recorder struct {
	mu     sync.Mutex
	events []events.APIGatewayV2HTTPRequest
}

func (c *v2Recorder) handler(_ context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	c.mu.Lock()
	c.events = append(c.events, ev)
	c.mu.Unlock()
	return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: "ok"}, nil
}

func (c *v2Recorder) last(t *testing.T) events.APIGatewayV2HTTPRequest {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.events) == 0 {
		t.Fatal("the function got no event")
	}
	return c.events[len(c.events)-1]
}

var requestTimeRe = regexp.MustCompile(`^\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000$`)

// TestHTTPAPIv2EventMapping sends requests through the local server and
// checks the payload format 2.0 event the function gets.
func TestHTTPAPIv2EventMapping(t *testing.T) {
	t.Parallel()
	var c v2Recorder
	s := NewHTTPAPIServer(c.handler, fastScale)
	defer s.Close()
	host := strings.TrimPrefix(s.URL, "http://")

	for _, tc := range []struct {
		name   string
		method string
		target string // path and query
		header http.Header
		body   []byte
		check  func(t *testing.T, ev events.APIGatewayV2HTTPRequest)
	}{{
		name: "headers lower case, repeats joined with commas", method: "GET", target: "/orders",
		header: http.Header{"X-Custom-Header": {"a"}, "X-Multi": {"1", "2", "3"}, "Accept": {"text/plain"}},
		check: func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
			for k, want := range map[string]string{
				"x-custom-header": "a", "x-multi": "1,2,3", "accept": "text/plain",
				"host": host, "user-agent": "Go-http-client/1.1",
				"x-forwarded-for": "127.0.0.1", "x-forwarded-port": "443", "x-forwarded-proto": "https",
			} {
				if got, ok := ev.Headers[k]; !ok || got != want {
					t.Errorf("headers[%q] = %q (present %v), want %q", k, got, ok, want)
				}
			}
			for k := range ev.Headers {
				if k != strings.ToLower(k) {
					t.Errorf("header name %q is not lower case", k)
				}
			}
			if ev.Cookies != nil {
				t.Errorf("cookies %q without a Cookie header", ev.Cookies)
			}
		},
	}, {
		name: "gateway headers replace the client's; X-Forwarded-For appends the caller", method: "GET", target: "/x",
		header: http.Header{"X-Forwarded-For": {"198.51.100.7"}, "X-Forwarded-Port": {"80"},
			"X-Amzn-Trace-Id": {"Root=1-5e1b4151-5ac6c58f5b5daa6532e4f2e8;Parent=53995c3f42cd8ad8;Sampled=1"}},
		check: func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
			if got := ev.Headers["x-forwarded-for"]; got != "198.51.100.7, 127.0.0.1" {
				t.Errorf("x-forwarded-for %q", got)
			}
			if got := ev.Headers["x-forwarded-port"]; got != "443" {
				t.Errorf("x-forwarded-port %q", got)
			}
			if got := ev.Headers["x-amzn-trace-id"]; got != "Root=1-5e1b4151-5ac6c58f5b5daa6532e4f2e8" {
				t.Errorf("x-amzn-trace-id %q: want the client's Root alone", got)
			}
		},
	}, {
		name: "cookies split out of the Cookie headers", method: "GET", target: "/x",
		header: http.Header{"Cookie": {"a=1; b=2", "c=3;;d=4 "}},
		check: func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
			if want := []string{"a=1", "b=2", "c=3", "d=4"}; !slices.Equal(ev.Cookies, want) {
				t.Errorf("cookies %q, want %q", ev.Cookies, want)
			}
			if v, ok := ev.Headers["cookie"]; ok {
				t.Errorf("the cookie header stayed in headers: %q", v)
			}
		},
	}, {
		name: "query: raw as sent, repeats joined with commas, values decoded", method: "GET", target: "/x?a=1&b=x%20y&a=2&empty=",
		check: func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
			if ev.RawQueryString != "a=1&b=x%20y&a=2&empty=" {
				t.Errorf("rawQueryString %q", ev.RawQueryString)
			}
			if want := map[string]string{"a": "1,2", "b": "x y", "empty": ""}; !reflect.DeepEqual(ev.QueryStringParameters, want) {
				t.Errorf("queryStringParameters %q, want %q", ev.QueryStringParameters, want)
			}
		},
	}, {
		name: "no query", method: "GET", target: "/x",
		check: func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
			if ev.RawQueryString != "" || ev.QueryStringParameters != nil {
				t.Errorf("rawQueryString %q, queryStringParameters %q", ev.RawQueryString, ev.QueryStringParameters)
			}
		},
	}, {
		name: "text body", method: "POST", target: "/orders", body: []byte(`{"item":"héllo"}`),
		header: http.Header{"Content-Type": {"application/json"}},
		check: func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
			if ev.Body != `{"item":"héllo"}` || ev.IsBase64Encoded {
				t.Errorf("body %q, base64 %v", ev.Body, ev.IsBase64Encoded)
			}
			if ev.Headers["content-type"] != "application/json" || ev.Headers["content-length"] != strconv.Itoa(len(`{"item":"héllo"}`)) {
				t.Errorf("headers %q", ev.Headers)
			}
		},
	}, {
		name: "binary body in base64", method: "PUT", target: "/blob", body: []byte{0xff, 0x00, 0x01, 0xfe},
		check: func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
			if ev.Body != base64.StdEncoding.EncodeToString([]byte{0xff, 0x00, 0x01, 0xfe}) || !ev.IsBase64Encoded {
				t.Errorf("body %q, base64 %v", ev.Body, ev.IsBase64Encoded)
			}
		},
	}, {
		name: "no body", method: "DELETE", target: "/orders/7",
		check: func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
			if ev.Body != "" || ev.IsBase64Encoded {
				t.Errorf("body %q, base64 %v", ev.Body, ev.IsBase64Encoded)
			}
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, s.URL+tc.target, strings.NewReader(string(tc.body)))
			if err != nil {
				t.Fatal(err)
			}
			if tc.body == nil {
				req.Body = http.NoBody
			}
			for k, vs := range tc.header {
				req.Header[k] = vs
			}
			started := time.Now()
			got := do(t, req)
			if got.status != 200 || got.body != "ok" {
				t.Fatalf("%d %q", got.status, got.body)
			}
			ev := c.last(t)
			if ev.Version != "2.0" || ev.RouteKey != "$default" {
				t.Errorf("version %q, routeKey %q", ev.Version, ev.RouteKey)
			}
			path, _, _ := strings.Cut(tc.target, "?")
			if ev.RawPath != path || ev.PathParameters != nil || ev.StageVariables != nil {
				t.Errorf("rawPath %q, pathParameters %q, stageVariables %q", ev.RawPath, ev.PathParameters, ev.StageVariables)
			}
			rc := ev.RequestContext
			id := got.header.Get(HeaderHTTPAPIRequestID)
			if id == "" || rc.RequestID != id {
				t.Errorf("requestContext.requestId %q, answer's apigw-requestid %q", rc.RequestID, id)
			}
			want := events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: tc.method, Path: path, Protocol: "HTTP/1.1", SourceIP: "127.0.0.1", UserAgent: "Go-http-client/1.1",
			}
			if rc.HTTP != want {
				t.Errorf("requestContext.http %+v, want %+v", rc.HTTP, want)
			}
			if rc.RouteKey != "$default" || rc.Stage != "$default" || rc.AccountID != accountID || rc.APIID != apiID ||
				rc.DomainName != apiID+".execute-api.us-east-1.amazonaws.com" || rc.DomainPrefix != apiID {
				t.Errorf("requestContext %+v", rc)
			}
			if !requestTimeRe.MatchString(rc.Time) || rc.TimeEpoch < started.UnixMilli()-1 || rc.TimeEpoch > time.Now().UnixMilli() {
				t.Errorf("requestContext time %q, timeEpoch %d (request at %d)", rc.Time, rc.TimeEpoch, started.UnixMilli())
			}
			if tc.check != nil {
				tc.check(t, ev)
			}
			if inv := s.Invocations(); inv[len(inv)-1].RequestID != id || inv[len(inv)-1].Path != path {
				t.Errorf("invocation %+v", inv[len(inv)-1])
			}
		})
	}
}

// TestHTTPAPIv2NamedStage: with WithStage the stage is in rawPath and
// requestContext.http.path, and named in requestContext.stage.
func TestHTTPAPIv2NamedStage(t *testing.T) {
	t.Parallel()
	var c v2Recorder
	s := NewHTTPAPIServer(c.handler, fastScale, WithStage("dev"))
	defer s.Close()
	if got := get(t, s.URL+"/orders"); got.status != 200 {
		t.Fatalf("%d %q", got.status, got.body)
	}
	ev := c.last(t)
	if ev.RawPath != "/dev/orders" || ev.RequestContext.HTTP.Path != "/dev/orders" || ev.RequestContext.Stage != "dev" {
		t.Errorf("rawPath %q, http.path %q, stage %q", ev.RawPath, ev.RequestContext.HTTP.Path, ev.RequestContext.Stage)
	}
	if got := get(t, strings.TrimSuffix(s.URL, "/dev")+"/orders"); got.status != 404 {
		t.Errorf("outside the stage: %d %q", got.status, got.body)
	}
}

// TestHTTPAPIv2StructuredResponse: the function's 2.0 response reaches the
// client: status, headers, one Set-Cookie per cookie, a base64 body
// decoded; multiValueHeaders ignored.
func TestHTTPAPIv2StructuredResponse(t *testing.T) {
	t.Parallel()
	s := NewHTTPAPIServer(func(_ context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		switch ev.RawPath {
		case "/binary":
			return events.APIGatewayV2HTTPResponse{StatusCode: 200, IsBase64Encoded: true,
				Headers: map[string]string{"content-type": "application/octet-stream"},
				Body:    base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 0xff})}, nil
		case "/zero":
			return events.APIGatewayV2HTTPResponse{}, nil
		}
		return events.APIGatewayV2HTTPResponse{
			StatusCode:        201,
			Headers:           map[string]string{"content-type": "text/plain", "x-order": "42"},
			MultiValueHeaders: map[string][]string{"X-Ignored": {"1"}},
			Cookies:           []string{"session=abc; Path=/; HttpOnly", "theme=dark"},
			Body:              "created",
		}, nil
	}, fastScale)
	defer s.Close()

	got := get(t, s.URL+"/orders")
	if got.status != 201 || got.body != "created" || got.header.Get("Content-Type") != "text/plain" || got.header.Get("X-Order") != "42" {
		t.Errorf("%d %q %v", got.status, got.body, got.header)
	}
	if want := []string{"session=abc; Path=/; HttpOnly", "theme=dark"}; !slices.Equal(got.header.Values("Set-Cookie"), want) {
		t.Errorf("Set-Cookie %q, want %q", got.header.Values("Set-Cookie"), want)
	}
	if got.header.Get("X-Ignored") != "" {
		t.Errorf("multiValueHeaders was applied: %v", got.header)
	}
	if got.header.Get(HeaderHTTPAPIRequestID) == "" || got.header.Get(HeaderTrace) != "" {
		t.Errorf("id headers %v", got.header)
	}

	got = get(t, s.URL+"/binary")
	if got.status != 200 || got.body != "\x00\x01\x02\xff" || got.header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("binary: %d %q %v", got.status, got.body, got.header)
	}

	// The zero response has statusCode 0: malformed, as in 1.0.
	got = get(t, s.URL+"/zero")
	if got.status != 500 || got.body != `{"message":"Internal Server Error"}` {
		t.Errorf("zero response: %d %q", got.status, got.body)
	}
}

// rawBackend is a function that returns, as its raw response payload, the
// body of the request that invoked it: any JSON, or none.
type rawBackend struct{}

func (rawBackend) start(context.Context) (environment, error) { return rawEnv{}, nil }

type rawEnv struct{}

func (rawEnv) invoke(_ context.Context, c *call) ([]byte, *functionError) {
	return []byte(c.eventV2.Body), nil
}
func (rawEnv) settle(context.Context) {}
func (rawEnv) alive() bool            { return true }
func (rawEnv) close()                 {}

// newRawV2Server is an HTTP API with payload format 2.0 whose function
// answers each request's body as its response payload.
func newRawV2Server(opts ...Option) *Server {
	return newServer(func(*Server) backend { return rawBackend{} }, opts, payloadFormat2)
}

// TestHTTPAPIv2ResponseInference sends raw function payloads through the
// gateway: valid JSON without a statusCode is a 200 application/json whose
// body is that JSON (a JSON string's text); invalid JSON and bad
// structured responses are 500 {"message":"Internal Server Error"}.
func TestHTTPAPIv2ResponseInference(t *testing.T) {
	t.Parallel()
	var exec syncBuffer
	s := newRawV2Server(fastScale, WithExecutionLog(&exec))
	defer s.Close()
	const isError = `{"message":"Internal Server Error"}`
	for _, tc := range []struct {
		payload string
		status  int
		body    string
		ctype   string
	}{
		// Inferred: the documented examples, then other JSON values.
		{`{ "message": "Hello from Lambda!" }`, 200, `{ "message": "Hello from Lambda!" }`, "application/json"},
		{`"Hello from Lambda!"`, 200, `Hello from Lambda!`, "application/json"},
		{`{"body":"x","headers":{"a":"b"}}`, 200, `{"body":"x","headers":{"a":"b"}}`, "application/json"},
		{`[1,2,3]`, 200, `[1,2,3]`, "application/json"},
		{`42`, 200, `42`, "application/json"},
		{`null`, 200, `null`, "application/json"},
		{`{"StatusCode":201}`, 200, `{"StatusCode":201}`, "application/json"}, // names match exactly
		// Structured.
		{`{"statusCode":204}`, 204, ``, "application/json"},
		{`{"statusCode":202,"body":"queued","headers":{"Content-Type":"text/plain"},"unknown":1}`, 202, `queued`, "text/plain"},
		{`{"statusCode":200,"body":"aGk=","isBase64Encoded":true}`, 200, `hi`, "application/json"},
		// Malformed.
		{`Hello`, 500, isError, "application/json"},
		{`{"statusCode":200`, 500, isError, "application/json"},
		{``, 500, isError, "application/json"},
		{`{"statusCode":"200"}`, 500, isError, "application/json"},
		{`{"statusCode":null}`, 500, isError, "application/json"},
		{`{"statusCode":0}`, 500, isError, "application/json"},
		{`{"statusCode":99}`, 500, isError, "application/json"},
		{`{"statusCode":600}`, 500, isError, "application/json"},
		{`{"statusCode":200,"headers":{"x":1}}`, 500, isError, "application/json"},
		{`{"statusCode":200,"headers":{"bad name":"1"}}`, 500, isError, "application/json"},
		{`{"statusCode":200,"cookies":"a=1"}`, 500, isError, "application/json"},
		{`{"statusCode":200,"body":"%%","isBase64Encoded":true}`, 500, isError, "application/json"},
	} {
		req, err := http.NewRequest(http.MethodPost, s.URL+"/x", strings.NewReader(tc.payload))
		if err != nil {
			t.Fatal(err)
		}
		got := do(t, req)
		if got.status != tc.status || got.body != tc.body || got.header.Get("Content-Type") != tc.ctype {
			t.Errorf("payload %s: %d %q %q, want %d %q %q", tc.payload, got.status, got.body, got.header.Get("Content-Type"), tc.status, tc.body, tc.ctype)
		}
	}
	if text := strings.Join(exec.lines(), "\n"); !strings.Contains(text, "Malformed Lambda proxy response") {
		t.Errorf("no malformed response in the execution log:\n%s", text)
	}
}

// TestHTTPAPIv2FunctionFailures: an error, a panic and an injected
// malformed response are the HTTP API's 500.
func TestHTTPAPIv2FunctionFailures(t *testing.T) {
	t.Parallel()
	s := NewHTTPAPIServer(func(_ context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		switch ev.RawPath {
		case "/error":
			return events.APIGatewayV2HTTPResponse{}, errors.New("it failed")
		case "/panic":
			panic("it panicked")
		}
		return events.APIGatewayV2HTTPResponse{StatusCode: 200}, nil
	}, fastScale)
	defer s.Close()
	for _, p := range []string{"/error", "/panic"} {
		if got := get(t, s.URL+p); got.status != 500 || got.body != `{"message":"Internal Server Error"}` {
			t.Errorf("%s: %d %q", p, got.status, got.body)
		}
	}
	s.Wait()
	if st := s.Stats(); st.FunctionErrors != 2 {
		t.Errorf("stats %+v", st)
	}

	m := NewHTTPAPIServer(func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{StatusCode: 200}, nil
	}, fastScale, WithFault(Fault{MalformedRate: 1}))
	defer m.Close()
	if got := get(t, m.URL+"/x"); got.status != 500 || got.body != `{"message":"Internal Server Error"}` {
		t.Errorf("injected malformed response: %d %q", got.status, got.body)
	}
}

// TestHTTPAPIv2IntegrationTimeoutRunsOn: past the 30 s integration
// timeout the client gets the HTTP API's 503 while the function runs to
// completion, as with payload format 1.0.
func TestHTTPAPIv2IntegrationTimeoutRunsOn(t *testing.T) {
	t.Parallel()
	var done atomic.Int64
	s := NewHTTPAPIServer(func(ctx context.Context, _ events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		_ = Sleep(ctx, 40*time.Second)
		done.Add(1)
		return events.APIGatewayV2HTTPResponse{StatusCode: 201}, nil
	}, WithTimeScale(0.005)) // 30 s -> 150 ms; the function takes 200 ms
	defer s.Close()
	got := get(t, s.URL+"/orders")
	if got.status != 503 || got.body != `{"message":"Service Unavailable"}` || got.header["Content-Type"] != nil {
		t.Fatalf("%d %q %v", got.status, got.body, got.header)
	}
	if done.Load() != 0 {
		t.Fatal("the function had finished before the 503")
	}
	s.Wait()
	if done.Load() != 1 {
		t.Fatal("the function did not run on")
	}
	inv := s.Invocations()[0]
	if !inv.GatewayTimedOut || !inv.RanAfterTimeout || !inv.Finished || inv.Status != 503 ||
		inv.RequestID != got.header.Get(HeaderHTTPAPIRequestID) {
		t.Errorf("invocation %+v", inv)
	}
	if st := s.Stats(); st.GatewayTimeouts != 1 || st.RanAfterTimeout != 1 || st.Answers[503] != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestWithPayloadFormat: the combinations no AWS API has panic at
// construction; the others choose the event.
func TestWithPayloadFormat(t *testing.T) {
	t.Parallel()
	v2 := func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{StatusCode: 200}, nil
	}
	for _, tc := range []struct {
		name  string
		start func() *Server
		panic string // "" when it starts
		v2    bool
	}{
		{"NewServer defaults to 1.0", func() *Server { return NewServer(ok, WithHTTPAPI()) }, "", false},
		{"NewServer with 1.0", func() *Server { return NewServer(ok, WithHTTPAPI(), WithPayloadFormat("1.0")) }, "", false},
		{"NewServer with 2.0", func() *Server { return NewServer(ok, WithHTTPAPI(), WithPayloadFormat("2.0")) }, "handler that takes payload format 1.0", false},
		{"NewHTTPAPIServer defaults to 2.0", func() *Server { return NewHTTPAPIServer(v2) }, "", true},
		{"NewHTTPAPIServer with 1.0", func() *Server { return NewHTTPAPIServer(v2, WithPayloadFormat("1.0")) }, "handler that takes payload format 2.0", false},
		{"NewHTTPAPIServer nil", func() *Server { return NewHTTPAPIServer(nil) }, "nil handler", false},
		{"2.0 on a REST API", func() *Server { return NewRuntimeServer("bootstrap", WithPayloadFormat("2.0")) }, "needs WithHTTPAPI", false},
		{"unknown version", func() *Server { return NewRuntimeServer("bootstrap", WithHTTPAPI(), WithPayloadFormat("2")) }, "the versions are", false},
		{"runtime 2.0", func() *Server { return NewRuntimeServer("bootstrap", WithHTTPAPI(), WithPayloadFormat("2.0")) }, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s *Server
			func() {
				defer func() {
					r := recover()
					msg, _ := r.(string)
					if tc.panic == "" && r != nil || tc.panic != "" && !strings.Contains(msg, tc.panic) {
						t.Errorf("panic %v, want one with %q", r, tc.panic)
					}
				}()
				s = tc.start()
			}()
			if s == nil {
				return
			}
			defer s.Close()
			if s.cfg.payloadV2 != tc.v2 || !s.cfg.httpAPI {
				t.Errorf("payloadV2 %v, httpAPI %v", s.cfg.payloadV2, s.cfg.httpAPI)
			}
		})
	}
}

func FuzzMapHTTPAPIResponse(f *testing.F) {
	for _, s := range []string{
		`{"statusCode":200,"headers":null,"multiValueHeaders":null,"body":"hi","cookies":null}`,
		`{"statusCode":201,"headers":{"A":"1"},"cookies":["a=1","b=2"],"body":"aGk=","isBase64Encoded":true}`,
		`{"statusCode":"200","body":"x"}`,
		`{"statusCode":0}`,
		`{"statusCode":200,"extra":1}`,
		`{"statusCode":200,"cookies":["a\r\nInjected: 1"]}`,
		`{"statusCode":200,"headers":{"X":"a\r\nInjected: 1"}}`,
		`{ "message": "Hello from Lambda!" }`,
		`"Hello from Lambda!"`,
		`"\u0000\r\n"`,
		`null`,
		`OK`,
		`{"statusCode":200}{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		p, err := mapHTTPAPIResponse(payload)
		if err != nil {
			if !errors.Is(err, errMalformed) {
				t.Fatalf("error %v is not errMalformed", err)
			}
			return
		}
		if !json.Valid(payload) {
			t.Fatalf("invalid JSON accepted: %q", payload)
		}
		if p.status < 200 || p.status > 599 {
			t.Fatalf("status %d accepted", p.status)
		}
		var fields map[string]json.RawMessage
		_ = json.Unmarshal(payload, &fields)
		if _, structured := fields["statusCode"]; !structured &&
			(p.status != 200 || p.header.Get("Content-Type") != "application/json") {
			t.Fatalf("no statusCode in %q, yet %d %v", payload, p.status, p.header)
		}
		for k, vs := range p.header {
			if !httpsyntax.IsToken(k) {
				t.Fatalf("header name %q", k)
			}
			for _, v := range vs {
				if strings.IndexFunc(v, httpsyntax.IsCTL) >= 0 {
					t.Fatalf("header value %q", v)
				}
			}
		}
	})
}

// The payload format 2.0 test function is built once per test run, in
// the directory of runtimeBinary's (which cleanupRuntimeBuild removes).
var (
	buildV2Once sync.Once
	buildV2Path string
	buildV2Err  error
)

func runtimeBinaryV2(t *testing.T) string {
	t.Helper()
	dir := filepath.Dir(runtimeBinary(t)) // skips under -short
	buildV2Once.Do(func() {
		buildV2Path, buildV2Err = buildFunction(filepath.Join(dir, "bootstrap-v2"), "./testdata/rtfunctionv2")
	})
	if buildV2Err != nil {
		t.Fatalf("building the payload 2.0 test function: %v\n%s", buildV2Err, buildV2Path)
	}
	return buildV2Path
}

// TestRuntimeHTTPAPIv2 runs an unmodified aws-lambda-go binary whose
// handler takes events.APIGatewayV2HTTPRequest behind NewRuntimeServer.
func TestRuntimeHTTPAPIv2(t *testing.T) {
	t.Parallel()
	s := NewRuntimeServer(runtimeBinaryV2(t), WithHTTPAPI(), WithPayloadFormat("2.0"), WithTimeScale(0.1)) // 3 s
	defer s.Close()

	req, _ := http.NewRequest(http.MethodGet, s.URL+"/orders?a=1&a=2", nil)
	req.Header.Set("Cookie", "a=1; b=2")
	req.Header.Add("X-Multi", "1")
	req.Header.Add("X-Multi", "2")
	got := do(t, req)
	if got.status != 200 || got.header.Get("Set-Cookie") != "seen=1; Path=/" {
		t.Fatalf("%d %q %v", got.status, got.body, got.header)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal([]byte(got.body), &ev); err != nil {
		t.Fatalf("the function's echo %q: %v", got.body, err)
	}
	if ev.Version != "2.0" || ev.RawPath != "/orders" || ev.RawQueryString != "a=1&a=2" ||
		ev.QueryStringParameters["a"] != "1,2" || ev.Headers["x-multi"] != "1,2" ||
		!slices.Equal(ev.Cookies, []string{"a=1", "b=2"}) ||
		ev.RequestContext.RequestID != got.header.Get(HeaderHTTPAPIRequestID) {
		t.Errorf("event %+v", ev)
	}
	s.Wait()
	if inv := s.Invocations()[0]; inv.LambdaRequestID != got.header.Get("X-Lambda-Id") || !inv.ColdStart || !inv.Finished {
		t.Errorf("invocation %+v", inv)
	}

	// A function that returns bare JSON: the inferred 200.
	got = get(t, s.URL+`/x?raw=`+`%7B%22message%22%3A%22hi%22%7D`)
	if got.status != 200 || got.body != `{"message":"hi"}` || got.header.Get("Content-Type") != "application/json" {
		t.Errorf("inferred: %d %q %v", got.status, got.body, got.header)
	}
	got = get(t, s.URL+`/x?raw=`+`%7B%22statusCode%22%3A%22x%22%7D`)
	if got.status != 500 || got.body != `{"message":"Internal Server Error"}` {
		t.Errorf("malformed: %d %q", got.status, got.body)
	}
	got = get(t, s.URL+"/x?error=1")
	if got.status != 500 || got.body != `{"message":"Internal Server Error"}` {
		t.Errorf("function error: %d %q", got.status, got.body)
	}
}

// TestRuntimeHTTPAPIv2TimeoutRunsOn: the real process runs on past the
// HTTP API's 503.
func TestRuntimeHTTPAPIv2TimeoutRunsOn(t *testing.T) {
	t.Parallel()
	side := filepath.Join(t.TempDir(), "orders")
	// Integration timeout 30 s -> 300 ms; the function sleeps 1.5 s real.
	s := NewRuntimeServer(runtimeBinaryV2(t), WithHTTPAPI(), WithPayloadFormat("2.0"), WithTimeScale(0.01))
	defer s.Close()
	got := get(t, s.URL+"/orders?sleep=1500ms&side="+side)
	if got.status != 503 || got.body != `{"message":"Service Unavailable"}` {
		t.Fatalf("%d %q", got.status, got.body)
	}
	if _, err := os.Stat(side); err == nil {
		t.Fatal("the order was written before the 503")
	}
	s.Wait()
	b, err := os.ReadFile(side)
	if err != nil || strings.TrimSpace(string(b)) != got.header.Get(HeaderHTTPAPIRequestID) {
		t.Fatalf("order file %q, %v", b, err)
	}
	if inv := s.Invocations()[0]; !inv.RanAfterTimeout || !inv.GatewayTimedOut {
		t.Errorf("invocation %+v", inv)
	}
}
