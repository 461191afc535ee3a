package transport_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/retryscope/retryscope/transport"
)

// TestTraceSpanPerAttempt pins the span contract (otelx's package doc,
// "Spans") through the real transport: one CLIENT span per attempt
// carrying the request id the server saw, an INTERNAL span for the logical
// request once it is retried, all in one trace, the resend count on
// resends, the reach, and each attempt's own traceparent on the wire.
func TestTraceSpanPerAttempt(t *testing.T) {
	var (
		mu          sync.Mutex
		seenIDs     []string
		seenParents []string
		calls       int
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		seenIDs = append(seenIDs, r.Header.Get("x-amzn-RequestId"))
		seenParents = append(seenParents, r.Header.Get("traceparent"))
		mu.Unlock()
		if n == 1 {
			w.Header().Set("x-amzn-ErrorType", "InternalServerErrorException")
			w.Header().Set("X-Amzn-Trace-Id", "Root=1-67891233-abcdef012345678912345678")
			w.WriteHeader(http.StatusGatewayTimeout)
			io.WriteString(w, `{"message": "Endpoint request timed out"}`)
			return
		}
		w.Header().Set("x-amzn-RequestId", r.Header.Get("x-amzn-RequestId"))
		io.WriteString(w, "ok")
	}))
	defer srv.Close()

	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	client := &http.Client{Transport: transport.New(nil,
		transport.WithTracerProvider(tp),
		transport.WithPropagator(propagation.TraceContext{}),
		transport.WithPolicy(fastPolicy()),
	)}
	resp, err := client.Get(srv.URL + "/orders?token=secret")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	spans := exp.GetSpans()
	if len(spans) != 3 {
		t.Fatalf("want 3 spans (1 logical, 2 attempts), got %d", len(spans))
	}
	var logical tracetest.SpanStub
	var attempts []tracetest.SpanStub
	for _, s := range spans {
		switch s.SpanKind {
		case trace.SpanKindInternal:
			logical = s
		case trace.SpanKindClient:
			attempts = append(attempts, s)
		}
	}
	if len(attempts) != 2 || !logical.SpanContext.IsValid() {
		t.Fatalf("want 1 INTERNAL and 2 CLIENT spans, got %+v", spans)
	}
	for i, a := range attempts {
		// The caller has no span: the first attempt is the root, the
		// logical span (started for the retry) its child, the retry the
		// logical span's child; one trace.
		switch {
		case a.SpanContext.TraceID() != logical.SpanContext.TraceID():
			t.Errorf("attempt %d is not in the logical span's trace", i+1)
		case i == 0 && (a.Parent.IsValid() || logical.Parent.SpanID() != a.SpanContext.SpanID()):
			t.Errorf("attempt 1 is not the root and the logical span's parent")
		case i > 0 && a.Parent.SpanID() != logical.SpanContext.SpanID():
			t.Errorf("attempt %d is not a child of the logical span", i+1)
		}
		attrs := attrMap(a.Attributes)
		if got := attrs["aws.request_id"]; got != seenIDs[i] {
			t.Errorf("attempt %d aws.request_id = %q, server saw %q", i+1, got, seenIDs[i])
		}
		if !strings.Contains(seenParents[i], a.SpanContext.SpanID().String()) {
			t.Errorf("attempt %d sent traceparent %q, not its own span %s", i+1, seenParents[i], a.SpanContext.SpanID())
		}
		if strings.Contains(attrs["url.full"], "secret") {
			t.Errorf("url.full leaks the query value: %q", attrs["url.full"])
		}
		_, hasResend := attrs["http.request.resend_count"]
		if hasResend != (i > 0) {
			t.Errorf("attempt %d: http.request.resend_count present=%v", i+1, hasResend)
		}
	}
	if got := attrMap(attempts[0].Attributes)["retryscope.reach"]; got != "backend_timeout" {
		t.Errorf("first attempt reach = %q, want backend_timeout", got)
	}
	if got := attrMap(attempts[1].Attributes)["retryscope.reach"]; got != "backend" {
		t.Errorf("second attempt reach = %q, want backend", got)
	}
}

func attrMap(kvs []attribute.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.Emit()
	}
	return m
}
