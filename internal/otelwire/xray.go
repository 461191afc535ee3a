package otelwire

import (
	"net/http"
	"strings"
)

// TraceHeader is a parsed X-Amzn-Trace-Id header:
// "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1".
type TraceHeader struct {
	// Root is the X-Ray trace id, "1-" + 8 hex digits (epoch seconds) + "-"
	// + 24 hex digits, as it appeared.
	Root string
	// Parent is the parent segment id, 16 hex digits, or "" when absent
	// (API Gateway answers a 504 with a Root-only header).
	Parent string
	// Sampled is the sampling decision as it appeared: "1", "0", "?" or ""
	// when absent.
	Sampled string
}

// ParseTraceHeader parses an X-Amzn-Trace-Id value. A Root is required and
// enough: unlike the contrib X-Ray propagator, which drops headers without a
// Parent, it accepts the Root-only header API Gateway returns with a 504.
// Keys are matched without regard to case, unknown keys (Self, Lineage) are
// ignored, and the first occurrence of a key wins. A missing or malformed
// Root, a malformed Parent or Sampled, or a part without "=" gives false. It
// never panics.
func ParseTraceHeader(v string) (TraceHeader, bool) {
	var h TraceHeader
	for part := range strings.SplitSeq(v, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, val, ok := strings.Cut(part, "=")
		if !ok {
			return TraceHeader{}, false
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		switch {
		case strings.EqualFold(key, "Root"):
			if h.Root != "" {
				continue
			}
			if !validRoot(val) {
				return TraceHeader{}, false
			}
			h.Root = val
		case strings.EqualFold(key, "Parent"):
			if h.Parent != "" {
				continue
			}
			if len(val) != 16 || !isHex(val) {
				return TraceHeader{}, false
			}
			h.Parent = val
		case strings.EqualFold(key, "Sampled"):
			if h.Sampled != "" {
				continue
			}
			if val != "0" && val != "1" && val != "?" {
				return TraceHeader{}, false
			}
			h.Sampled = val
		}
	}
	if h.Root == "" {
		return TraceHeader{}, false
	}
	return h, true
}

// validRoot checks "1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx".
func validRoot(s string) bool {
	return len(s) == 35 && s[0] == '1' && s[1] == '-' && s[10] == '-' &&
		isHex(s[2:10]) && isHex(s[11:])
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return s != ""
}

// TraceRoot returns the Root of h's X-Amzn-Trace-Id header, or "" when there
// is none or it is malformed. A nil h gives "".
func TraceRoot(h http.Header) string {
	v := headerValue(h, HeaderXRayTraceID)
	if v == "" {
		return ""
	}
	th, ok := ParseTraceHeader(v)
	if !ok {
		return ""
	}
	return th.Root
}

// String formats h as an X-Amzn-Trace-Id value, leaving out empty fields.
func (h TraceHeader) String() string {
	s := "Root=" + h.Root
	if h.Parent != "" {
		s += ";Parent=" + h.Parent
	}
	if h.Sampled != "" {
		s += ";Sampled=" + h.Sampled
	}
	return s
}
