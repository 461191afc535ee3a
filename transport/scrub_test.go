package transport

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/retryscope/retryscope/internal/redact"
)

func TestScrubURLs(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"connection refused", "connection refused"},
		{"no scheme ://here", "no scheme ://here"},
		{`Get "http://alice:***@h:1/p?token=t&x=y#frag": dial tcp h:1: refused`,
			`Get "http://h:1/p?token=REDACTED&x=REDACTED": dial tcp h:1: refused`},
		{`Post "https://h/p?flag&a=": EOF`, `Post "https://h/p?REDACTED&a=REDACTED": EOF`},
		{"see https://u@h/x, then http://h2/y?k=v.", "see https://h/x, then http://h2/y?k=REDACTED."},
		{"(proxy http://user:pw@proxy:3128)", "(proxy http://proxy:3128)"},
		{"http://h/p#only-fragment", "http://h/p"},
		{"http://a@b@h/p", "http://h/p"},
		{"http://h/p?q=1?2#f?x=y", "http://h/p?q=REDACTED"},
		{"x1+y-z.w://u:p@h", "x1+y-z.w://h"},
		{"1http://u@h", "1http://h"},
		{"http://h/clean/path", "http://h/clean/path"},
		{"http://h/a'http://u@h2/b", "http://h/a'http://h2/b"},
		{`https:\/\/u:p@h/x`, `https:\/\/u:p@h/x`}, // JSON-escaped: not a URL to this scanner
		// A bare query part may be the token itself; a path parameter's
		// value may be a session id.
		{`Get "https://api.example/x?s3cr3tT0ken": EOF`, `Get "https://api.example/x?REDACTED": EOF`},
		{`Get "https://api.example/x?AKIAIOSFODNN7EXAMPLE&debug": EOF`, `Get "https://api.example/x?REDACTED&REDACTED": EOF`},
		{`Get "https://api.example/app;jsessionid=ABC123/orders": EOF`, `Get "https://api.example/app;jsessionid=REDACTED/orders": EOF`},
		{"see http://u@h/a;sid=ABC123;s3cr3t/b;c=1?t, then", "see http://h/a;sid=REDACTED;REDACTED/b;c=REDACTED?REDACTED, then"},
		{"http://h/a%3Bsid=keep/b", "http://h/a%3Bsid=keep/b"},
		{"http://h/a;", "http://h/a;"},
	}
	for _, tt := range tests {
		if got := scrubURLs(tt.in); got != tt.want {
			t.Errorf("scrubURLs(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

// TestScrubURLsMatchesRedactURL: for URLs as url.URL prints them, the text
// scrubber gives what redact.URL gives for the parsed URL.
func TestScrubURLsMatchesRedactURL(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"http://u:p@example.com:8080/a/b?x=1&y=2#f",
		"https://example.com/?a=%20b&c",
		"https://user@example.com/path%2Fenc?sig=abc%3D",
		"http://[::1]:80/x?q=v",
		"https://api.example/x?s3cr3tT0ken&debug",
		"https://u@api.example/app;jsessionid=ABC123/orders;v=2?tok",
		"https://api.example/a%2Fb;sid=ABC123/c",
		"https://api.example/a%3Bsid=keep/c",
	} {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := scrubURLs(u.String()), redact.URL(u); got != want {
			t.Errorf("%s: scrubURLs %q, redact.URL %q", s, got, want)
		}
	}
}

func TestScrubError(t *testing.T) {
	t.Parallel()
	plain := errors.New("boom")
	if scrubError(plain) != plain || scrubError(nil) != nil {
		t.Error("an error without URL credentials must come back as it is")
	}
	inner := errors.New("refused")
	ue := &url.Error{Op: "Get", URL: "http://u@h/p?k=secret", Err: inner}
	got := scrubError(ue)
	if strings.Contains(got.Error(), "secret") || strings.Contains(got.Error(), "u@") {
		t.Errorf("not redacted: %v", got)
	}
	var back *url.Error
	if !errors.As(got, &back) || back != ue || !errors.Is(got, inner) {
		t.Errorf("does not unwrap: %v", got)
	}
	if scrubError(got) != got {
		t.Error("scrubbing twice wraps twice")
	}
}

func TestScrubURLsNoAllocWithoutURL(t *testing.T) {
	s := "dial tcp 127.0.0.1:1: connect: connection refused"
	if n := testing.AllocsPerRun(100, func() { scrubURLs(s) }); n != 0 {
		t.Errorf("%v allocations for text without a URL", n)
	}
}

// FuzzScrubURLs: whatever the text around it, a URL's userinfo, query
// values, bare query parts, path parameters' values and fragment never
// survive; scrubbing is idempotent, never
// panics and keeps valid UTF-8 valid.
func FuzzScrubURLs(f *testing.F) {
	for _, s := range []string{
		"", "://", "a://", "http://", "http://@", "http://?", "http://#", "x http://u:p@h/p?q=v#f y",
		`"https://h?a=b"`, "http://h/p?a=b&c=d&", "\xff://\xfe@", "http://h/p?q=a\nb",
	} {
		f.Add(s, "alice", "s3cr3t")
	}
	f.Fuzz(func(t *testing.T, text, user, secret string) {
		out := scrubURLs(text)
		if again := scrubURLs(out); again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", text, out, again)
		}
		if utf8.ValidString(text) && !utf8.ValidString(out) {
			t.Fatalf("%q -> invalid UTF-8 %q", text, out)
		}
		// A URL placed in the text between separators loses its secrets.
		if !token(user) || !token(secret) {
			return
		}
		u := "https://" + user + ":" + secret + "@h.example/p;sid=" + secret + ";" + secret + "/q?k=" + secret + "&" + secret + "#" + secret
		in := sanitize(text) + " " + u + " " + sanitize(text)
		got := scrubURLs(in)
		if strings.Contains(got, secret) && !strings.Contains(sanitize(text), secret) {
			t.Fatalf("%q -> %q keeps %q", in, got, secret)
		}
	})
}

// token reports whether s is a plausible secret: letters and digits only,
// at least 4 of them.
func token(s string) bool {
	if len(s) < 4 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) && !('0' <= s[i] && s[i] <= '9') {
			return false
		}
	}
	return true
}

// sanitize makes s unable to end or start a URL (no bytes a URL could
// absorb next to the separators).
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r <= ' ' || r == '"' {
			return '_'
		}
		return r
	}, s)
}
