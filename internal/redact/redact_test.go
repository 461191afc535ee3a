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
		{"https://user:pass@api.example.com/p?token=s3cr3t&x=1&flag#frag", "https://api.example.com/p?token=REDACTED&x=REDACTED&REDACTED"},
		{"http://h/p?a=%zz", "http://h/p?a=REDACTED"},
	}
	checkURLs(t, tests)
	if URL(nil) != "" {
		t.Error("URL(nil) not empty")
	}
}

// checkURLs checks URL on each parsed in, and that it leaves its argument
// as it was.
func checkURLs(t *testing.T, tests []struct{ in, want string }) {
	t.Helper()
	for _, tt := range tests {
		u, err := url.Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		before := *u
		if got := URL(u); got != tt.want {
			t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if *u != before {
			t.Errorf("URL(%q) changed its argument to %q", tt.in, u)
		}
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

// A query part without '=' was recorded as it came, though it may be the
// credential itself (an API that takes its token as the whole query); it
// is now replaced as a value is. Keys of key=value parts stay.
func TestBugBareQueryPartKept(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"https://api.example/x?s3cr3tT0ken", "https://api.example/x?REDACTED"},
		{"https://api.example/x?AKIAIOSFODNN7EXAMPLE&debug", "https://api.example/x?REDACTED&REDACTED"},
		{"https://api.example/x?page=2&s3cr3tT0ken", "https://api.example/x?page=REDACTED&REDACTED"},
		{"https://api.example/x?a=&&b", "https://api.example/x?a=REDACTED&&REDACTED"}, // an empty part stays empty
		{"https://api.example/x?", "https://api.example/x?"},
		{"https://api.example/x?%zz", "https://api.example/x?REDACTED"},
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
}

// Path parameters (";jsessionid=..." in a path segment, as servlet
// containers put a session id) were recorded as they came. Their values
// are now replaced, and a parameter without '=' as a whole; the segments
// themselves, and an escaped ';' (%3B, data and no delimiter), stay.
func TestBugPathParamsKept(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"https://api.example/app;jsessionid=ABC123/orders", "https://api.example/app;jsessionid=REDACTED/orders"},
		{"https://api.example/app;JSESSIONID=ABC123", "https://api.example/app;JSESSIONID=REDACTED"},
		{"https://h/a;x=1;y=2/b;c=3?q=v", "https://h/a;x=REDACTED;y=REDACTED/b;c=REDACTED?q=REDACTED"},
		{"https://h/a;s3cr3tT0ken/b", "https://h/a;REDACTED/b"},
		{"https://h/a;x=1=2;/b;;c", "https://h/a;x=REDACTED;/b;;REDACTED"},
		{"https://h/;sid=ABC123", "https://h/;sid=REDACTED"},
		{"https://h/a%2Fb;sid=ABC123/c", "https://h/a%2Fb;sid=REDACTED/c"},    // RawPath kept
		{"https://h/a%3Bsid=keep/c", "https://h/a%3Bsid=keep/c"},              // an escaped ';' is data
		{"https://h/a%20b;sid=ABC%2F123/c", "https://h/a%20b;sid=REDACTED/c"}, // an escaped value goes whole
		{"https://h/a=b/c", "https://h/a=b/c"},
		{"https://h/prod/items/42", "https://h/prod/items/42"},
		{"https://u:p@h/app;jsessionid=ABC123/o?tok#f", "https://h/app;jsessionid=REDACTED/o?REDACTED"},
	}
	checkURLs(t, tests)
	// A request URL written opaque (to send a path exactly as given).
	u := &url.URL{Scheme: "https", Host: "h", Opaque: "//h/app;jsessionid=ABC123/orders", RawQuery: "s3cr3tT0ken"}
	if got, want := URL(u), "https://h/app;jsessionid=REDACTED/orders?REDACTED"; got != want {
		t.Errorf("URL(opaque %q) = %q, want %q", u.Opaque, got, want)
	}
}

// Error texts spell the URL (net/http's *url.Error quotes it): a bare
// query part and a path parameter's value leave them too, also from a URL
// with nothing else to hide.
func TestBugTextKeepsBarePartsAndPathParams(t *testing.T) {
	t.Parallel()
	tests := []struct{ url, in, want string }{
		{"https://api.example/x?s3cr3tT0ken", `Get "https://api.example/x?s3cr3tT0ken": EOF`, `Get "https://api.example/x?REDACTED": EOF`},
		{"https://api.example/app;jsessionid=ABC123/orders", `Get "https://api.example/app;jsessionid=ABC123/orders": EOF`,
			`Get "https://api.example/app;jsessionid=REDACTED/orders": EOF`},
		{"https://al:pw@api.example/app;sid=ABC123?tok", `Get "https://al:***@api.example/app;sid=ABC123?tok": EOF`,
			`Get "https://api.example/app;sid=REDACTED?REDACTED": EOF`},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := Text(tt.in, u); got != tt.want {
			t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestQueryAndPath pins the text rules the scrubbers of free text share.
func TestQueryAndPath(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"", ""}, {"a=1&b&&c=", "a=REDACTED&REDACTED&&c=REDACTED"}, {"tok", "REDACTED"}, {"a=b=c", "a=REDACTED"},
	} {
		if got := Query(tt.in); got != tt.want {
			t.Errorf("Query(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, tt := range []struct{ in, want string }{
		{"", ""}, {"/", "/"}, {"/a/b", "/a/b"}, {"/a;b=c/d", "/a;b=REDACTED/d"}, {"a;b", "a;REDACTED"},
		{"/a;b=c;d", "/a;b=REDACTED;REDACTED"}, {"/a;", "/a;"},
	} {
		if got := Path(tt.in); got != tt.want {
			t.Errorf("Path(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Whatever a URL holds around them, a bare query part and a path
// parameter's value never survive URL, nor Text on the URL's spelling.
func FuzzURL(f *testing.F) {
	for _, s := range []string{"", "a", "a;b=c", "?x&y=", "a/b?c", "%41", "a=b;", ";", "&?"} {
		f.Add(s, "s3cr3tT0ken")
	}
	f.Fuzz(func(t *testing.T, path, secret string) {
		if len(secret) < 8 || strings.Contains("https h.example app jsessionid REDACTED x", secret) {
			return
		}
		for i := 0; i < len(secret); i++ {
			if c := secret[i]; !isLower(c) && !isUpper(c) && !isDigit(c) {
				return
			}
		}
		// path is kept to bytes a URL carries unescaped, so that an escape
		// cannot spell the secret.
		path = strings.Map(func(r rune) rune {
			if r < 0x80 && (isLower(byte(r)) || isUpper(byte(r)) || isDigit(byte(r)) || strings.ContainsRune("/;=?&._~-", r)) {
				return r
			}
			return '_'
		}, path)
		if strings.Contains(path, secret) {
			return
		}
		u, err := url.Parse("https://h.example/" + path + "/app;jsessionid=" + secret + "/x?" + secret)
		if err != nil {
			return
		}
		if got := URL(u); strings.Contains(got, secret) {
			t.Fatalf("URL(%q) = %q", u, got)
		}
		if got := Text(`Get "`+u.String()+`": EOF`, u); strings.Contains(got, secret) {
			t.Fatalf("Text on %q = %q", u, got)
		}
	})
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
