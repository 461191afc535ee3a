// Package redact removes credentials from what retryscope records: URL
// userinfo and query values, and the headers that carry secrets.
package redact

import (
	"net/http"
	"net/url"
	"strings"
)

// Placeholder replaces every redacted value.
const Placeholder = "REDACTED"

// URL returns u as a string without userinfo, with every query value
// replaced by Placeholder (the keys stay: they say what was asked) and
// without the fragment. A nil URL gives "".
func URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	if u.User == nil && u.RawQuery == "" && u.Fragment == "" {
		return u.String()
	}
	c := *u
	c.User = nil
	c.Fragment, c.RawFragment = "", ""
	if c.RawQuery != "" {
		c.RawQuery = query(c.RawQuery)
	}
	return c.String()
}

// query keeps the keys of a raw query and replaces each value, without
// decoding or reordering (a malformed query is still redacted).
func query(raw string) string {
	var b strings.Builder
	b.Grow(len(raw))
	first := true
	for part := range strings.SplitSeq(raw, "&") {
		if !first {
			b.WriteByte('&')
		}
		first = false
		key, _, hasValue := strings.Cut(part, "=")
		b.WriteString(key)
		if hasValue {
			b.WriteString("=" + Placeholder)
		}
	}
	return b.String()
}

// sensitiveHeaderNames is the one list of headers that carry credentials:
// the transport, probe and the emulator leave them out of what they
// record, and diagnose hides their values in the log lines it quotes.
var sensitiveHeaderNames = []string{
	"Authorization",
	"Proxy-Authorization",
	"Cookie",
	"Set-Cookie",
	"X-Api-Key",
	"X-Amz-Security-Token",
}

// sensitiveHeaders indexes sensitiveHeaderNames.
var sensitiveHeaders = func() map[string]bool {
	m := make(map[string]bool, len(sensitiveHeaderNames))
	for _, n := range sensitiveHeaderNames {
		m[n] = true
	}
	return m
}()

// SensitiveHeader reports whether a header carries credentials and must
// never be recorded: Authorization, Proxy-Authorization, Cookie,
// Set-Cookie, X-Api-Key and X-Amz-Security-Token, in any case.
func SensitiveHeader(name string) bool {
	return sensitiveHeaders[http.CanonicalHeaderKey(name)]
}

// SensitiveHeaderNames returns the headers SensitiveHeader reports, in
// canonical form (a new slice each call), for code that must find them in
// text rather than in an http.Header.
func SensitiveHeaderNames() []string {
	return append([]string(nil), sensitiveHeaderNames...)
}

// Text returns s with every spelling of u that may appear in it (with or
// without its password, as net/http prints it in a *url.Error) replaced by
// URL(u). Error messages and reasons pass through it before they are
// recorded. A nil u, or one with nothing to hide, returns s unchanged.
func Text(s string, u *url.URL) string {
	if u == nil || (u.User == nil && u.RawQuery == "" && u.Fragment == "") || !strings.Contains(s, u.Host) {
		return s
	}
	safe := URL(u)
	s = strings.ReplaceAll(s, u.String(), safe)
	if _, ok := u.User.Password(); ok {
		// net/http's stripPassword shows the password as "***".
		full := u.String()
		s = strings.ReplaceAll(s, strings.Replace(full, u.User.String()+"@", u.User.Username()+":***@", 1), safe)
	}
	if u.User != nil {
		c := *u
		c.User = nil
		s = strings.ReplaceAll(s, c.String(), safe)
	}
	return s
}
