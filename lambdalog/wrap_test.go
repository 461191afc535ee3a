package lambdalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func fixedClock() func() time.Time {
	t := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	return func() time.Time {
		t = t.Add(12340 * time.Microsecond)
		return t
	}
}

func proxyEvent() events.APIGatewayProxyRequest {
	return events.APIGatewayProxyRequest{
		Resource:   "/orders/{id}",
		Path:       "/orders/42",
		HTTPMethod: "POST",
		Headers: map[string]string{
			"amz-sdk-invocation-id": "7d1b7c39-0a5e-4f4b-9d1e-3c0f1c9b2a10",
			"AMZ-SDK-REQUEST":       "attempt=2; max=3",
			"Authorization":         "Bearer secret-token",
			"Cookie":                "session=secret-cookie",
			"X-Api-Key":             "secret-key",
		},
		QueryStringParameters: map[string]string{"token": "secret-query"},
		RequestContext: events.APIGatewayProxyRequestContext{
			RequestID:         "a3f1c2d4-5e6f-4a1b-8c9d-0e1f2a3b4c5d",
			ExtendedRequestID: "K2G9wEbUoAMEvag=",
		},
		Body: "secret-body",
	}
}

func TestWrapWritesOneLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		handlerErr error
		status     int
		ctxTrace   string
		headers    map[string]string
		wantTrace  string
		wantStatus int
		wantErr    string
	}{
		{name: "ok with runtime trace", status: 201, ctxTrace: "Root=1-67a1b2c3-0123456789abcdef01234567;Parent=1111111111111111;Sampled=1",
			wantTrace: "1-67a1b2c3-0123456789abcdef01234567", wantStatus: 201},
		{name: "header trace", status: 200, headers: map[string]string{"x-amzn-trace-id": "Root=1-67a1b2c3-aaaaaaaaaaaaaaaaaaaaaaaa;Sampled=0"},
			wantTrace: "1-67a1b2c3-aaaaaaaaaaaaaaaaaaaaaaaa", wantStatus: 200},
		{name: "w3c trace", status: 200, headers: map[string]string{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
			wantTrace: "4bf92f3577b34da6a3ce929d0e0e4736", wantStatus: 200},
		{name: "handler error", handlerErr: errors.New("boom"), wantErr: "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			h := Wrap(func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
				return events.APIGatewayProxyResponse{StatusCode: tt.status}, tt.handlerErr
			}, WithWriter(&out), WithClock(fixedClock()))
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "5f8e7d6c-1111-2222-3333-444455556666"})
			if tt.ctxTrace != "" {
				ctx = context.WithValue(ctx, traceContextKey, tt.ctxTrace)
			}
			ev := proxyEvent()
			for k, v := range tt.headers {
				ev.Headers[k] = v
			}
			_, err := h(ctx, ev)
			if (err != nil) != (tt.handlerErr != nil) {
				t.Fatalf("err = %v", err)
			}
			text := out.String()
			if strings.Count(text, "\n") != 1 {
				t.Fatalf("want one line, got %q", text)
			}
			for _, secret := range []string{"secret-token", "secret-cookie", "secret-key", "secret-query", "secret-body", "/orders/42"} {
				if strings.Contains(text, secret) {
					t.Errorf("line leaks %q: %s", secret, text)
				}
			}
			var rec Record
			if err := json.Unmarshal(out.Bytes(), &rec); err != nil {
				t.Fatal(err)
			}
			want := Record{
				Message: RecordMessage, LambdaRequestID: "5f8e7d6c-1111-2222-3333-444455556666",
				APIGatewayRequestID: "a3f1c2d4-5e6f-4a1b-8c9d-0e1f2a3b4c5d", ExtendedRequestID: "K2G9wEbUoAMEvag=",
				InvocationID: "7d1b7c39-0a5e-4f4b-9d1e-3c0f1c9b2a10", Attempt: 2, MaxAttempts: 3,
				TraceID: tt.wantTrace, Method: "POST", Resource: "/orders/{id}",
				Start:      time.Date(2026, 11, 26, 1, 0, 0, 12340000, time.UTC),
				DurationMS: 12.34, Status: tt.wantStatus, Error: tt.wantErr,
			}
			if !rec.Start.Equal(want.Start) {
				t.Errorf("start = %v, want %v", rec.Start, want.Start)
			}
			rec.Start = want.Start
			if rec != want {
				t.Errorf("record =\n%+v\nwant\n%+v", rec, want)
			}
		})
	}
}

func TestWrapContinuesClientTrace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		headers   map[string]string
		wantTrace string
		wantSpan  string
	}{
		{"w3c", map[string]string{"Traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
			"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"},
		{"xray", map[string]string{"X-Amzn-Trace-Id": "Root=1-67a1b2c3-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"},
			"67a1b2c30123456789abcdef01234567", "53995c3f42cd8ad8"},
		{"both: w3c wins", map[string]string{
			"traceparent":     "00-67a1b2c30123456789abcdef01234567-00f067aa0ba902b7-01",
			"X-Amzn-Trace-Id": "Root=1-67a1b2c3-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"},
			"67a1b2c30123456789abcdef01234567", "00f067aa0ba902b7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			var inner trace.SpanContext
			h := Wrap(func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
				inner = trace.SpanContextFromContext(ctx)
				return events.APIGatewayProxyResponse{StatusCode: 504}, nil
			}, WithWriter(&bytes.Buffer{}), WithTracerProvider(tp))
			ev := proxyEvent()
			for k, v := range tt.headers {
				ev.Headers[k] = v
			}
			if _, err := h(context.Background(), ev); err != nil {
				t.Fatal(err)
			}
			spans := rec.Ended()
			if len(spans) != 1 {
				t.Fatalf("%d spans", len(spans))
			}
			s := spans[0]
			if s.SpanKind() != trace.SpanKindServer || s.Name() != "POST /orders/{id}" {
				t.Errorf("span %q kind %v", s.Name(), s.SpanKind())
			}
			if got := s.SpanContext().TraceID().String(); got != tt.wantTrace {
				t.Errorf("trace id %s, want %s", got, tt.wantTrace)
			}
			if got := s.Parent().SpanID().String(); got != tt.wantSpan || !s.Parent().IsRemote() {
				t.Errorf("parent %s (remote %v), want %s", got, s.Parent().IsRemote(), tt.wantSpan)
			}
			if inner.SpanID() != s.SpanContext().SpanID() {
				t.Error("handler context does not carry the server span")
			}
		})
	}
}

func TestWrapConcurrentLinesDoNotInterleave(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	h := Wrap(func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	}, WithWriter(&out))
	done := make(chan struct{})
	for range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 50 {
				_, _ = h(context.Background(), proxyEvent())
			}
		}()
	}
	for range 8 {
		<-done
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 400 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, l := range lines {
		var rec Record
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
	}
}
