package transport_test

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// TestBugLocalRequestErrorCountedAgainstHost: a request that net/http
// refuses before it opens a connection (an invalid header value, here
// one a caller copied unchecked from its input) is classified as a
// "transport error; the request may have been sent", retried to
// MaxAttempts and fed to the host's breaker as failures. Nothing was
// sent and every attempt fails the same way: it is not transient, and
// one caller's bad header opens the breaker for every valid request to
// that host (ErrCircuitOpen below). Expected: one attempt, not retried,
// the breaker untouched.
//
// A nil Body with a ContentLength other than 0 is the same mistake with
// the caller's body ("http: Request.ContentLength=5 with nil Body"):
// cause request_body, as a body that fails.
func TestBugLocalRequestErrorCountedAgainstHost(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(*http.Request)
		cause policy.Cause
	}{
		{"line break in a value", func(r *http.Request) { r.Header["X-Note"] = []string{"line one\nline two"} }, policy.CauseInvalidRequest},
		{"space in a name", func(r *http.Request) { r.Header["X Note"] = []string{"v"} }, policy.CauseInvalidRequest},
		{"no host", func(r *http.Request) { r.URL.Host = "" }, policy.CauseInvalidRequest},
		{"nil body, ContentLength 5", func(r *http.Request) { r.ContentLength = 5 }, policy.CauseRequestBody},
		{"nil body, ContentLength -1", func(r *http.Request) { r.ContentLength = -1 }, policy.CauseRequestBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGateway(t, ok200)
			var changed atomic.Bool
			s := transport.DefaultBreaker()
			s.OnStateChange = func(string, gobreaker.State, gobreaker.State) { changed.Store(true) }
			rt := transport.New(newBase(t), transport.WithPolicy(fastPolicy()), transport.WithBreaker(s), transport.WithoutBudget(), transport.WithFailFast())
			for i := 0; i < 8; i++ {
				req := newRequest(t, "GET", g.URL, nil)
				tt.spoil(req)
				resp, err, as := do(t, rt, req)
				if err == nil {
					resp.Body.Close()
					t.Fatalf("request %d succeeded", i)
				}
				if errors.Is(err, transport.ErrCircuitOpen) {
					t.Fatalf("request %d refused by the breaker: %v", i, err)
				}
				if len(as) != 1 || as[0].Retry || as[0].Cause != tt.cause || as[0].Reach != policy.ReachNotSent {
					t.Fatalf("request %d: %d attempts (%s), cause %q, reach %q: a local refusal was retried or blamed on the host",
						i, len(as), rules(as), as[0].Cause, as[0].Reach)
				}
			}
			if g.hits() != 0 {
				t.Errorf("the server got %d requests", g.hits())
			}
			hostStillServed(t, rt, g.URL, changed.Load())
		})
	}
}

// The ids of an Attempt lay in its attempt request's allocation, so a
// kept record kept that request alive, and its context with whatever the
// caller hung on it, and through the context the Recorder with every
// attempt's record (probe -json, keeping every record of a run, held
// 361 MB for 30 requests to a server answering megabyte ids). The test
// collects, every 20 ms, until the value is gone, for up to 10 s (it
// gave up after 200 ms, which a loaded machine could take).
func TestBugAttemptRecordsPinRequests(t *testing.T) {
	g := newGateway(t, gw504, ok200)
	rt := transport.New(newBase(t), fast()...)
	type key struct{}
	collected := make(chan struct{})
	kept := func() []transport.Attempt {
		big := new([1 << 20]byte)
		runtime.AddCleanup(big, func(ch chan struct{}) { close(ch) }, collected)
		ctx, rec := transport.Record(context.WithValue(context.Background(), key{}, big))
		resp, err := rt.RoundTrip(newRequest(t, "GET", g.URL, nil).WithContext(ctx))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		as := rec.Attempts()
		if len(as) != 2 || as[0].InvocationID == "" || as[0].RequestIDSent == "" {
			t.Fatalf("%d attempts %+v", len(as), as)
		}
		return as
	}()
	// Collect until the cleanup has run. The bound is about a hang only: a
	// loaded machine may be slow to run the cleanup, or net/http's
	// connection goroutines to let go of the attempt request, while a
	// record that pins it keeps the value alive for ever.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		runtime.GC()
		select {
		case <-collected:
			runtime.KeepAlive(kept)
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
	runtime.KeepAlive(kept)
	t.Error("the caller's context value is still alive after 10 s of collections: the records hold the attempt request")
}

// net/http retries a request as idempotent when it carries an
// Idempotency-Key or an X-Idempotency-Key, or either with a nil value
// (marked idempotent, nothing sent); the transport knew only a non-empty
// Idempotency-Key, so such a POST after a 504 was not retried ("unsafe").
func TestBugIdempotencyKeyAsNetHTTPReadsIt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		mark  func(http.Header)
		rules string
	}{
		{"X-Idempotency-Key", func(h http.Header) { h.Set("X-Idempotency-Key", "k1") }, "retry,not_retryable"},
		{"nil Idempotency-Key", func(h http.Header) { h["Idempotency-Key"] = nil }, "retry,not_retryable"},
		{"nil x-idempotency-key", func(h http.Header) { h["x-idempotency-key"] = nil }, "retry,not_retryable"},
		{"empty Idempotency-Key", func(h http.Header) { h["Idempotency-Key"] = []string{""} }, "unsafe"},
		{"none", func(http.Header) {}, "unsafe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := newGateway(t, gw504, ok200)
			p := fastPolicy()
			p.InProgressDelay = time.Millisecond
			rt := transport.New(newBase(t), transport.WithPolicy(p), transport.WithoutBreaker(), transport.WithoutBudget())
			req := newRequest(t, "POST", g.URL, strings.NewReader("{}"))
			tt.mark(req.Header)
			_, err, as := do(t, rt, req)
			if err != nil {
				t.Fatal(err)
			}
			if got := rules(as); got != tt.rules {
				t.Errorf("rules %s, want %s", got, tt.rules)
			}
		})
	}
}
