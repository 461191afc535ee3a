package benchmarks

import (
	"errors"
	"net/http"
	"time"

	"github.com/failsafe-go/failsafe-go/failsafehttp"
	"github.com/failsafe-go/failsafe-go/retrypolicy"
	"github.com/hashicorp/go-retryablehttp"
)

// newRetryablehttp is go-retryablehttp's NewClient as its README uses it
// (StandardClient), with RetryWaitMin and RetryWaitMax (1 s, 30 s) scaled
// and its logger off (it would print one line per retry on stderr).
func newRetryablehttp(env Env) Client {
	c := retryablehttp.NewClient()
	c.HTTPClient = &http.Client{Transport: env.Base}
	c.Logger = nil
	c.RetryWaitMin = env.Scaled(c.RetryWaitMin)
	c.RetryWaitMax = env.Scaled(c.RetryWaitMax)
	return c.StandardClient()
}

// Backoff of the failsafe-go policy (emulated): the values failsafe-go's
// documentation uses for WithBackoff.
const (
	failsafeBackoffBase = time.Second
	failsafeBackoffCap  = 30 * time.Second
)

// newFailsafe is failsafehttp's round tripper with its HTTP retry policy
// (NewRetryPolicyBuilder: 2 retries, Retry-After honoured) and an
// exponential backoff, scaled.
func newFailsafe(env Env) Client {
	rp := failsafehttp.NewRetryPolicyBuilder().
		WithBackoff(env.Scaled(failsafeBackoffBase), env.Scaled(failsafeBackoffCap)).
		Build()
	return failsafeClient{&http.Client{Transport: failsafehttp.NewRoundTripper(env.Base, rp)}}
}

// failsafeClient closes the body of the last response failsafe-go keeps in
// its ExceededError when retries run out, as a careful caller must. (The
// bodies of the responses it retried stay open until the request's context
// ends; Run cancels it after every logical request.)
type failsafeClient struct{ c *http.Client }

func (f failsafeClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := f.c.Do(req)
	var ee retrypolicy.ExceededError
	if err != nil && errors.As(err, &ee) {
		if r, ok := ee.LastResult.(*http.Response); ok && r != nil && r.Body != nil {
			r.Body.Close()
		}
	}
	return resp, err
}
