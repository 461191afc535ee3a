package transport_test

// An audit of the attempt spans and http.client.request.duration against the
// HTTP semantic conventions of the pinned semconv package
// (go.opentelemetry.io/otel/semconv/v1.43.0), through the real transport,
// the SDK's span recorder and a ManualReader.

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

type semconvRig struct {
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	rt     http.RoundTripper
}

func newSemconvRig(t *testing.T, sampler sdktrace.Sampler, opts ...transport.Option) *semconvRig {
	return newSemconvRigBase(t, nil, sampler, opts...)
}

func newSemconvRigBase(t *testing.T, base http.RoundTripper, sampler sdktrace.Sampler, opts ...transport.Option) *semconvRig {
	t.Helper()
	r := &semconvRig{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	if sampler == nil {
		sampler = sdktrace.AlwaysSample()
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler), sdktrace.WithSpanProcessor(r.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	t.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	opts = append([]transport.Option{
		transport.WithTracerProvider(tp), transport.WithMeterProvider(mp),
		transport.WithPropagator(propagation.TraceContext{}), transport.WithPolicy(fastPolicy()),
	}, opts...)
	r.rt = transport.New(base, opts...)
	return r
}

func (r *semconvRig) clientSpans() []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range r.spans.Ended() {
		if s.SpanKind() == trace.SpanKindClient {
			out = append(out, s)
		}
	}
	return out
}

func (r *semconvRig) durationPoints(t *testing.T) (metricdata.Metrics, []metricdata.HistogramDataPoint[float64]) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == "http.client.request.duration" {
				return m, m.Data.(metricdata.Histogram[float64]).DataPoints
			}
		}
	}
	t.Fatal("no http.client.request.duration")
	return metricdata.Metrics{}, nil
}

func scAttrs(kvs []attribute.KeyValue) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

