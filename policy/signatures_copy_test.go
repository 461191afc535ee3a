package policy_test

import (
	"testing"

	"github.com/retryscope/retryscope/policy"
)

// TestAPIGatewaySignaturesIsACopy: the built-in signatures are handed out as
// copies, so a caller that edits what it got changes neither Classify nor
// the next caller's copy.
func TestAPIGatewaySignaturesIsACopy(t *testing.T) {
	t.Parallel()
	sigs := policy.APIGatewaySignatures()
	if len(sigs) == 0 {
		t.Fatal("no built-in signatures")
	}
	want := sigs[0]
	for i := range sigs {
		sigs[i] = policy.Signature{Cause: "tampered", Reach: policy.ReachBackend}
	}
	if again := policy.APIGatewaySignatures(); again[0] != want || len(again) != len(sigs) {
		t.Errorf("second copy changed: %+v", again[0])
	}
	timeout := answer(504, `{"message": "Endpoint request timed out"}`, join(restIDs, errType("InternalServerErrorException"))...)
	o := policy.Policy{}.Classify(timeout)
	if o.Cause != "integration_timeout" || !o.Retryable {
		t.Errorf("Classify after editing a copy: %+v", o)
	}
}
