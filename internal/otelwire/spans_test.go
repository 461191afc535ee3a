package otelwire_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/retryscope/retryscope/internal/otelwire"
	"github.com/retryscope/retryscope/policy"
)

const (
	secretURL = "https://user:pass@api.example.com/prod/items?token=secret&page=2"
	// safeURL is url.full of secretURL: its userinfo written as
	// REDACTED:REDACTED, as the HTTP conventions ask, its query values
	// redacted.
	safeURL  = "https://REDACTED:REDACTED@api.example.com/prod/items?token=REDACTED&page=REDACTED"
	xrayRoot = "1-67891233-abcdef012345678912345678"
)

func response(status int, h map[string]string) *http.Response {
	r := &http.Response{StatusCode: status, Header: http.Header{}}
	for k, v := range h {
		r.Header.Set(k, v)
	}
	return r
}

// step is one attempt of the simulated logical request.
type step struct {
	name  string
	hedge bool
	resp  *http.Response
	body  string
	err   error

	wantStatus  codes.Code
	wantErrType string
	wantReach   policy.Reach
	wantID      string // aws.request_id after End
	wantExtID   string
	wantRoot    string
	noDecision  bool
}

func steps() []step {
	return []step{
		{name: "504 integration timeout",
			resp: response(504, map[string]string{
				"X-Amzn-RequestId": "id-1", "X-Amz-Apigw-Id": "ext-1=", "X-Amzn-Trace-Id": "Root=" + xrayRoot,
				"X-Amzn-ErrorType": "InternalServerErrorException", "Content-Type": "application/json", "Set-Cookie": "s=secret"}),
			body:       `{"message": "Endpoint request timed out"}`,
			wantStatus: codes.Error, wantErrType: "504", wantReach: policy.ReachBackendTimeout,
			wantID: "id-1", wantExtID: "ext-1=", wantRoot: xrayRoot},
		{name: "attempt timeout",
			err:        fmt.Errorf("Get %q: %w", secretURL, context.DeadlineExceeded),
			wantStatus: codes.Error, wantErrType: "attempt_timeout", wantReach: policy.ReachUnknown, wantID: sentID(2)},
		// An HTTP API logs its own id (apigw-requestid); the
		// x-amzn-RequestId next to it came from behind it. An HTTP API
		// names no error type, so its 429 does not show that the gateway
		// made it: reach unknown.
		{name: "429 throttled by an HTTP API",
			resp:       response(429, map[string]string{"X-Amzn-RequestId": "replaced-3", "Apigw-Requestid": "ext-3"}),
			body:       `{"message":"Too Many Requests"}`,
			wantStatus: codes.Error, wantErrType: "429", wantReach: policy.ReachUnknown,
			wantID: "ext-3", wantExtID: "ext-3"},
		{name: "connection refused, never sent",
			err: &net.OpError{Op: "dial", Net: "tcp",
				Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}},
			wantStatus: codes.Error, wantErrType: "connection_refused", wantReach: policy.ReachNotSent, wantID: sentID(4)},
		// A plain success records its reach and status, no cause and no
		// decision ("not retried" says nothing a 200 does not).
		{name: "success", noDecision: true,
			resp:       response(200, map[string]string{"X-Amzn-RequestId": "id-5", "X-Amz-Apigw-Id": "ext-5="}),
			wantStatus: codes.Unset, wantReach: policy.ReachBackend, wantID: "id-5", wantExtID: "ext-5="},
		{name: "hedge, canceled", hedge: true, noDecision: true,
			err:        context.Canceled,
			wantStatus: codes.Error, wantErrType: "canceled", wantReach: policy.ReachUnknown, wantID: sentID(6)},
	}
}

// sentID is the x-amzn-RequestId attempt n sends: a UUID, as a REST API
// adopts.
func sentID(n int) string { return fmt.Sprintf("2f6c3a9e-0000-4000-8000-%012d", n) }

