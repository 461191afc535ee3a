package otelx_test

import (
	"context"
	"encoding/binary"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/retryscope/retryscope/otelx"
	"github.com/retryscope/retryscope/transport"
)

// oneRequest sends a logical request with one successful attempt through
// t, whose base answers 200 at once, and returns the attempt's headers as
// the base saw them.
func oneRequest(t *transport.Transport) http.Header {
	req, _ := http.NewRequest(http.MethodGet, "http://api.example.com/items", nil)
	resp, err := t.RoundTrip(req)
	if err != nil {
		panic(err) // the base never fails
	}
	resp.Body.Close()
	return resp.Request.Header
}

// newTransport returns a Transport without correlation headers whose base
// answers every request with 200, and opts.
func newTransport(opts ...transport.Option) *transport.Transport {
	base := roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
	})
	return transport.New(base, append([]transport.Option{transport.WithCorrelation(false)}, opts...)...)
}

// withProviders are the options that hand Setup's providers to a Transport.
func withProviders(p otelx.Providers) []transport.Option {
	return []transport.Option{transport.WithTracerProvider(p.TracerProvider),
		transport.WithMeterProvider(p.MeterProvider), transport.WithPropagator(p.Propagator)}
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestSetupXRay(t *testing.T) {
	t.Parallel()
	exp := keepingExporter{tracetest.NewInMemoryExporter()}
	var p otelx.Providers
	shutdown, err := otelx.Setup(context.Background(), otelx.WithXRay(), otelx.WithServiceName("setup-test"),
		otelx.WithoutGlobals(&p), otelx.WithSpanExporter(exp), otelx.WithMetricReader(sdkmetric.NewManualReader()))
	if err != nil {
		t.Fatal(err)
	}
	h := oneRequest(newTransport(withProviders(p)...))
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans() // the batcher flushed on shutdown
	if len(spans) != 1 {
		t.Fatalf("exported %d spans, want 1 (one attempt, no logical span)", len(spans))
	}
	attempt := spans[0]
	th := xrayHeader(h.Get("X-Amzn-Trace-Id"))
	if th["Parent"] != attempt.SpanContext.SpanID().String() {
		t.Errorf("X-Amzn-Trace-Id %q does not carry the attempt span %s", h.Get("X-Amzn-Trace-Id"), attempt.SpanContext.SpanID())
	}
	if h.Get("traceparent") == "" {
		t.Error("no traceparent next to X-Amzn-Trace-Id")
	}
	tid := attempt.SpanContext.TraceID()
	if epoch := int64(binary.BigEndian.Uint32(tid[:4])); time.Since(time.Unix(epoch, 0)).Abs() > time.Hour {
		t.Errorf("trace id %s does not start with the epoch (X-Ray id generator)", tid)
	}
	var xrayID string
	for _, kv := range attempt.Attributes {
		if kv.Key == "aws.xray.trace_id" {
			xrayID = kv.Value.AsString()
		}
	}
	if got, want := xrayID, th["Root"]; got == "" || got != want {
		t.Errorf("aws.xray.trace_id = %q, want the sent Root %q", got, want)
	}
	if v, _ := attempt.Resource.Set().Value("service.name"); v.AsString() != "setup-test" {
		t.Errorf("service.name = %q", v.AsString())
	}
}

func TestSetupFromEnvironment(t *testing.T) {
	t.Setenv("OTEL_TRACES_EXPORTER", "none")
	t.Setenv("OTEL_METRICS_EXPORTER", "none")
	var p otelx.Providers
	shutdown, err := otelx.Setup(context.Background(), otelx.WithoutGlobals(&p))
	if err != nil {
		t.Fatal(err)
	}
	if p.TracerProvider == nil || p.MeterProvider == nil || p.Propagator == nil {
		t.Fatalf("providers not filled: %+v", p)
	}
	oneRequest(newTransport(withProviders(p)...))
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon")
	if _, err := otelx.Setup(context.Background(), otelx.WithoutGlobals(&p)); err == nil {
		t.Error("Setup accepted OTEL_EXPORTER_OTLP_PROTOCOL=carrier-pigeon")
	}
}

// keepingExporter keeps its spans on Shutdown (InMemoryExporter drops them).
type keepingExporter struct{ *tracetest.InMemoryExporter }

func (keepingExporter) Shutdown(context.Context) error { return nil }

// stuckExporter never finishes an export until released: a collector that
// accepts the connection and never answers. It counts the exports begun.
type stuckExporter struct {
	release chan struct{}
	began   *atomic.Int64
}

func (e stuckExporter) ExportSpans(ctx context.Context, _ []sdktrace.ReadOnlySpan) error {
	e.began.Add(1)
	select {
	case <-e.release:
	case <-ctx.Done():
	}
	return ctx.Err()
}
func (stuckExporter) Shutdown(context.Context) error { return nil }

// TestStuckExporterDoesNotSlowRequests sends 5000 requests (10000 spans:
// more than the batcher's queue of 2048) while the exporter is stuck in its
// first export. It runs in a synctest bubble: nothing advances virtual time
// while the requests run, so they must take exactly none of it. A request
// that waited for the exporter (a span's End blocking on a full queue, as
// sdktrace.WithBlocking makes it) would wait for the export's 30 s timeout
// and fail it; no wall-clock bound, so a slow machine cannot.
func TestStuckExporterDoesNotSlowRequests(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		exp := stuckExporter{release: make(chan struct{}), began: new(atomic.Int64)}
		var p otelx.Providers
		shutdown, err := otelx.Setup(context.Background(), otelx.WithoutGlobals(&p),
			otelx.WithSpanExporter(exp), otelx.WithMetricReader(sdkmetric.NewManualReader()))
		if err != nil {
			t.Fatal(err)
		}
		in := newTransport(withProviders(p)...)
		start := time.Now()
		const n = 5000 // 10000 spans: more than the batcher's queue of 2048
		for range n {
			oneRequest(in)
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("%d requests took %v of virtual time with a stuck exporter, want none", n, d)
		}
		synctest.Wait()
		if b := exp.began.Load(); b != 1 {
			t.Errorf("%d exports begun, want 1, stuck until the end", b)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_ = shutdown(ctx) // times out: the exporter is stuck
		close(exp.release)
	})
}