func sendOnce(t *testing.T, rt http.RoundTripper, ctx context.Context, method, url string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// QUERY is a known method in semconv v1.43.0 (HTTPRequestMethodQuery; the
// http.request.method note: "known" methods are RFC9110's, PATCH and "the
// QUERY method defined in [httpbis-safe-method-w-body]"). It must be
// recorded as itself, the span named "QUERY", with no method_original.
func TestSemconvQueryIsKnownMethod(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	rig := newSemconvRig(t, nil)
	sendOnce(t, rig.rt, context.Background(), "QUERY", srv.URL+"/search")

	spans := rig.clientSpans()
	if len(spans) != 1 {
		t.Fatalf("%d client spans", len(spans))
	}
	s := spans[0]
	a := scAttrs(s.Attributes())
	if s.Name() != "QUERY" {
		t.Errorf("span name %q, want QUERY", s.Name())
	}
	if got := a[semconv.HTTPRequestMethodKey].AsString(); got != semconv.HTTPRequestMethodQuery.Value.AsString() {
		t.Errorf("http.request.method = %q, want QUERY", got)
	}
	if v, ok := a[semconv.HTTPRequestMethodOriginalKey]; ok {
		t.Errorf("http.request.method_original = %q for a known method", v.AsString())
	}
	_, dps := rig.durationPoints(t)
	for _, dp := range dps {
		if v, _ := dp.Attributes.Value(semconv.HTTPRequestMethodKey); v.AsString() != "QUERY" {
			t.Errorf("metric http.request.method = %q, want QUERY", v.AsString())
		}
	}
}

// network.protocol.version is Recommended on HTTP client spans and on
// http.client.request.duration ("If protocol version is subject to
// negotiation ... SHOULD be set to the negotiated version"; semconv
// NetworkProtocolVersionKey, httpconv ClientRequestDuration.
// AttrNetworkProtocolVersion). otelhttp records resp.Proto's version.
func TestSemconvNetworkProtocolVersion(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	rig := newSemconvRig(t, nil)
	sendOnce(t, rig.rt, context.Background(), http.MethodGet, srv.URL+"/x")

	s := rig.clientSpans()[0]
	if got := scAttrs(s.Attributes())[semconv.NetworkProtocolVersionKey].AsString(); got != "1.1" {
		t.Errorf("span network.protocol.version = %q, want 1.1", got)
	}
	_, dps := rig.durationPoints(t)
	for _, dp := range dps {
		if v, _ := dp.Attributes.Value(semconv.NetworkProtocolVersionKey); v.AsString() != "1.1" {
			t.Errorf("metric network.protocol.version = %q, want 1.1 (%v)", v.AsString(), dp.Attributes.ToSlice())
		}
	}

	// HTTP/2 negotiated by ALPN: "2", the negotiated version.
	h2 := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	h2.EnableHTTP2 = true
	h2.StartTLS()
	defer h2.Close()
	rig2 := newSemconvRigBase(t, h2.Client().Transport, nil)
	if resp := sendOnce(t, rig2.rt, context.Background(), http.MethodGet, h2.URL+"/x"); resp.ProtoMajor != 2 {
		t.Fatalf("proto %s", resp.Proto)
	}
	if got := scAttrs(rig2.clientSpans()[0].Attributes())[semconv.NetworkProtocolVersionKey].AsString(); got != "2" {
		t.Errorf("h2 span network.protocol.version = %q, want 2", got)
	}
	if a := scAttrs(rig2.clientSpans()[0].Attributes()); a[semconv.ServerPortKey].AsInt64() == 0 {
		t.Errorf("h2 server.port %v", a[semconv.ServerPortKey].Emit())
	}
	// No response, no version.
	rig3 := newSemconvRig(t, nil, transport.WithPolicy(func() policy.Policy { p := fastPolicy(); p.MaxAttempts = 1; return p }()))
	req, _ := http.NewRequest(http.MethodGet, closedPortURL(t), nil)
	rig3.rt.RoundTrip(req)
	if v, ok := scAttrs(rig3.clientSpans()[0].Attributes())[semconv.NetworkProtocolVersionKey]; ok {
		t.Errorf("network.protocol.version %q without a response", v.AsString())
	}
}

// What the conventions ask and the project already does: method handling
// for unknown and wrong-case methods, server.address/port from the URL
// (IPv6 without brackets), url.full without credentials, resend_count,
// statuses and error.type per attempt, the duration histogram's unit,
// buckets and attribute set, and one traceparent per attempt naming that
// attempt's span, all in one trace with no caller span.
func TestSemconvAttemptSpans(t *testing.T) {
	var mu sync.Mutex
	var parents []string
	calls := 0
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		parents = append(parents, r.Header.Get("traceparent"))
		mu.Unlock()
		switch {
		case strings.HasPrefix(r.URL.Path, "/notfound"):
			w.WriteHeader(404)
		case strings.HasPrefix(r.URL.Path, "/redirect"):
			w.WriteHeader(304)
		case n == 1:
			w.WriteHeader(503)
		}
	}))
	srv.Start()
	defer srv.Close()
	rig := newSemconvRig(t, nil, transport.WithRecordedHeaders(
		[]string{"Authorization", "Cookie", "X-Api-Key", "X-My-Token", "X-Amz-Security-Token", "Accept"}, []string{"Set-Cookie"}))

	u := strings.Replace(srv.URL, "http://", "http://user:pa55@", 1) + "/items?sig=abc&X-Amz-Signature=s3cr3t&page=2"
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer s3cr3t")
	req.Header.Set("Cookie", "s=s3cr3t")
	req.Header.Set("X-Api-Key", "s3cr3t")
	req.Header.Set("X-My-Token", "s3cr3t")
	req.Header.Set("X-Amz-Security-Token", "s3cr3t")
	req.Header.Set("Accept", "application/json")
	resp, err := rig.rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sendOnce(t, rig.rt, context.Background(), "get", srv.URL+"/lower")
	sendOnce(t, rig.rt, context.Background(), "FOO", srv.URL+"/notfound")
	sendOnce(t, rig.rt, context.Background(), http.MethodGet, srv.URL+"/redirect")

	host, port := "127.0.0.1", int64(0)
	if i := strings.LastIndexByte(srv.URL, ':'); i > 0 {
		for _, c := range srv.URL[i+1:] {
			port = port*10 + int64(c-'0')
		}
	}
	all := rig.spans.Ended()
	cs := rig.clientSpans()
	if len(cs) != 5 {
		t.Fatalf("%d client spans, want 5 (503+200, get, FOO 404, 304)", len(cs))
	}
	for i, s := range cs {
		a := scAttrs(s.Attributes())
		if a[semconv.ServerAddressKey].AsString() != host || a[semconv.ServerPortKey].AsInt64() != port {
			t.Errorf("span %d: server %v:%v", i, a[semconv.ServerAddressKey].Emit(), a[semconv.ServerPortKey].Emit())
		}
		if a[semconv.ServerPortKey].Type() != attribute.INT64 || a[semconv.HTTPResponseStatusCodeKey].Type() != attribute.INT64 {
			t.Errorf("span %d: port/status types %v %v", i, a[semconv.ServerPortKey].Type(), a[semconv.HTTPResponseStatusCodeKey].Type())
		}
		for _, kv := range s.Attributes() {
			v := kv.Value.Emit()
			if strings.Contains(v, "s3cr3t") || strings.Contains(v, "pa55") || strings.Contains(string(kv.Key), "authorization") ||
				strings.Contains(string(kv.Key), "cookie") || strings.Contains(string(kv.Key), "token") || strings.Contains(string(kv.Key), "api-key") {
				t.Errorf("span %d records %s=%s", i, kv.Key, v)
			}
		}
	}
	// Retried GET: 503 then 200.
	first, second := cs[0], cs[1]
	if first.Name() != "GET" || second.Name() != "GET" {
		t.Errorf("names %q %q", first.Name(), second.Name())
	}
	a1, a2 := scAttrs(first.Attributes()), scAttrs(second.Attributes())
	wantFull := strings.TrimPrefix(srv.URL, "http://")
	if got := a1[semconv.URLFullKey].AsString(); strings.Contains(got, "user") || !strings.Contains(got, wantFull+"/items?sig=REDACTED&X-Amz-Signature=REDACTED") {
		t.Errorf("url.full = %q", got)
	}
	if got := a1[semconv.ErrorTypeKey].AsString(); got != "503" || first.Status().Code != codes.Error || first.Status().Description != "" {
		t.Errorf("503: error.type %q, status %v", got, first.Status())
	}
	if _, ok := a1[semconv.HTTPRequestResendCountKey]; ok {
		t.Error("resend_count on the first attempt")
	}
	if got := a2[semconv.HTTPRequestResendCountKey]; got.AsInt64() != 1 || got.Type() != attribute.INT64 {
		t.Errorf("resend_count %v", got.Emit())
	}
	if _, ok := a2[semconv.ErrorTypeKey]; ok || second.Status().Code != codes.Unset {
		t.Errorf("200: error.type set or status %v", second.Status())
	}
	if a2[attribute.Key("http.request.header.accept")].AsStringSlice()[0] != "application/json" {
		t.Errorf("opted-in Accept not recorded: %v", a2)
	}
	// Propagation: each attempt's own span, one trace.
	if len(parents) < 2 {
		t.Fatalf("parents %v", parents)
	}
	for i, s := range []sdktrace.ReadOnlySpan{first, second} {
		h := http.Header{}
		h.Set("traceparent", parents[i])
		sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), propagation.HeaderCarrier(h)))
		if sc.SpanID() != s.SpanContext().SpanID() || sc.TraceID() != s.SpanContext().TraceID() || !sc.IsSampled() {
			t.Errorf("attempt %d sent %q, span %v", i+1, parents[i], s.SpanContext().SpanID())
		}
	}
	if first.SpanContext().TraceID() != second.SpanContext().TraceID() {
		t.Error("the attempts are in two traces")
	}
	for _, s := range all {
		if s.SpanKind() == trace.SpanKindInternal && s.SpanContext().TraceID() != first.SpanContext().TraceID() {
			t.Error("logical span in another trace")
		}
	}
	// "get": not a known method (case-sensitive).
	a3 := scAttrs(cs[2].Attributes())
	if cs[2].Name() != "HTTP" || a3[semconv.HTTPRequestMethodKey].AsString() != "_OTHER" || a3[semconv.HTTPRequestMethodOriginalKey].AsString() != "get" {
		t.Errorf("get: name %q, attrs %v", cs[2].Name(), cs[2].Attributes())
	}
	// FOO 404.
	a4 := scAttrs(cs[3].Attributes())
	if cs[3].Name() != "HTTP" || a4[semconv.HTTPRequestMethodKey].AsString() != "_OTHER" || a4[semconv.HTTPRequestMethodOriginalKey].AsString() != "FOO" ||
		a4[semconv.ErrorTypeKey].AsString() != "404" || cs[3].Status().Code != codes.Error || cs[3].Status().Description != "" {
		t.Errorf("FOO 404: name %q, status %v, attrs %v", cs[3].Name(), cs[3].Status(), cs[3].Attributes())
	}
	// 304: no error.
	if _, ok := scAttrs(cs[4].Attributes())[semconv.ErrorTypeKey]; ok || cs[4].Status().Code != codes.Unset {
		t.Errorf("304: status %v attrs %v", cs[4].Status(), cs[4].Attributes())
	}

	m, dps := rig.durationPoints(t)
	if m.Unit != "s" {
		t.Errorf("unit %q", m.Unit)
	}
	wantBounds := []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}
	for _, dp := range dps {
		if len(dp.Bounds) != len(wantBounds) {
			t.Errorf("bounds %v", dp.Bounds)
		}
		for _, kv := range dp.Attributes.ToSlice() {
			switch kv.Key {
			case semconv.HTTPRequestMethodKey, semconv.ServerAddressKey, semconv.ServerPortKey, semconv.HTTPResponseStatusCodeKey,
				semconv.ErrorTypeKey, semconv.NetworkProtocolVersionKey, semconv.URLSchemeKey, semconv.NetworkProtocolNameKey:
			default:
				t.Errorf("metric attribute %s=%s is not one of http.client.request.duration's", kv.Key, kv.Value.Emit())
			}
		}
		if m, _ := dp.Attributes.Value(semconv.HTTPRequestMethodKey); m.AsString() == "get" || m.AsString() == "FOO" {
			t.Errorf("metric method %q not normalised", m.AsString())
		}
	}
}

