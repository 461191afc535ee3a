package transport_test

import (
	"crypto/rand"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// answer is one scripted reply of a gateway test server, shaped like API
// Gateway's (docs/aws-behaviour.md#gateway-answers).
type answer struct {
	status  int
	body    string
	errType string            // x-amzn-ErrorType; "" for the function's own answers
	header  map[string]string // extra response headers (Retry-After, ...)
	// serve, when set, replaces the default writing of the answer. It runs
	// after the id headers are set.
	serve func(w http.ResponseWriter, r *http.Request)
}

// The answers of docs/aws-behaviour.md#gateway-answers, byte for byte.
var (
	ok200    = answer{status: 200, body: `{"ok":true}`}
	gw504    = answer{status: 504, body: `{"message": "Endpoint request timed out"}`, errType: "InternalServerErrorException"}
	gw502    = answer{status: 502, body: `{"message": "Internal server error"}`, errType: "InternalServerErrorException"}
	gw500    = answer{status: 500, body: `{"message": "Internal server error"}`, errType: "InternalServerErrorException"}
	gw429    = answer{status: 429, body: `{"message":"Too Many Requests"}`, errType: "TooManyRequestsException"}
	gw403    = answer{status: 403, body: `{"message":"Missing Authentication Token"}`, errType: "MissingAuthenticationTokenException"}
	fn404    = answer{status: 404, body: `{"error":"no such order"}`}
	plain503 = answer{status: 503, body: "busy"}
)

func (a answer) with(k, v string) answer {
	h := make(map[string]string, len(a.header)+1)
	for hk, hv := range a.header {
		h[hk] = hv
	}
	h[k] = v
	a.header = h
	return a
}

// seen is one request as the server received it.
type seen struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
	// RequestID is the x-amzn-RequestId the server answered with.
	RequestID string
}

// gateway is a local server that answers like API Gateway: it adopts a
// client's UUID x-amzn-RequestId (else makes one), adds x-amz-apigw-id and,
// for its own answers, x-amzn-ErrorType. It plays a script: request i gets
// script[i], and the last answer repeats.
type gateway struct {
	*httptest.Server
	mu       sync.Mutex
	script   []answer
	requests []seen
	newConns atomic.Int32
}

func newGateway(t testing.TB, script ...answer) *gateway {
	t.Helper()
	g := &gateway{script: script}
	g.Server = httptest.NewUnstartedServer(http.HandlerFunc(g.serveHTTP))
	g.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			g.newConns.Add(1)
		}
	}
	g.Start()
	t.Cleanup(g.Close)
	return g
}

// setScript replaces the answers still to come.
func (g *gateway) setScript(script ...answer) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.script = script
	g.requests = g.requests[:0:0]
}

func (g *gateway) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id := r.Header.Get("X-Amzn-Requestid")
	if _, err := uuid.Parse(id); err != nil {
		id = uuid.NewString()
	}
	g.mu.Lock()
	i := len(g.requests)
	g.requests = append(g.requests, seen{Method: r.Method, URL: r.URL.String(), Header: r.Header.Clone(), Body: body, RequestID: id})
	var a answer
	if len(g.script) > 0 {
		a = g.script[min(i, len(g.script)-1)]
	} else {
		a = ok200
	}
	g.mu.Unlock()

	h := w.Header()
	h.Set("x-amzn-RequestId", id)
	h.Set("x-amz-apigw-id", apigwID())
	h.Set("Content-Type", "application/json")
	if a.errType != "" {
		h.Set("x-amzn-ErrorType", a.errType)
	}
	for k, v := range a.header {
		h.Set(k, v)
	}
	if a.serve != nil {
		a.serve(w, r)
		return
	}
	w.WriteHeader(a.status)
	io.WriteString(w, a.body)
}

// hits is the number of requests received so far.
func (g *gateway) hits() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.requests)
}

// seen returns the requests received so far.
func (g *gateway) seen() []seen {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]seen(nil), g.requests...)
}

