package transport

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"unsafe"

	"github.com/retryscope/retryscope/internal/xray"
	"github.com/retryscope/retryscope/policy"
)

// Correlation headers, in Go's canonical form.
const (
	headerInvocationID = "Amz-Sdk-Invocation-Id" // the logical request's id (AWS SDK convention)
	headerSDKRequest   = "Amz-Sdk-Request"       // "attempt=N; max=M" (AWS SDK convention)
)

// newUUID returns a random (version 4) UUID for a correlation header, e.g.
// "8e03978e-40d5-43e8-bc93-6894a57f9324", written into ids[:36] (see
// idString), or in an allocation of its own when ids is nil.
func newUUID(ids *[72]byte) string {
	var u [16]byte
	fastRandom(u[:])
	if ids == nil {
		var b [36]byte
		formatUUID(b[:], u[:])
		return string(b[:])
	}
	formatUUID(ids[:36], u[:])
	return idString(ids[:36])
}

// newUUIDPair returns two UUIDs, a call's invocation id and its first
// attempt's request id, written into ids (see idString), or in one
// allocation when ids is nil.
func newUUIDPair(ids *[72]byte) (string, string) {
	var u [32]byte
	fastRandom(u[:])
	var s string
	if ids == nil {
		var b [72]byte
		formatUUID(b[:36], u[:16])
		formatUUID(b[36:], u[16:])
		s = string(b[:])
	} else {
		formatUUID(ids[:36], u[:16])
		formatUUID(ids[36:], u[16:])
		s = idString(ids[:])
	}
	return s[:36], s[36:]
}

// idString is the text in b, which lies in an attemptRequest's ids and is
// never written again, as a string without a copy: the ids share the
// attempt request's allocation instead of one of their own (one allocation
// and 250 instructions fewer per call, counted by cachegrind). The strings
// keep that allocation alive, the request and what it holds, for as long
// as they live: the call's Attempt records take copies (ownIDs); the
// response the base returns holds the request anyway.
func idString(b []byte) string {
	return unsafe.String(&b[0], len(b))
}

// fastRandom fills b (a multiple of 8 bytes long) from math/rand/v2's
// global generator: ChaCha8, seeded from the operating system's entropy
// per thread, several times cheaper than a crypto/rand read on every
// request. Correlation ids need to be unique, not secret: they name
// requests in logs and are sent in the clear. Idempotency keys, which a
// server trusts to tell requests apart, still come from crypto/rand
// (putUUID).
func fastRandom(b []byte) {
	for i := 0; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], mrand.Uint64())
	}
}

// newQuotedUUID returns a UUID as a structured-field string, quotes
// included, as an Idempotency-Key is sent.
func newQuotedUUID() string {
	var b [38]byte
	b[0], b[37] = '"', '"'
	putUUID(b[1:37])
	return string(b[:])
}

// putUUID writes a random (version 4, RFC 9562) UUID into dst[:36].
func putUUID(dst []byte) {
	var u [16]byte
	rand.Read(u[:]) // crypto/rand never fails, and keeps u on the stack
	formatUUID(dst, u[:])
}

// formatUUID writes the 16 random bytes u, marked as a version 4 UUID, into
// dst[:36] in the canonical form. Each byte's two digits are one 16-bit
// store from hexPairs, at a constant offset: 4 times fewer instructions
// than a digit at a time (436 for a call's two UUIDs before, counted by
// cachegrind).
func formatUUID(dst, u []byte) {
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	dst, u = dst[:36:36], u[:16:16]
	put := func(i int, b byte) { binary.LittleEndian.PutUint16(dst[i:i+2], hexPairs[b]) }
	put(0, u[0])
	put(2, u[1])
	put(4, u[2])
	put(6, u[3])
	dst[8] = '-'
	put(9, u[4])
	put(11, u[5])
	dst[13] = '-'
	put(14, u[6])
	put(16, u[7])
	dst[18] = '-'
	put(19, u[8])
	put(21, u[9])
	dst[23] = '-'
	put(24, u[10])
	put(26, u[11])
	put(28, u[12])
	put(30, u[13])
	put(32, u[14])
	put(34, u[15])
}

