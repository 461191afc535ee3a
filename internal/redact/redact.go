// Package redact removes credentials from what retryscope records: URL
// userinfo and query values, and the headers that carry secrets.
package redact

import (
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

// Which names carry credentials is told by the words they are made of,
// not by a list of names: a list of six missed the custom headers APIs
// use for their tokens (X-Auth-Token, X-Session-Id, a Lambda authorizer's
// authorizationToken, Azure's Ocp-Apim-Subscription-Key). A name is split
// into words at every ASCII byte that is neither a letter nor a digit
// ('-', '_', '.', blanks...), and where a lower-case letter or a digit
// meets an upper-case one ("accessToken": access, token), or an acronym
// the next word ("JWTAssertion": JWT, Assertion); words are compared in
// any ASCII case. The one rule serves the transport, probe and
// the emulator, which leave such headers out of what they record, and
// diagnose, which hides their values in the log lines it quotes.

// credentialWords name a credential alone: "Proxy-Authorization",
// "X-Session-Id", "Set-Cookie", "X-Amz-Credential".
var credentialWords = []string{
	"authorization", "authentication", "auth", "bearer", "cookie", "cookies", "session", "sessionid",
	"credential", "credentials", "jwt", "signature", "apikey", "apikeys", "passcode",
}

// credentialEndings name one at a word's end too: "X-Amz-Security-Token",
// "Authtoken", "client_secret", "X-Password".
var credentialEndings = []string{"token", "tokens", "secret", "secrets", "password", "passwd", "passcode", "apikey", "apikeys"}

// keyKinds make the word "key" (or "keys") after them a credential: "X-Api-Key",
// "X-Functions-Key", "Ocp-Apim-Subscription-Key". Other keys are not
// ("Idempotency-Key", an HTTP API's "routeKey").
var keyKinds = []string{"api", "access", "secret", "private", "subscription", "functions", "client", "consumer", "master", "signing", "auth", "session"}

// SensitiveHeader reports whether a header or field whose name is name
// may carry a credential and must never be recorded: one with a word
// that names a credential (Authorization, Auth, Bearer, Cookie, Session,
// Credential, JWT, Signature, API key...), a word ending in "token",
// "secret" or "password", or "key" after "api", "access", "secret",
// "private", "subscription", "functions", "client" and the like. So
// Authorization, Proxy-Authorization, Cookie, Set-Cookie, X-Api-Key and
// X-Amz-Security-Token are, and so are X-Auth-Token, X-Session-Id and
// accessToken; WWW-Authenticate, Idempotency-Key, an authorizer's
// "authorizerError" and X-Amzn-RequestId are not. Any case.
func SensitiveHeader(name string) bool {
	prev := ""
	for name != "" {
		var w string
		w, name = nextWord(name)
		if w == "" {
			continue
		}
		if credentialWord(w, prev) {
			return true
		}
		prev = w
	}
	return false
}

// credentialWord reports whether word w, after the word prev, names a
// credential.
func credentialWord(w, prev string) bool {
	for _, c := range credentialWords {
		if equalFold(w, c) {
			return true
		}
	}
	for _, e := range credentialEndings {
		if len(w) >= len(e) && equalFold(w[len(w)-len(e):], e) {
			return true
		}
	}
	if equalFold(w, "key") || equalFold(w, "keys") {
		for _, k := range keyKinds {
			if equalFold(prev, k) {
				return true
			}
		}
	}
	return false
}

// nextWord splits name's first word off: up to an ASCII byte that is
// neither a letter nor a digit (dropped), or up to an upper-case letter
// that follows a lower-case one or a digit, or that follows another and
// is followed by a lower-case one ("XApiKey": X, Api, Key).
func nextWord(name string) (word, rest string) {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < 0x80 && !isLower(c) && !isUpper(c) && !isDigit(c) {
			return name[:i], name[i+1:]
		}
		if i+1 < len(name) && isUpper(name[i+1]) &&
			(isLower(c) || isDigit(c) || (isUpper(c) && i+2 < len(name) && isLower(name[i+2]))) {
			return name[:i+1], name[i+1:]
		}
	}
	return name, ""
}

// equalFold reports whether s is lower, a lower-case ASCII word, in any
// ASCII case (strings.EqualFold would also take the Kelvin sign for a k).
func equalFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUpper(c) {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// Fragments returns lower-case fragments of which every name that
// SensitiveHeader reports holds one, in some case (a new slice each
// call): text without any of them names no credential.
func Fragments() []string {
	return []string{"auth", "bearer", "cookie", "session", "credential", "jwt", "signature", "key", "token", "secret", "passw", "passc"}
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
