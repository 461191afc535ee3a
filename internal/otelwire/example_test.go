package otelwire_test

import (
	"context"
	"fmt"
	"net/http"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/retryscope/retryscope/internal/otelwire"
	"github.com/retryscope/retryscope/policy"
)

// The calls the transport makes for a logical request whose first attempt
// meets a 504 and whose second succeeds, recorded in memory.
func ExampleNew() {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	defer tp.Shutdown(context.Background())
	in := otelwire.New(otelwire.Config{TracerProvider: tp, RequestHeaders: []string{"Accept", "Authorization"}})

	orig, _ := http.NewRequest(http.MethodGet, "https://api.example.com/prod/items?key=secret", nil)
	ctx, r := in.StartRequest(context.Background(), orig, time.Now())
	for n, status := range []int{504, 200} {
		req := orig.Clone(ctx)
		req.Header.Set("X-Amzn-RequestId", fmt.Sprintf("2f6c3a9e-0000-4000-8000-00000000000%d", n+1))
		_, a := r.StartAttempt(ctx, req, n+1, false) // injects traceparent into req.Header
		// ... send req ...
		resp := &http.Response{StatusCode: status, Header: http.Header{}}
		a.End(otelwire.AttemptResult{Response: resp, Duration: 29 * time.Second,
			Outcome:  policy.Outcome{Reach: policy.ReachBackendTimeout, Cause: policy.CauseIntegrationTimeout},
			Decision: policy.Decision{Retry: status == 504, Rule: policy.RuleRetry}})
		if status == 200 {
			r.End(resp, nil, n+1)
		}
	}

	for _, s := range spans.Ended() {
		fmt.Println(s.Name(), s.SpanKind())
		for _, kv := range s.Attributes() {
			switch kv.Key {
			case "url.full", "aws.request_id", "http.response.status_code", "http.request.resend_count":
				fmt.Printf("  %s=%s\n", kv.Key, kv.Value.Emit())
			}
		}
	}
	// Output:
	// GET client
	//   url.full=https://api.example.com/prod/items?key=REDACTED
	//   aws.request_id=2f6c3a9e-0000-4000-8000-000000000001
	//   http.response.status_code=504
	// GET client
	//   url.full=https://api.example.com/prod/items?key=REDACTED
	//   http.request.resend_count=1
	//   aws.request_id=2f6c3a9e-0000-4000-8000-000000000002
	//   http.response.status_code=200
	// retryscope GET internal
	//   http.response.status_code=200
}
