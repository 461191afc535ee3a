package otelwire_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/retryscope/retryscope/internal/otelwire"
	"github.com/retryscope/retryscope/policy"
)

// runLayout sends one logical request of the given number of attempts (0: none)
// under ctx, refusing a further one when refuse is set, and returns the
// ended spans in order.
func runLayout(t *testing.T, ctx context.Context, attempts int, refuse bool, start time.Time) []sdktrace.ReadOnlySpan {
	t.Helper()
	rec := newRecorder(t, otelwire.Config{})
	orig, _ := http.NewRequest(http.MethodGet, "https://api.example.com/x", nil)
	ctx, r := rec.StartRequest(ctx, orig, start)
	resp := &http.Response{StatusCode: 200, Header: http.Header{}}
	for n := 1; n <= attempts; n++ {
		_, a := r.StartAttempt(ctx, orig.Clone(ctx), n, false)
		a.End(otelwire.AttemptResult{Response: resp, Outcome: policy.Outcome{Reach: policy.ReachBackend, Cause: policy.CauseOK}})
	}
	var err error
	if refuse {
		r.Refused(policy.RuleCircuitOpen, "api.example.com")
		if attempts == 0 {
			resp, err = nil, errors.New("circuit breaker open")
		}
	}
	r.End(resp, err, attempts)
	return rec.spans.Ended()
}

// callerSpan is a context with a span of the caller's own.
func callerSpan(t *testing.T) (context.Context, trace.SpanContext) {
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	ctx, span := tp.Tracer("caller").Start(context.Background(), "handler")
	return ctx, span.SpanContext()
}

// TestLayout pins the span layout: a request its first attempt answers is
// that attempt's CLIENT span alone (as otelhttp records it), the child of
// the caller's span or a root; a second attempt starts the INTERNAL
// logical span, from the request's start, as the child of the caller's
// span or, without one, of the first attempt, so that every attempt stays
// in one trace; a refusal starts it too.
func TestLayout(t *testing.T) {
	t.Parallel()
	start := time.Now().Add(-time.Second)

	t.Run("one attempt, no caller span", func(t *testing.T) {
		ended := runLayout(t, context.Background(), 1, false, start)
		if len(ended) != 1 || ended[0].SpanKind() != trace.SpanKindClient || ended[0].Parent().IsValid() {
			t.Fatalf("spans %v, want one root CLIENT span", names(ended))
		}
	})
	t.Run("one attempt under the caller's span", func(t *testing.T) {
		ctx, caller := callerSpan(t)
		ended := runLayout(t, ctx, 1, false, start)
		if len(ended) != 1 || ended[0].Parent().SpanID() != caller.SpanID() || ended[0].SpanContext().TraceID() != caller.TraceID() {
			t.Fatalf("spans %v, want one CLIENT span, the caller's child", names(ended))
		}
	})
	t.Run("retried under the caller's span", func(t *testing.T) {
		ctx, caller := callerSpan(t)
		ended := runLayout(t, ctx, 3, false, start)
		if len(ended) != 4 {
			t.Fatalf("spans %v, want 3 attempts and the logical span", names(ended))
		}
		first, logical := ended[0], ended[3]
		if logical.SpanKind() != trace.SpanKindInternal || logical.Parent().SpanID() != caller.SpanID() || first.Parent().SpanID() != caller.SpanID() {
			t.Errorf("the logical span and the first attempt are not the caller's children")
		}
		for _, s := range ended[1:3] {
			if s.Parent().SpanID() != logical.SpanContext().SpanID() {
				t.Errorf("a later attempt is not the logical span's child")
			}
		}
		for _, s := range ended {
			if s.SpanContext().TraceID() != caller.TraceID() {
				t.Errorf("%s is not in the caller's trace", s.Name())
			}
		}
		if !logical.StartTime().Equal(start) {
			t.Errorf("the logical span starts at %v, want the request's start %v", logical.StartTime(), start)
		}
		if got := attrs(logical.Attributes())["retryscope.attempts"].AsInt64(); got != 3 {
			t.Errorf("retryscope.attempts = %d", got)
		}
	})
	t.Run("retried without a caller span", func(t *testing.T) {
		ended := runLayout(t, context.Background(), 2, false, start)
		if len(ended) != 3 {
			t.Fatalf("spans %v", names(ended))
		}
		first, second, logical := ended[0], ended[1], ended[2]
		if first.Parent().IsValid() || logical.Parent().SpanID() != first.SpanContext().SpanID() ||
			second.Parent().SpanID() != logical.SpanContext().SpanID() {
			t.Errorf("want first attempt (root) > logical span > second attempt")
		}
		if first.SpanContext().TraceID() != second.SpanContext().TraceID() || logical.SpanContext().TraceID() != first.SpanContext().TraceID() {
			t.Errorf("the attempts are not in one trace")
		}
	})
	t.Run("refused before any attempt", func(t *testing.T) {
		ended := runLayout(t, context.Background(), 0, true, start)
		if len(ended) != 1 || ended[0].SpanKind() != trace.SpanKindInternal {
			t.Fatalf("spans %v, want the logical span alone", names(ended))
		}
		if s := ended[0]; s.Status().Code != codes.Error || len(s.Events()) != 1 || s.Events()[0].Name != otelwire.EventRefused {
			t.Errorf("status %v, events %v", s.Status(), s.Events())
		}
	})
	t.Run("a retry refused", func(t *testing.T) {
		ended := runLayout(t, context.Background(), 1, true, start)
		if len(ended) != 2 || ended[1].SpanKind() != trace.SpanKindInternal || len(ended[1].Events()) != 1 ||
			ended[1].Parent().SpanID() != ended[0].SpanContext().SpanID() {
			t.Fatalf("spans %v, want the attempt and, its child, the logical span with the refusal", names(ended))
		}
	})
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name()+" "+s.SpanKind().String())
	}
	return out
}
