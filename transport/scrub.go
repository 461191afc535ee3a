package transport

import (
	"strings"

	"github.com/retryscope/retryscope/internal/redact"
)

// scrubURLs returns s with every URL-looking piece of text (a scheme, "://"
// and what follows up to a space, a quote or a bracket) stripped of its
// userinfo and fragment and with its query and path parameters redacted,
// as redact.URL does for a parsed URL. Error messages carry URLs as text:
// net/http's *url.Error quotes the request's URL with its user name, query
// and fragment (it hides only the password), and so do the errors of
// clients built on it. Text without "://" is returned as it is, without
// allocating.
func scrubURLs(s string) string {
	i := strings.Index(s, "://")
	if i < 0 {
		return s
	}
	var b strings.Builder
	done := 0 // s[:done] is written to b
	for i >= 0 {
		start := i
		for start > 0 && isSchemeByte(s[start-1]) {
			start--
		}
		for start < i && !isLetter(s[start]) { // a scheme starts with a letter
			start++
		}
		end := i + 3
		for end < len(s) && !endsURL(s[end]) {
			end++
		}
		for end > i+3 && strings.IndexByte(".,;:!)]}", s[end-1]) >= 0 {
			end-- // punctuation after a URL, not part of it
		}
		next := end
		if start < i {
			if clean := redact.URLText(s[start:end]); clean != s[start:end] {
				b.WriteString(s[done:start])
				b.WriteString(clean)
				done = end
			}
		} else {
			next = i + 3
		}
		j := strings.Index(s[next:], "://")
		if j < 0 {
			break
		}
		i = next + j
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isSchemeByte(c byte) bool {
	return isLetter(c) || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'
}

// endsURL reports whether c cannot be part of a URL as error messages
// print one: spaces, controls, quotes and angle brackets (RFC 3986 leaves
// them out; net/http's *url.Error puts the URL in double quotes).
func endsURL(c byte) bool {
	return c <= ' ' || c == 0x7f || c == '"' || c == '\'' || c == '`' || c == '<' || c == '>' || c == '\\'
}

// scrubbedError is an error whose text had credentials in it: Error gives
// the redacted text, Unwrap the original, so errors.Is and errors.As still
// see everything beneath.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// scrubError returns err itself when its text holds no URL credentials,
// else err behind a scrubbedError.
func scrubError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*scrubbedError); ok {
		return err
	}
	msg := err.Error()
	if clean := scrubURLs(msg); clean != msg {
		return &scrubbedError{msg: clean, err: err}
	}
	return err
}

// errorText is err's text without URL credentials; "<nil>" for nil, as %v
// prints it.
func errorText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return scrubURLs(err.Error())
}