// simulate runs one logical request through rec as the transport would and
// returns the traceparent each attempt carried.
func simulate(t *testing.T, in *otelwire.Instrumentation, ss []step) []string {
	t.Helper()
	orig, err := http.NewRequest(http.MethodGet, secretURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	orig.Header.Set("Authorization", "Bearer secret")
	orig.Header.Set("Proxy-Authorization", "Basic secret")
	orig.Header.Set("Cookie", "session=secret")
	orig.Header.Set("X-Api-Key", "secret")
	orig.Header.Set("X-Auth-Token", "secret")
	orig.Header.Set("mySession", "secret") // canonical "Mysession": one word
	orig.Header.Set("Accept", "application/json")

	pol := policy.Default()
	pol.Rand = func(int64) int64 { return 0 }
	ctx, lr := in.StartRequest(context.Background(), orig, time.Now())
	var parents []string
	var last *http.Response
	for i, s := range ss {
		req := orig.Clone(ctx)
		req.Header.Set("X-Amzn-RequestId", sentID(i+1))
		actx, a := lr.StartAttempt(ctx, req, i+1, s.hedge)
		if trace.SpanContextFromContext(actx).SpanID() == trace.SpanContextFromContext(ctx).SpanID() {
			t.Errorf("%s: StartAttempt returned the logical span's context", s.name)
		}
		parents = append(parents, req.Header.Get("traceparent"))
		if orig.Header.Get("traceparent") != "" {
			t.Fatal("StartAttempt modified the caller's request")
		}
		now := time.Now()
		o := pol.Classify(policy.Exchange{Request: req, Response: s.resp, Body: []byte(s.body), Err: s.err, Now: now})
		var d policy.Decision
		if !s.noDecision {
			d = pol.Decide(policy.State{Method: req.Method, Replayable: true, Attempts: 1, Start: now}, o, now)
		}
		a.End(otelwire.AttemptResult{Response: s.resp, Err: s.err, Duration: 20 * time.Millisecond, Outcome: o, Decision: d})
		if s.resp != nil {
			last = s.resp
		}
	}
	lr.Refused(policy.RuleBudget, "api.example.com")
	lr.End(last, nil, len(ss))
	return parents
}

func TestSpanTree(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, otelwire.Config{
		RequestHeaders:  []string{"Authorization", "cookie", "X-API-KEY", "Proxy-Authorization", "x-auth-token", "mySession", "Accept", "x-amzn-requestid"},
		ResponseHeaders: []string{"Set-Cookie", "Content-Type"},
	})
	ss := steps()
	parents := simulate(t, rec.Instrumentation, ss)

	ended := rec.spans.Ended()
	if len(ended) != len(ss)+1 {
		t.Fatalf("got %d spans, want %d", len(ended), len(ss)+1)
	}
	logical := ended[len(ended)-1]
	checkLogical(t, logical, len(ss))
	for i, s := range ss {
		span := ended[i]
		t.Run(s.name, func(t *testing.T) {
			checkAttempt(t, span, logical, i+1, s)
			checkPropagated(t, span, parents[i])
		})
	}
}

func checkLogical(t *testing.T, span sdktrace.ReadOnlySpan, attempts int) {
	t.Helper()
	if span.Name() != "retryscope GET" || span.SpanKind() != trace.SpanKindInternal {
		t.Errorf("logical span: %q %v, want \"retryscope GET\" internal", span.Name(), span.SpanKind())
	}
	a := attrs(span.Attributes())
	if got := a["retryscope.attempts"].AsInt64(); got != int64(attempts) {
		t.Errorf("retryscope.attempts = %d, want %d", got, attempts)
	}
	for _, k := range []string{"url.full", "http.request.method", "server.address", "server.port"} {
		if v, ok := a[attributeKey(k)]; ok {
			t.Errorf("logical span has %s=%s: the HTTP request attributes are the attempts'", k, v.Emit())
		}
	}
	if got := a["http.response.status_code"].AsInt64(); got != 200 {
		t.Errorf("logical status code = %d, want 200", got)
	}
	if span.Status().Code != codes.Unset {
		t.Errorf("logical status = %v, want unset", span.Status())
	}
	ev := span.Events()
	if len(ev) != 1 || ev[0].Name != otelwire.EventRefused {
		t.Fatalf("logical events = %v, want one %s", ev, otelwire.EventRefused)
	}
	if ea := attrs(ev[0].Attributes); ea["retryscope.refusal"].AsString() != "budget" || ea["server.address"].AsString() != "api.example.com" {
		t.Errorf("refusal event attributes = %v", ev[0].Attributes)
	}
}