// A transport error: Error status, error.type a documented low-cardinality
// identifier (policy's causes), no status code, and an exception event whose
// message has the URL redacted.
func TestSemconvTransportError(t *testing.T) {
	rig := newSemconvRig(t, nil, transport.WithPolicy(func() policy.Policy { p := fastPolicy(); p.MaxAttempts = 1; return p }()))
	req, _ := http.NewRequest(http.MethodGet, strings.Replace(closedPortURL(t), "http://", "http://u:pa55@", 1)+"/x?k=s3cr3t", nil)
	if _, err := rig.rt.RoundTrip(req); err == nil {
		t.Fatal("no error")
	}
	cs := rig.clientSpans()
	if len(cs) != 1 {
		t.Fatalf("%d client spans", len(cs))
	}
	s := cs[0]
	a := scAttrs(s.Attributes())
	if s.Status().Code != codes.Error || a[semconv.ErrorTypeKey].AsString() == "" {
		t.Errorf("status %v, error.type %q", s.Status(), a[semconv.ErrorTypeKey].AsString())
	}
	if _, ok := a[semconv.HTTPResponseStatusCodeKey]; ok {
		t.Error("status code without a response")
	}
	var msgs []string
	msgs = append(msgs, s.Status().Description)
	for _, e := range s.Events() {
		for _, kv := range e.Attributes {
			msgs = append(msgs, kv.Value.Emit())
		}
	}
	for _, m := range msgs {
		if strings.Contains(m, "s3cr3t") || strings.Contains(m, "pa55") {
			t.Errorf("recorded %q", m)
		}
	}
	t.Logf("error.type=%q status=%q", a[semconv.ErrorTypeKey].AsString(), s.Status().Description)
}

