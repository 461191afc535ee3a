package termsafe

import (
	"bytes"
	"encoding/json"
	"maps"
	"strings"
	"testing"
)

func TestTermSafe(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain id 0f1e-é", "plain id 0f1e-é"},
		{"a\x1b[2Jb", `a\x1b[2Jb`},
		{"tab\tnl\ncr\r", `tab\tnl\ncr\r`},
		{"c1\u009bx", `c1\u009bx`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"del\x7f", `del\x7f`},
		{"bidi\u202egnp.exe", `bidi\u202egnp.exe`},
	}
	for _, tt := range tests {
		if got := String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// JSON written through JSONWriter escapes the C1 controls and the bidi
// overrides encoding/json leaves raw, and decodes to the same value.
func TestJSONWriter(t *testing.T) {
	t.Parallel()
	in := map[string]string{"id": "req\u009b2J-\u202egnp.exe", "plain": "é ok", "c0": "a\x1bb"}
	var buf bytes.Buffer
	enc := json.NewEncoder(JSONWriter(&buf))
	if err := enc.Encode(in); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, raw := range []string{"\u009b", "\u202e", "\x1b"} {
		if strings.Contains(out, raw) {
			t.Errorf("output holds %q raw: %s", raw, out)
		}
	}
	if !strings.Contains(out, `\u009b`) || !strings.Contains(out, `\u202e`) || !strings.Contains(out, "é ok") {
		t.Errorf("output %s", out)
	}
	var back map[string]string
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(back, in) {
		t.Errorf("decoded %q, want %q", back, in)
	}
}

func FuzzJSONWriter(f *testing.F) {
	f.Add("req\u009b2J\u202e\u2066x\u00e9\u4e16")
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		if err := json.NewEncoder(JSONWriter(&buf)).Encode(s); err != nil {
			t.Fatal(err)
		}
		var back string
		if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
			t.Fatalf("%q: %v", buf.String(), err)
		}
		want, _ := json.Marshal(s) // invalid UTF-8 becomes U+FFFD, both ways
		var w string
		_ = json.Unmarshal(want, &w)
		if back != w {
			t.Fatalf("decoded %q, want %q", back, w)
		}
		for _, r := range buf.String() {
			if r >= 0x80 && unsafeRune(r, 2) {
				t.Fatalf("%U raw in %q", r, buf.String())
			}
		}
	})
}
