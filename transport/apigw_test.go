package transport_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/retryscope/retryscope/apigwtest"
	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// The tests in this file run the transport against apigwtest, the
// API Gateway + Lambda emulator, and check its ground truth: how many times
// the function really ran. The time scale of 0.01 turns the 29 s
// integration timeout into 290 ms, enough headroom on a loaded machine.
const apigwScale = 0.01

// slowFirst is a function whose invocations listed in slow run 31 s
// (emulated), past the integration timeout, and the others answer at once.
// It counts the invocations that completed.
type slowFirst struct {
	mu    sync.Mutex
	n     int
	slow  map[int]bool
	ran   atomic.Int32
	bodys []string
}

func (f *slowFirst) handle(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	f.mu.Lock()
	f.n++
	slow := f.slow[f.n]
	f.bodys = append(f.bodys, req.Body)
	f.mu.Unlock()
	if slow {
		if err := apigwtest.Sleep(ctx, 31*time.Second); err != nil {
			return events.APIGatewayProxyResponse{}, err
		}
	}
	f.ran.Add(1)
	return events.APIGatewayProxyResponse{StatusCode: 201, Body: `{"order":"created"}`}, nil
}

func newEmulator(t *testing.T, fn apigwtest.Handler, opts ...apigwtest.Option) *apigwtest.Server {
	t.Helper()
	s := apigwtest.NewServer(fn, append([]apigwtest.Option{apigwtest.WithTimeScale(apigwScale)}, opts...)...)
	t.Cleanup(s.Close)
	return s
}

