package policy_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/retryscope/retryscope/policy"
)

// failed is the Exchange of an attempt that ended in err, as net/http
// reports it (a *url.Error around the cause).
func failed(err error) policy.Exchange {
	return policy.Exchange{
		Request: &http.Request{Method: http.MethodPost, Header: make(http.Header)},
		Err:     &url.Error{Op: "Post", URL: "https://api.example/prod/orders", Err: err},
		Now:     now,
	}
}

// TestDecideInProgressDelay: after an answer that means "someone stopped
// waiting while the request may still be processed", a retry of a request
// with an Idempotency-Key waits at least InProgressDelay, because the
// first run is probably still going and a retry at once would only meet
// its key in progress. That holds for API Gateway's integration timeout
// (REST 504, HTTP API 503) and a plain 504, and as much for CloudFront's
// own 504 (it stopped waiting for API Gateway, which may have invoked the
// function), for the attempt timeout (the transport stopped waiting) and
// for another network timeout after sending (a read deadline).
// A reset or an EOF is no such evidence: the backoff stands. Without a
// key, even under AssumeIdempotent, there is no key for a retry to meet:
// the backoff stands too.
func TestDecideInProgressDelay(t *testing.T) {
	t.Parallel()
	const (
		backoff = 100 * time.Millisecond // fixed()'s first retry
		delay   = policy.DefaultInProgressDelay
	)
	answers := []struct {
		name  string
		ex    policy.Exchange
		cause policy.Cause
		// wait for a request with a key, whose method does not matter.
		wait time.Duration
	}{
		{"REST integration timeout", answer(504, `{"message": "Endpoint request timed out"}`, join(restIDs, errType("InternalServerErrorException"))...), policy.CauseIntegrationTimeout, delay},
		{"HTTP API integration timeout", answer(503, `{"message":"Service Unavailable"}`, httpAPIIDs...), policy.CauseIntegrationTimeout, delay},
		{"plain 504", answer(504, "gateway timeout"), policy.CauseGatewayTimeout, delay},
		{"CloudFront 504", answer(504, peek(cloudFrontPage(504, "CloudFront attempted to establish a connection with the origin, but either the attempt failed or the origin closed the connection.")), join([]string{"content-type", "text/html"}, edgeHops)...), policy.CauseEdgeTimeout, delay},
		{"attempt timeout", failed(context.DeadlineExceeded), policy.CauseAttemptTimeout, delay},
		{"read timeout", failed(&net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}), policy.CauseTimeout, delay},
		{"connection reset", failed(syscall.ECONNRESET), policy.CauseConnectionReset, backoff},
		{"EOF", failed(io.EOF), policy.CauseEOF, backoff},
	}
	assume := fixed()
	assume.AssumeIdempotent = true
	requests := []struct {
		name   string
		p      policy.Policy
		method string
		key    bool
		unsafe bool // not retried at all: it may have run, and a retry is not safe
	}{
		{"POST with key", fixed(), "POST", true, false},
		{"PUT with key", fixed(), "PUT", true, false},
		{"POST with key, AssumeIdempotent", assume, "POST", true, false},
		{"GET", fixed(), "GET", false, false},
		{"POST, AssumeIdempotent", assume, "POST", false, false},
		{"POST", fixed(), "POST", false, true},
	}
	for _, a := range answers {
		for _, r := range requests {
			t.Run(a.name+"/"+r.name, func(t *testing.T) {
				t.Parallel()
				o := r.p.Classify(a.ex)
				if o.Cause != a.cause {
					t.Fatalf("Cause = %q, want %q (%s)", o.Cause, a.cause, o.Reason)
				}
				s := after(r.method)
				s.HasIdempotencyKey = r.key
				d := r.p.Decide(s, o, now)
				switch {
				case r.unsafe:
					if d.Retry || d.Rule != policy.RuleUnsafe {
						t.Errorf("Decide = %+v, want rule unsafe", d)
					}
				case !d.Retry:
					t.Errorf("Decide = %+v, want a retry", d)
				case r.key && d.Wait != a.wait:
					t.Errorf("Wait = %v, want %v", d.Wait, a.wait)
				case !r.key && d.Wait != backoff:
					t.Errorf("Wait = %v, want the backoff's %v: without a key there is no key in progress to meet", d.Wait, backoff)
				}
			})
		}
	}
}

// tlsTimeout is an error as net/http reports a TLS handshake that
// outlasted Transport.TLSHandshakeTimeout (its type is unexported).
type tlsTimeout struct{}

func (tlsTimeout) Error() string   { return "net/http: TLS handshake timeout" }
func (tlsTimeout) Timeout() bool   { return true }
func (tlsTimeout) Temporary() bool { return true }

// TestTimeoutBeforeSending: a timeout before the request had a connection
// sent nothing: a POST without a key may be retried, and a keyed one waits
// the backoff alone, since no run can be going. net/http's TLS handshake
// timeout says so itself; the transport records an attempt timeout that
// came before a connection as reach not_sent. Both were taken for
// timeouts after sending: reach unknown, the POST not retried, the keyed
// one waiting InProgressDelay.
func TestTimeoutBeforeSending(t *testing.T) {
	t.Parallel()
	const backoff = 100 * time.Millisecond // fixed()'s first retry
	p := fixed()
	for _, tc := range []struct {
		name  string
		o     policy.Outcome
		cause policy.Cause
	}{
		{"TLS handshake timeout", p.Classify(failed(tlsTimeout{})), policy.CauseTLSHandshake},
		{"attempt timeout before a connection", policy.Outcome{Reach: policy.ReachNotSent, Retryable: true, Cause: policy.CauseAttemptTimeout}, policy.CauseAttemptTimeout},
		{"read timeout before a connection", policy.Outcome{Reach: policy.ReachNotSent, Retryable: true, Cause: policy.CauseTimeout}, policy.CauseTimeout},
	} {
		for _, key := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/key=%t", tc.name, key), func(t *testing.T) {
				t.Parallel()
				if tc.o.Reach != policy.ReachNotSent || tc.o.Cause != tc.cause || !tc.o.Retryable {
					t.Fatalf("outcome %+v, want a retryable %s with reach not_sent", tc.o, tc.cause)
				}
				s := after(http.MethodPost)
				s.HasIdempotencyKey = key
				if d := p.Decide(s, tc.o, now); !d.Retry || d.Wait != backoff {
					t.Errorf("Decide = %+v, want a retry after the backoff's %v", d, backoff)
				}
			})
		}
	}
}