// apigwID makes an x-amz-apigw-id look-alike (e.g. "K2G9wEbUoAMEvag=").
func apigwID() string {
	b := make([]byte, 10)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// newBase returns a plain *http.Transport whose idle connections are closed
// when the test ends, so goleak sees no connection goroutines.
func newBase(t testing.TB) *http.Transport {
	b := &http.Transport{MaxIdleConnsPerHost: 16}
	t.Cleanup(b.CloseIdleConnections)
	return b
}

// countingTransport wraps a base transport and tracks every response body
// it hands out, so a test can prove the transport closed each one it did
// not return.
type countingTransport struct {
	base http.RoundTripper

	mu     sync.Mutex
	bodies []*trackedBody
	calls  int
}

func newCounting(t testing.TB) *countingTransport {
	return &countingTransport{base: newBase(t)}
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.calls++
	c.mu.Unlock()
	resp, err := c.base.RoundTrip(r)
	if resp != nil && resp.Body != nil {
		tb := &trackedBody{ReadCloser: resp.Body}
		resp.Body = tb
		c.mu.Lock()
		c.bodies = append(c.bodies, tb)
		c.mu.Unlock()
	}
	return resp, err
}

// open returns how many response bodies are still open.
func (c *countingTransport) open() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, b := range c.bodies {
		if !b.closed.Load() {
			n++
		}
	}
	return n
}

func (c *countingTransport) responses() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.bodies)
}

// trackedBody records whether it was closed.
type trackedBody struct {
	io.ReadCloser
	closed atomic.Bool
	reads  atomic.Int32
}

func (b *trackedBody) Read(p []byte) (int, error) {
	b.reads.Add(1)
	return b.ReadCloser.Read(p)
}

func (b *trackedBody) Close() error {
	b.closed.Store(true)
	return b.ReadCloser.Close()
}

// requestBody is a request body without GetBody that records whether it
// was read and its Close.
type requestBody struct {
	r      io.Reader
	read   atomic.Bool
	closed atomic.Int32
}

func newRequestBody(s string) *requestBody { return &requestBody{r: strings.NewReader(s)} }

func (b *requestBody) Read(p []byte) (int, error) { b.read.Store(true); return b.r.Read(p) }
func (b *requestBody) Close() error               { b.closed.Add(1); return nil }

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// fastPolicy retries at once, so tests do not wait.
func fastPolicy() policy.Policy {
	p := policy.Default()
	p.MaxAttempts = 3 // the tests' scripts and counts were written for 3
	p.Backoff = policy.Backoff{Jitter: policy.NoWait}
	p.ThrottleBackoff = policy.Backoff{Jitter: policy.NoWait}
	p.InProgressDelay = time.Millisecond
	return p
}

// fast is the options most tests start from: no waits, no breaker, no
// budget, so that only the rule under test decides.
func fast(extra ...transport.Option) []transport.Option {
	return append([]transport.Option{
		transport.WithPolicy(fastPolicy()),
		transport.WithoutBreaker(),
		transport.WithoutBudget(),
	}, extra...)
}

// do sends req through rt with a Recorder and returns the response, the
// error and the attempts.
func do(t testing.TB, rt http.RoundTripper, req *http.Request) (*http.Response, error, []transport.Attempt) {
	t.Helper()
	ctx, rec := transport.Record(req.Context())
	resp, err := rt.RoundTrip(req.WithContext(ctx))
	if resp != nil {
		t.Cleanup(func() { resp.Body.Close() })
	}
	return resp, err, rec.Attempts()
}

func newRequest(t testing.TB, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func readAll(t testing.TB, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading the body: %v (read %q)", err, b)
	}
	return string(b)
}

// rules returns the attempts' rules in order, e.g. "retry,retry,not_retryable".
func rules(as []transport.Attempt) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a.Rule)
	}
	return strings.Join(s, ",")
}

// closedPortURL returns a URL on a loopback port that nobody listens on.
func closedPortURL(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// waitFor polls cond until it holds or a generous bound passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