// hexPairs holds each byte's two lowercase hex digits, the first in the
// low byte (written first by a little-endian store).
var hexPairs = func() (t [256]uint16) {
	const digits = "0123456789abcdef"
	for b := range t {
		t[b] = uint16(digits[b>>4]) | uint16(digits[b&0x0f])<<8
	}
	return t
}()

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

// attemptRequest is an attempt's request, room for its header values and
// the text of the ids it sends (its request id and, for a call's first
// attempt, the invocation id), allocated together: the success path's
// largest allocations made one.
type attemptRequest struct {
	req  http.Request
	vals [8]string
	ids  [72]byte
}

// attemptRequest builds attempt r.n's request on a copy of the caller's,
// with its own header and the body replay's body, under actx, and starts
// the attempt's span. An attempt that needs a context of its own (r.cancel
// set, or a traced request) gets it from Request.WithContext, which
// allocates the request: the copy it is made from stays on the stack.
// Otherwise the request keeps the caller's context and shares one
// allocation with its header values; without a header or a body of its
// own, it is the caller's request itself.
func (c *call) attemptRequest(actx context.Context, r *attemptResult, body io.ReadCloser, getBody func() (io.ReadCloser, error)) *http.Request {
	if r.cancel == nil && !c.span.Traced() {
		var areq *http.Request
		switch {
		case c.copiesHeader():
			a := new(attemptRequest)
			a.req = *c.req
			c.fillAttempt(&a.req, a.vals[:0], &a.ids, r, body, getBody)
			areq = &a.req
		case body == nil && c.req.Body == nil && c.req.GetBody == nil:
			// Nothing of the caller's request changes (its header, its
			// body, its context): the base may have it as it is, which a
			// RoundTripper never modifies.
			areq = c.req
			r.sentID = c.hdr.requestID
		default:
			areq = new(http.Request)
			*areq = *c.req
			c.fillAttempt(areq, nil, nil, r, body, getBody)
		}
		// Untraced, the attempt's telemetry is its metrics: neither its
		// context nor its header changes.
		if c.span != nil {
			_, r.span = c.span.StartAttempt(actx, areq, r.n, r.hedge)
		}
		return areq
	}
	return c.attemptRequestOwnContext(actx, r, body, getBody)
}

// attemptRequestOwnContext is attemptRequest for an attempt with a context
// of its own: a traced one's, or one it may be cancelled by alone.
func (c *call) attemptRequestOwnContext(actx context.Context, r *attemptResult, body io.ReadCloser, getBody func() (io.ReadCloser, error)) *http.Request {
	tmp := *c.req
	c.fillAttempt(&tmp, nil, nil, r, body, getBody)
	if c.span != nil {
		// The attempt's span goes into its context and, through the
		// propagator, into its headers.
		actx, r.span = c.span.StartAttempt(actx, &tmp, r.n, r.hedge)
	}
	return tmp.WithContext(actx)
}

// fillAttempt gives req, a copy of the caller's request, attempt r.n's
// header (its values in vals when there is room, the text of its ids in
// ids unless nil) and body.
func (c *call) fillAttempt(req *http.Request, vals []string, ids *[72]byte, r *attemptResult, body io.ReadCloser, getBody func() (io.ReadCloser, error)) {
	req.Header, r.sentID = c.header(r.n, vals, ids)
	req.Body, req.GetBody = body, getBody
	if body == nil && c.req.Body != nil {
		req.Body = http.NoBody
	} else if _, inMemory := inMemoryLen(body); body != nil && body != http.NoBody && !inMemory {
		// An in-memory body cannot fail and its length was checked; others
		// are watched (net/http flushes the headers before any body that is
		// not in memory anyway).
		r.body = &sentBody{ReadCloser: body}
		req.Body = r.body
	}
}

// copiesHeader reports whether attempts send a header of their own rather
// than the caller's: when the transport adds headers, when the caller's is
// nil, or when a propagator injects a trace context (only into a traced
// request's attempts).
func (c *call) copiesHeader() bool {
	return c.t.cfg.correlation || c.idemKey != "" || c.req.Header == nil || c.span.Traced()
}

