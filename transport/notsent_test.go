package transport_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/retryscope/retryscope/internal/silentpeer"
	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// TestTimeoutBeforeAnythingWasSent, against a peer that never answers the
// TLS handshake: an attempt that timed out before the
// base had a connection for it (the attempt's own timeout during the TLS
// handshake, or the base's TLSHandshakeTimeout) sent nothing, so a POST
// without a key may be retried and a keyed one needs no wait for a run
// still going. Both were taken for timeouts after sending (reach unknown):
// the POST was not retried, the keyed one waited InProgressDelay.
func TestTimeoutBeforeAnythingWasSent(t *testing.T) {
	t.Parallel()
	// A wait for a run still going would be this long: past the caller's
	// deadline (callerDeadline), so the policy would refuse the retry
	// (rule "deadline") rather than wait, and the rules would show it.
	const delay = time.Hour
	const callerDeadline = 30 * time.Second // only a bound on a hang
	for _, tc := range []struct {
		name           string
		attemptTimeout time.Duration
		tlsTimeout     time.Duration
		key            bool
		cause          policy.Cause
	}{
		{"attempt timeout in the handshake, POST", 150 * time.Millisecond, 0, false, policy.CauseAttemptTimeout},
		{"attempt timeout in the handshake, POST with key", 150 * time.Millisecond, 0, true, policy.CauseAttemptTimeout},
		{"TLSHandshakeTimeout, POST", 0, 150 * time.Millisecond, false, policy.CauseTLSHandshake},
		{"TLSHandshakeTimeout, POST with key", 0, 150 * time.Millisecond, true, policy.CauseTLSHandshake},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := fastPolicy()
			p.MaxAttempts = 2
			p.InProgressDelay = delay
			p.AttemptTimeout = tc.attemptTimeout
			base := newBase(t)
			base.TLSHandshakeTimeout = tc.tlsTimeout
			opts := fast(transport.WithPolicy(p))
			if tc.key {
				opts = append(opts, transport.WithIdempotencyKeys())
			}
			rt := transport.New(base, opts...)
			ctx, cancel := context.WithTimeout(context.Background(), callerDeadline)
			defer cancel()
			_, err, as := do(t, rt, newRequest(t, http.MethodPost, "https://"+silentpeer.Start(t)+"/orders", strings.NewReader(`{"item":"book"}`)).WithContext(ctx))
			if err == nil {
				t.Fatal("no error from a server that never answers")
			}
			if got := rules(as); got != "retry,max_attempts" {
				t.Fatalf("rules %s, want retry,max_attempts (first: reach %s, cause %s: %s)", got, as[0].Reach, as[0].Cause, as[0].Reason)
			}
			for i, a := range as {
				if a.Reach != policy.ReachNotSent || a.Cause != tc.cause {
					t.Errorf("attempt %d: reach %s, cause %s, want %s, %s (%s)", i+1, a.Reach, a.Cause, policy.ReachNotSent, tc.cause, a.Reason)
				}
			}
			if as[0].Wait != 0 {
				t.Errorf("waited %v before the retry: nothing was sent, no run can be going", as[0].Wait)
			}
		})
	}
}

// TestResponseHeaderTimeoutMayStillRun: the base's ResponseHeaderTimeout
// ends an attempt whose request was sent, as the attempt's own timeout
// does (net/http's error is a context.DeadlineExceeded): the client
// stopped waiting while the request may still be processed, so a keyed
// retry waits InProgressDelay. It pins that the connection watch, which
// only attempts with an attempt timeout carry, takes nothing from it.
func TestResponseHeaderTimeoutMayStillRun(t *testing.T) {
	t.Parallel()
	const delay = 300 * time.Millisecond
	s := newFirstThenCreated(t, stall)
	p := fastPolicy()
	p.InProgressDelay = delay
	base := newBase(t)
	base.ResponseHeaderTimeout = 100 * time.Millisecond
	rt := transport.New(base, fast(transport.WithPolicy(p), transport.WithIdempotencyKeys())...)
	resp, err, as := do(t, rt, newRequest(t, http.MethodPost, s.URL+"/orders", strings.NewReader(`{"item":"book"}`)))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	if got := rules(as); got != "retry,not_retryable" {
		t.Fatalf("rules %s, want retry,not_retryable", got)
	}
	if as[0].Cause != policy.CauseAttemptTimeout || as[0].Reach != policy.ReachUnknown {
		t.Errorf("first attempt: cause %s, reach %s, want %s, %s", as[0].Cause, as[0].Reach, policy.CauseAttemptTimeout, policy.ReachUnknown)
	}
	if as[0].Wait != delay {
		t.Errorf("wait before the retry %v, want InProgressDelay %v (%s)", as[0].Wait, delay, as[0].Reason)
	}
	if gap := s.gap(t); gap < delay {
		t.Errorf("the retry arrived %v after the first request, want at least %v", gap, delay)
	}
}
