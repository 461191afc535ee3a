package benchmarks

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// TestAWSStandardSeesThrottles: the adapter gives the SDK's standard
// retryer what API Gateway answers, so it prices a 429 as a throttle and
// API Gateway's 500 for a throttled Lambda as an ordinary transient error,
// as the SDK itself would.
func TestAWSStandardSeesThrottles(t *testing.T) {
	t.Parallel()
	answer := func(status int, errType string) *http.Response {
		h := http.Header{}
		h.Set("X-Amzn-Errortype", errType)
		return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(`{}`))}
	}
	throttles := retry.IsErrorThrottles(retry.DefaultThrottles)
	std := retry.NewStandard()
	for _, tc := range []struct {
		name     string
		resp     *http.Response
		throttle aws.Ternary
	}{
		{"API Gateway 429", answer(429, "TooManyRequestsException"), aws.TrueTernary},
		{"Lambda throttled, gateway 500", answer(500, "InternalServerErrorException"), aws.UnknownTernary},
		{"integration timeout 504", answer(504, "InternalServerErrorException"), aws.UnknownTernary},
	} {
		err := sdkError(tc.resp, nil)
		if got := throttles.IsErrorThrottle(err); got != tc.throttle {
			t.Errorf("%s: IsErrorThrottle = %v, want %v", tc.name, got, tc.throttle)
		}
		if !std.IsErrorRetryable(err) {
			t.Errorf("%s: not retryable", tc.name)
		}
	}
	if std.MaxAttempts() != 3 {
		t.Errorf("standard retryer: %d attempts, want 3", std.MaxAttempts())
	}
}

// TestComposedPeersRegistered: the composed peers are peers and run.
func TestComposedPeersRegistered(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"retryablehttp-gobreaker", "failsafe-go-breaker", "failsafe-go-default", "failsafe-go-docs"} {
		p, ok := PolicyByName(name)
		if !ok || !p.Peer || p.New(Env{Base: http.DefaultTransport, Scale: 1, Rand: func(n int64) int64 { return 0 }}) == nil {
			t.Errorf("%s: %+v, %v", name, p, ok)
		}
	}
}
