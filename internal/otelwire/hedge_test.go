package otelwire_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/retryscope/retryscope/internal/otelwire"
	"github.com/retryscope/retryscope/policy"
)

// Hedges run attempts at the same time: one Request serves them all.
func TestConcurrentHedges(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, otelwire.Config{})
	orig, _ := http.NewRequest(http.MethodGet, "https://api.example.com/x", nil)
	ctx, r := rec.StartRequest(context.Background(), orig, time.Now())
	const n = 8
	var wg sync.WaitGroup
	for i := 1; i <= n; i++ {
		wg.Go(func() {
			req := orig.Clone(ctx)
			req.Header.Set("X-Amzn-RequestId", sentID(i)) // a UUID, which a REST API adopts
			_, a := r.StartAttempt(ctx, req, i, i > 1)
			r.Refused(policy.RuleBudget, "api.example.com")
			a.End(otelwire.AttemptResult{Response: &http.Response{StatusCode: 200, Header: http.Header{}},
				Outcome: policy.Outcome{Reach: policy.ReachBackend, Cause: policy.CauseOK}})
			rec.BreakerTransition("api.example.com", "closed", "open")
		})
	}
	wg.Wait()
	r.End(&http.Response{StatusCode: 200}, nil, n)
	ended := rec.spans.Ended()
	if len(ended) != n+1 {
		t.Fatalf("%d spans, want %d", len(ended), n+1)
	}
	logical := ended[n]
	ids := map[string]bool{}
	for _, s := range ended[:n] {
		// The first attempt is the logical span's parent when it started
		// first, its child otherwise; all are in one trace.
		child := s.Parent().SpanID() == logical.SpanContext().SpanID()
		parent := logical.Parent().SpanID() == s.SpanContext().SpanID()
		if s.SpanContext().TraceID() != logical.SpanContext().TraceID() || !(child || parent && attrs(s.Attributes())["http.request.resend_count"].AsInt64() == 0) {
			t.Errorf("attempt %s is neither a child of the logical span nor the first attempt, its parent", s.SpanContext().SpanID())
		}
		ids[attrs(s.Attributes())["aws.request_id"].AsString()] = true
	}
	if len(ids) != n || len(logical.Events()) != n {
		t.Errorf("%d distinct request ids and %d refusal events, want %d each", len(ids), len(logical.Events()), n)
	}
}