// header builds attempt n's headers: a copy of the caller's (one map, one
// backing array for every value, buf when it is large enough) plus the
// correlation headers and the Idempotency-Key the transport adds. The ids
// it makes (the call's invocation id with the first attempt's request id,
// or a later attempt's request id) are written into ids unless it is nil.
// It returns the x-amzn-RequestId sent.
func (c *call) header(n int, buf []string, ids *[72]byte) (http.Header, string) {
	src := c.req.Header
	if !c.copiesHeader() {
		// Nothing to add: the base may read the caller's header, which a
		// RoundTripper never modifies.
		return src, c.hdr.requestID
	}
	extra := 0
	if c.t.cfg.correlation {
		extra += 3
	}
	if c.idemKey != "" {
		extra++
	}
	total := extra + c.hdr.values
	folded := c.hdr.folded
	h := make(http.Header, len(src)+extra)
	vals := buf[:0]
	if cap(vals) < total {
		vals = make([]string, 0, total)
	}
	for k, v := range src {
		if v == nil {
			h[k] = nil
			continue
		}
		if folded && c.foldedManaged(k) {
			continue // below, after the canonical name's own values
		}
		i := len(vals)
		vals = append(vals, v...)
		h[k] = vals[i:len(vals):len(vals)]
	}
	if folded {
		vals = c.fold(h, src, vals)
	}
	// vals has room for every value added below: one append each, no
	// growth.
	if c.idemKey != "" {
		i := len(vals)
		vals = append(vals, c.idemKey)
		h[policy.HeaderIdempotencyKey] = vals[i : i+1 : i+1]
	}
	sent := c.hdr.requestID
	if !c.t.cfg.correlation {
		return h, sent
	}
	if c.invID == "" {
		// The call's first attempt: its ids are made with it (a call
		// refused before any attempt makes none).
		c.invID, c.nextID = newUUIDPair(ids)
	}
	if n > 1 || sent == "" {
		if sent = c.nextID; sent != "" {
			c.nextID = ""
		} else {
			sent = newUUID(ids)
		}
	}
	i := len(vals)
	vals = append(vals, sent, c.invID)
	h[policy.HeaderRequestID] = vals[i : i+1 : i+1]
	h[headerInvocationID] = vals[i+1 : i+2 : i+2]
	if !c.hdr.sdkRequest { // a caller that counts its own attempts keeps its value
		vals = append(vals, sdkRequest(n, c.t.cfg.policy.Attempts()))
		h[headerSDKRequest] = vals[i+2 : i+3 : i+3]
	}
	return h, sent
}

// foldedManaged reports whether the caller's header name k is a
// non-canonical spelling of a header the transport reads or sets. Out of
// line: only a header with such a name runs it (see run).
//
//go:noinline
func (c *call) foldedManaged(k string) bool {
	return !isCanonical(k) && c.t.cfg.managedHeader(http.CanonicalHeaderKey(k))
}

// fold files the caller's values under a non-canonical spelling of a
// header the transport reads or sets (see foldedManaged) under its
// canonical name in h, after the values already there, and returns vals
// grown by them. net/http sends a non-canonical name as it is, next to
// the canonical one: the caller's "idempotency-key" and the transport's
// "Idempotency-Key" would both reach the server; in the copy the
// transport sees and replaces them.
func (c *call) fold(h, src http.Header, vals []string) []string {
	for k, v := range src {
		if ck := http.CanonicalHeaderKey(k); ck != k && c.t.cfg.managedHeader(ck) {
			i := len(vals)
			vals = append(vals, h[ck]...)
			vals = append(vals, v...)
			h[ck] = vals[i:len(vals):len(vals)]
		}
	}
	return vals
}

// headerValue is h.Get(key) for a key already in canonical form, without
// canonicalising it again on every call (a measurable share of the success
// path). A key missing under its canonical name is looked for under any
// case, as a caller may set h["idempotency-key"] directly (net/http sends
// it as it is, and servers match names without case).
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	for k, v := range h {
		if len(k) == len(key) && len(v) > 0 && strings.EqualFold(k, key) {
			return v[0]
		}
	}
	return ""
}

