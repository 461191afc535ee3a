package redact

import (
	"net/url"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"https://api.example.com/prod/items", "https://api.example.com/prod/items"},
		{"https://user:pass@api.example.com/p?token=s3cr3t&x=1&flag#frag", "https://api.example.com/p?token=REDACTED&x=REDACTED&flag"},
		{"http://h/p?a=%zz", "http://h/p?a=REDACTED"},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := URL(u); got != tt.want {
			t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if URL(nil) != "" {
		t.Error("URL(nil) not empty")
	}
}

func TestText(t *testing.T) {
	t.Parallel()
	u, _ := url.Parse("https://user:pass@h.example/p?token=s3cr3t")
	safe := "https://h.example/p?token=REDACTED"
	for _, in := range []string{
		`Get "https://user:pass@h.example/p?token=s3cr3t": EOF`,
		`Get "https://user:***@h.example/p?token=s3cr3t": EOF`,
		`Get "https://h.example/p?token=s3cr3t": EOF`,
	} {
		if got, want := Text(in, u), `Get "`+safe+`": EOF`; got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Text("no url here", nil); got != "no url here" {
		t.Errorf("Text with nil URL = %q", got)
	}
}

func TestSensitiveHeader(t *testing.T) {
	t.Parallel()
	for _, h := range []string{"authorization", "COOKIE", "x-api-key", "Proxy-Authorization", "set-cookie", "x-amz-security-token"} {
		if !SensitiveHeader(h) {
			t.Errorf("SensitiveHeader(%q) = false", h)
		}
	}
	if SensitiveHeader("Accept") {
		t.Error("Accept is sensitive")
	}
}

func TestSensitiveHeaderNames(t *testing.T) {
	t.Parallel()
	names := SensitiveHeaderNames()
	if len(names) != len(sensitiveHeaders) {
		t.Fatalf("%d names, %d in the index", len(names), len(sensitiveHeaders))
	}
	for _, n := range names {
		if !SensitiveHeader(n) || !SensitiveHeader(strings.ToLower(n)) {
			t.Errorf("%s not sensitive", n)
		}
	}
	names[0] = "X-Changed"
	if SensitiveHeaderNames()[0] == "X-Changed" {
		t.Error("the list can be changed through the returned slice")
	}
}
