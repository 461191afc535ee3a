package apigwtest

// What the function sees of the client's headers, and what the gateway
// logs around throttles and timeouts, compared over real local HTTP with
// what AWS documents or published events and logs show. The sources are
// in docs/aws-behaviour.md ("Header names in the Lambda event", "X-Ray",
// "Access log of a Lambda throttle", "Execution-log wording").

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/retryscope/retryscope/internal/xray"
)

// A REST API passes the header names to the function as the client wrote
// them (a snapshot LocalStack recorded against AWS has "tEsT-HEADeR" arrive
// as "tEsT-HEADeR"); Go's server canonicalises them, so the emulator must
// take them from the wire. The headers the gateway adds keep their own
// spelling.
func TestBugFidelityRESTEventHeaderCase(t *testing.T) {
	t.Parallel()
	var c captured
	s := NewServer(c.handler, fastScale)
	defer s.Close()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/x", strings.NewReader(`{}`))
	req.Header["x-custom-header"] = []string{"v"}
	req.Header["tEsT-HEADeR"] = []string{"aValUE"}
	req.Header["x-multi"] = []string{"one", "two"}
	req.Header["x-forwarded-for"] = []string{"10.0.0.1"} // the gateway writes its own, appended to
	req.Header["x-amzn-trace-id"] = []string{"Root=1-5759e988-bd862e3fe1be46a994272793"}
	do(t, req)
	ev := c.events[0]
	for name, want := range map[string]string{"x-custom-header": "v", "tEsT-HEADeR": "aValUE", "x-multi": "two",
		"Content-Length": "2", "User-Agent": "Go-http-client/1.1"} {
		if ev.Headers[name] != want || len(ev.MultiValueHeaders[name]) == 0 {
			t.Errorf("headers[%q] = %q, want %q (headers %v)", name, ev.Headers[name], want, ev.Headers)
		}
	}
	if got := strings.Join(ev.MultiValueHeaders["x-multi"], ","); got != "one,two" {
		t.Errorf("multiValueHeaders[x-multi] = %q", got)
	}
	for _, name := range []string{"X-Custom-Header", "Test-Header", "X-Multi", "x-forwarded-for", "x-amzn-trace-id"} {
		if _, ok := ev.Headers[name]; ok {
			t.Errorf("headers carry %q, a spelling the client did not send (headers %v)", name, ev.Headers)
		}
	}
	for _, name := range []string{"Host", "X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto", "X-Amzn-Trace-Id"} {
		if ev.Headers[name] == "" {
			t.Errorf("no %q in headers %v", name, ev.Headers)
		}
	}
	// The gateway appends its caller to the client's X-Forwarded-For, and
	// takes the caller as the source IP; it replaced the client's list.
	if got, want := ev.Headers["X-Forwarded-For"], "10.0.0.1, 127.0.0.1"; got != want || ev.RequestContext.Identity.SourceIP != "127.0.0.1" {
		t.Errorf("X-Forwarded-For %q, source IP %q; want %q and 127.0.0.1", got, ev.RequestContext.Identity.SourceIP, want)
	}
	if !strings.HasPrefix(ev.Headers["X-Amzn-Trace-Id"], "Root=1-5759e988-bd862e3fe1be46a994272793;") {
		t.Errorf("X-Amzn-Trace-Id %q does not continue the client's Root", ev.Headers["X-Amzn-Trace-Id"])
	}
}

