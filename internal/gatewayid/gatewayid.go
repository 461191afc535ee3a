// Package gatewayid holds the one rule for the request id API Gateway used
// for an attempt: the id its access and execution logs carry, which
// transport prints, probe shows and queries, and diagnose joins logs on.
//
// The facts behind the rule are in docs/aws-behaviour.md, sections
// "Request ids", "HTTP APIs" and "CloudFront":
//   - a REST API adopts the client's x-amzn-RequestId as its request id
//     when it is a UUID, answers it in x-amzn-RequestId and logs it; any
//     other value is replaced by an id of its own, which it answers;
//   - a REST API also answers x-amz-apigw-id, its extended id;
//   - an HTTP API answers its own id in apigw-requestid and adopts nothing
//     (an x-amzn-RequestId in its answer came from behind it);
//   - CloudFront in front (edge-optimised APIs, custom domains) adds
//     x-amz-cf-id, which is CloudFront's id, never the gateway's, and a
//     5xx CloudFront made itself carries no gateway id at all.
package gatewayid

import (
	"net/http"
	"strings"

	"github.com/retryscope/retryscope/policy"
)

// IDs are the request ids of one attempt. The zero value is an attempt
// that sent no id and got no answer.
type IDs struct {
	// Sent is the x-amzn-RequestId the attempt sent; "" if none.
	Sent string
	// Answered is the x-amzn-RequestId of the answer; "" if none.
	Answered string
	// Extended is the answer's x-amz-apigw-id (REST APIs only); "" if none.
	Extended string
	// HTTPAPI is the answer's apigw-requestid (HTTP APIs only); "" if none.
	HTTPAPI string
}

// FromHeader returns the ids of an attempt that sent the x-amzn-RequestId
// sent and was answered with h (nil when no answer came). Header names
// match whatever their case, including keys set in the map directly
// (h["x-amzn-RequestId"]); the first value of a name is used.
func FromHeader(sent string, h http.Header) IDs {
	return IDs{
		Sent:     sent,
		Answered: value(h, policy.HeaderRequestID),
		Extended: value(h, policy.HeaderExtendedRequestID),
		HTTPAPI:  value(h, policy.HeaderHTTPAPIRequestID),
	}
}

// value is h.Get(key) that also finds names not in canonical form.
func value(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	for k, v := range h {
		if len(v) > 0 && len(k) == len(key) && strings.EqualFold(k, key) {
			return v[0]
		}
	}
	return ""
}

// Source says where ID found the gateway's request id.
type Source uint8

// The sources, in the order the rule tries them.
const (
	// None: no id known (nothing answered and the id sent, if any, is not
	// a UUID, so a REST API would have replaced it).
	None Source = iota
	// HTTPAPI: an HTTP API answered its apigw-requestid.
	HTTPAPI
	// REST: a REST API answered x-amzn-RequestId, the UUID sent (adopted)
	// or an id of its own.
	REST
	// Sent: no gateway id was answered (no answer at all, or CloudFront's
	// own error); the UUID sent, which a REST API adopts. Unconfirmed: an
	// HTTP API would not have used it.
	Sent
)

// String names the source: "none", "http_api", "rest" or "sent".
func (s Source) String() string {
	switch s {
	case HTTPAPI:
		return "http_api"
	case REST:
		return "rest"
	case Sent:
		return "sent"
	}
	return "none"
}

// ID returns the request id API Gateway used for the attempt, and where
// it came from:
//
//  1. apigw-requestid, when answered without a REST API's pair of
//     x-amz-apigw-id and x-amzn-RequestId (an HTTP API adopts no id);
//  2. else the x-amzn-RequestId answered (a REST API);
//  3. else the x-amzn-RequestId sent, when it is a UUID (a REST API
//     adopts it; nothing answered to confirm it);
//  4. else "" and None.
func (ids IDs) ID() (string, Source) {
	switch {
	case ids.HTTPAPI != "" && (ids.Extended == "" || ids.Answered == ""):
		return ids.HTTPAPI, HTTPAPI
	case ids.Answered != "":
		return ids.Answered, REST
	case IsUUID(ids.Sent):
		return ids.Sent, Sent
	}
	return "", None
}

// Replaced reports whether a REST API answered another id than the one
// sent: it did not adopt the client's id (not a UUID, or the gateway
// chose to replace it), so its logs carry the answered one.
func (ids IDs) Replaced() bool {
	id, src := ids.ID()
	return src == REST && ids.Sent != "" && !strings.EqualFold(id, ids.Sent)
}

// IsUUID reports whether s is a UUID in its 36-character textual form
// (8-4-4-4-12 hexadecimal digits, either case), the form a REST API
// adopts from a client's x-amzn-RequestId. It runs on every traced
// attempt (the id its span records), hence a table lookup per digit
// rather than a switch on each byte's position.
func IsUUID(s string) bool {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return false
	}
	var bad uint8
	for _, i := range uuidDigits {
		bad |= notHex[s[i]]
	}
	return bad == 0
}

// uuidDigits are the positions of a UUID's hexadecimal digits in its text.
var uuidDigits = [32]uint8{0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 16, 17, 19, 20, 21, 22,
	24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35}

// notHex is 1 for every byte that is not a hexadecimal digit.
var notHex = func() (t [256]uint8) {
	for c := range t {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			t[c] = 1
		}
	}
	return t
}()
