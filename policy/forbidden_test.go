package policy_test

import (
	"testing"

	"github.com/retryscope/retryscope/policy"
)

// A 403 that API Gateway produced says so with x-amzn-ErrorType even when
// its body is empty (a HEAD request, or Content-Length: 0 as in a published
// 2019 capture): the function did not run. A 403 without the header is the
// function's own.
func TestClassifyGateway403ByErrorType(t *testing.T) {
	p := policy.Default()
	for _, tc := range []struct {
		name  string
		ex    policy.Exchange
		reach policy.Reach
	}{
		{"empty body, MissingAuthenticationTokenException", answer(403, "", "x-amzn-ErrorType", "MissingAuthenticationTokenException"), policy.ReachGateway},
		{"ForbiddenException", answer(403, `{"message":"Forbidden"}`, "x-amzn-ErrorType", "ForbiddenException"), policy.ReachGateway},
		{"the function's own 403", answer(403, `{"error":"not yours"}`), policy.ReachBackend},
		{"the function's own empty 403", answer(403, ""), policy.ReachBackend},
	} {
		o := p.Classify(tc.ex)
		if o.Reach != tc.reach || o.Retryable {
			t.Errorf("%s: %+v, want reach %s, not retryable", tc.name, o, tc.reach)
		}
	}
}
