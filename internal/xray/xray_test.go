package xray_test

import (
	"strings"
	"testing"

	"github.com/retryscope/retryscope/internal/xray"
)

const (
	root   = "1-5759e988-bd862e3fe1be46a994272793"
	parent = "53995c3f42cd8ad8"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want xray.Header
		ok   bool
	}{
		{"full", "Root=" + root + ";Parent=" + parent + ";Sampled=1", xray.Header{root, parent, "1"}, true},
		{"root only, as API Gateway answers a 504", "Root=" + root, xray.Header{Root: root}, true},
		{"any order", "Sampled=0;Parent=" + parent + ";Root=" + root, xray.Header{root, parent, "0"}, true},
		{"lower-case keys, as execution logs write them", "root=" + root + ";sampled=0", xray.Header{Root: root, Sampled: "0"}, true},
		{"spaces", " Root = " + root + " ; Sampled = ? ", xray.Header{Root: root, Sampled: "?"}, true},
		{"Self and Lineage skipped", "Self=1-67891234-12456789abcdef012345678;Root=" + root + ";Lineage=a87bd80c:1|68fd508a:5", xray.Header{Root: root}, true},
		{"part without = skipped", "Root=" + root + ";garbage;;", xray.Header{Root: root}, true},
		{"first Root wins", "Root=" + root + ";Root=1-00000000-000000000000000000000000", xray.Header{Root: root}, true},
		{"later malformed Root ignored", "Root=" + root + ";Root=x", xray.Header{Root: root}, true},
		{"upper-case hex kept", "Root=1-5759E988-BD862E3FE1BE46A994272793", xray.Header{Root: "1-5759E988-BD862E3FE1BE46A994272793"}, true},
		{"malformed Parent dropped", "Root=" + root + ";Parent=xyz;Sampled=1", xray.Header{Root: root, Sampled: "1"}, true},
		{"short Parent dropped", "Root=" + root + ";Parent=53995c3f42cd8ad", xray.Header{Root: root}, true},
		{"malformed Sampled dropped", "Root=" + root + ";Sampled=yes", xray.Header{Root: root}, true},
		{"first Parent wins even if malformed", "Root=" + root + ";Parent=bad;Parent=" + parent, xray.Header{Root: root}, true},
		{"empty", "", xray.Header{}, false},
		{"no Root", "Parent=" + parent + ";Sampled=1", xray.Header{}, false},
		{"empty Root", "Root=;Parent=" + parent, xray.Header{}, false},
		{"short Root", "Root=1-5759e988-bd862e3fe1be46a99427279", xray.Header{}, false},
		{"long Root", "Root=" + root + "0", xray.Header{}, false},
		{"version 2", "Root=2-5759e988-bd862e3fe1be46a994272793", xray.Header{}, false},
		{"non-hex epoch", "Root=1-5759e98g-bd862e3fe1be46a994272793", xray.Header{}, false},
		{"misplaced hyphen", "Root=1_5759e988-bd862e3fe1be46a994272793", xray.Header{}, false},
		{"first Root malformed", "Root=1-a-b;Root=" + root, xray.Header{}, false},
		{"W3C traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", xray.Header{}, false},
		{"separators only", ";;=;=", xray.Header{}, false},
	}
	for _, tt := range tests {
		got, ok := xray.Parse(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: Parse(%q) = %+v, %v; want %+v, %v", tt.name, tt.in, got, ok, tt.want, tt.ok)
		}
		if r := xray.Root(tt.in); r != tt.want.Root {
			t.Errorf("%s: Root(%q) = %q, want %q", tt.name, tt.in, r, tt.want.Root)
		}
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		h    xray.Header
		want string
	}{
		{xray.Header{root, parent, "1"}, "Root=" + root + ";Parent=" + parent + ";Sampled=1"},
		{xray.Header{Root: root}, "Root=" + root},
		{xray.Header{Root: root, Sampled: "0"}, "Root=" + root + ";Sampled=0"},
	} {
		if got := tt.h.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.h, got, tt.want)
		}
	}
}

// FuzzParse: any value gives either the zero Header and false or a Header
// whose fields are valid, appear in the value, and survive String and Parse.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"Root=" + root + ";Parent=" + parent + ";Sampled=1",
		"Root=" + root,
		"root=" + root + "; sampled=?; Lineage=a87bd80c:0",
		"Sampled=1;Root=" + root + ";Parent=zz",
		"Root=2-5759e988-bd862e3fe1be46a994272793",
		"Root=;;==;", "Root", "=", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		h, ok := xray.Parse(v)
		if !ok {
			if h != (xray.Header{}) {
				t.Fatalf("Parse(%q): not ok but %+v", v, h)
			}
			return
		}
		if !xray.ValidRoot(h.Root) || !strings.Contains(v, h.Root) {
			t.Fatalf("Parse(%q): Root %q", v, h.Root)
		}
		if h.Parent != "" && (!xray.ValidParent(h.Parent) || !strings.Contains(v, h.Parent)) {
			t.Fatalf("Parse(%q): Parent %q", v, h.Parent)
		}
		if h.Sampled != "" && h.Sampled != "0" && h.Sampled != "1" && h.Sampled != "?" {
			t.Fatalf("Parse(%q): Sampled %q", v, h.Sampled)
		}
		again, ok := xray.Parse(h.String())
		if !ok || again != h {
			t.Fatalf("round trip %q -> %+v -> %q -> %+v, %v", v, h, h.String(), again, ok)
		}
	})
}
