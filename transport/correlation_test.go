package transport_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/retryscope/retryscope/transport"
)

func isUUIDv4(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u.Version() == 4 && u.Variant() == uuid.RFC4122 && len(s) == 36
}

// TestCorrelationHeaders: a fresh UUID x-amzn-RequestId on every attempt, one
// amz-sdk-invocation-id for all of them, amz-sdk-request counting attempts,
// and the records agree with what went on the wire.
func TestCorrelationHeaders(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw504, gw504, ok200)
	rt := transport.New(newBase(t), fast()...)
	_, err, as := do(t, rt, newRequest(t, "GET", g.URL, nil))
	if err != nil {
		t.Fatal(err)
	}
	got := g.seen()
	if len(got) != 3 || len(as) != 3 {
		t.Fatalf("%d requests, %d attempts", len(got), len(as))
	}
	ids := map[string]bool{}
	inv := got[0].Header.Get("Amz-Sdk-Invocation-Id")
	if !isUUIDv4(inv) {
		t.Errorf("invocation id %q is not a UUIDv4", inv)
	}
	for i, s := range got {
		id := s.Header.Get("X-Amzn-Requestid")
		if !isUUIDv4(id) {
			t.Errorf("attempt %d: x-amzn-RequestId %q is not a UUIDv4", i+1, id)
		}
		ids[id] = true
		if v := s.Header.Get("Amz-Sdk-Invocation-Id"); v != inv {
			t.Errorf("attempt %d: invocation id %q, want %q", i+1, v, inv)
		}
		if v, want := s.Header.Get("Amz-Sdk-Request"), fmt.Sprintf("attempt=%d; max=3", i+1); v != want {
			t.Errorf("attempt %d: amz-sdk-request %q, want %q", i+1, v, want)
		}
		if len(s.Header.Values("X-Amzn-Requestid")) != 1 {
			t.Errorf("attempt %d: %d request ids sent", i+1, len(s.Header.Values("X-Amzn-Requestid")))
		}
		a := as[i]
		if a.RequestIDSent != id || a.RequestID != s.RequestID || a.InvocationID != inv {
			t.Errorf("attempt %d record: sent %q answered %q inv %q; wire %q/%q/%q", i+1, a.RequestIDSent, a.RequestID, a.InvocationID, id, s.RequestID, inv)
		}
	}
	if len(ids) != 3 {
		t.Errorf("request ids not fresh per attempt: %v", ids)
	}
}

// TestCorrelationKeepsCallerValues: an invocation id, request id or
// amz-sdk-request the caller set is sent as it is (the request id on the
// first attempt; later attempts need their own).
func TestCorrelationKeepsCallerValues(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw504, ok200)
	rt := transport.New(newBase(t), fast()...)
	req := newRequest(t, "GET", g.URL, nil)
	const (
		inv = "11111111-2222-4333-8444-555555555555"
		rid = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
	)
	req.Header.Set("Amz-Sdk-Invocation-Id", inv)
	req.Header.Set("X-Amzn-RequestId", rid)
	req.Header.Set("Amz-Sdk-Request", "attempt=1; max=1")
	req.Header.Set("X-Custom", "kept")
	_, err, as := do(t, rt, req)
	if err != nil {
		t.Fatal(err)
	}
	got := g.seen()
	if len(got) != 2 {
		t.Fatalf("%d requests", len(got))
	}
	if v := got[0].Header.Get("X-Amzn-Requestid"); v != rid || as[0].RequestIDSent != rid {
		t.Errorf("first attempt sent request id %q (record %q), want the caller's %q", v, as[0].RequestIDSent, rid)
	}
	if v := got[1].Header.Get("X-Amzn-Requestid"); v == rid || !isUUIDv4(v) {
		t.Errorf("second attempt request id %q: want a fresh UUID", v)
	}
	for i, s := range got {
		if v := s.Header.Get("Amz-Sdk-Invocation-Id"); v != inv {
			t.Errorf("attempt %d: invocation id %q", i+1, v)
		}
		if v := s.Header.Get("X-Custom"); v != "kept" {
			t.Errorf("attempt %d: X-Custom %q", i+1, v)
		}
	}
	if as[0].InvocationID != inv {
		t.Errorf("record invocation id %q", as[0].InvocationID)
	}
}

// TestBugCallerAmzSdkRequestReplaced pins a bug: the transport overwrote
// an amz-sdk-request the caller had set, though WithCorrelation documents
// that a value the caller set is kept (an SDK counting its own attempts).
func TestBugCallerAmzSdkRequestReplaced(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw504, ok200)
	rt := transport.New(newBase(t), fast()...)
	req := newRequest(t, "GET", g.URL, nil)
	req.Header.Set("Amz-Sdk-Request", "attempt=1; max=1")
	if _, err, _ := do(t, rt, req); err != nil {
		t.Fatal(err)
	}
	got := g.seen()
	if len(got) != 2 {
		t.Fatalf("%d requests", len(got))
	}
	for i, s := range got {
		if v := s.Header.Values("Amz-Sdk-Request"); len(v) != 1 || v[0] != "attempt=1; max=1" {
			t.Errorf("attempt %d: amz-sdk-request %q, want the caller's", i+1, v)
		}
	}
}

