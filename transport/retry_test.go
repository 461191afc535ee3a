package transport_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// TestRetryDecisions is the safety table end to end: which answer is
// retried for which method, against a server that answers like API Gateway.
func TestRetryDecisions(t *testing.T) {
	t.Parallel()
	quota := answer{status: 429, body: `{"message":"Limit Exceeded"}`, errType: "LimitExceededException"}
	tests := []struct {
		name     string
		method   string
		key      string // the caller's Idempotency-Key
		script   []answer
		status   int    // the status returned
		body     string // the body returned, read in full
		hits     int    // requests the server received
		rules    string // the attempts' rules
		reach    policy.Reach
		firstCau policy.Cause
	}{
		{"GET 504 retried", "GET", "", []answer{gw504, ok200}, 200, ok200.body, 2, "retry,not_retryable", policy.ReachBackendTimeout, "integration_timeout"},
		{"GET 504 until max attempts", "GET", "", []answer{gw504}, 504, gw504.body, 3, "retry,retry,max_attempts", policy.ReachBackendTimeout, "integration_timeout"},
		{"PUT 504 retried", "PUT", "", []answer{gw504, ok200}, 200, ok200.body, 2, "retry,not_retryable", policy.ReachBackendTimeout, "integration_timeout"},
		{"DELETE 504 retried", "DELETE", "", []answer{gw504, ok200}, 200, ok200.body, 2, "retry,not_retryable", policy.ReachBackendTimeout, "integration_timeout"},
		{"POST 504 unsafe", "POST", "", []answer{gw504, ok200}, 504, gw504.body, 1, "unsafe", policy.ReachBackendTimeout, "integration_timeout"},
		{"PATCH 504 unsafe", "PATCH", "", []answer{gw504, ok200}, 504, gw504.body, 1, "unsafe", policy.ReachBackendTimeout, "integration_timeout"},
		{"POST 504 with key retried", "POST", `"k-1"`, []answer{gw504, ok200}, 200, ok200.body, 2, "retry,not_retryable", policy.ReachBackendTimeout, "integration_timeout"},
		{"POST gateway 429 retried", "POST", "", []answer{gw429, ok200}, 200, ok200.body, 2, "retry,not_retryable", policy.ReachGateway, "throttled"},
		{"POST gateway 500 retried", "POST", "", []answer{gw500, ok200}, 200, ok200.body, 2, "retry,not_retryable", policy.ReachGateway, "gateway_error"},
		{"POST 502 function error unsafe", "POST", "", []answer{gw502, ok200}, 502, gw502.body, 1, "unsafe", policy.ReachBackend, "function_error"},
		{"PATCH 502 function error unsafe", "PATCH", "", []answer{gw502, ok200}, 502, gw502.body, 1, "unsafe", policy.ReachBackend, "function_error"},
		{"POST 502 function error with key retried", "POST", `"k-2"`, []answer{gw502, ok200}, 200, ok200.body, 2, "retry,not_retryable", policy.ReachBackend, "function_error"},
		{"GET 502 function error retried", "GET", "", []answer{gw502, ok200}, 200, ok200.body, 2, "retry,not_retryable", policy.ReachBackend, "function_error"},
		{"PUT 502 function error until max attempts", "PUT", "", []answer{gw502}, 502, gw502.body, 3, "retry,retry,max_attempts", policy.ReachBackend, "function_error"},
		{"GET quota 429 not retried", "GET", "", []answer{quota, ok200}, 429, quota.body, 1, "not_retryable", policy.ReachGateway, "quota_exceeded"},
		{"GET 403 not retried", "GET", "", []answer{gw403, ok200}, 403, gw403.body, 1, "not_retryable", policy.ReachGateway, "missing_auth_token"},
		{"GET function 404 not retried", "GET", "", []answer{fn404, ok200}, 404, fn404.body, 1, "not_retryable", policy.ReachBackend, "client_error"},
		{"GET plain 503 retried", "GET", "", []answer{plain503, ok200}, 200, ok200.body, 2, "retry,not_retryable", policy.ReachBackend, "unavailable"},
		{"POST plain 503 unsafe", "POST", "", []answer{plain503, ok200}, 503, plain503.body, 1, "unsafe", policy.ReachBackend, "unavailable"},
		{"GET 200 first time", "GET", "", []answer{ok200}, 200, ok200.body, 1, "not_retryable", policy.ReachBackend, "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := newGateway(t, tt.script...)
			rt := transport.New(newBase(t), fast()...)
			var body io.Reader
			if tt.method == "POST" || tt.method == "PUT" || tt.method == "PATCH" {
				body = strings.NewReader(`{"order":1}`)
			}
			req := newRequest(t, tt.method, g.URL+"/orders", body)
			if tt.key != "" {
				req.Header.Set("Idempotency-Key", tt.key)
			}
			resp, err, as := do(t, rt, req)
			if err != nil {
				t.Fatalf("RoundTrip: %v", err)
			}
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			if got := readAll(t, resp.Body); got != tt.body {
				t.Errorf("body = %q, want %q", got, tt.body)
			}
			if got := g.hits(); got != tt.hits {
				t.Errorf("server hits = %d, want %d", got, tt.hits)
			}
			if got := rules(as); got != tt.rules {
				t.Errorf("rules = %s, want %s", got, tt.rules)
			}
			if len(as) > 0 && (as[0].Reach != tt.reach || as[0].Cause != tt.firstCau) {
				t.Errorf("first attempt reach %s cause %s, want %s %s", as[0].Reach, as[0].Cause, tt.reach, tt.firstCau)
			}
			if tt.body != "" && len(tt.body) > 0 && tt.method != "GET" && tt.method != "DELETE" {
				for i, s := range g.seen() {
					if string(s.Body) != `{"order":1}` {
						t.Errorf("request %d body = %q", i+1, s.Body)
					}
				}
			}
		})
	}
}

