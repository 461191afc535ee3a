package otelwire

import (
	"net/http"
	"reflect"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Attribute keys retryscope adds to the HTTP semantic conventions.
const (
	// AttrReach is how far an attempt got: not_sent, unknown, gateway,
	// backend_timeout or backend (policy.Reach).
	AttrReach = attribute.Key("retryscope.reach")
	// AttrCause is the attempt's outcome as a short stable token, e.g.
	// "integration_timeout" (policy.Outcome.Cause).
	AttrCause = attribute.Key("retryscope.cause")
	// AttrReason says in words what the attempt saw (policy.Outcome.Reason).
	AttrReason = attribute.Key("retryscope.reason")
	// AttrRetry says whether another attempt followed the decision.
	AttrRetry = attribute.Key("retryscope.retry")
	// AttrRetryWaitMS is the wait before the next attempt, in milliseconds.
	AttrRetryWaitMS = attribute.Key("retryscope.retry.wait_ms")
	// AttrDecision names the rule that decided (policy.Decision.Rule).
	AttrDecision = attribute.Key("retryscope.decision")
	// AttrDecisionReason says the decision in words (policy.Decision.Reason).
	AttrDecisionReason = attribute.Key("retryscope.decision.reason")
	// AttrHedge is true on an attempt sent as a hedge (absent otherwise).
	AttrHedge = attribute.Key("retryscope.hedge")
	// AttrAttempts is the number of attempts on the logical span.
	AttrAttempts = attribute.Key("retryscope.attempts")
	// AttrRefusal is the kind of a refusal: "circuit_open" or "budget".
	AttrRefusal = attribute.Key("retryscope.refusal")
	// AttrBreakerFrom is the state a breaker left, e.g. "closed".
	AttrBreakerFrom = attribute.Key("retryscope.breaker.from")
	// AttrBreakerTo is the state a breaker entered, e.g. "open".
	AttrBreakerTo = attribute.Key("retryscope.breaker.to")
	// AttrXRayTraceID is the X-Ray trace id (the Root of X-Amzn-Trace-Id) an
	// attempt sent or API Gateway answered, e.g.
	// "1-5759e988-bd862e3fe1be46a994272793".
	AttrXRayTraceID = attribute.Key("aws.xray.trace_id")
)

// Names of the events retryscope adds.
const (
	// EventRefused is added to the logical span when a breaker or a budget
	// refuses an attempt.
	EventRefused = "retryscope.refused"
)

// Headers retryscope reads, in canonical form.
const (
	// HeaderRequestID is x-amzn-RequestId: API Gateway's request id, which
	// a client may choose (docs/aws-behaviour.md#request-ids).
	HeaderRequestID = "X-Amzn-Requestid"
	// HeaderAPIGWID is x-amz-apigw-id, a REST API's extended request id.
	HeaderAPIGWID = "X-Amz-Apigw-Id"
	// HeaderHTTPAPIID is apigw-requestid, an HTTP API's own request id,
	// recorded as aws.extended_request_id.
	HeaderHTTPAPIID = "Apigw-Requestid"
	// HeaderXRayTraceID is X-Amzn-Trace-Id, the X-Ray trace header.
	HeaderXRayTraceID = "X-Amzn-Trace-Id"
)

// methodQuery is the QUERY method, which semconv v1.43.0 counts among the
// known methods (HTTPRequestMethodQuery: RFC 9110's, PATCH and
// draft-ietf-httpbis-safe-method-w-body's QUERY).
const methodQuery = "QUERY"

// target is what the HTTP conventions record about where a request goes.
type target struct {
	method string // semconv http.request.method: a known method or "_OTHER"
	orig   string // the original method when it is not known, else ""
	host   string
	port   int
}

func targetOf(req *http.Request) target {
	t := target{method: methodName(req.Method)}
	if t.method == "HTTP" { // a method the conventions do not know
		t.method, t.orig = "_OTHER", req.Method
	}
	hostport := req.Host
	if req.URL != nil && req.URL.Host != "" {
		hostport = req.URL.Host
	}
	t.host, t.port = splitHostPort(hostport)
	if t.port == 0 {
		t.port = 80
		if (req.URL != nil && req.URL.Scheme == "https") || req.TLS != nil {
			t.port = 443
		}
	}
	return t
}

// splitHostPort splits "host:port", "[v6]:port", "host" or "[v6]" without
// allocating (net.SplitHostPort allocates an error for a missing port).
func splitHostPort(hp string) (string, int) {
	if strings.HasPrefix(hp, "[") {
		end := strings.IndexByte(hp, ']')
		if end < 0 {
			return hp, 0
		}
		host, rest := hp[1:end], hp[end+1:]
		if strings.HasPrefix(rest, ":") {
			return host, port(rest[1:])
		}
		return host, 0
	}
	i := strings.LastIndexByte(hp, ':')
	if i < 0 || strings.IndexByte(hp[:i], ':') >= 0 { // no port, or a bare IPv6 address
		return hp, 0
	}
	return hp[:i], port(hp[i+1:])
}

// port parses a decimal port, 0 when it is not one.
func port(s string) int {
	if len(s) == 0 || len(s) > 5 {
		return 0
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0
		}
		n = n*10 + int(s[i]-'0')
	}
	if n > 65535 {
		return 0
	}
	return n
}

