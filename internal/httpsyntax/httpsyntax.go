// Package httpsyntax holds RFC 9110's rules for the parts of a request
// that no HTTP client may send malformed: tokens (header names, methods)
// and field values.
package httpsyntax

import "strings"

// IsToken reports whether s is an RFC 9110 token (section 5.6.2): one or
// more of the letters, digits and !#$%&'*+-.^_`|~. Header names and
// methods are tokens.
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// IsCTL reports whether r is a control character a field value may not
// hold (section 5.5): any but the horizontal tab, DEL included.
func IsCTL(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }

// ValidValue reports whether v holds no control character but tabs.
func ValidValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if IsCTL(rune(v[i])) {
			return false
		}
	}
	return true
}
