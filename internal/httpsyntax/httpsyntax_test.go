package httpsyntax

import "testing"

func TestIsToken(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"X-Api-Key": true, "GET": true, "!#$%&'*+-.^_`|~09az": true,
		"": false, "X Note": false, "a:b": false, "a\"b": false, "(x)": false, "é": false, "a\x7f": false,
	} {
		if got := IsToken(s); got != want {
			t.Errorf("IsToken(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestValidValue(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{
		"": true, "a\tb": true, "Bearer x, y=\"z\"": true, "é": true,
		"a\nb": false, "a\rb": false, "\x00": false, "a\x7f": false,
	} {
		if got := ValidValue(v); got != want {
			t.Errorf("ValidValue(%q) = %v, want %v", v, got, want)
		}
	}
}
