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
	tests := []struct {
		name string
		want bool
	}{
		// The headers every client knows to hide, in any case.
		{"Authorization", true},
		{"authorization", true},
		{"Proxy-Authorization", true},
		{"COOKIE", true},
		{"set-cookie", true},
		{"X-Api-Key", true},
		{"x-amz-security-token", true},
		// Custom credential headers and fields, by their words.
		{"X-Auth-Token", true},
		{"X-Auth", true},
		{"X-Session-Id", true},
		{"X-CSRF-Token", true},
		{"X-Access-Token", true},
		{"X-Client-Secret", true},
		{"X-Password", true},
		{"X-Amz-Credential", true},
		{"X-Hub-Signature-256", true},
		{"X-Jwt-Assertion", true},
		{"JWTAssertion", true},
		{"X-Amzn-Remapped-Authorization", true},
		{"X-Functions-Key", true},
		{"Ocp-Apim-Subscription-Key", true},
		{"x-goog-api-key", true},
		{"Apikey", true},
		{"XApiKey", true},
		{"authorizationToken", true}, // a Lambda TOKEN authorizer's event
		{"accessToken", true},
		{"sessionId", true},
		{"client_secret", true},
		{"identity.apiKey", true}, // an access log's $context.identity.apiKey
		{"Authtoken", true},
		{"cookies", true}, // an HTTP API event's cookie list
		{"X-Api-Keys", true},
		{"X-Apikeys", true},
		{"X-Authentication", true},
		{"X-Consumer-Key", true}, // OAuth 1's consumer key
		{"X-Passcode", true},
		// Names that only look alike: evidence, ids, challenges.
		{"WWW-Authenticate", false},
		{"Proxy-Authenticate", false},
		{"Idempotency-Key", false},
		{"routeKey", false},
		{"Key", false},
		{"authorizer", false},
		{"authorizerError", false},
		{"authorize.status", false},
		{"X-Amzn-RequestId", false},
		{"X-Amzn-Trace-Id", false},
		{"Amz-Sdk-Invocation-Id", false},
		{"SignedHeaders", false},
		{"Accept", false},
		{"Tokenizer", false},
		{"Keyboard", false},
		{"", false},
		{"---", false},
		{"X-Api-\u212aey", false}, // a Kelvin sign is no k
	}
	for _, tt := range tests {
		if got := SensitiveHeader(tt.name); got != tt.want {
			t.Errorf("SensitiveHeader(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// Every word that names a credential holds one of Fragments (the fuzz
// test below looks for names, this for the lists themselves).
func TestFragmentsCoverTheWords(t *testing.T) {
	t.Parallel()
	words := append(append([]string{"key", "keys"}, credentialWords...), credentialEndings...)
	for _, w := range words {
		covered := false
		for _, f := range Fragments() {
			covered = covered || strings.Contains(w, f)
		}
		if !covered {
			t.Errorf("%q holds none of %q", w, Fragments())
		}
	}
}

// Every name SensitiveHeader reports holds one of Fragments, so that text
// without any of them can be passed over.
func FuzzSensitiveHeader(f *testing.F) {
	for _, s := range []string{"X-Auth-Token", "accessToken", "X-Api-Key", "Idempotency-Key", "a1B", "\xffKey", "apiKEY"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if !SensitiveHeader(name) {
			return
		}
		lower := strings.Map(func(r rune) rune {
			if 'A' <= r && r <= 'Z' {
				return r + 'a' - 'A'
			}
			return r
		}, name)
		for _, fr := range Fragments() {
			if strings.Contains(lower, fr) {
				return
			}
		}
		t.Errorf("SensitiveHeader(%q) is true, and it holds none of %q", name, Fragments())
	})
}
