package transport_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// logLines parses the JSON lines a slog.JSONHandler wrote.
func logLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// TestLogger: one JSON line per attempt with the documented keys; never a
// query value, the userinfo or the Authorization header.
func TestLogger(t *testing.T) {
	t.Parallel()
	const root = "1-5759e988-bd862e3fe1be46a994272793"
	g := newGateway(t, gw504.with("X-Amzn-Trace-Id", "Root="+root), ok200)
	var buf syncBuffer
	rt := transport.New(newBase(t), fast(transport.WithLogger(slog.New(slog.NewJSONHandler(&buf, nil))))...)
	url := strings.Replace(g.URL, "http://", "http://alice:pa55word@", 1) + "/orders?token=s3cr3tq&page=2"
	req := newRequest(t, "GET", url, nil)
	req.Header.Set("Authorization", "Bearer s3cr3tauth")
	resp, err, as := do(t, rt, req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatal(resp, err)
	}
	out := buf.String()
	for _, secret := range []string{"s3cr3tq", "pa55word", "alice", "s3cr3tauth", "Bearer"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
	}
	lines := logLines(t, out)
	if len(lines) != 2 {
		t.Fatalf("%d lines:\n%s", len(lines), out)
	}
	keys := []string{"time", "level", "msg", "invocation_id", "attempt", "max_attempts", "hedge", "method", "url",
		"start", "duration_ms", "status", "reach", "cause", "request_id_sent", "request_id", "apigw_id",
		"retry", "wait_ms", "rule", "reason"}
	wantURL := "http://" + g.Listener.Addr().String() + "/orders?token=REDACTED&page=REDACTED"
	for i, l := range lines {
		for _, k := range keys {
			if _, ok := l[k]; !ok {
				t.Errorf("line %d lacks %q: %v", i+1, k, l)
			}
		}
		if l["msg"] != "attempt" || l["level"] != "INFO" || l["url"] != wantURL || l["method"] != "GET" {
			t.Errorf("line %d: %v", i+1, l)
		}
		if l["attempt"] != float64(i+1) || l["max_attempts"] != float64(3) {
			t.Errorf("line %d: attempt %v max %v", i+1, l["attempt"], l["max_attempts"])
		}
		if l["request_id_sent"] != as[i].RequestIDSent || l["request_id"] != as[i].RequestID || l["invocation_id"] != as[i].InvocationID {
			t.Errorf("line %d ids differ from the record", i+1)
		}
		if _, err := time.Parse(time.RFC3339Nano, l["start"].(string)); err != nil {
			t.Errorf("line %d start: %v", i+1, err)
		}
	}
	if l := lines[0]; l["status"] != float64(504) || l["reach"] != "backend_timeout" || l["cause"] != "integration_timeout" ||
		l["retry"] != true || l["rule"] != "retry" || l["trace_id"] != root {
		t.Errorf("line 1: %v", l)
	}
	if l := lines[1]; l["status"] != float64(200) || l["retry"] != false || l["rule"] != "not_retryable" {
		t.Errorf("line 2: %v", l)
	}
	if as[0].URL != wantURL || as[0].TraceID != root {
		t.Errorf("record url %q trace %q", as[0].URL, as[0].TraceID)
	}
}

// TestLoggerErrors: a failed attempt logs its error, without secrets.
func TestLoggerErrors(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	rt := transport.New(newBase(t), fast(transport.WithLogger(slog.New(slog.NewJSONHandler(&buf, nil))))...)
	url := strings.Replace(closedPortURL(t), "http://", "http://bob:hunter2@", 1) + "/?key=topsecret"
	_, err, _ := do(t, rt, newRequest(t, "POST", url, strings.NewReader("x")))
	if err == nil {
		t.Fatal("no error")
	}
	out := buf.String()
	lines := logLines(t, out)
	if len(lines) != 3 {
		t.Fatalf("%d lines", len(lines))
	}
	for i, l := range lines {
		if e, _ := l["error"].(string); !strings.Contains(e, "refused") || l["reach"] != "not_sent" || l["status"] != float64(0) {
			t.Errorf("line %d: %v", i+1, l)
		}
	}
	for _, secret := range []string{"hunter2", "topsecret", "bob"} {
		if strings.Contains(out, secret) || strings.Contains(err.Error(), secret) {
			t.Errorf("log or error contains %q", secret)
		}
	}
}

// TestRecordConcurrent: one Recorder shared by concurrent requests gets
// every attempt of each; requests without it record nothing.
func TestRecordConcurrent(t *testing.T) {
	t.Parallel()
	g := newGateway(t, byAttempt(map[string]answer{"1": gw504, "*": ok200}))
	rt := transport.New(newBase(t), fast()...)
	ctx, rec := transport.Record(context.Background())
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := rt.RoundTrip(newRequest(t, "GET", g.URL, nil).WithContext(ctx))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		}()
	}
	wg.Wait()
	as := rec.Attempts()
	if len(as) != 16 {
		t.Fatalf("%d attempts recorded, want 16", len(as))
	}
	invs := map[string]int{}
	for _, a := range as {
		invs[a.InvocationID]++
	}
	if len(invs) != 8 {
		t.Errorf("%d invocation ids, want 8", len(invs))
	}
	as[0].Rule = policy.Rule("changed")
	if rec.Attempts()[0].Rule == policy.Rule("changed") {
		t.Error("Attempts returned the recorder's own slice")
	}
}