func (t target) attrs(dst []attribute.KeyValue) []attribute.KeyValue {
	dst = append(dst,
		semconv.HTTPRequestMethodKey.String(t.method),
		semconv.ServerAddress(t.host),
		semconv.ServerPort(t.port),
	)
	if t.orig != "" {
		dst = append(dst, semconv.HTTPRequestMethodOriginal(t.orig))
	}
	return dst
}

// protocolVersion is network.protocol.version for a response's protocol,
// as net/http reports it (resp.ProtoMajor and ProtoMinor): "1.0", "1.1",
// "2" or "3"; "" when it is not known, as the conventions ask.
func protocolVersion(resp *http.Response) string {
	if resp == nil {
		return ""
	}
	switch {
	case resp.ProtoMajor == 1 && resp.ProtoMinor == 1:
		return "1.1"
	case resp.ProtoMajor == 1 && resp.ProtoMinor == 0:
		return "1.0"
	case resp.ProtoMajor == 2 && resp.ProtoMinor == 0:
		return "2"
	case resp.ProtoMajor == 3 && resp.ProtoMinor == 0:
		return "3"
	}
	return ""
}

// isErrorStatus follows the HTTP conventions for CLIENT spans: 4xx and 5xx
// (and nonsense codes) are errors.
func isErrorStatus(code int) bool { return code >= 400 || code < 100 }

func recordHeaders(dst []attribute.KeyValue, hs []header, h http.Header) []attribute.KeyValue {
	for _, x := range hs {
		if v := h.Values(x.canonical); len(v) > 0 {
			dst = append(dst, attribute.StringSlice(x.key, v))
		}
	}
	return dst
}

// headerValue is h.Get(key) for a key already in canonical form, without
// canonicalising it again.
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// headerCarrier is propagation.HeaderCarrier that skips the key
// canonicalisation (an allocation per attempt) for the usual fields.
type headerCarrier http.Header

func (c headerCarrier) Get(key string) string { return http.Header(c).Get(key) }

func (c headerCarrier) Set(key, value string) {
	switch key {
	case "traceparent":
		key = "Traceparent"
	case "tracestate":
		key = "Tracestate"
	case "baggage":
		key = "Baggage"
	default:
		key = http.CanonicalHeaderKey(key)
	}
	c[key] = []string{value}
}

func (c headerCarrier) Keys() []string { return propagation.HeaderCarrier(c).Keys() }

// carrier is headerCarrier on an attempt's header that keeps the first
// values set in the Attempt, which is allocated anyway: injecting a
// traceparent then costs its string and nothing more.
type carrier Attempt

func (c *carrier) Get(key string) string { return c.header.Get(key) }

func (c *carrier) Set(key, value string) {
	if c.used == len(c.slots) {
		headerCarrier(c.header).Set(key, value)
		return
	}
	switch key {
	case "traceparent":
		key = "Traceparent"
	case "tracestate":
		key = "Tracestate"
	case "baggage":
		key = "Baggage"
	default:
		key = http.CanonicalHeaderKey(key)
	}
	i := c.used
	c.used++
	c.slots[i] = value
	c.header[key] = c.slots[i : i+1 : i+1] // full: an append copies
}

func (c *carrier) Keys() []string { return propagation.HeaderCarrier(c.header).Keys() }

// attrBufSize holds every attribute of a span on the usual paths; more
// spill into a slice of their own.
const attrBufSize = 24

// attrPool recycles the attribute lists handed to the SDK's SetAttributes,
// which copies them: building a span's attributes allocates nothing.
var attrPool = sync.Pool{New: func() any { return new([attrBufSize]attribute.KeyValue) }}

func getAttrs() *[attrBufSize]attribute.KeyValue {
	return attrPool.Get().(*[attrBufSize]attribute.KeyValue)
}

// putAttrs returns buf to the pool once span has taken attrs (which may
// have spilled out of buf), clearing what attrs used of it. Only the SDK's
// spans are known to copy what SetAttributes gets; another implementation
// may keep the slice, so its buffer is left to the garbage collector.
func putAttrs(span trace.Span, buf *[attrBufSize]attribute.KeyValue, attrs []attribute.KeyValue) {
	if !copiesAttributes(span) {
		return
	}
	clear(buf[:min(len(attrs), attrBufSize)])
	attrPool.Put(buf)
}

// sdkTracePackage is the OpenTelemetry SDK's trace package, whose spans copy
// the attributes they are given.
const sdkTracePackage = "go.opentelemetry.io/otel/sdk/trace"

// copiesAttributes reports whether span is one of the SDK's spans. It looks
// at the span's type by name rather than asserting sdktrace.ReadWriteSpan,
// so that this package, and the transport with it, does not import the SDK
// and its dependencies.
func copiesAttributes(span trace.Span) bool {
	t := reflect.TypeOf(span)
	return t != nil && t.Kind() == reflect.Pointer && t.Elem().PkgPath() == sdkTracePackage
}
