package benchmarks

import (
	"context"
	"io"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// awsStandard drives plain HTTP with the AWS SDK for Go v2's standard
// retryer (retry.NewStandard with its defaults). The SDK's retry loop lives
// in a smithy middleware that needs a generated service client, so this
// round tripper repeats that loop (aws/retry middleware.go, handleAttempt)
// around an http.RoundTripper and leaves every decision to the retryer:
//
//   - an answer that is not 2xx becomes the error the SDK's REST-JSON
//     deserializer would make: awshttp.ResponseError around a
//     smithy.GenericAPIError whose code is x-amzn-ErrorType (API Gateway
//     sends TooManyRequestsException for 429, InternalServerErrorException
//     for 500, 502, 504), so IsErrorRetryable and the throttle check see
//     what they see in the SDK;
//   - GetAttemptToken for the first attempt (later attempts release
//     nothing, as in the SDK), GetRetryToken before each retry (the 500-token
//     bucket: a retry costs 14, after a throttle 5, a success refunds), and
//     RetryDelay for the wait;
//   - adapted: RetryDelay's result is multiplied by the time scale (the
//     SDK's formula is b*min(x*2^i, cap), linear in its base x and cap, so
//     scaling the result is scaling the base of 50 ms, the throttle base of
//     1 s and the cap of 20 s); the x-amz-retry-after adjustment is not
//     repeated (the emulator never sends that header); no clock-skew
//     correction (no signing).
//
// When retrying stops the last response is returned (the SDK would return
// the error it made from it).
type awsStandard struct {
	base    http.RoundTripper
	retryer *retry.Standard
	scale   float64
}

func newAWSStandard(env Env) Client {
	r := retry.NewStandard(func(o *retry.StandardOptions) {
		o.Backoff = sdkBackoff{throttle: retry.IsErrorThrottles(o.Throttles), maxBackoff: o.MaxBackoff, rand: env.Float64}
	})
	return &http.Client{Transport: &awsStandard{base: env.Base, retryer: r, scale: env.Scale}}
}

// sdkBackoff is the SDK's standard-mode backoff (aws/retry
// jitter_backoff.go, the 2026 formula that NewStandard uses when no
// Backoff is set): t_i = b * min(x * 2^i, MaxBackoff), i the 0-based retry,
// x 1 s after a throttle and 50 ms otherwise, b uniform in [0, 1). The only
// change is b's source: the SDK draws it from crypto/rand, which no seed
// repeats; here it comes from the run's seeded source.
type sdkBackoff struct {
	throttle   retry.IsErrorThrottle
	maxBackoff time.Duration
	rand       func() float64
}

// sdkBaseDelay and sdkThrottleBaseDelay are the SDK's bases (x above).
const (
	sdkBaseDelay         = 50 * time.Millisecond
	sdkThrottleBaseDelay = time.Second
)

func (b sdkBackoff) BackoffDelay(attempt int, err error) (time.Duration, error) {
	x := sdkBaseDelay
	if b.throttle.IsErrorThrottle(err) == aws.TrueTernary {
		x = sdkThrottleBaseDelay
	}
	d := float64(x) * math.Pow(2, float64(max(attempt-1, 0)))
	d = min(d, float64(b.maxBackoff))
	return time.Duration(b.rand() * d), nil
}

func nopRelease(error) error { return nil }

// RoundTrip sends req with the SDK's standard retry rules.
func (t *awsStandard) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	releaseRetry := nopRelease
	for attempt := 1; ; attempt++ {
		areq := req.Clone(ctx)
		if attempt > 1 && req.Body != nil && req.Body != http.NoBody {
			if req.GetBody == nil {
				return nil, errNoGetBody
			}
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			areq.Body = body
		}
		releaseAttempt := nopRelease
		if attempt == 1 {
			rel, err := t.retryer.GetAttemptToken(ctx)
			if err != nil {
				return nil, err
			}
			releaseAttempt = rel
		}
		resp, err := t.base.RoundTrip(areq)
		opErr := sdkError(resp, err)
		_ = releaseRetry(opErr)
		_ = releaseAttempt(opErr)
		if opErr == nil {
			return resp, nil
		}
		if !t.retryer.IsErrorRetryable(opErr) || attempt >= t.retryer.MaxAttempts() {
			return resp, err
		}
		rel, tokErr := t.retryer.GetRetryToken(ctx, opErr)
		if tokErr != nil {
			return resp, err // quota exhausted: the SDK gives up
		}
		releaseRetry = rel
		delay, derr := t.retryer.RetryDelay(attempt, opErr)
		if derr != nil {
			return resp, err
		}
		drain(resp)
		if err := sleepCtx(ctx, scaled(delay, t.scale)); err != nil {
			return nil, err
		}
	}
}

type awsError string

func (e awsError) Error() string { return string(e) }

const errNoGetBody = awsError("benchmarks: request body cannot be replayed (no GetBody)")

// sdkError is the error the SDK's REST-JSON protocol makes of an attempt:
// the transport error as is, nil for 2xx, else a ResponseError.
func sdkError(resp *http.Response, err error) error {
	if err != nil {
		return err
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	code, _, _ := strings.Cut(resp.Header.Get("X-Amzn-Errortype"), ":")
	if code == "" {
		code = "UnknownError"
	}
	return &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: resp},
			Err:      &smithy.GenericAPIError{Code: code, Message: http.StatusText(resp.StatusCode)},
		},
		RequestID: resp.Header.Get("X-Amzn-Requestid"),
	}
}

// drain reads a little of a discarded response and closes it, so the
// connection can be reused.
func drain(resp *http.Response) {
	if resp == nil || resp.Body == nil {
		return
	}
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	resp.Body.Close()
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
