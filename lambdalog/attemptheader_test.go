package lambdalog

import (
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

func TestXRayRoot(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1": "1-5759e988-bd862e3fe1be46a994272793",
		"root=1-5759e988-bd862e3fe1be46a994272793":                                   "1-5759e988-bd862e3fe1be46a994272793",
		"Parent=53995c3f42cd8ad8; Root=1-a-b":                                        "1-a-b",
		"":                                                                           "",
		"Sampled=1":                                                                  "",
	}
	for in, want := range tests {
		if got := XRayRoot(in); got != want {
			t.Errorf("XRayRoot(%q) = %q, want %q", in, got, want)
		}
	}
}
