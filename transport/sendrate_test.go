package transport_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// A retry after a throttle is made only when the host's send rate has a
// slot for it before the caller's deadline; first attempts are not paced.
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
				base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
					sent = append(sent, time.Now())
					return &http.Response{StatusCode: 429, Header: http.Header{}, Request: r,
						Body: io.NopCloser(strings.NewReader(`{"message":"Too Many Requests"}`))}, nil
				})
				p := fastPolicy()
				p.MaxAttempts = 4
				rt := transport.New(base, transport.WithPolicy(p), transport.WithoutBreaker(), transport.WithoutBudget(),
					transport.WithSendRate(policy.SendRateConfig{Period: time.Second, Min: 1}))
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
