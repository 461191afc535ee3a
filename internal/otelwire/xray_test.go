package otelwire_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/retryscope/retryscope/internal/otelwire"
)

func TestParseTraceHeader(t *testing.T) {
	t.Parallel()
	root := "1-5759e988-bd862e3fe1be46a994272793"
	tests := []struct {
		in   string
		want otelwire.TraceHeader
		ok   bool
	}{
		{"Root=" + root + ";Parent=53995c3f42cd8ad8;Sampled=1", otelwire.TraceHeader{Root: root, Parent: "53995c3f42cd8ad8", Sampled: "1"}, true},
		{"Root=" + root, otelwire.TraceHeader{Root: root}, true}, // API Gateway's 504
		{" root=" + root + " ; sampled=? ;Self=1-abc;Lineage=a:1", otelwire.TraceHeader{Root: root, Sampled: "?"}, true},
		{"Sampled=0;Parent=53995c3f42cd8ad8;Root=" + root, otelwire.TraceHeader{Root: root, Parent: "53995c3f42cd8ad8", Sampled: "0"}, true},
		{"Root=" + root + ";Root=1-00000000-000000000000000000000000", otelwire.TraceHeader{Root: root}, true},
		{"", otelwire.TraceHeader{}, false},
		{"Parent=53995c3f42cd8ad8;Sampled=1", otelwire.TraceHeader{}, false},
		{"Root=1-5759e988-bd862e3fe1be46a99427279", otelwire.TraceHeader{}, false}, // short
		{"Root=2-5759e988-bd862e3fe1be46a994272793", otelwire.TraceHeader{}, false},
		{"Root=1-5759e98g-bd862e3fe1be46a994272793", otelwire.TraceHeader{}, false},
		{"Root=" + root + ";Parent=xyz", otelwire.TraceHeader{}, false},
		{"Root=" + root + ";Sampled=yes", otelwire.TraceHeader{}, false},
		{"Root=" + root + ";garbage", otelwire.TraceHeader{}, false},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", otelwire.TraceHeader{}, false},
	}
	for _, tt := range tests {
		got, ok := otelwire.ParseTraceHeader(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseTraceHeader(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestTraceRoot(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	if got := otelwire.TraceRoot(h); got != "" {
		t.Errorf("empty header: %q", got)
	}
	if got := otelwire.TraceRoot(nil); got != "" {
		t.Errorf("nil header: %q", got)
	}
	h.Set("x-amzn-trace-id", "Root=1-5759e988-bd862e3fe1be46a994272793")
	if got := otelwire.TraceRoot(h); got != "1-5759e988-bd862e3fe1be46a994272793" {
		t.Errorf("TraceRoot = %q", got)
	}
}

func FuzzParseTraceHeader(f *testing.F) {
	for _, s := range []string{
		"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
		"Root=1-5759e988-bd862e3fe1be46a994272793",
		"Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=?;Self=1-5759e988-aa;Lineage=a87bd80c:0",
		"root=1-5759E988-BD862E3FE1BE46A994272793 ; parent=53995C3F42CD8AD8",
		"Parent=53995c3f42cd8ad8", ";;;", "=", "Root=", "Root==;=", "\xff\xfe", "Root=1-\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, ok := otelwire.ParseTraceHeader(s)
		if !ok {
			if h != (otelwire.TraceHeader{}) {
				t.Fatalf("rejected %q but returned %+v", s, h)
			}
			return
		}
		if len(h.Root) != 35 || !strings.HasPrefix(h.Root, "1-") || !strings.Contains(s, h.Root) {
			t.Fatalf("accepted %q with Root %q", s, h.Root)
		}
		if h.Parent != "" && len(h.Parent) != 16 {
			t.Fatalf("accepted %q with Parent %q", s, h.Parent)
		}
		again, ok := otelwire.ParseTraceHeader(h.String())
		if !ok || again != h {
			t.Fatalf("%+v does not round-trip through %q: %+v %v", h, h.String(), again, ok)
		}
	})
}
