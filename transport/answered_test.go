package transport

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/retryscope/retryscope/policy"
)

// TestAnsweredAsClassifyAndDecide: the success path's shortcut gives every
// answer it covers the outcome policy.Classify gives it, the decision
// policy.Decide gives after any state and the breaker's verdict, and covers
// nothing else.
func TestAnsweredAsClassifyAndDecide(t *testing.T) {
	t.Parallel()
	now := time.Now()
	states := []policy.State{
		{Method: http.MethodGet, Attempts: 1, Replayable: true, Start: now},
		{Method: http.MethodPost, Attempts: 3, Start: now.Add(-time.Minute), Deadline: now.Add(time.Second)},
		{Method: http.MethodPut, HasIdempotencyKey: true, Attempts: 4, Replayable: true, PrevWait: time.Second},
		{},
	}
	policies := map[string]policy.Policy{
		"default":        policy.Default(),
		"zero":           {},
		"max elapsed":    {MaxAttempts: 10, MaxElapsed: time.Millisecond, AssumeIdempotent: true},
		"own signatures": {Signatures: []policy.Signature{{Status: 200, Header: "X-Busy", Retryable: true, Cause: policy.CauseUnavailable}}},
	}
	for name, p := range policies {
		a := newAnswered(&p)
		if name == "own signatures" && a.on {
			t.Errorf("%s: the shortcut is on for a policy with signatures of its own", name)
		}
		for status := 0; status < 600; status++ {
			for _, h := range []http.Header{{}, {"Retry-After": {"3"}}, {"Content-Type": {"application/json"}}, {"Retry-After": {""}}} {
				resp := &http.Response{StatusCode: status, Header: h}
				req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://example.com/", nil)
				if !a.covers(resp) {
					if a.on && status >= 200 && status < 300 && len(h["Retry-After"]) == 0 {
						t.Errorf("%s: status %d, header %v: a plain answer is not covered", name, status, h)
					}
					continue
				}
				want := p.Classify(policy.Exchange{Request: req, Response: resp, Elapsed: time.Millisecond, Now: now})
				if a.outcome != want {
					t.Fatalf("%s: status %d, header %v: outcome %+v, Classify says %+v", name, status, h, a.outcome, want)
				}
				r := attemptResult{resp: resp, outcome: want}
				if got := r.breakerVerdict(); (got == nil) != a.success {
					t.Fatalf("%s: status %d, header %v: the breaker's verdict is %v, the shortcut says success %v", name, status, h, got, a.success)
				}
				for _, s := range states {
					if d := p.Decide(s, want, now); a.decision != d {
						t.Fatalf("%s: status %d, state %+v: decision %+v, Decide says %+v", name, status, s, a.decision, d)
					}
				}
			}
		}
	}
}
