package transport_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/retryscope/retryscope/apigwtest"
	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// throttlesFirst is a function that answers its first invocation with its
// own 429, in the words API Gateway uses for its throttle, and creates an
// order on every later one. It counts its runs.
type throttlesFirst struct {
	runs atomic.Int32
}

func (f *throttlesFirst) handle(_ context.Context, _ events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	if f.runs.Add(1) == 1 {
		return events.APIGatewayProxyResponse{StatusCode: 429, Body: `{"message":"Too Many Requests"}`,
			Headers: map[string]string{"Content-Type": "application/json"}}, nil
	}
	return events.APIGatewayProxyResponse{StatusCode: 201, Body: `{"order":"created"}`}, nil
}

// TestAPIGatewayFunction429: a 429 the function itself returns through a
// REST API's proxy integration comes with the gateway's ids and no
// x-amzn-ErrorType. The function ran, so the attempt's reach is backend,
// and a POST without an Idempotency-Key is not retried: the emulator's
// ground truth shows the one run a retry would have doubled. With a key,
// or for a GET, it is retried.
func TestAPIGatewayFunction429(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		method string
		keys   bool
		rules  string
		status int
		runs   int32
	}{
		{"POST", "POST", false, "unsafe", 429, 1},
		{"POST with key", "POST", true, "retry,not_retryable", 201, 2},
		{"GET", "GET", false, "retry,not_retryable", 201, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := &throttlesFirst{}
			s := newEmulator(t, f.handle)
			opts := fast(transport.WithoutSendRate())
			if tc.keys {
				opts = append(opts, transport.WithIdempotencyKeys())
			}
			rt := transport.New(newBase(t), opts...)
			resp, err, as := do(t, rt, newRequest(t, tc.method, s.URL+"/orders", strings.NewReader(`{"item":"book"}`)))
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp.Body)
			if resp.StatusCode != tc.status || rules(as) != tc.rules {
				t.Fatalf("status %d rules %s, want %d %s (first attempt: %s)", resp.StatusCode, rules(as), tc.status, tc.rules, as[0].String())
			}
			if as[0].Status != 429 || as[0].Reach != policy.ReachBackend || as[0].Cause != policy.CauseThrottled {
				t.Errorf("first attempt %d reach %s cause %s, want 429 backend throttled", as[0].Status, as[0].Reach, as[0].Cause)
			}
			s.Wait()
			if got, st := f.runs.Load(), s.Stats(); got != tc.runs || st.Invocations != int64(tc.runs) || st.Throttled != 0 {
				t.Errorf("the function ran %d times (%d invocations, %d gateway throttles), want %d, 0 throttles", got, st.Invocations, st.Throttled, tc.runs)
			}
		})
	}
}

// TestAPIGatewayThrottleOrigin: API Gateway's own throttle (every request
// finds the token bucket empty) still lets a POST be retried on a REST
// API, whose 429 names TooManyRequestsException, and the function never
// runs. An HTTP API names no error type, so its 429 cannot be told from
// the function's own: a POST without a key is not retried, a GET is.
func TestAPIGatewayThrottleOrigin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		http   bool
		method string
		rules  string
		reach  policy.Reach
	}{
		{"REST POST", false, "POST", "retry,retry,max_attempts", policy.ReachGateway},
		{"HTTP API POST", true, "POST", "unsafe", policy.ReachUnknown},
		{"HTTP API GET", true, "GET", "retry,retry,max_attempts", policy.ReachUnknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := &throttlesFirst{}
			opts := []apigwtest.Option{apigwtest.WithThrottle(0, 0)}
			if tc.http {
				opts = append(opts, apigwtest.WithHTTPAPI())
			}
			s := newEmulator(t, f.handle, opts...)
			rt := transport.New(newBase(t), fast(transport.WithoutSendRate())...)
			resp, err, as := do(t, rt, newRequest(t, tc.method, s.URL+"/orders", strings.NewReader("{}")))
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp.Body)
			if resp.StatusCode != 429 || rules(as) != tc.rules {
				t.Fatalf("status %d rules %s, want 429 %s", resp.StatusCode, rules(as), tc.rules)
			}
			for _, a := range as {
				if a.Reach != tc.reach || a.Cause != policy.CauseThrottled {
					t.Errorf("attempt %d: reach %s cause %s, want %s throttled", a.Number, a.Reach, a.Cause, tc.reach)
				}
			}
			if st := s.Stats(); st.Invocations != 0 || f.runs.Load() != 0 || st.Throttled != int64(len(as)) {
				t.Errorf("stats %+v, function runs %d: want every attempt throttled by the gateway, no run", st, f.runs.Load())
			}
		})
	}
}
