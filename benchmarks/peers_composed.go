package benchmarks

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/failsafe-go/failsafe-go/failsafehttp"
	"github.com/sony/gobreaker/v2"
)

// composedPeers are the peers as their users run them in production: a
// retrying client composed with a circuit breaker, and failsafe-go both as
// its true default and as its documentation configures it.
func composedPeers() []Policy {
	return []Policy{
		{
			Name: "retryablehttp-gobreaker",
			Summary: "go-retryablehttp NewClient defaults inside a sony/gobreaker v2 breaker wired as its README shows " +
				"(Execute around each call; trips at 60% failures of at least 3 requests; open 60 s; 1 probe)",
			Peer: true,
			New:  newRetryablehttpGobreaker,
		},
		{
			Name: "failsafe-go-breaker",
			Summary: "failsafe-go retry policy (docs: backoff 1-30 s, 2 retries) composed with its circuit breaker " +
				"(NewBuilder defaults: open after 1 failure for 1 minute, close after 1 success; 5xx and errors fail)",
			Peer: true,
			New:  newFailsafeBreaker,
		},
		{
			Name:    "failsafe-go-default",
			Summary: "failsafe-go failsafehttp.NewRetryPolicyBuilder().Build() as is: 3 attempts, no delay",
			Peer:    true,
			New:     newFailsafeDefault,
		},
		{
			Name:    "failsafe-go-docs",
			Summary: "failsafe-go as its documentation shows it: WithBackoff(1 s, 30 s), WithMaxRetries(3)",
			Peer:    true,
			New:     newFailsafeDocs,
		},
	}
}

// gobreakerREADMETimeout is gobreaker's default open time (Settings.Timeout
// 0 means 60 s), which its README example keeps.
const gobreakerREADMETimeout = 60 * time.Second

// newRetryablehttpGobreaker: the gobreaker README's example wraps each call
// in CircuitBreaker.Execute and counts an error as a failure (an answer,
// whatever its status, is a success there); go-retryablehttp returns an
// error once its retries of a 5xx run out, so those count.
func newRetryablehttpGobreaker(env Env) Client {
	inner := newRetryablehttp(env)
	cb := gobreaker.NewCircuitBreaker[*http.Response](gobreaker.Settings{
		Name:    "HTTP GET",
		Timeout: env.Scaled(gobreakerREADMETimeout),
		ReadyToTrip: func(c gobreaker.Counts) bool {
			ratio := float64(c.TotalFailures) / float64(c.Requests)
			return c.Requests >= 3 && ratio >= 0.6
		},
	})
	return breakerClient{cb: cb, inner: inner}
}

type breakerClient struct {
	cb    *gobreaker.CircuitBreaker[*http.Response]
	inner Client
}

func (b breakerClient) Do(req *http.Request) (*http.Response, error) {
	return b.cb.Execute(func() (*http.Response, error) { return b.inner.Do(req) })
}

// newFailsafeBreaker composes failsafe-go's HTTP retry policy (as newFailsafe)
// with its circuit breaker. failsafehttp.NewRoundTripper composes the
// policies outer to inner, so every attempt passes the breaker and a refusal
// (circuitbreaker.ErrOpen) is retried like any other error.
func newFailsafeBreaker(env Env) Client {
	rp := failsafehttp.NewRetryPolicyBuilder().
		WithBackoff(env.Scaled(failsafeBackoffBase), env.Scaled(failsafeBackoffCap)).
		Build()
	cb := circuitbreaker.NewBuilder[*http.Response]().
		HandleIf(func(resp *http.Response, err error) bool {
			return (err != nil && !errors.Is(err, context.Canceled)) || (resp != nil && resp.StatusCode >= 500)
		}).
		WithDelay(env.Scaled(time.Minute)).
		Build()
	return failsafeClient{&http.Client{Transport: failsafehttp.NewRoundTripper(env.Base, rp, cb)}}
}

// newFailsafeDefault is failsafe-go's HTTP retry policy with nothing added:
// 2 retries at once.
func newFailsafeDefault(env Env) Client {
	rp := failsafehttp.NewRetryPolicyBuilder().Build()
	return failsafeClient{&http.Client{Transport: failsafehttp.NewRoundTripper(env.Base, rp)}}
}

// failsafeDocsRetries is the retry count failsafe-go's documentation uses
// in its retry examples.
const failsafeDocsRetries = 3

// newFailsafeDocs is failsafe-go's HTTP retry policy configured as its
// documentation shows: exponential backoff from 1 s to 30 s, 3 retries.
func newFailsafeDocs(env Env) Client {
	rp := failsafehttp.NewRetryPolicyBuilder().
		WithBackoff(env.Scaled(failsafeBackoffBase), env.Scaled(failsafeBackoffCap)).
		WithMaxRetries(failsafeDocsRetries).
		Build()
	return failsafeClient{&http.Client{Transport: failsafehttp.NewRoundTripper(env.Base, rp)}}
}
