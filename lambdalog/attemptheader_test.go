package lambdalog

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestParseAttemptHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		want   AttemptHeader
		wantOK bool
	}{
		{"attempt=1; max=3", AttemptHeader{1, 3}, true},
		{"attempt=2;max=3", AttemptHeader{2, 3}, true},
		{"ATTEMPT=4; Max=5", AttemptHeader{4, 5}, true},
		{" max=3 ; attempt=2 ", AttemptHeader{2, 3}, true},
		{"attempt=1", AttemptHeader{1, 0}, true},
		{"attempt=1; ttl=20240101T000000Z", AttemptHeader{1, 0}, true},
		{"attempt=1;", AttemptHeader{1, 0}, true},
		{"", AttemptHeader{}, false},
		{"max=3", AttemptHeader{}, false},
		{"attempt=0; max=3", AttemptHeader{}, false},
		{"attempt=-1", AttemptHeader{}, false},
		{"attempt=x", AttemptHeader{}, false},
		{"attempt", AttemptHeader{}, false},
		{"attempt=1; max=", AttemptHeader{}, false},
		{"attempt=99999999999999999999", AttemptHeader{}, false},
		{"attempt=1; max=3" + strings.Repeat(" ", 300), AttemptHeader{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseAttemptHeader(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ParseAttemptHeader(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func FuzzParseAttemptHeader(f *testing.F) {
	for _, s := range []string{"attempt=1; max=3", "attempt=2", "max=3", "", ";;", "attempt=1;max=x", "attempt==1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, ok := ParseAttemptHeader(s)
		if !ok {
			if h != (AttemptHeader{}) {
				t.Fatalf("not ok but %+v", h)
			}
			return
		}
		if h.Attempt < 1 || h.Max < 0 {
			t.Fatalf("invalid result %+v for %q", h, s)
		}
	})
}

// TestTraceID: the runtime's trace first, then the event's X-Amzn-Trace-Id
// (any key case), then traceparent; a malformed Root counts as none.
func TestTraceID(t *testing.T) {
	t.Parallel()
	const root = "1-5759e988-bd862e3fe1be46a994272793"
	const w3c = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	tests := []struct {
		ctxTrace, header, traceparent, want string
	}{
		{"Root=" + root + ";Parent=53995c3f42cd8ad8;Sampled=1", "Root=1-00000000-000000000000000000000000", "", root},
		{"", "root=" + root, "", root},
		{"", "Parent=53995c3f42cd8ad8; Root=" + root, w3c, root},
		{"Root=1-a-b", "Root=1-a-b", w3c, "4bf92f3577b34da6a3ce929d0e0e4736"},
		{"", "Sampled=1", "", ""},
		{"", "", "", ""},
	}
	for _, tt := range tests {
		ctx := context.Background()
		if tt.ctxTrace != "" {
			ctx = context.WithValue(ctx, traceContextKey, tt.ctxTrace)
		}
		h := http.Header{}
		if tt.header != "" {
			h.Set("X-Amzn-Trace-Id", tt.header)
		}
		if tt.traceparent != "" {
			h.Set("Traceparent", tt.traceparent)
		}
		if got := traceID(ctx, h); got != tt.want {
			t.Errorf("traceID(%+v) = %q, want %q", tt, got, tt.want)
		}
	}
}
