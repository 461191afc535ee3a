// Package xray parses and formats the AWS X-Ray trace header,
// X-Amzn-Trace-Id, by one set of rules for every retryscope package that
// reads it (the transport's attempt records and spans, the emulator, the
// Lambda middleware and the log diagnosis).
//
// The header is a list of key=value parts separated by ";":
//
//	Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1
//
// Root is the trace id: version "1", a hyphen, the trace's start time in
// epoch seconds as 8 hex digits, a hyphen, and 24 hex digits. Parent is the
// 16-hex-digit id of the parent segment. Sampled is "1" (sampled), "0" (not
// sampled) or "?" (let the receiver decide). Load balancers add Self=...,
// and other parts such as Lineage=... appear too. See
// docs/aws-behaviour.md#x-ray for the sources.
//
// The rules, chosen so that the Root API Gateway echoes is always found:
//
//   - A Root is required and enough: the Root-only header API Gateway answers
//     its own 5xx and 429 with is valid (the OpenTelemetry X-Ray propagator
//     drops it for want of a Parent).
//   - Keys are matched without regard to case (execution logs write
//     "root=...;sampled=0"); spaces around parts, keys and values are
//     ignored; the first occurrence of a key wins.
//   - Unknown keys and parts without "=" are skipped, so a part added by a
//     proxy does not cost the Root.
//   - A malformed Root makes the whole header invalid; a malformed Parent or
//     Sampled is dropped and the rest kept.
//   - Hex digits may be upper or lower case, kept as they appeared.
package xray

import "strings"

// HeaderName is the X-Ray trace header, in Go's canonical form.
const HeaderName = "X-Amzn-Trace-Id"

// Header is a parsed X-Amzn-Trace-Id value. The zero value is no trace.
type Header struct {
	// Root is the trace id, "1-" + 8 hex digits + "-" + 24 hex digits.
	Root string
	// Parent is the parent segment id, 16 hex digits, or "" when absent or
	// malformed.
	Parent string
	// Sampled is "1", "0", "?", or "" when absent or malformed.
	Sampled string
}

// Parse parses an X-Amzn-Trace-Id value by the rules in the package
// documentation. ok is false, and h the zero Header, when there is no valid
// Root. It never panics.
func Parse(v string) (h Header, ok bool) {
	var seenRoot, seenParent, seenSampled bool
	for v != "" {
		var part string
		part, v, _ = strings.Cut(v, ";")
		key, val, found := strings.Cut(part, "=")
		if !found {
			continue
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		switch {
		case strings.EqualFold(key, "Root"):
			if seenRoot {
				continue
			}
			seenRoot = true
			if !ValidRoot(val) {
				return Header{}, false
			}
			h.Root = val
		case strings.EqualFold(key, "Parent"):
			if !seenParent {
				seenParent = true
				if ValidParent(val) {
					h.Parent = val
				}
			}
		case strings.EqualFold(key, "Sampled"):
			if !seenSampled {
				seenSampled = true
				if val == "0" || val == "1" || val == "?" {
					h.Sampled = val
				}
			}
		}
	}
	if h.Root == "" {
		return Header{}, false
	}
	return h, true
}

// Root returns the Root of an X-Amzn-Trace-Id value, or "" when the value
// has no valid Root.
func Root(v string) string {
	h, _ := Parse(v)
	return h.Root
}

// ValidRoot reports whether s is an X-Ray trace id:
// "1-" + 8 hex digits + "-" + 24 hex digits.
func ValidRoot(s string) bool {
	return len(s) == 35 && s[0] == '1' && s[1] == '-' && s[10] == '-' &&
		isHex(s[2:10]) && isHex(s[11:])
}

// ValidParent reports whether s is a segment id: 16 hex digits.
func ValidParent(s string) bool {
	return len(s) == 16 && isHex(s)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// String formats h as an X-Amzn-Trace-Id value: Root, then Parent and
// Sampled where set.
func (h Header) String() string {
	var b strings.Builder
	b.Grow(len("Root=;Parent=;Sampled=") + len(h.Root) + len(h.Parent) + len(h.Sampled))
	b.WriteString("Root=")
	b.WriteString(h.Root)
	if h.Parent != "" {
		b.WriteString(";Parent=")
		b.WriteString(h.Parent)
	}
	if h.Sampled != "" {
		b.WriteString(";Sampled=")
		b.WriteString(h.Sampled)
	}
	return b.String()
}
