package transport

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/retryscope/retryscope/policy"
)

// Correlation headers, in Go's canonical form.
const (
	headerInvocationID = "Amz-Sdk-Invocation-Id" // the logical request's id (AWS SDK convention)
	headerSDKRequest   = "Amz-Sdk-Request"       // "attempt=N; max=M" (AWS SDK convention)
)

func newUUID() string { return uuid.New().String() }

// sdkRequestValues caches "attempt=N; max=M" for small N and M, so the
// common case allocates nothing.
var sdkRequestValues = func() (v [10][10]string) {
	for n := 1; n < 10; n++ {
		for m := 1; m < 10; m++ {
			v[n][m] = formatSDKRequest(n, m)
		}
	}
	return v
}()

func sdkRequest(n, max int) string {
	if n > 0 && n < 10 && max > 0 && max < 10 {
		return sdkRequestValues[n][max]
	}
	return formatSDKRequest(n, max)
}

func formatSDKRequest(n, max int) string {
	return "attempt=" + strconv.Itoa(n) + "; max=" + strconv.Itoa(max)
}

// header builds attempt n's headers: a copy of the caller's (one map, one
// backing array for every value) plus the correlation headers and the
// Idempotency-Key the transport adds. It returns the x-amzn-RequestId sent.
func (c *call) header(n int) (http.Header, string) {
	src := c.req.Header
	extra := 0
	if c.invID != "" {
		extra += 3
	}
	if c.idemKey != "" {
		extra++
	}
	total := extra
	for _, v := range src {
		total += len(v)
	}
	h := make(http.Header, len(src)+extra)
	vals := make([]string, 0, total)
	for k, v := range src {
		if v == nil {
			h[k] = nil
			continue
		}
		i := len(vals)
		vals = append(vals, v...)
		h[k] = vals[i:len(vals):len(vals)]
	}
	set := func(k, v string) {
		vals = append(vals, v)
		h[k] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
	if c.idemKey != "" {
		set(policy.HeaderIdempotencyKey, c.idemKey)
	}
	sent := src.Get(policy.HeaderRequestID)
	if c.invID == "" {
		return h, sent
	}
	if n > 1 || sent == "" {
		sent = newUUID()
	}
	set(policy.HeaderRequestID, sent)
	set(headerInvocationID, c.invID)
	if src.Get(headerSDKRequest) == "" { // a caller that counts its own attempts keeps its value
		set(headerSDKRequest, sdkRequest(n, c.t.cfg.policy.Attempts()))
	}
	return h, sent
}

// traceRoot returns the Root of an X-Amzn-Trace-Id header, "" if none.
// API Gateway answers a 504 with a Root-only header, which the contrib X-Ray
// propagator does not extract, so the record parses it itself.
func traceRoot(h http.Header) string {
	v := h.Get(policy.HeaderTraceID)
	if v == "" {
		return ""
	}
	for part := range strings.SplitSeq(v, ";") {
		if k, val, ok := strings.Cut(strings.TrimSpace(part), "="); ok && k == "Root" {
			return val
		}
	}
	return ""
}