// TestErrorListsAttempts: *Error names the method and redacted URL, lists
// the attempts, and unwraps to the last error.
func TestErrorListsAttempts(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) { return nil, boom })
	rt := transport.New(base, fast()...)
	_, err := rt.RoundTrip(newRequest(t, "GET", "http://u:p@example.invalid/x?q=secret", nil))
	var te *transport.Error
	if !errors.As(err, &te) {
		t.Fatalf("%T", err)
	}
	if !errors.Is(err, boom) || te.Unwrap() != boom || te.Err != boom {
		t.Errorf("does not unwrap: %v", err)
	}
	if len(te.Attempts) != 3 {
		t.Errorf("%d attempts", len(te.Attempts))
	}
	msg := err.Error()
	for _, want := range []string{"GET", "http://example.invalid/x?q=REDACTED", "3 attempt(s)", "boom"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "secret") || strings.Contains(msg, "u:p") {
		t.Errorf("message leaks: %q", msg)
	}
	noAttempt := &transport.Error{Err: transport.ErrCircuitOpen}
	if noAttempt.Error() != "retryscope: no attempt sent: "+transport.ErrCircuitOpen.Error() {
		t.Errorf("%q", noAttempt.Error())
	}
}

// TestAttemptString: the one-line description.
func TestAttemptString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a    transport.Attempt
		want string
	}{
		{transport.Attempt{Number: 1, Status: 504, Duration: 29 * time.Second, Reach: policy.ReachBackendTimeout,
			RequestID: "r-1", Retry: true, Wait: 150 * time.Millisecond, Reason: "timeout"},
			"attempt 1: 504 in 29s, reach backend_timeout, request id r-1; retry after 150ms: timeout"},
		{transport.Attempt{Number: 2, Hedge: true, Err: errors.New("refused"), Reach: policy.ReachNotSent,
			RequestIDSent: "22222222-2222-4222-8222-222222222222", Reason: "not retried"},
			"attempt 2 (hedge): refused in 0s, reach not_sent, request id 22222222-2222-4222-8222-222222222222; stop: not retried"},
		{transport.Attempt{Number: 3, Status: 200, Reach: policy.ReachBackend, HTTPAPIRequestID: "h-3"},
			"attempt 3: 200 in 0s, reach backend, request id h-3; stop"},
		// An HTTP API does not adopt the id sent: the one it answered is its id.
		{transport.Attempt{Number: 4, Status: 503, Reach: policy.ReachBackendTimeout,
			RequestIDSent: "44444444-4444-4444-8444-444444444444", HTTPAPIRequestID: "h-4"},
			"attempt 4: 503 in 0s, reach backend_timeout, request id h-4; stop"},
		// A REST API replaces an id that is not a UUID: with no answer the
		// gateway's id is unknown, and the one sent is not it.
		{transport.Attempt{Number: 5, Err: errors.New("reset"), Reach: policy.ReachUnknown, RequestIDSent: "s-5"},
			"attempt 5: reset in 0s, reach unknown; stop"},
	}
	for _, tt := range tests {
		if got := tt.a.String(); got != tt.want {
			t.Errorf("got  %q\nwant %q", got, tt.want)
		}
	}
}

// TestTraceHeaderMalformed: a malformed X-Amzn-Trace-Id, sent or answered,
// is recorded as no trace, never a panic; a valid Root is found whatever the
// case of its key and whatever else the header holds (internal/xray's rules).
func TestTraceHeaderMalformed(t *testing.T) {
	t.Parallel()
	const root = "1-5759e988-bd862e3fe1be46a994272793"
	for v, want := range map[string]string{
		";;;": "", "Root": "", "Root=": "", "=;=": "", "Parent=abc;Sampled=1": "",
		"Root=1-a-b;Root=2":                      "",
		"root=" + root + ";sampled=0":            root,
		"Self=x;garbage; Root=" + root + " ;x=y": root,
	} {
		g := newGateway(t, ok200.with("X-Amzn-Trace-Id", v))
		rt := transport.New(newBase(t), fast()...)
		req := newRequest(t, "GET", g.URL, nil)
		req.Header.Set("X-Amzn-Trace-Id", v)
		resp, err, as := do(t, rt, req)
		if err != nil || resp.StatusCode != 200 || len(as) != 1 {
			t.Fatalf("%q: %v %v", v, resp, err)
		}
		if as[0].TraceID != want {
			t.Errorf("%q: trace %q, want %q", v, as[0].TraceID, want)
		}
	}
}

// TestBugZeroErrorPanics pins a bug: Error() of a zero *Error (a caller's
// own, in a test double) dereferenced its nil Err.
func TestBugZeroErrorPanics(t *testing.T) {
	t.Parallel()
	if got := (&transport.Error{}).Error(); got != "retryscope: no attempt sent: <nil>" {
		t.Errorf("%q", got)
	}
}