// Requests that follow each other on one connection, pipelined, each with
// its own spelling: the names are matched to their request, with a chunked
// body, a body that looks like a header block, and a request net/http
// answers without the handler in between.
func TestBugFidelityRESTEventHeaderCasePipelined(t *testing.T) {
	t.Parallel()
	var c captured
	s := NewServer(c.handler, fastScale)
	defer s.Close()
	u, _ := url.Parse(s.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fake := "GET /prod/x HTTP/1.1\r\nHost: h\r\nx-fake: 1\r\n\r\n"
	wire := "POST /prod/one HTTP/1.1\r\nHost: h\r\nx-ONE: 1\r\nContent-Length: " + strconv.Itoa(len(fake)) + "\r\n\r\n" + fake +
		"POST /prod/two HTTP/1.1\r\nHost: h\r\nX-two: 2\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"5;ext=1\r\nx-fak\r\n" + strconv.FormatInt(int64(len(fake)-5), 16) + "\r\n" + fake[5:] + "\r\n0\r\nx-trailer: t\r\n\r\n" +
		"OPTIONS * HTTP/1.1\r\nHost: h\r\nx-three: 0\r\nx-options: 1\r\n\r\n" + // net/http answers it itself
		"GET /prod/three HTTP/1.1\r\nHost: h\r\nx-THREE: 3\r\n\r\n"
	if _, err := io.WriteString(conn, wire); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(conn)
	for range 4 {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	want := map[string]string{"/one": "x-ONE", "/two": "X-two", "/three": "x-THREE"}
	if len(c.events) != 3 {
		t.Fatalf("%d events, want 3", len(c.events))
	}
	for _, ev := range c.events {
		name := want[ev.Path]
		if _, ok := ev.Headers[name]; !ok {
			t.Errorf("%s: no %q in headers %v", ev.Path, name, ev.Headers)
		}
		for k := range ev.Headers {
			if strings.EqualFold(k, "x-fake") || strings.EqualFold(k, "x-trailer") {
				t.Errorf("%s: headers carry %q from a body or trailer: %v", ev.Path, k, ev.Headers)
			}
		}
	}
}

// A TLS listener given with WithListener keeps net/http's own handling
// of TLS connections: HTTP/2 is negotiated and the request answered (the
// names are then canonical).
func TestWireNamesLeaveTLSToNetHTTP(t *testing.T) {
	t.Parallel()
	certs := httptest.NewUnstartedServer(nil)
	certs.StartTLS()
	cfg := certs.TLS.Clone()
	certs.Close()
	cfg.NextProtos = []string{"h2", "http/1.1"}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var c captured
	s := NewServer(c.handler, fastScale, WithListener(tls.NewListener(ln, cfg)))
	defer s.Close()
	client := &http.Client{Transport: &http.Transport{ForceAttemptHTTP2: true,
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // a test certificate
	defer client.CloseIdleConnections()
	resp, err := client.Get("https" + strings.TrimPrefix(s.URL, "http") + "/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.ProtoMajor != 2 || c.events[0].RequestContext.Protocol != "HTTP/2.0" {
		t.Errorf("status %d over %s, event protocol %q; want 200 over HTTP/2", resp.StatusCode, resp.Proto, c.events[0].RequestContext.Protocol)
	}
}

// An HTTP API lowercases header names ("All header names are lowercase",
// the payload format page), except those its payload 1.0 events show
// capitalised (captures of 2020 and 2023).
func TestBugFidelityHTTPAPIEventHeaderCase(t *testing.T) {
	t.Parallel()
	var c captured
	s := NewServer(c.handler, fastScale, WithHTTPAPI())
	defer s.Close()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/x", strings.NewReader(`{}`))
	req.Header.Set("X-Custom-Header", "v")
	req.Header["tEsT-HEADeR"] = []string{"aValUE"}
	req.Header.Set("Content-Type", "application/json")
	do(t, req)
	ev := c.events[0]
	for _, name := range []string{"x-custom-header", "test-header", "accept-encoding",
		"Content-Length", "Content-Type", "Host", "User-Agent", "X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto"} {
		if ev.Headers[name] == "" || len(ev.MultiValueHeaders[name]) != 1 {
			t.Errorf("no %q in headers %v / %v", name, ev.Headers, ev.MultiValueHeaders)
		}
	}
	for _, name := range []string{"X-Custom-Header", "tEsT-HEADeR", "Test-Header", "Accept-Encoding"} {
		if _, ok := ev.Headers[name]; ok {
			t.Errorf("headers carry %q: %v", name, ev.Headers)
		}
	}
}

// An HTTP API hands the function the X-Ray Root as "X-Amzn-Trace-Id:
// Root=..." (payload 1.0 captures of 2020 and 2023; payload 2.0 events,
// aws-lambda-go's own sample among them, carry it too, lowercased), even
// though HTTP APIs do not trace. The Root is the one the function's
// context carries; a Root the client sent is continued.
func TestBugFidelityHTTPAPIEventTraceHeader(t *testing.T) {
	t.Parallel()
	var c captured
	s := NewServer(c.handler, fastScale, WithHTTPAPI())
	defer s.Close()
	get(t, s.URL+"/x")
	const root = "1-5759e988-bd862e3fe1be46a994272793"
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/x", nil)
	req.Header.Set("X-Amzn-Trace-Id", "Root="+root+";Parent=53995c3f42cd8ad8;Sampled=1")
	do(t, req)
	for i, ev := range c.events {
		fn, ok := xray.Parse(c.traces[i])
		if got := ev.Headers["X-Amzn-Trace-Id"]; !ok || got != "Root="+fn.Root || len(ev.MultiValueHeaders["X-Amzn-Trace-Id"]) != 1 {
			t.Errorf("X-Amzn-Trace-Id %q, want Root=%s (the function's trace %q)", got, fn.Root, c.traces[i])
		}
	}
	if got := c.events[1].Headers["X-Amzn-Trace-Id"]; got != "Root="+root {
		t.Errorf("client's trace: X-Amzn-Trace-Id %q, want Root=%s", got, root)
	}
}

// When Lambda throttles the Invoke, a REST API's access log says
// INTEGRATION_FAILURE, the gateway's message, and the execution log's
// error as the integration error (published access logs of 2024); the
// gateway's own throttle says THROTTLED and never calls Lambda.
func TestBugFidelityThrottleAccessLog(t *testing.T) {
	t.Parallel()
	var access, exec syncBuffer
	s := NewServer(ok, fastScale, WithConcurrencyLimit(0), WithThrottle(0, 1), WithAccessLog(&access), WithExecutionLog(&exec))
	defer s.Close()
	lambda := get(t, s.URL+"/x")
	gateway := get(t, s.URL+"/x")
	if lambda.status != 500 || gateway.status != 429 {
		t.Fatalf("statuses %d, %d; want 500 (Lambda throttled), 429 (gateway throttled)", lambda.status, gateway.status)
	}
	lines := access.lines()
	if len(lines) != 2 {
		t.Fatalf("access log %q", lines)
	}
	var l, g map[string]string
	if json.Unmarshal([]byte(lines[0]), &l) != nil || json.Unmarshal([]byte(lines[1]), &g) != nil {
		t.Fatalf("access log %q", lines)
	}
	if l["status"] != "500" || l["error_responseType"] != "INTEGRATION_FAILURE" || l["error_message"] != "Internal server error" ||
		l["integration_error"] != "Execution failed due to configuration error: Rate Exceeded." || l["integration_integrationStatus"] != "429" {
		t.Errorf("Lambda throttle access line %v", l)
	}
	if g["status"] != "429" || g["error_responseType"] != "THROTTLED" || g["error_message"] != "Too Many Requests" ||
		g["integration_error"] != "-" || g["integration_integrationStatus"] != "-" || g["integration_latency"] != "-" {
		t.Errorf("gateway throttle access line %v", g)
	}
	id := gateway.header.Get("x-amzn-RequestId")
	for _, line := range exec.lines() {
		if strings.HasPrefix(line, "("+id+")") && strings.Contains(line, "Sending request to") {
			t.Errorf("the gateway's throttle called Lambda: %q", line)
		}
	}
}

// After an integration timeout the execution log says "Execution failed
// due to a timeout error" and then "Method completed with status: 504"
// (after any gateway latency), the order of every failure in the
// published logs, and nothing more for that request when the function
// ends later.
func TestExecutionLogIntegrationTimeoutOrder(t *testing.T) {
	t.Parallel()
	var exec syncBuffer
	release := make(chan struct{})
	s := NewServer(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		<-release
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	}, fastScale, WithExecutionLog(&exec), WithGatewayLatency(Uniform{Min: time.Second, Max: time.Second}))
	defer s.Close()
	got := get(t, s.URL+"/slow")
	close(release)
	s.Wait()
	if got.status != 504 {
		t.Fatalf("status %d, want 504", got.status)
	}
	id := got.header.Get("x-amzn-RequestId")
	var texts []string
	for _, line := range exec.lines() {
		if rest, found := strings.CutPrefix(line, "("+id+") "); found {
			texts = append(texts, rest)
		}
	}
	want := []string{"Starting execution for request: " + id, "HTTP Method: GET, Resource Path: /slow",
		"Sending request to " + lambdaURL, "Execution failed due to a timeout error", "Method completed with status: 504"}
	if strings.Join(texts, "\n") != strings.Join(want, "\n") {
		t.Errorf("execution log of the 504:\n%s\nwant:\n%s", strings.Join(texts, "\n"), strings.Join(want, "\n"))
	}
}