// TestCorrelationOff: WithCorrelation(false) sends none of the headers.
func TestCorrelationOff(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw504, ok200)
	rt := transport.New(newBase(t), fast(transport.WithCorrelation(false))...)
	_, err, as := do(t, rt, newRequest(t, "GET", g.URL, nil))
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range g.seen() {
		for _, k := range []string{"X-Amzn-Requestid", "Amz-Sdk-Invocation-Id", "Amz-Sdk-Request", "Idempotency-Key"} {
			if v, ok := s.Header[k]; ok {
				t.Errorf("attempt %d sent %s: %q", i+1, k, v)
			}
		}
	}
	if len(as) != 2 || as[0].RequestIDSent != "" || as[0].InvocationID != "" || as[0].RequestID == "" {
		t.Errorf("records: %+v", as)
	}
}

// TestIdempotencyKeys: WithIdempotencyKeys makes a POST that timed out safe
// to retry: the same quoted key on every attempt.
func TestIdempotencyKeys(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw504, gw504, ok200)
	rt := transport.New(newBase(t), fast(transport.WithIdempotencyKeys())...)
	req := newRequest(t, "POST", g.URL+"/orders", strings.NewReader(`{"n":1}`))
	resp, err, as := do(t, rt, req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || rules(as) != "retry,retry,not_retryable" {
		t.Fatalf("status %d rules %s", resp.StatusCode, rules(as))
	}
	got := g.seen()
	key := got[0].Header.Get("Idempotency-Key")
	if len(key) != 38 || key[0] != '"' || key[37] != '"' || !isUUIDv4(key[1:37]) {
		t.Fatalf("key %q is not a quoted UUIDv4", key)
	}
	for i, s := range got {
		if v := s.Header.Values("Idempotency-Key"); len(v) != 1 || v[0] != key {
			t.Errorf("attempt %d key %q, want %q", i+1, v, key)
		}
		if string(s.Body) != `{"n":1}` {
			t.Errorf("attempt %d body %q", i+1, s.Body)
		}
	}
	if req.Header.Get("Idempotency-Key") != "" {
		t.Errorf("the caller's request was given a key")
	}

	// Every request gets its own key.
	_, _, _ = do(t, rt, newRequest(t, "POST", g.URL+"/orders", strings.NewReader(`{"n":2}`)))
	if k2 := g.seen()[3].Header.Get("Idempotency-Key"); k2 == key || k2 == "" {
		t.Errorf("second request's key %q, first %q", k2, key)
	}
}

// TestIdempotencyKeysKeepCallerKey: a caller's own key is never replaced,
// and GET/PUT get no key.
func TestIdempotencyKeysKeepCallerKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method, callerKey, want string
	}{
		{"POST", `"mine"`, `"mine"`},
		{"PATCH", "plain-token", "plain-token"},
		{"GET", "", ""},
		{"PUT", "", ""},
		{"DELETE", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			t.Parallel()
			g := newGateway(t, gw504, ok200)
			rt := transport.New(newBase(t), fast(transport.WithIdempotencyKeys())...)
			req := newRequest(t, tt.method, g.URL, strings.NewReader("b"))
			if tt.callerKey != "" {
				req.Header.Set("Idempotency-Key", tt.callerKey)
			}
			if _, err, _ := do(t, rt, req); err != nil {
				t.Fatal(err)
			}
			got := g.seen()
			if len(got) != 2 {
				t.Fatalf("%d requests, want 2", len(got))
			}
			for i, s := range got {
				if v := s.Header.Values("Idempotency-Key"); strings.Join(v, ",") != tt.want {
					t.Errorf("attempt %d key %q, want %q", i+1, v, tt.want)
				}
			}
		})
	}
}

// TestSDKRequestManyAttempts: amz-sdk-request counts past 9.
func TestSDKRequestManyAttempts(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw504)
	p := fastPolicy()
	p.MaxAttempts = 12
	rt := transport.New(newBase(t), transport.WithPolicy(p), transport.WithoutBreaker(), transport.WithoutBudget())
	if _, err, _ := do(t, rt, newRequest(t, "GET", g.URL, nil)); err != nil {
		t.Fatal(err)
	}
	got := g.seen()
	if len(got) != 12 {
		t.Fatalf("%d requests", len(got))
	}
	for i, s := range got {
		if v, want := s.Header.Get("Amz-Sdk-Request"), fmt.Sprintf("attempt=%d; max=12", i+1); v != want {
			t.Errorf("attempt %d: %q, want %q", i+1, v, want)
		}
	}
}