// firstValue is h.Get(key) for a key already in canonical form, looked up
// under that name only.
func firstValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// isCanonical reports whether k is in Go's canonical header form (or is
// left alone by it), without allocating.
func isCanonical(k string) bool {
	upper := true
	for i := 0; i < len(k); i++ {
		c := k[i]
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			return http.CanonicalHeaderKey(k) == k // only names net/http leaves as they are
		}
		upper = c == '-'
	}
	return true
}

// managedHeader reports whether the transport reads or sets the header
// named ck (canonical form) on a request: the correlation headers, the
// Idempotency-Key and the trace context a propagator writes.
func (c *config) managedHeader(ck string) bool {
	switch ck {
	case policy.HeaderIdempotencyKey, policy.HeaderRequestID, headerInvocationID, headerSDKRequest,
		policy.HeaderTraceID, "Traceparent", "Tracestate", "Baggage":
		return true
	}
	for _, f := range c.propFields {
		if f == ck {
			return true
		}
	}
	return false
}

// traceRoot returns the Root of the X-Amzn-Trace-Id header attempt areq
// sends, "" if none or malformed, by internal/xray's rules: the caller's,
// unless a traced attempt's propagator wrote its own (under the canonical
// name, as the copy of the caller's header files such headers).
func (c *call) traceRoot(areq *http.Request) string {
	if c.span.Traced() {
		return xray.Root(firstValue(areq.Header, policy.HeaderTraceID))
	}
	return c.hdr.traceRoot
}

// callerHeader is what the transport reads in the caller's header, found
// in one pass: names match whatever their case, as servers match them.
type callerHeader struct {
	values     int  // the number of values under every name
	folded     bool // a header the transport reads or sets is under a non-canonical name
	requestID  string
	invID      string // amz-sdk-invocation-id
	sdkRequest bool   // amz-sdk-request is set
	hasKey     bool   // Idempotency-Key or X-Idempotency-Key is set (see isKey)
	traceRoot  string // X-Amzn-Trace-Id's Root (internal/xray's rules)
}

// isKey reports whether the header named k, with values v, marks its
// request as carrying an idempotency key, as net/http reads it: an
// Idempotency-Key or X-Idempotency-Key, in any case, with a value, or
// present with a nil value (which net/http does not send: the caller's
// way to say the request is idempotent without a key on the wire).
func isKey(k string, v []string) bool {
	if !strings.EqualFold(k, policy.HeaderIdempotencyKey) && !strings.EqualFold(k, policy.HeaderXIdempotencyKey) {
		return false
	}
	return v == nil || (len(v) > 0 && v[0] != "")
}

// readHeader reads the caller's header h. When every name is in canonical
// form (as Header.Set files them) it looks names up directly; otherwise it
// searches them under any case.
func (c *config) readHeader(h http.Header) callerHeader {
	var ch callerHeader
	c.readHeaderInto(&ch, h)
	return ch
}

// readHeaderInto is readHeader into ch, a zero callerHeader: the call's
// own, without a copy of the result.
func (c *config) readHeaderInto(ch *callerHeader, h http.Header) {
	if len(h) == 0 {
		return
	}
	canonical := true
	for k, v := range h {
		ch.values += len(v)
		if len(k) == len(policy.HeaderIdempotencyKey) || len(k) == len(policy.HeaderXIdempotencyKey) {
			ch.hasKey = ch.hasKey || isKey(k, v)
		}
		if !isCanonical(k) {
			canonical = false
			if !ch.folded && c.managedHeader(http.CanonicalHeaderKey(k)) {
				ch.folded = true
			}
		}
	}
	get := firstValue
	if !canonical {
		get = headerValue
	}
	ch.requestID = get(h, policy.HeaderRequestID)
	ch.invID = get(h, headerInvocationID)
	ch.sdkRequest = get(h, headerSDKRequest) != ""
	ch.traceRoot = xray.Root(get(h, policy.HeaderTraceID))
}
