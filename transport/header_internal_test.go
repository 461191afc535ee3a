package transport

import (
	"net/http"
	"testing"
)

// TestReadHeader: the caller's header is read once per call, whatever the
// case of its names (a caller may set h["idempotency-key"] directly; net/http
// sends such names as they are).
func TestReadHeader(t *testing.T) {
	t.Parallel()
	const root = "1-5759e988-bd862e3fe1be46a994272793"
	tests := []struct {
		name string
		h    http.Header
		want callerHeader
	}{
		{"nil", nil, callerHeader{}},
		{"canonical", http.Header{"Accept": {"a", "b"}, "X-Amzn-Requestid": {"rid"}, "Amz-Sdk-Invocation-Id": {"inv"},
			"Amz-Sdk-Request": {"attempt=1; max=3"}, "Idempotency-Key": {`"k"`}, "X-Amzn-Trace-Id": {"Root=" + root}},
			callerHeader{values: 7, requestID: "rid", invID: "inv", sdkRequest: true, hasKey: true, traceRoot: root}},
		{"lower case", http.Header{"x-amzn-requestid": {"rid"}, "amz-sdk-invocation-id": {"inv"}, "idempotency-key": {`"k"`},
			"x-amzn-trace-id": {"Root=" + root}},
			callerHeader{values: 4, folded: true, requestID: "rid", invID: "inv", hasKey: true, traceRoot: root}},
		{"a name the transport does not manage, in lower case", http.Header{"x-custom": {"v"}, "Idempotency-Key": {`"k"`}},
			callerHeader{values: 2, hasKey: true}},
		{"a malformed trace header", http.Header{"X-Amzn-Trace-Id": {"Root=x"}}, callerHeader{values: 1}},
	}
	var c config
	for _, tt := range tests {
		if got := c.readHeader(tt.h); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