// TestAPIGatewayPOST504NotRetried: a POST that gets API Gateway's 504 is not
// retried, and the emulator's ground truth shows why: the function ran, once,
// after the client had its 504. The client's request id is the gateway's.
func TestAPIGatewayPOST504NotRetried(t *testing.T) {
	t.Parallel()
	f := &slowFirst{slow: map[int]bool{1: true}}
	s := newEmulator(t, f.handle)
	rt := transport.New(newBase(t), fast()...)
	resp, err, as := do(t, rt, newRequest(t, "POST", s.URL+"/orders", strings.NewReader(`{"item":"book"}`)))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 504 || readAll(t, resp.Body) != `{"message": "Endpoint request timed out"}` {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if rules(as) != "unsafe" || as[0].Reach != policy.ReachBackendTimeout || as[0].Cause != policy.CauseIntegrationTimeout {
		t.Errorf("attempt %+v", as[0])
	}
	s.Wait()
	invs := s.Invocations()
	if len(invs) != 1 || f.ran.Load() != 1 {
		t.Fatalf("%d invocations, %d completed; want exactly 1", len(invs), f.ran.Load())
	}
	inv := invs[0]
	if !inv.RanAfterTimeout || !inv.GatewayTimedOut {
		t.Errorf("ground truth: %+v", inv)
	}
	if inv.RequestID != as[0].RequestIDSent || inv.RequestID != as[0].RequestID {
		t.Errorf("gateway request id %q; sent %q, answered %q", inv.RequestID, as[0].RequestIDSent, as[0].RequestID)
	}
	if inv.ExtendedRequestID == "" || inv.ExtendedRequestID != as[0].ExtendedRequestID {
		t.Errorf("extended request id %q vs %q", inv.ExtendedRequestID, as[0].ExtendedRequestID)
	}
	if as[0].TraceID == "" || !strings.Contains(inv.TraceID, as[0].TraceID) {
		t.Errorf("trace: recorded %q, function got %q", as[0].TraceID, inv.TraceID)
	}
}

// TestAPIGatewayGET504Retried: a GET is retried after the 504; each
// attempt is its own invocation, found by the request id the client chose.
func TestAPIGatewayGET504Retried(t *testing.T) {
	t.Parallel()
	f := &slowFirst{slow: map[int]bool{1: true}}
	s := newEmulator(t, f.handle)
	rt := transport.New(newBase(t), fast()...)
	resp, err, as := do(t, rt, newRequest(t, "GET", s.URL+"/orders/1", nil))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 201 || readAll(t, resp.Body) != `{"order":"created"}` {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if rules(as) != "retry,not_retryable" {
		t.Errorf("rules %s", rules(as))
	}
	s.Wait()
	invs := s.Invocations()
	if len(invs) != 2 {
		t.Fatalf("%d invocations", len(invs))
	}
	for i, inv := range invs {
		if inv.RequestID != as[i].RequestIDSent {
			t.Errorf("invocation %d: request id %q, attempt sent %q", i+1, inv.RequestID, as[i].RequestIDSent)
		}
		if v := inv.Header.Get("Amz-Sdk-Invocation-Id"); v != as[0].InvocationID {
			t.Errorf("invocation %d: invocation id %q", i+1, v)
		}
	}
	if !invs[0].RanAfterTimeout || invs[1].GatewayTimedOut {
		t.Errorf("ground truth: %+v / %+v", invs[0], invs[1])
	}
}

// TestAPIGatewayIdempotencyKeys: with keys, the POST is retried after its
// 504 and every invocation carries the same key, so the function can tell
// the retry from a new order.
func TestAPIGatewayIdempotencyKeys(t *testing.T) {
	t.Parallel()
	f := &slowFirst{slow: map[int]bool{1: true}}
	s := newEmulator(t, f.handle)
	rt := transport.New(newBase(t), fast(transport.WithIdempotencyKeys())...)
	resp, err, as := do(t, rt, newRequest(t, "POST", s.URL+"/orders", strings.NewReader(`{"item":"book"}`)))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 201 || rules(as) != "retry,not_retryable" {
		t.Fatalf("status %d rules %s", resp.StatusCode, rules(as))
	}
	s.Wait()
	invs := s.Invocations()
	if len(invs) != 2 {
		t.Fatalf("%d invocations", len(invs))
	}
	key := invs[0].Header.Get("Idempotency-Key")
	if key == "" || invs[1].Header.Get("Idempotency-Key") != key {
		t.Errorf("keys %q and %q", key, invs[1].Header.Get("Idempotency-Key"))
	}
	for i, b := range f.bodys {
		if b != `{"item":"book"}` {
			t.Errorf("invocation %d body %q", i+1, b)
		}
	}
}

// byAttemptFault gives each attempt number its own fault.
func byAttemptFault(faults map[string]apigwtest.Fault) apigwtest.Option {
	return apigwtest.WithFaultFunc(func(m apigwtest.Moment) apigwtest.Fault {
		n, _, _ := strings.Cut(strings.TrimPrefix(m.Header.Get("Amz-Sdk-Request"), "attempt="), ";")
		return faults[n]
	})
}

// TestAPIGatewayLambdaThrottled: Lambda's throttle reaches the client as a
// gateway 500; the function did not run, so even a POST is retried, and it
// runs exactly once.
func TestAPIGatewayLambdaThrottled(t *testing.T) {
	t.Parallel()
	f := &slowFirst{}
	s := newEmulator(t, f.handle, byAttemptFault(map[string]apigwtest.Fault{"1": {Outage: apigwtest.OutageThrottle}}))
	rt := transport.New(newBase(t), fast()...)
	resp, err, as := do(t, rt, newRequest(t, "POST", s.URL+"/orders", strings.NewReader("{}")))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 201 || rules(as) != "retry,not_retryable" || as[0].Status != 500 || as[0].Reach != policy.ReachGateway {
		t.Fatalf("status %d rules %s first %+v", resp.StatusCode, rules(as), as[0])
	}
	s.Wait()
	st := s.Stats()
	if st.Invocations != 1 || st.LambdaThrottled != 1 || f.ran.Load() != 1 {
		t.Errorf("stats %+v, ran %d", st, f.ran.Load())
	}
}

// TestAPIGatewayFunctionError: a 502 function error means the function ran
// and failed: a GET is retried (3 attempts against a function that always
// fails), a POST without a key is not, and its function ran once.
func TestAPIGatewayFunctionError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		method, rules string
		requests      int64
	}{{"GET", "retry,retry,max_attempts", 3}, {"POST", "unsafe", 1}} {
		method := tc.method
		f := &slowFirst{}
		s := newEmulator(t, f.handle, apigwtest.WithFault(apigwtest.Fault{Outage: apigwtest.OutageFunctionError}))
		rt := transport.New(newBase(t), fast()...)
		resp, err, as := do(t, rt, newRequest(t, method, s.URL+"/orders", nil))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 502 || rules(as) != tc.rules || as[0].Cause != policy.CauseFunctionError {
			t.Errorf("%s: status %d rules %s cause %s", method, resp.StatusCode, rules(as), as[0].Cause)
		}
		if n := s.Stats().Requests; n != tc.requests {
			t.Errorf("%s: %d requests, want %d", method, n, tc.requests)
		}
	}
}