// TestGlobalsSetLater runs in a child process because it sets the
// OpenTelemetry globals, which cannot be unset.
func TestGlobalsSetLater(t *testing.T) {
	if os.Getenv("OTELX_TEST_CHILD") != "1" {
		t.Parallel()
		cmd := exec.Command(os.Args[0], "-test.run=^TestGlobalsSetLater$", "-test.v")
		cmd.Env = append(os.Environ(), "OTELX_TEST_CHILD=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return
	}
	early := newTransport()
	if h := oneRequest(early); len(h) != 0 {
		t.Fatalf("unset globals: headers %v", h)
	}
	exp := keepingExporter{tracetest.NewInMemoryExporter()}
	shutdown, err := otelx.Setup(context.Background(), otelx.WithXRay(),
		otelx.WithSpanExporter(exp), otelx.WithMetricReader(sdkmetric.NewManualReader()))
	if err != nil {
		t.Fatal(err)
	}
	if h := oneRequest(early); h.Get("traceparent") == "" || h.Get("X-Amzn-Trace-Id") != "" {
		t.Errorf("a Transport made before Setup: headers %v, want traceparent only (its propagator was chosen by New)", h)
	}
	if h := oneRequest(newTransport()); h.Get("traceparent") == "" || h.Get("X-Amzn-Trace-Id") == "" {
		t.Errorf("a Transport made after Setup(WithXRay()): headers %v, want traceparent and X-Amzn-Trace-Id", h)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := len(exp.GetSpans()); got != 2 {
		t.Errorf("exported %d spans, want 2 (one per request of one attempt)", got)
	}
}

// xrayHeader splits an X-Amzn-Trace-Id value into its fields.
func xrayHeader(v string) map[string]string {
	m := map[string]string{}
	for part := range strings.SplitSeq(v, ";") {
		if k, val, ok := strings.Cut(part, "="); ok {
			m[k] = val
		}
	}
	return m
}
