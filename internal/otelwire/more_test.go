package otelwire_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/retryscope/retryscope/internal/otelwire"
	"github.com/retryscope/retryscope/policy"
)

// A request that is not sampled records no span but still tells the server
// so (traceparent flags 00), and its metrics still count.
func TestNotSampled(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()), sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer tp.Shutdown(context.Background())
	defer mp.Shutdown(context.Background())
	h := oneRequest(otelwire.New(otelwire.Config{TracerProvider: tp, MeterProvider: mp}))
	if n := len(spans.Ended()); n != 0 {
		t.Errorf("%d spans recorded, want none", n)
	}
	if tp := h.Get("traceparent"); !strings.HasSuffix(tp, "-00") {
		t.Errorf("traceparent %q, want an unsampled one", tp)
	}
	rec := &recorder{reader: reader}
	if _, ok := rec.metrics(t)[otelwire.MetricAttempts]; !ok {
		t.Error("no attempts counted for an unsampled request")
	}
}

func TestLogicalSpanEnd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		resp    *http.Response
		err     error
		status  codes.Code
		errType string
	}{
		{"ok", &http.Response{StatusCode: 200}, nil, codes.Unset, ""},
		{"404", &http.Response{StatusCode: 404}, nil, codes.Error, "404"},
		{"error", nil, errors.New("circuit open for https://u:p@h/x?k=secret"), codes.Error, "*errors.errorString"},
	}
	for _, tt := range tests {
		rec := newRecorder(t, otelwire.Config{})
		orig, _ := http.NewRequest("PURGE", "https://u:p@h/x?k=secret", nil)
		_, r := rec.StartRequest(context.Background(), orig, time.Now())
		r.Refused(policy.RuleCircuitOpen, "h")
		r.End(tt.resp, tt.err, 0)
		s := rec.spans.Ended()[0]
		a := attrs(s.Attributes())
		if s.Name() != "retryscope HTTP" {
			t.Errorf("%s: name %q", tt.name, s.Name())
		}
		if s.Status().Code != tt.status || a["error.type"].AsString() != tt.errType {
			t.Errorf("%s: status %v, error.type %q; want %v, %q", tt.name, s.Status(), a["error.type"].AsString(), tt.status, tt.errType)
		}
		checkRedacted(t, s)
	}
}

// An attempt the transport never saw answered nor failed (no response, no
// error) is an error of its own.
func TestAttemptWithoutResponseOrError(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, otelwire.Config{})
	req, _ := http.NewRequest(http.MethodPost, "http://[::1]:8080/", nil)
	ctx, r := rec.StartRequest(context.Background(), req, time.Now())
	_, a := r.StartAttempt(ctx, req, 1, false)
	a.End(otelwire.AttemptResult{Outcome: policy.Outcome{Reach: policy.ReachUnknown, Cause: policy.CauseNoResponse}})
	s := rec.spans.Ended()[0]
	at := attrs(s.Attributes())
	if s.Name() != "POST" || at["server.address"].AsString() != "::1" || at["server.port"].AsInt64() != 8080 {
		t.Errorf("span %q %v", s.Name(), s.Attributes())
	}
	if s.Status().Code != codes.Error || at["error.type"].AsString() != "no_response" {
		t.Errorf("status %v, error.type %v", s.Status(), at["error.type"].Emit())
	}
}

// A method the HTTP conventions do not know is recorded on the attempt as
// _OTHER with the original beside it; the logical span is named after it.
func TestUnknownMethod(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, otelwire.Config{})
	req, _ := http.NewRequest("PURGE", "https://h/x", nil)
	ctx, r := rec.StartRequest(context.Background(), req, time.Now())
	for n := 1; n <= 2; n++ { // a second attempt starts the logical span
		_, a := r.StartAttempt(ctx, req, n, false)
		a.End(otelwire.AttemptResult{Response: &http.Response{StatusCode: 200}, Outcome: policy.Outcome{Reach: policy.ReachBackend, Cause: policy.CauseOK}})
	}
	r.End(&http.Response{StatusCode: 200}, nil, 2)
	ended := rec.spans.Ended()
	at := attrs(ended[0].Attributes())
	if ended[0].Name() != "HTTP" || at["http.request.method"].AsString() != "_OTHER" || at["http.request.method_original"].AsString() != "PURGE" {
		t.Errorf("attempt span %q %v", ended[0].Name(), ended[0].Attributes())
	}
	if ended[2].Name() != "retryscope HTTP" {
		t.Errorf("logical span %q", ended[2].Name())
	}
}