// TestAPIGatewayHTTPAPI: an HTTP API answers its timeout with 503 and names
// its request id apigw-requestid; a GET is retried, a POST is not.
func TestAPIGatewayHTTPAPI(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		method string
		rules  string
		runs   int
	}{{"GET", "retry,not_retryable", 2}, {"POST", "unsafe", 1}} {
		f := &slowFirst{slow: map[int]bool{1: true}}
		s := newEmulator(t, f.handle, apigwtest.WithHTTPAPI())
		rt := transport.New(newBase(t), fast()...)
		resp, err, as := do(t, rt, newRequest(t, tt.method, s.URL+"/orders", nil))
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp.Body)
		if rules(as) != tt.rules || as[0].Status != 503 || as[0].Cause != policy.CauseIntegrationTimeout || as[0].HTTPAPIRequestID == "" {
			t.Errorf("%s: rules %s first %+v", tt.method, rules(as), as[0])
		}
		// The transport sent a UUID in x-amzn-RequestId, which an HTTP API
		// does not adopt: the attempt's id is the apigw-requestid answered.
		if id := as[0].APIGatewayRequestID(); as[0].RequestIDSent == "" || id != as[0].HTTPAPIRequestID ||
			!strings.Contains(as[0].String(), "request id "+as[0].HTTPAPIRequestID) {
			t.Errorf("%s: sent %q, apigw-requestid %q, APIGatewayRequestID %q, String %q",
				tt.method, as[0].RequestIDSent, as[0].HTTPAPIRequestID, id, as[0].String())
		}
		s.Wait()
		if n := len(s.Invocations()); n != tt.runs {
			t.Errorf("%s: %d invocations, want %d", tt.method, n, tt.runs)
		}
	}
}

// TestAPIGatewayOutageBreaker: during a timeout outage the default breaker
// opens and the gateway stops receiving requests.
func TestAPIGatewayOutageBreaker(t *testing.T) {
	t.Parallel()
	f := &slowFirst{}
	s := newEmulator(t, f.handle, apigwtest.WithFault(apigwtest.Fault{Outage: apigwtest.OutageTimeout}),
		apigwtest.WithCloseGrace(10*time.Millisecond))
	rt := transport.New(newBase(t), transport.WithPolicy(fastPolicy()), transport.WithFailFast())
	refused := 0
	for i := 0; i < 6; i++ {
		resp, err := rt.RoundTrip(newRequest(t, "GET", s.URL+"/orders", nil))
		switch {
		case errors.Is(err, transport.ErrCircuitOpen):
			refused++
		case err != nil:
			t.Fatal(err)
		default:
			resp.Body.Close()
		}
	}
	if refused == 0 {
		t.Fatal("the breaker never opened")
	}
	if n := s.Stats().Requests; n != transport.DefaultBreakerConsecutiveFailures {
		t.Errorf("the gateway received %d requests, want %d", n, transport.DefaultBreakerConsecutiveFailures)
	}
}