func checkAttempt(t *testing.T, span, logical sdktrace.ReadOnlySpan, n int, s step) {
	t.Helper()
	if span.Name() != "GET" || span.SpanKind() != trace.SpanKindClient {
		t.Errorf("attempt span: %q %v, want \"GET\" client", span.Name(), span.SpanKind())
	}
	switch {
	case span.SpanContext().TraceID() != logical.SpanContext().TraceID():
		t.Errorf("attempt span is not in the logical span's trace")
	case n == 1 && (span.Parent().IsValid() || logical.Parent().SpanID() != span.SpanContext().SpanID()):
		// The caller has no span: the first attempt is the root, and the
		// logical span, started for the second, its child.
		t.Errorf("first attempt: parent %v, logical span's parent %v; want a root, parent of the logical span", span.Parent().SpanID(), logical.Parent().SpanID())
	case n > 1 && span.Parent().SpanID() != logical.SpanContext().SpanID():
		t.Errorf("attempt span is not a child of the logical span")
	}
	a := attrs(span.Attributes())
	want := map[string]any{
		"http.request.method":                  "GET",
		"url.full":                             safeURL,
		"server.address":                       "api.example.com",
		"server.port":                          int64(443),
		"aws.request_id":                       s.wantID,
		"retryscope.reach":                     string(s.wantReach),
		"http.request.header.accept":           []string{"application/json"},
		"http.request.header.x-amzn-requestid": []string{sentID(n)},
	}
	if n > 1 {
		want["http.request.resend_count"] = int64(n - 1)
	} else if _, ok := a["http.request.resend_count"]; ok {
		t.Errorf("http.request.resend_count set on the first attempt")
	}
	if s.resp != nil {
		want["http.response.status_code"] = int64(s.resp.StatusCode)
	}
	if s.wantErrType != "" {
		want["error.type"] = s.wantErrType
	} else if v, ok := a["error.type"]; ok {
		t.Errorf("error.type = %v on a success", v.Emit())
	}
	if s.wantExtID != "" {
		want["aws.extended_request_id"] = s.wantExtID
	}
	if s.wantRoot != "" {
		want["aws.xray.trace_id"] = s.wantRoot
	}
	if s.hedge {
		want["retryscope.hedge"] = true
	} else if _, ok := a["retryscope.hedge"]; ok {
		t.Errorf("retryscope.hedge set on a non-hedge")
	}
	if s.noDecision {
		for _, k := range []attribute.Key{"retryscope.decision", "retryscope.retry"} {
			if _, ok := a[k]; ok {
				t.Errorf("%s set without a decision", k)
			}
		}
		if _, ok := a["retryscope.cause"]; ok && s.wantErrType == "" {
			t.Errorf("retryscope.cause set on a plain success")
		}
	} else {
		retry := s.wantReach != policy.ReachBackend
		want["retryscope.retry"] = retry
		if retry {
			want["retryscope.decision"] = "retry"
		} else {
			want["retryscope.decision"] = "not_retryable"
		}
		if _, ok := a["retryscope.retry.wait_ms"]; ok != retry {
			t.Errorf("retryscope.retry.wait_ms present = %v, want %v", ok, retry)
		}
	}
	for k, w := range want {
		v, ok := a[attributeKey(k)]
		if !ok {
			t.Errorf("%s missing", k)
			continue
		}
		if got := v.AsInterface(); fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("%s = %v, want %v", k, got, w)
		}
	}
	if span.Status().Code != s.wantStatus {
		t.Errorf("status = %v, want %v", span.Status(), s.wantStatus)
	}
	checkRedacted(t, span)
}

// checkRedacted fails if a credential or its header appears anywhere on the span.
func checkRedacted(t *testing.T, span sdktrace.ReadOnlySpan) {
	t.Helper()
	all := append([]string{span.Status().Description}, kvStrings(span.Attributes())...)
	for _, e := range span.Events() {
		all = append(all, kvStrings(e.Attributes)...)
	}
	for _, s := range all {
		l := strings.ToLower(s)
		for _, bad := range []string{"secret", "pass", "authorization", "cookie", "x-api-key"} {
			if strings.Contains(l, bad) {
				t.Errorf("recorded %q, which contains %q", s, bad)
			}
		}
	}
}

func checkPropagated(t *testing.T, span sdktrace.ReadOnlySpan, traceparent string) {
	t.Helper()
	h := http.Header{}
	h.Set("traceparent", traceparent)
	sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), propagation.HeaderCarrier(h)))
	if !sc.IsValid() || sc.SpanID() != span.SpanContext().SpanID() || sc.TraceID() != span.SpanContext().TraceID() {
		t.Errorf("traceparent %q does not carry the attempt span %s", traceparent, span.SpanContext().SpanID())
	}
}

// An attempt whose URL is not its request's starts with its own url.full
// and server attributes; one to the request's URL starts with the
// request's, however many attempts share them.
func TestAttemptStartsWithItsOwnURL(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, otelwire.Config{})
	orig, _ := http.NewRequest(http.MethodGet, "https://api.example.com/orders?key=s3cr3t", nil)
	_, r := rec.StartRequest(context.Background(), orig, time.Now())
	moved, _ := http.NewRequest(http.MethodGet, "http://other.example.net:8080/v2/orders?key=s3cr3t", nil)
	for n, req := range []*http.Request{orig, moved, orig.Clone(context.Background())} {
		_, a := r.StartAttempt(context.Background(), req, n+1, false)
		a.End(otelwire.AttemptResult{Err: errors.New("no answer")})
	}
	r.End(nil, errors.New("no answer"), 3)
	want := []struct {
		full, host string
		port       int64
	}{
		{"https://api.example.com/orders?key=REDACTED", "api.example.com", 443},
		{"http://other.example.net:8080/v2/orders?key=REDACTED", "other.example.net", 8080},
		{"https://api.example.com/orders?key=REDACTED", "api.example.com", 443},
	}
	var clients []sdktrace.ReadOnlySpan
	for _, s := range rec.spans.Ended() {
		if s.SpanKind() == trace.SpanKindClient {
			clients = append(clients, s)
		}
	}
	if len(clients) != len(want) {
		t.Fatalf("%d attempt spans, want %d", len(clients), len(want))
	}
	for i, w := range want {
		a := attrs(clients[i].Attributes())
		if a["url.full"].AsString() != w.full || a["server.address"].AsString() != w.host || a["server.port"].AsInt64() != w.port {
			t.Errorf("attempt %d: url.full %q, server %q:%d; want %q, %q:%d", i+1,
				a["url.full"].AsString(), a["server.address"].AsString(), a["server.port"].AsInt64(), w.full, w.host, w.port)
		}
	}
}
