package transport_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/retryscope/retryscope/transport"
)

// TestBugHeaderCaseIdempotencyKey: a caller's Idempotency-Key set under a
// name that is not in Go's canonical form (req.Header["idempotency-key"],
// which net/http sends as it is) is the caller's key: the transport adds
// none of its own, the server sees one key, the caller's, on every attempt,
// and the POST is retried because it carries a key.
func TestBugHeaderCaseIdempotencyKey(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw504, ok200)
	rt := transport.New(newBase(t), fast(transport.WithIdempotencyKeys())...)
	req := newRequest(t, "POST", g.URL, nil)
	req.Header["idempotency-key"] = []string{`"caller-key"`}
	_, err, as := do(t, rt, req)
	if err != nil {
		t.Fatal(err)
	}
	got := g.seen()
	if len(got) != 2 {
		t.Fatalf("%d requests (%s), want 2: a POST with a key is retried after a 504", len(got), rules(as))
	}
	for i, s := range got {
		if v := s.Header.Values("Idempotency-Key"); len(v) != 1 || v[0] != `"caller-key"` {
			t.Errorf("attempt %d: server saw Idempotency-Key %q, want only the caller's", i+1, v)
		}
	}
	if _, ok := req.Header["Idempotency-Key"]; ok || len(req.Header) != 1 {
		t.Errorf("the caller's header was modified: %v", req.Header)
	}
}

// TestBugHeaderCaseCorrelation: the correlation headers the transport reads
// and sets, set by the caller under lower-case names, are neither
// duplicated nor ignored: the caller's invocation id and amz-sdk-request
// are kept, its request id goes with the first attempt only, and a
// traceparent is replaced by the attempt's own.
func TestBugHeaderCaseCorrelation(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw504, ok200)
	tp := sdktrace.NewTracerProvider()
	defer tp.Shutdown(context.Background())
	rt := transport.New(newBase(t), fast(
		transport.WithTracerProvider(tp),
		transport.WithPropagator(propagation.TraceContext{}),
	)...)
	const (
		inv    = "11111111-2222-4333-8444-555555555555"
		rid    = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
		parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	)
	req := newRequest(t, "GET", g.URL, nil)
	req.Header["amz-sdk-invocation-id"] = []string{inv}
	req.Header["x-amzn-requestid"] = []string{rid}
	req.Header["amz-sdk-request"] = []string{"attempt=1; max=1"}
	req.Header["traceparent"] = []string{parent}
	_, err, as := do(t, rt, req)
	if err != nil {
		t.Fatal(err)
	}
	got := g.seen()
	if len(got) != 2 || len(as) != 2 {
		t.Fatalf("%d requests, %d attempts", len(got), len(as))
	}
	for i, s := range got {
		one := func(name string) string {
			v := s.Header.Values(name)
			if len(v) != 1 {
				t.Errorf("attempt %d: %d values of %s sent: %q", i+1, len(v), name, v)
				return ""
			}
			return v[0]
		}
		if v := one("Amz-Sdk-Invocation-Id"); v != inv {
			t.Errorf("attempt %d: invocation id %q, want the caller's", i+1, v)
		}
		if v := one("Amz-Sdk-Request"); v != "attempt=1; max=1" {
			t.Errorf("attempt %d: amz-sdk-request %q, want the caller's", i+1, v)
		}
		id := one("X-Amzn-Requestid")
		if (i == 0) != (id == rid) {
			t.Errorf("attempt %d: request id %q (the caller's is %q: first attempt only)", i+1, id, rid)
		}
		if as[i].RequestIDSent != id || as[i].InvocationID != inv {
			t.Errorf("attempt %d record: sent %q inv %q; wire %q/%q", i+1, as[i].RequestIDSent, as[i].InvocationID, id, inv)
		}
		if v := one("Traceparent"); v == parent {
			t.Errorf("attempt %d: the caller's traceparent was sent, not the attempt's", i+1)
		}
	}
}

// TestHeaderCaseTraceID: an X-Amzn-Trace-Id the caller set under a
// lower-case name is sent once and its Root recorded.
func TestHeaderCaseTraceID(t *testing.T) {
	t.Parallel()
	g := newGateway(t, ok200)
	rt := transport.New(newBase(t), fast()...)
	const root = "1-5759e988-bd862e3fe1be46a994272793"
	req := newRequest(t, "GET", g.URL, nil)
	req.Header["x-amzn-trace-id"] = []string{"Root=" + root + ";Parent=53995c3f42cd8ad8;Sampled=1"}
	_, err, as := do(t, rt, req)
	if err != nil {
		t.Fatal(err)
	}
	if v := g.seen()[0].Header.Values("X-Amzn-Trace-Id"); len(v) != 1 {
		t.Errorf("%d trace headers sent: %q", len(v), v)
	}
	if len(as) != 1 || as[0].TraceID != root {
		t.Errorf("recorded trace id %q, want %q", as[0].TraceID, root)
	}
}
