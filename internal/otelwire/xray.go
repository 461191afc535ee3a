package otelwire

import (
	"net/http"

	"github.com/retryscope/retryscope/internal/xray"
)

// TraceRoot returns the Root of h's X-Amzn-Trace-Id header, parsed by
// internal/xray's rules (a Root-only header, as API Gateway answers a 504
// with, counts), or "" when there is none or it is malformed. A nil h gives
// "".
func TraceRoot(h http.Header) string {
	v := headerValue(h, HeaderXRayTraceID)
	if v == "" {
		return ""
	}
	return xray.Root(v)
}
