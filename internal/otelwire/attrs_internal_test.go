package otelwire

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// keepingSpan is a recording span of another implementation, which may keep
// the slice SetAttributes gets.
type keepingSpan struct {
	trace.Span
}

func TestCopiesAttributes(t *testing.T) {
	tp := sdktrace.NewTracerProvider()
	defer tp.Shutdown(context.Background())
	_, recording := tp.Tracer("t").Start(context.Background(), "s")
	defer recording.End()
	if _, ok := recording.(sdktrace.ReadWriteSpan); !ok {
		t.Fatalf("the SDK's recording span %T is no ReadWriteSpan", recording)
	}
	tests := []struct {
		name string
		span trace.Span
		want bool
	}{
		{"sdk recording span", recording, true},
		{"noop span", tracenoop.Span{}, false},
		{"another implementation", keepingSpan{Span: recording}, false},
		{"another implementation by pointer", &keepingSpan{Span: recording}, false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		if got := copiesAttributes(tt.span); got != tt.want {
			t.Errorf("%s (%T): copiesAttributes = %v, want %v", tt.name, tt.span, got, tt.want)
		}
	}
}