// TestPOST504ReturnedUnread: the 504 a POST gets is returned as it came,
// headers and body, with the body unread by the caller so far.
func TestPOST504ReturnedUnread(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw504)
	ct := newCounting(t)
	rt := transport.New(ct, fast()...)
	resp, err, as := do(t, rt, newRequest(t, "POST", g.URL+"/orders", strings.NewReader("x")))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 504 || resp.Header.Get("x-amzn-ErrorType") != "InternalServerErrorException" {
		t.Fatalf("got %d %v", resp.StatusCode, resp.Header)
	}
	if resp.Header.Get("x-amzn-RequestId") != as[0].RequestIDSent || as[0].RequestID != as[0].RequestIDSent {
		t.Errorf("request ids: header %q, sent %q, answered %q", resp.Header.Get("x-amzn-RequestId"), as[0].RequestIDSent, as[0].RequestID)
	}
	if as[0].ExtendedRequestID == "" || as[0].ExtendedRequestID != resp.Header.Get("x-amz-apigw-id") {
		t.Errorf("extended request id %q, header %q", as[0].ExtendedRequestID, resp.Header.Get("x-amz-apigw-id"))
	}
	if got := readAll(t, resp.Body); got != gw504.body {
		t.Errorf("body = %q", got)
	}
	if !strings.Contains(as[0].Reason, "POST without Idempotency-Key") {
		t.Errorf("reason = %q", as[0].Reason)
	}
	resp.Body.Close()
	if n := ct.open(); n != 0 {
		t.Errorf("%d bodies left open", n)
	}
}

// TestPOSTConnectionRefusedRetried: a refused connection sent nothing, so
// even a POST is retried, and the server then runs it exactly once.
func TestPOSTConnectionRefusedRetried(t *testing.T) {
	t.Parallel()
	g := newGateway(t, ok200)
	closed := strings.TrimPrefix(closedPortURL(t), "http://")
	var dials atomic.Int32
	base := newBase(t)
	d := &net.Dialer{}
	base.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) == 1 {
			addr = closed // the first dial is refused
		}
		return d.DialContext(ctx, network, addr)
	}
	rt := transport.New(base, fast()...)
	resp, err, as := do(t, rt, newRequest(t, "POST", g.URL+"/orders", strings.NewReader("once")))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if got := rules(as); got != "retry,not_retryable" {
		t.Errorf("rules = %s", got)
	}
	if as[0].Reach != policy.ReachNotSent || as[0].Cause != policy.CauseConnectionRefused || as[0].Status != 0 || as[0].Err == nil {
		t.Errorf("first attempt = %+v", as[0])
	}
	if got := g.seen(); len(got) != 1 || string(got[0].Body) != "once" {
		t.Errorf("server saw %d requests: %+v", len(got), got)
	}
}

