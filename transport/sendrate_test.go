package transport_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/retryscope/retryscope/apigwtest"
	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// A retry after a throttle is made only when the host's send rate has a
// slot for it before the caller's deadline (the first attempt goes before
// any throttle: nothing is paced yet).
// The host always answers 429; the send rate, cut to its floor of one send
// a second, has the next slot a second after the first retry.
func TestThrottleRetryNeedsASendSlot(t *testing.T) {
	for _, tc := range []struct {
		name     string
		deadline time.Duration // 0: none
		rules    string
	}{
		{"500 ms deadline: no slot for the second retry", 500 * time.Millisecond, "retry,deadline"},
		{"no deadline: the retries wait for their slots", 0, "retry,retry,retry,max_attempts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var sent []time.Time
				rt := pacedTransport(&sent, 4, policy.SendRateConfig{Period: time.Second, Min: 1})
				ctx := context.Background()
				if tc.deadline > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tc.deadline)
					defer cancel()
				}
				req, _ := http.NewRequestWithContext(ctx, "GET", "http://api.example/x", nil)
				resp, err, as := do(t, rt, req)
				if err != nil || resp.StatusCode != 429 {
					t.Fatalf("status %v, err %v", resp, err)
				}
				if got := rules(as); got != tc.rules {
					t.Errorf("rules %s, want %s", got, tc.rules)
				}
				// The first retry goes at once (the rate's first slot), each
				// later one a second after the one before.
				for i := 2; i < len(sent); i++ {
					if gap := sent[i].Sub(sent[i-1]); gap != time.Second {
						t.Errorf("attempt %d went %v after the one before, want 1s", i+1, gap)
					}
				}
			})
		})
	}
}

// After a host throttles, a first attempt waits for its slot of the send
// rate too, and a request whose slot comes after its caller's deadline is
// not sent at all: ErrThrottledLocally, no attempt, at once. Against the
// emulator's gateway, whose bucket holds one token and never refills: the
// first request takes it, the second meets a 429 and cuts the send rate
// to 0.7 of the 2 sends measured in the first tenth of its 10 s period,
// 14 per period (a slot every 714 ms), whose first slot goes to the third
// request. The fourth, with a 300 ms deadline, has no slot in time: it
// fails without waiting for its deadline (its error does not wrap
// context.DeadlineExceeded). That it fails at once, no time passing, is
// TestFirstAttemptWaitsForItsSlot's, in virtual time; over a real network
// a loaded machine can stretch any "at once".
func TestFirstAttemptNeedsASendSlotAfterAThrottle(t *testing.T) {
	fn := func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: "ok"}, nil
	}
	srv := apigwtest.NewServer(fn, apigwtest.WithThrottle(0, 1))
	defer srv.Close()
	hb := &http.Transport{}
	defer hb.CloseIdleConnections()
	var sent atomic.Int32
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent.Add(1)
		return hb.RoundTrip(r)
	})
	p := fastPolicy()
	p.MaxAttempts = 1 // the first attempts alone
	rt := transport.New(base, transport.WithPolicy(p), transport.WithoutBreaker(), transport.WithoutBudget(),
		transport.WithSendRate(policy.SendRateConfig{Period: 10 * time.Second}))
	get := func(deadline time.Duration) (*http.Response, error) {
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/orders", nil)
		resp, err := rt.RoundTrip(req)
		if resp != nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return resp, err
	}
	for i, want := range []int{200, 429, 429} {
		resp, err := get(5 * time.Second)
		if err != nil || resp.StatusCode != want {
			t.Fatalf("request %d: %v, %v; want status %d", i+1, resp, err, want)
		}
	}
	resp, err := get(300 * time.Millisecond)
	var te *transport.Error
	if resp != nil || !errors.Is(err, transport.ErrThrottledLocally) || !errors.As(err, &te) || len(te.Attempts) != 0 {
		t.Fatalf("request 4: %v, %v; want ErrThrottledLocally with no attempt", resp, err)
	}
	if te.ErrorType() != "throttled_locally" {
		t.Errorf("ErrorType = %q, want throttled_locally", te.ErrorType())
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("request 4: %v; it waited for its slot until its deadline, want it refused without waiting", err)
	}
	if n := sent.Load(); n != 3 {
		t.Errorf("%d attempts reached the network, want 3 (request 4 not sent)", n)
	}
}

