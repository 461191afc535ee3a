// Package redact removes credentials from what retryscope records: URL
// userinfo, query values and path parameters, and the headers that carry
// secrets.
package redact

import (
	"net/url"
	"strings"
)

// Placeholder replaces every redacted value.
const Placeholder = "REDACTED"

// URL returns u as a string without userinfo and without the fragment,
// with its query redacted by Query (the keys stay: they say what was
// asked) and its path by Path (the segments stay, their parameters'
// values do not). A nil URL gives "".
func URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	if !hides(u) {
		return u.String()
	}
	c := *u
	c.User = nil
	c.Fragment, c.RawFragment = "", ""
	if c.RawQuery != "" {
		c.RawQuery = Query(c.RawQuery)
	}
	if c.Opaque != "" {
		c.Opaque = Path(c.Opaque)
	} else if p := c.EscapedPath(); strings.IndexByte(p, ';') >= 0 {
		// The parameters are found in the escaped path, where an escaped
		// ';' (%3B) is data; the redacted path is set escaped, so that the
		// rest of it is printed as it came.
		p = Path(p)
		if unescaped, err := url.PathUnescape(p); err == nil {
			c.Path, c.RawPath = unescaped, p
		}
	}
	return c.String()
}

// hides reports whether URL(u) has something of u's to leave out: a
// userinfo, a query, a fragment or a ';' that may start path parameters.
func hides(u *url.URL) bool {
	return u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
		strings.IndexByte(u.Path, ';') >= 0 || strings.IndexByte(u.Opaque, ';') >= 0
}

// URLText redacts a URL written as text, which starts with a scheme and
// "://" (as error messages and logs quote it), by URL's rules: the
// userinfo and the fragment are dropped, the path parameters and the
// query redacted (see Target).
func URLText(u string) string {
	scheme := strings.Index(u, "://") + 3
	rest := u[scheme:]
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	rest = rest[len(authority):]
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		authority = authority[at+1:]
	}
	return u[:scheme] + authority + Target(rest)
}

// Target redacts a request target written as text, a path with any query
// and fragment: the path's parameters by Path, the query by Query; the
// fragment is dropped.
func Target(t string) string {
	if i := strings.IndexByte(t, '#'); i >= 0 {
		t = t[:i]
	}
	path, query, hasQuery := strings.Cut(t, "?")
	if !hasQuery {
		return Path(path)
	}
	return Path(path) + "?" + Query(query)
}

// Query redacts a raw query without decoding or reordering it (a malformed
// query is still redacted): each part between '&' keeps its key and has
// its value after '=' replaced by Placeholder, and a part without '=' is
// replaced whole. Such a part is a flag ("?debug") as often as the
// credential itself (a token or a signed key passed as the whole query),
// and the two cannot be told apart. An empty part stays empty.
func Query(raw string) string {
	var b strings.Builder
	b.Grow(len(raw))
	first := true
	for p := range strings.SplitSeq(raw, "&") {
		if !first {
			b.WriteByte('&')
		}
		first = false
		b.WriteString(param(p))
	}
	return b.String()
}

// Path redacts the parameters of an escaped path (as URL.EscapedPath
// gives it, or as a URL's text spells it): in a segment, what follows its
// first ';' is parameters separated by ';' ("/app;jsessionid=ABC/orders"),
// each redacted as a query part is: its name stays, its value after '=' is
// replaced by Placeholder, a parameter without '=' is replaced whole. The
// segments themselves stay, and so does an escaped ';' (%3B), which is
// data. A path without ';' is returned as it is.
func Path(p string) string {
	if strings.IndexByte(p, ';') < 0 {
		return p
	}
	var b strings.Builder
	b.Grow(len(p))
	for i, seg := range strings.Split(p, "/") {
		if i > 0 {
			b.WriteByte('/')
		}
		name, params, ok := strings.Cut(seg, ";")
		b.WriteString(name)
		if !ok {
			continue
		}
		for par := range strings.SplitSeq(params, ";") {
			b.WriteByte(';')
			b.WriteString(param(par))
		}
	}
	return b.String()
}

// param redacts one query part or path parameter: "name=value" gives
// "name=REDACTED", "" stays "", anything else gives "REDACTED".
func param(p string) string {
	if p == "" {
		return ""
	}
	if name, _, ok := strings.Cut(p, "="); ok {
		return name + "=" + Placeholder
	}
	return Placeholder
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
	if u == nil || !hides(u) || !strings.Contains(s, u.Host) {
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