// TestConnectionRefusedError: when every attempt is refused, the error is an
// *Error that lists the attempts and unwraps to the dial error.
func TestConnectionRefusedError(t *testing.T) {
	t.Parallel()
	rt := transport.New(newBase(t), fast()...)
	url := closedPortURL(t)
	resp, err, as := do(t, rt, newRequest(t, "POST", url+"/orders", strings.NewReader("x")))
	if resp != nil {
		t.Fatalf("got a response: %d", resp.StatusCode)
	}
	var te *transport.Error
	if !errors.As(err, &te) {
		t.Fatalf("error %T %v is not *transport.Error", err, err)
	}
	if len(te.Attempts) != 3 || rules(te.Attempts) != "retry,retry,max_attempts" {
		t.Errorf("attempts: %s", rules(te.Attempts))
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("errors.Is(err, ECONNREFUSED) = false: %v", err)
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Errorf("errors.As(*net.OpError) = false")
	}
	if len(as) != 3 {
		t.Errorf("recorded %d attempts", len(as))
	}
	for i, a := range te.Attempts {
		if a.Number != i+1 || a.Reach != policy.ReachNotSent || a.Err == nil {
			t.Errorf("attempt %d: %+v", i+1, a)
		}
	}
	if msg := err.Error(); !strings.Contains(msg, "3 attempt(s)") || !strings.Contains(msg, "POST") {
		t.Errorf("message %q", msg)
	}
}

// TestGET504RetriedBodyIntact: the 504s before a success are drained and
// closed; the 200's body arrives whole.
func TestGET504RetriedBodyIntact(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("0123456789abcdef", 4096) // 64 KiB
	g := newGateway(t, gw504, gw504, answer{status: 200, body: big})
	ct := newCounting(t)
	rt := transport.New(ct, fast()...)
	resp, err, as := do(t, rt, newRequest(t, "GET", g.URL+"/orders/1", nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, resp.Body); got != big {
		t.Errorf("body: got %d bytes, want %d", len(got), len(big))
	}
	resp.Body.Close()
	if len(as) != 3 || as[2].Status != 200 || as[0].Status != 504 {
		t.Errorf("attempts %+v", as)
	}
	if n := ct.open(); n != 0 {
		t.Errorf("%d of %d bodies left open", n, ct.responses())
	}
	// 3 undrained; 2 only when net/http's own 50 ms wait for the write
	// ran out on a loaded machine (see TestConnectionReuse).
	if n := g.newConns.Load(); n < 1 || n > 2 {
		t.Errorf("%d connections opened for 3 responses, want 1 (reused)", n)
	}
}

// TestConnectionReuse: every response body the transport discards is
// closed, and the connection goes back to the pool, over many requests.
func TestConnectionReuse(t *testing.T) {
	t.Parallel()
	errBody := `{"message": "Endpoint request timed out"}` + strings.Repeat(" ", 2000) // over PeekBytes, under the drain limit
	g := newGateway(t, answer{status: 504, body: errBody, errType: "InternalServerErrorException"})
	ct := newCounting(t)
	rt := transport.New(ct, fast()...)
	for i := 0; i < 5; i++ {
		resp, err, _ := do(t, rt, newRequest(t, "GET", g.URL, nil))
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, resp.Body); got != errBody {
			t.Fatalf("body of the returned 504: %d bytes", len(got))
		}
		resp.Body.Close()
	}
	if got := ct.responses(); got != 15 {
		t.Errorf("%d responses, want 15", got)
	}
	if n := ct.open(); n != 0 {
		t.Errorf("%d bodies left open", n)
	}
	// Undrained bodies would cost a connection per response (15). One is
	// the rule; net/http itself gives up reusing a connection whose
	// request write it has not seen finish within 50 ms
	// (maxWriteWaitBeforeConnReuse), which a loaded machine under -race
	// can hit: a second or third connection is that, not a leak.
	if n := g.newConns.Load(); n < 1 || n > 3 {
		t.Errorf("%d connections opened for 15 responses, want 1 (at most 3 on a loaded machine)", n)
	}
}