// A sampler that drops: nothing recorded, yet every attempt sends a
// traceparent with sampled=0, all in one trace, each its own span id.
func TestSemconvDroppingSampler(t *testing.T) {
	var mu sync.Mutex
	var parents []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		parents = append(parents, r.Header.Get("traceparent"))
		n := len(parents)
		mu.Unlock()
		if n < 3 {
			w.WriteHeader(503)
		}
	}))
	defer srv.Close()
	for _, tc := range []struct {
		name    string
		sampler sdktrace.Sampler
		ctx     context.Context
	}{
		{"NeverSample, no caller span", sdktrace.NeverSample(), context.Background()},
		{"ParentBased, unsampled caller", sdktrace.ParentBased(sdktrace.AlwaysSample()),
			trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
				TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5, 6}, Remote: true}))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			parents = nil
			mu.Unlock()
			rig := newSemconvRig(t, tc.sampler)
			sendOnce(t, rig.rt, tc.ctx, http.MethodGet, srv.URL)
			if n := len(rig.spans.Ended()); n != 0 {
				t.Errorf("%d spans recorded", n)
			}
			if len(parents) != 3 {
				t.Fatalf("parents %v", parents)
			}
			ids := map[string]bool{}
			var tid trace.TraceID
			for i, p := range parents {
				h := http.Header{}
				h.Set("traceparent", p)
				sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), propagation.HeaderCarrier(h)))
				if !sc.IsValid() || sc.IsSampled() || !strings.HasSuffix(p, "-00") {
					t.Errorf("attempt %d traceparent %q", i+1, p)
				}
				if i == 0 {
					tid = sc.TraceID()
				} else if sc.TraceID() != tid {
					t.Errorf("attempt %d in trace %v, first in %v", i+1, sc.TraceID(), tid)
				}
				ids[sc.SpanID().String()] = true
			}
			if len(ids) != 3 {
				t.Errorf("span ids not per attempt: %v", parents)
			}
			if p := trace.SpanContextFromContext(tc.ctx); p.IsValid() && p.TraceID() != tid {
				t.Errorf("not the caller's trace")
			}
		})
	}
}

