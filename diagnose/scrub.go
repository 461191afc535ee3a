package diagnose

import (
	"bytes"
	"regexp"
)

// The report quotes log lines (the line that decided a verdict, malformed
// and unrecognised lines), and logs can hold credentials: execution logs
// with full request logging print "Method request headers: {Authorization=
// ...}", a damaged line may be anything. scrub hides them before a line is
// quoted, with the rules the transport uses when it logs: values of the
// headers that carry secrets, URL userinfo, URL query values.

// scrubPlaceholder replaces every hidden value (the transport's REDACTED).
const scrubPlaceholder = "REDACTED"

var (
	// reSecretHeader is a credential header's name, its separator as a
	// header map, "Name: value" or JSON (escaped or not) writes it, and the
	// value up to the next delimiter.
	reSecretHeader = regexp.MustCompile(`(?i)((?:proxy-)?authorization|set-cookie|cookies?|x-api-key|x-amz-security-token)(\\?"?[ \t]*[:=][ \t]*\[?\\?"?)([^,}\]\r\n"\\]*)`)
	// reCookieList is an HTTP API event's cookie list, "cookies":["a=1","b=2"].
	reCookieList = regexp.MustCompile(`(?i)(\\?"cookies\\?"[ \t]*:[ \t]*\[)[^\]]*`)
	// reURL is a URL in free text.
	reURL = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s"'<>\\]+`)
	// reQueryString is the execution log's "Method request query string: {k=v, ...}".
	reQueryString = regexp.MustCompile(`(?i)(query string: \{)([^}\r\n]*)`)
	reMapValue    = regexp.MustCompile(`=[^,}]*`)
)

// scrubHints are the lower-case fragments without which a line has nothing
// to hide, so most lines skip the regular expressions.
var scrubHints = [][]byte{[]byte("://"), []byte("authorization"), []byte("cookie"), []byte("api-key"), []byte("security-token"), []byte("query string")}

// scrub returns b with credentials replaced by REDACTED; b itself is not
// modified.
func scrub(b []byte) []byte {
	if !mayHoldSecret(b) {
		return b
	}
	b = reCookieList.ReplaceAll(b, []byte("${1}"+scrubPlaceholder))
	b = reSecretHeader.ReplaceAll(b, []byte("${1}${2}"+scrubPlaceholder))
	b = reQueryString.ReplaceAllFunc(b, func(m []byte) []byte {
		i := bytes.IndexByte(m, '{') + 1
		return append(append([]byte(nil), m[:i]...), reMapValue.ReplaceAll(m[i:], []byte("="+scrubPlaceholder))...)
	})
	return reURL.ReplaceAllFunc(b, scrubURL)
}

func mayHoldSecret(b []byte) bool {
	for _, h := range scrubHints {
		if containsFold(b, h) {
			return true
		}
	}
	return false
}

// containsFold reports whether b contains the lower-case ASCII lower in
// any case, without allocating.
func containsFold(b, lower []byte) bool {
	first, upper := lower[0], lower[0]
	if 'a' <= first && first <= 'z' {
		upper = first - 'a' + 'A'
	}
	for len(b) >= len(lower) {
		i := bytes.IndexByte(b, first)
		if j := bytes.IndexByte(b, upper); j >= 0 && (i < 0 || j < i) {
			i = j
		}
		if i < 0 || len(b)-i < len(lower) {
			return false
		}
		if foldEqual(b[i:i+len(lower)], lower) {
			return true
		}
		b = b[i+1:]
	}
	return false
}

func foldEqual(b, lower []byte) bool {
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// scrubURL drops a URL's userinfo and fragment and replaces each query
// value, keeping the keys.
func scrubURL(u []byte) []byte {
	scheme := bytes.Index(u, []byte("://")) + 3
	out := append([]byte(nil), u[:scheme]...)
	rest := u[scheme:]
	if i := bytes.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	authority := rest
	if i := bytes.IndexAny(rest, "/?"); i >= 0 {
		authority = rest[:i]
	}
	if at := bytes.LastIndexByte(authority, '@'); at >= 0 {
		rest = rest[at+1:]
	}
	path, query, hasQuery := bytes.Cut(rest, []byte("?"))
	out = append(out, path...)
	if !hasQuery {
		return out
	}
	out = append(out, '?')
	for i, part := range bytes.Split(query, []byte("&")) {
		if i > 0 {
			out = append(out, '&')
		}
		key, _, hasValue := bytes.Cut(part, []byte("="))
		out = append(out, key...)
		if hasValue {
			out = append(out, "="+scrubPlaceholder...)
		}
	}
	return out
}
