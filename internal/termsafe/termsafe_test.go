package termsafe

import "testing"

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