// No provider configured: the unset globals record nothing and send no
// traceparent without a caller span.
func TestSemconvNoProvider(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("traceparent"))
	}))
	defer srv.Close()
	rt := transport.New(nil, transport.WithPolicy(fastPolicy()))
	sendOnce(t, rt, context.Background(), http.MethodGet, srv.URL)
	if len(got) != 1 || got[0] != "" {
		t.Errorf("traceparent %v", got)
	}
}

// The attributes the conventions list for sampling decisions reach the
// sampler when each attempt span starts: http.request.method,
// server.address, server.port and url.full (query values redacted), on
// the first attempt (the trace's root here) and on the retry. A sampler
// that drops health checks by their URL then drops them, and keeps the
// rest.
func TestSemconvSamplerSeesStartAttributes(t *testing.T) {
	var mu sync.Mutex
	calls := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls[r.URL.Path]++
		n := calls[r.URL.Path]
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(503)
		}
	}))
	defer srv.Close()
	host, port := hostPort(t, srv.URL)
	s := &seeingSampler{drop: "/health"}
	rig := newSemconvRig(t, s)
	sendOnce(t, rig.rt, context.Background(), http.MethodGet, srv.URL+"/orders?token=s3cr3t")
	sendOnce(t, rig.rt, context.Background(), http.MethodGet, srv.URL+"/health")

	want := map[attribute.Key]attribute.Value{
		semconv.HTTPRequestMethodKey: attribute.StringValue("GET"),
		semconv.ServerAddressKey:     attribute.StringValue(host),
		semconv.ServerPortKey:        attribute.IntValue(port),
	}
	if len(s.starts) != 4 {
		t.Fatalf("the sampler saw %d CLIENT spans start, want 4 (two attempts each)", len(s.starts))
	}
	for i, got := range s.starts {
		for k, v := range want {
			if got[k] != v {
				t.Errorf("start %d: %s = %v, want %v", i+1, k, got[k].Emit(), v.Emit())
			}
		}
		path := "/orders?token=REDACTED"
		if i >= 2 {
			path = "/health"
		}
		if u := got[semconv.URLFullKey].AsString(); u != srv.URL+path {
			t.Errorf("start %d: url.full = %q, want %q", i+1, u, srv.URL+path)
		}
	}
	spans := rig.clientSpans()
	if len(spans) != 2 {
		t.Fatalf("%d CLIENT spans recorded, want the two of /orders", len(spans))
	}
	for _, sp := range spans {
		a := scAttrs(sp.Attributes())
		if !strings.HasSuffix(a[semconv.URLFullKey].AsString(), "/orders?token=REDACTED") {
			t.Errorf("recorded %v", a[semconv.URLFullKey].Emit())
		}
		n := 0
		for _, kv := range sp.Attributes() {
			if kv.Key == semconv.URLFullKey {
				n++
			}
		}
		if n != 1 {
			t.Errorf("url.full recorded %d times", n)
		}
	}
}

func hostPort(t *testing.T, raw string) (string, int) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatal(err)
	}
	return u.Hostname(), port
}

// seeingSampler keeps the attributes every CLIENT span starts with, and
// drops the spans whose url.full ends in drop.
type seeingSampler struct {
	drop   string
	mu     sync.Mutex
	starts []map[attribute.Key]attribute.Value
}

func (s *seeingSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	if p.Kind != trace.SpanKindClient {
		return sdktrace.AlwaysSample().ShouldSample(p)
	}
	a := scAttrs(p.Attributes)
	s.mu.Lock()
	s.starts = append(s.starts, a)
	s.mu.Unlock()
	if s.drop != "" && strings.HasSuffix(a[semconv.URLFullKey].AsString(), s.drop) {
		return sdktrace.NeverSample().ShouldSample(p)
	}
	return sdktrace.AlwaysSample().ShouldSample(p)
}
func (s *seeingSampler) Description() string { return "seeing" }
