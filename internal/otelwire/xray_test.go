package otelwire_test

import (
	"net/http"
	"testing"

	"github.com/retryscope/retryscope/internal/otelwire"
)

func TestTraceRoot(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	if got := otelwire.TraceRoot(h); got != "" {
		t.Errorf("empty header: %q", got)
	}
	if got := otelwire.TraceRoot(nil); got != "" {
		t.Errorf("nil header: %q", got)
	}
	for v, want := range map[string]string{
		"Root=1-5759e988-bd862e3fe1be46a994272793":                                   "1-5759e988-bd862e3fe1be46a994272793",
		"root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1": "1-5759e988-bd862e3fe1be46a994272793",
		"Root=1-a-b":              "",
		"Parent=53995c3f42cd8ad8": "",
	} {
		h.Set("x-amzn-trace-id", v)
		if got := otelwire.TraceRoot(h); got != want {
			t.Errorf("TraceRoot(%q) = %q, want %q", v, got, want)
		}
	}
}