// A 429 for a usage plan's quota ("Limit Exceeded") does not engage the
// send rate: the quota resets on its own schedule, pacing does not lift
// it, and each caller gets the gateway's own answer, not
// ErrThrottledLocally.
func TestQuotaExceededDoesNotPace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sent := 0
		base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			sent++
			const body = `{"message":"Limit Exceeded"}`
			return &http.Response{StatusCode: 429, Request: r, ContentLength: int64(len(body)),
				Header: http.Header{"Content-Type": {"application/json"}, "X-Amzn-Errortype": {"LimitExceededException"}},
				Body:   io.NopCloser(strings.NewReader(body))}, nil
		})
		rt := transport.New(base, transport.WithPolicy(fastPolicy()), transport.WithoutBreaker(), transport.WithoutBudget(),
			transport.WithSendRate(policy.SendRateConfig{Period: time.Second}))
		for i := range 3 {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			req, _ := http.NewRequestWithContext(ctx, "GET", "http://api.example/x", nil)
			resp, err := rt.RoundTrip(req)
			if err != nil || resp.StatusCode != 429 {
				t.Fatalf("request %d: %v, %v; want the gateway's 429", i+1, resp, err)
			}
			resp.Body.Close()
			cancel()
		}
		if sent != 3 {
			t.Errorf("%d attempts sent, want 3 (one per request, none paced)", sent)
		}
	})
}

// After a 429 a first attempt waits for its slot of the send rate, when
// the slot comes before its caller's deadline, and is not sent when it
// does not: then it fails at once, no time passing. The first 429 cuts the
// rate to 0.7 of the one send measured: a slot every 1.428571428 s, the
// first at once.
func TestFirstAttemptWaitsForItsSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var sent []time.Time
		rt := pacedTransport(&sent, 1, policy.SendRateConfig{Period: time.Second})
		t0 := time.Now()
		for i, tc := range []struct {
			deadline time.Duration // 0: none
			sent     bool
			at       time.Duration // when it was sent, from t0
		}{
			{0, true, 0},                        // engages the rate
			{0, true, 0},                        // the first slot
			{0, true, 1428571428},               // waits for the next
			{100 * time.Millisecond, false, 0},  // its slot, 1.43 s on, is past its deadline
			{2 * time.Second, true, 2857142856}, // the slot the one before did not take
		} {
			ctx := context.Background()
			cancel := context.CancelFunc(func() {})
			if tc.deadline > 0 {
				ctx, cancel = context.WithTimeout(ctx, tc.deadline)
			}
			req, _ := http.NewRequestWithContext(ctx, "GET", "http://api.example/x", nil)
			n := len(sent)
			start := time.Now()
			resp, err := rt.RoundTrip(req)
			took := time.Since(start)
			cancel()
			if resp != nil {
				resp.Body.Close()
			}
			switch {
			case tc.sent && (err != nil || len(sent) != n+1):
				t.Fatalf("request %d: %v, %d sent; want sent", i+1, err, len(sent)-n)
			case tc.sent && sent[n].Sub(t0) != tc.at:
				t.Errorf("request %d sent at %v, want %v", i+1, sent[n].Sub(t0), tc.at)
			case !tc.sent && (!errors.Is(err, transport.ErrThrottledLocally) || len(sent) != n || took != 0):
				t.Errorf("request %d: %v, %d sent, after %v; want ErrThrottledLocally, nothing sent, at once", i+1, err, len(sent)-n, took)
			}
		}
	})
}

// pacedTransport is a transport with the send rate cfg, attempts attempts
// in all, no breaker and no budget, over a base that answers every
// request 429 Too Many Requests and notes in sent when each went.
func pacedTransport(sent *[]time.Time, attempts int, cfg policy.SendRateConfig) http.RoundTripper {
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		*sent = append(*sent, time.Now())
		return &http.Response{StatusCode: 429, Header: http.Header{}, Request: r,
			Body: io.NopCloser(strings.NewReader(`{"message":"Too Many Requests"}`))}, nil
	})
	p := fastPolicy()
	p.MaxAttempts = attempts
	return transport.New(base, transport.WithPolicy(p), transport.WithoutBreaker(), transport.WithoutBudget(),
		transport.WithSendRate(cfg))
}

// A caller that gives up while its request waits for a slot of the send
// rate ends the wait at once: nothing sent, ErrThrottledLocally wrapping
// the context's error.
func TestSlotWaitEndsWithTheCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var sent []time.Time
		rt := pacedTransport(&sent, 1, policy.SendRateConfig{Period: time.Second})
		for range 2 { // the 429 that engages the rate, and the first slot
			req, _ := http.NewRequest("GET", "http://api.example/x", nil)
			resp, err := rt.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://api.example/x", nil)
		t0 := time.Now()
		_, err := rt.RoundTrip(req)
		if !errors.Is(err, transport.ErrThrottledLocally) || !errors.Is(err, context.Canceled) || len(sent) != 2 {
			t.Errorf("%v, %d sent; want ErrThrottledLocally and context.Canceled, 2 sent", err, len(sent))
		}
		if el := time.Since(t0); el != 100*time.Millisecond {
			t.Errorf("the wait ended after %v, want 100ms (the cancellation)", el)
		}
	})
}
