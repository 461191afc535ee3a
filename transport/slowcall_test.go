package transport

import (
	"testing"
	"time"

	"github.com/retryscope/retryscope/policy"
)

// TestSlowCall: the slow-call rule turns any verdict of an attempt that
// took the threshold or longer into a failure, and leaves the others.
func TestSlowCall(t *testing.T) {
	t.Parallel()
	failure := &OutcomeError{Status: 504, Outcome: policy.Outcome{Cause: policy.CauseIntegrationTimeout}}
	throttle := &OutcomeError{Status: 429, Outcome: policy.Outcome{Cause: policy.CauseThrottled}, Excluded: true}
	tests := []struct {
		name      string
		elapsed   time.Duration
		threshold time.Duration
		verdict   error
		wantSlow  bool
		wantSame  bool
	}{
		{"fast success", time.Second, 2 * time.Second, nil, false, true},
		{"slow success", 2 * time.Second, 2 * time.Second, nil, true, false},
		{"slow cancellation", 3 * time.Second, 2 * time.Second, errExcluded, true, false},
		{"quick cancellation", 30 * time.Millisecond, 2 * time.Second, errExcluded, false, true},
		{"slow throttle", 3 * time.Second, 2 * time.Second, throttle, true, false},
		{"slow failure stays as it was", 3 * time.Second, 2 * time.Second, failure, false, true},
		{"rule off", time.Hour, 0, nil, false, true},
	}
	for _, tc := range tests {
		got := slowCall(tc.elapsed, tc.threshold, tc.verdict)
		oe, _ := got.(*OutcomeError)
		slow := oe != nil && oe.Outcome.Cause == policy.CauseSlowCall && !oe.Excluded
		if slow != tc.wantSlow || (tc.wantSame && got != tc.verdict) {
			t.Errorf("%s: slowCall = %v", tc.name, got)
		}
		if isExcluded(got) && tc.wantSlow {
			t.Errorf("%s: a slow call was excluded", tc.name)
		}
	}
}
