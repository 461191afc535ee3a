package transport_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// promptly runs f and fails the test when it has not returned within
// limit; release is then called (to unblock the server) and f awaited.
func promptly(t *testing.T, what string, limit time.Duration, release func(), f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(limit):
		t.Errorf("%s did not return within %v", what, limit)
		release()
		<-done
	}
}

// stallServer answers with status, header and the first n bytes of a body,
// then stalls until the request ends or the test releases it.
type stallServer struct {
	*httptest.Server
	release chan struct{}
	once    sync.Once
	hits    atomic.Int32
}

func newStallServer(t *testing.T, serve func(n int, w http.ResponseWriter, r *http.Request, stall func())) *stallServer {
	s := &stallServer{release: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(s.hits.Add(1))
		serve(n, w, r, func() {
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-s.release:
			}
		})
	}))
	t.Cleanup(s.Close)
	t.Cleanup(s.unblock)
	return s
}

func (s *stallServer) unblock() { s.once.Do(func() { close(s.release) }) }

// TestBugClientTimeoutOpensBreaker pins a defect: http.Client's Timeout
// cancels through Request.Cancel, and the base's "net/http: request
// canceled" was classified a retryable transport error, retried and counted
// by the breaker before the context's own deadline fired, so a slow but
// healthy host was cut off for every caller.
func TestBugClientTimeoutOpensBreaker(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-r.Context().Done():
		case <-time.After(150 * time.Millisecond):
		}
		io.WriteString(w, "slow but fine")
	}))
	defer srv.Close()
	base := newBase(t)
	rt := transport.New(base, transport.WithPolicy(fastPolicy()))
	client := &http.Client{Transport: rt, Timeout: 30 * time.Millisecond}
	var circuitOpen int
	for i := 0; i < 100; i++ { // one after the other, as a caller's loop sends them
		resp, err := client.Get(srv.URL)
		if err == nil {
			resp.Body.Close()
			continue
		}
		if errors.Is(err, transport.ErrCircuitOpen) {
			circuitOpen++
		}
	}
	if n := circuitOpen; n > 0 {
		t.Errorf("%d of 100 timed-out requests were refused by the breaker", n)
	}
	if n := hits.Load(); n > 100 {
		t.Errorf("the server saw %d requests for 100 sent: a caller's timeout was retried", n)
	}
	resp, err := (&http.Client{Transport: rt}).Get(srv.URL)
	if err != nil {
		t.Fatalf("after 100 caller timeouts: %v", err)
	}
	resp.Body.Close()
}

// TestBugRequestCancelCounted: a closed Request.Cancel is the caller's
// cancellation too (http.Client's Timeout closes it, and the base reports
// "net/http: request canceled", not a context error): one attempt, never
// counted against the host.
func TestBugRequestCancelCounted(t *testing.T) {
	t.Parallel()
	g := newGateway(t, answer{serve: func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(150 * time.Millisecond):
		}
		io.WriteString(w, "slow but fine")
	}})
	var changed atomic.Bool
	s := transport.DefaultBreaker()
	s.OnStateChange = func(string, gobreaker.State, gobreaker.State) { changed.Store(true) }
	rt := transport.New(newBase(t), transport.WithPolicy(fastPolicy()), transport.WithBreaker(s), transport.WithoutBudget())
	for i := 0; i < 20; i++ {
		req := newRequest(t, "GET", g.URL, nil)
		cancel := make(chan struct{})
		if i%2 == 0 {
			close(cancel) // closed before the request is sent
		} else {
			time.AfterFunc(20*time.Millisecond, func() { close(cancel) })
		}
		req.Cancel = cancel //nolint:staticcheck // the deprecated field is what http.Client's Timeout uses
		resp, err, as := do(t, rt, req)
		if err == nil {
			resp.Body.Close()
			continue
		}
		if errors.Is(err, transport.ErrCircuitOpen) {
			t.Fatalf("request %d: %v", i, err)
		}
		if len(as) > 1 {
			t.Fatalf("request %d: %d attempts (%s): the caller's cancellation was retried", i, len(as), rules(as))
		}
	}
	hostStillServed(t, rt, g.URL, changed.Load())
}

// hostStillServed fails the test when the breaker changed state, or when
// the next request to url is refused.
func hostStillServed(t *testing.T, rt http.RoundTripper, url string, changed bool) {
	t.Helper()
	if changed {
		t.Error("the breaker changed state over the caller's own failures")
	}
	resp, err := rt.RoundTrip(newRequest(t, "GET", url, nil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// TestBugAttemptTimeoutCutsTricklingFinalBody pins a defect: the attempt
// timer was still running while an error answer's first bytes were peeked,
// so a final 404 whose body trickled was cut after a few bytes. In virtual
// time over an in-memory base whose body, as net/http's, fails once the
// attempt's context ends: the headers come at once (no loaded machine can
// make them miss the 50 ms attempt timeout), the body a byte every 4 ms,
// 160 ms in all.
func TestBugAttemptTimeoutCutsTricklingFinalBody(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		want := strings.Repeat("x", 40)
		var open atomic.Int32
		base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			body := newCtxBody(r.Context(), want, 1, 4*time.Millisecond, &open)
			return &http.Response{StatusCode: 404, Header: http.Header{}, Request: r, ContentLength: -1, Body: body}, nil
		})
		p := fastPolicy()
		p.AttemptTimeout = 50 * time.Millisecond // the headers come at once; the body takes 160ms
		rt := transport.New(base, fast(transport.WithPolicy(p))...)
		resp, err, as := do(t, rt, newRequest(t, "GET", memURL, nil))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 404 || len(as) != 1 || as[0].Status != 404 {
			t.Fatalf("status %d after attempts %s", resp.StatusCode, rules(as))
		}
		if got := readAll(t, resp.Body); got != want {
			t.Errorf("body %q, want %q", got, want)
		}
		resp.Body.Close()
		if n := open.Load(); n != 0 {
			t.Errorf("%d response bodies left open", n)
		}
	})
}

// TestBugAttemptTimeoutFiresAsBaseReturns pins a defect: when the attempt
// timer fired just as the base returned its response (slow middleware, a
// GC pause), the response was handed over with a context already
// cancelled, and its body died part way. Now such an attempt is an attempt
// timeout, its response closed; an attempt that answers in time is
// delivered whole. In virtual time over an in-memory base whose body, as
// net/http's, fails once the attempt's context ends: the second attempt
// answers at once, so no loaded machine can make it miss its timeout too.
func TestBugAttemptTimeoutFiresAsBaseReturns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		want := strings.Repeat("y", 1<<20)
		var open, calls atomic.Int32
		late := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			body := newCtxBody(r.Context(), want, 32<<10, 0, &open)
			resp := &http.Response{StatusCode: 200, Header: http.Header{}, Request: r, ContentLength: int64(len(want)), Body: body}
			if calls.Add(1) == 1 {
				<-r.Context().Done() // the timer fires before the base returns
			}
			return resp, nil
		})
		p := fastPolicy()
		p.AttemptTimeout = 100 * time.Millisecond
		rt := transport.New(late, fast(transport.WithPolicy(p))...)
		resp, err, as := do(t, rt, newRequest(t, "GET", memURL, nil))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := io.ReadAll(resp.Body); err != nil || string(got) != want {
			t.Errorf("read %d bytes of %d: %v", len(got), len(want), err)
		}
		resp.Body.Close()
		if len(as) != 2 || as[0].Cause != policy.CauseAttemptTimeout || as[0].Status != 0 {
			t.Errorf("attempts %s, first cause %q; want the late answer to be an attempt timeout, then the answer", rules(as), as[0].Cause)
		}
		if n := open.Load(); n != 0 {
			t.Errorf("%d response bodies left open", n)
		}
	})
}

// ctxBody is an in-memory response body that yields data step bytes a
// read, each after delay, and, as net/http's body does once its request's
// context ends, fails with the context's error from then on. open counts
// the bodies not yet closed.
type ctxBody struct {
	ctx    context.Context
	data   string
	step   int
	delay  time.Duration
	open   *atomic.Int32
	closed atomic.Bool
}

func newCtxBody(ctx context.Context, data string, step int, delay time.Duration, open *atomic.Int32) *ctxBody {
	open.Add(1)
	return &ctxBody{ctx: ctx, data: data, step: step, delay: delay, open: open}
}

func (b *ctxBody) Read(p []byte) (int, error) {
	if err := b.ctx.Err(); err != nil {
		return 0, err
	}
	if b.data == "" {
		return 0, io.EOF
	}
	if b.delay > 0 {
		select {
		case <-time.After(b.delay):
		case <-b.ctx.Done():
			return 0, b.ctx.Err()
		}
	}
	n := copy(p[:min(len(p), b.step)], b.data)
	b.data = b.data[n:]
	return n, nil
}

func (b *ctxBody) Close() error {
	if b.closed.CompareAndSwap(false, true) {
		b.open.Add(-1)
	}
	return nil
}

// TestBugStalledErrorBodyBlocks pins a defect: the classifier's peek read
// until 512 bytes or EOF, and a discarded body was drained without a time
// bound, so a stalled error body held RoundTrip as long as the server
// stalled. Now both are bounded by a fraction of a second. The server
// stalls until the test ends, so the test's limit is about a hang only:
// 10 s, which no loaded machine takes to peek and drop a body.
func TestBugStalledErrorBodyBlocks(t *testing.T) {
	t.Parallel()
	const limit = 10 * time.Second

	t.Run("final 500, 10 bytes then a stall", func(t *testing.T) {
		t.Parallel()
		s := newStallServer(t, func(_ int, w http.ResponseWriter, _ *http.Request, stall func()) {
			w.WriteHeader(500)
			io.WriteString(w, "0123456789")
			stall()
		})
		rt := transport.New(newBase(t), fast()...)
		promptly(t, "RoundTrip", limit, s.unblock, func() {
			// A POST without a key: its 500 is final at once (a GET's
			// would be retried).
			resp, err, as := do(t, rt, newRequest(t, "POST", s.URL, nil))
			if err != nil {
				t.Error(err)
				return
			}
			if resp.StatusCode != 500 || len(as) != 1 || as[0].Cause != policy.CauseServerError {
				t.Errorf("status %d, %d attempts, cause %q", resp.StatusCode, len(as), as[0].Cause)
			}
			buf := make([]byte, 10)
			if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "0123456789" {
				t.Errorf("read %q, %v", buf, err)
			}
			resp.Body.Close()
		})
	})

	for _, size := range []int{5, 1000} {
		t.Run("stalled 504 then 200, body "+strconv.Itoa(size), func(t *testing.T) {
			t.Parallel()
			s := newStallServer(t, func(n int, w http.ResponseWriter, _ *http.Request, stall func()) {
				if n > 1 {
					io.WriteString(w, "ok")
					return
				}
				w.WriteHeader(504)
				io.WriteString(w, strings.Repeat("z", size))
				stall()
			})
			ct := newCounting(t)
			rt := transport.New(ct, fast()...)
			promptly(t, "RoundTrip", limit, s.unblock, func() {
				resp, err, as := do(t, rt, newRequest(t, "GET", s.URL, nil))
				if err != nil {
					t.Error(err)
					return
				}
				if resp.StatusCode != 200 || len(as) != 2 {
					t.Errorf("status %d after %d attempts", resp.StatusCode, len(as))
				}
				resp.Body.Close()
			})
			if n := ct.open(); n != 0 {
				t.Errorf("%d bodies left open", n)
			}
		})
	}

	t.Run("hedge: stalled losing 503", func(t *testing.T) {
		t.Parallel()
		s := newStallServer(t, func(n int, w http.ResponseWriter, _ *http.Request, stall func()) {
			if n > 1 {
				time.Sleep(20 * time.Millisecond)
				io.WriteString(w, "ok")
				return
			}
			w.WriteHeader(503)
			io.WriteString(w, strings.Repeat("z", 1000)) // more than the peek, less than a drain
			stall()
		})
		rt := transport.New(newBase(t), fast(transport.WithHedging(10*time.Millisecond))...)
		promptly(t, "RoundTrip", limit, s.unblock, func() {
			resp, err, _ := do(t, rt, newRequest(t, "GET", s.URL, nil))
			if err != nil {
				t.Error(err)
				return
			}
			if resp.StatusCode != 200 {
				t.Errorf("status %d", resp.StatusCode)
			}
			resp.Body.Close()
		})
	})
}

// TestBugCallerBodyMistakesCounted pins a defect: a request body that does
// not match its ContentLength, or whose Read fails, made the base fail; the
// attempt was retried as reach "unknown" and counted against the host, so
// four such requests opened the breaker on a healthy host.
func TestBugCallerBodyMistakesCounted(t *testing.T) {
	t.Parallel()
	errBroken := errors.New("the caller's body broke")
	cases := []struct {
		name string
		req  func(url string) *http.Request
		want func(error) bool
		// mayAnswer: the server got a complete request (the first 3 bytes)
		// and may answer before the base notices the extra bytes.
		mayAnswer bool
	}{
		{"ContentLength 10, 5 bytes", func(url string) *http.Request {
			req := newRequest(t, "PUT", url, strings.NewReader("hello"))
			req.ContentLength = 10
			return req
		}, func(error) bool { return true }, false},
		{"ContentLength 3, 5 bytes", func(url string) *http.Request {
			req := newRequest(t, "PUT", url, strings.NewReader("hello"))
			req.ContentLength = 3
			return req
		}, func(error) bool { return true }, true},
		{"Read fails part way", func(url string) *http.Request {
			req := newRequest(t, "PUT", url, nil)
			mk := func() (io.ReadCloser, error) {
				return io.NopCloser(io.MultiReader(strings.NewReader("abc"), errReader{errBroken})), nil
			}
			req.Body, _ = mk()
			req.GetBody = mk
			return req
		}, func(err error) bool { return errors.Is(err, errBroken) }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := newGateway(t, ok200)
			var changed atomic.Bool
			s := transport.DefaultBreaker()
			s.OnStateChange = func(string, gobreaker.State, gobreaker.State) { changed.Store(true) }
			rt := transport.New(newBase(t), transport.WithPolicy(fastPolicy()), transport.WithBreaker(s), transport.WithoutBudget())
			for i := 0; i < 8; i++ {
				resp, err, as := do(t, rt, tc.req(g.URL))
				if err == nil {
					resp.Body.Close()
					if !tc.mayAnswer {
						t.Fatalf("request %d succeeded", i)
					}
					continue
				}
				if errors.Is(err, transport.ErrCircuitOpen) {
					t.Fatalf("request %d: %v", i, err)
				}
				if !tc.want(err) {
					t.Errorf("error %v", err)
				}
				if len(as) != 1 || as[0].Cause != policy.CauseRequestBody {
					t.Fatalf("request %d: %d attempts (%s), cause %q: the caller's mistake was retried", i, len(as), rules(as), as[0].Cause)
				}
			}
			hostStillServed(t, rt, g.URL, changed.Load())
		})
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// TestBugGetBodyFailureLosesResponse pins a defect: without hedging, when
// GetBody failed on a retry, the 504 already received had been discarded
// and the caller got "nothing was sent". Now the body is produced before
// the previous answer is let go, and that answer is returned. The same
// holds when GetBody's copy is in memory but not ContentLength bytes long
// (checked only as the retry was about to go, after the 504 was let go).
func TestBugGetBodyFailureLosesResponse(t *testing.T) {
	t.Parallel()
	for name, getBody := range map[string]func() (io.ReadCloser, error){
		"GetBody fails": func() (io.ReadCloser, error) { return nil, errors.New("the body is gone") },
		"GetBody's copy is longer": func() (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader("a longer order")), nil
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			g := newGateway(t, gw504, ok200)
			ct := newCounting(t)
			rt := transport.New(ct, fast()...)
			req := newRequest(t, "PUT", g.URL, strings.NewReader("order"))
			req.GetBody = getBody
			resp, err, as := do(t, rt, req)
			if err != nil {
				t.Fatalf("%v (attempts %s): the 504 received was lost", err, rules(as))
			}
			if resp.StatusCode != 504 {
				t.Errorf("status %d", resp.StatusCode)
			}
			if got := readAll(t, resp.Body); got != gw504.body {
				t.Errorf("body %q", got)
			}
			resp.Body.Close()
			if ct.responses() != 1 || g.hits() != 1 || len(as) != 1 || as[0].Retry {
				t.Errorf("%d hits, attempts %s", g.hits(), rules(as))
			}
			if !strings.Contains(as[0].Reason, "body") {
				t.Errorf("reason %q does not say why", as[0].Reason)
			}
			if n := ct.open(); n != 0 {
				t.Errorf("%d bodies left open", n)
			}
		})
	}
}

// TestBug101BodyNotWritable pins a defect: with AttemptTimeout or hedging
// on, the body of a 101 Switching Protocols response was wrapped and lost
// its Write method, which broke WebSocket clients built on http.Client.
func TestBug101BodyNotWritable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
		line, _ := brw.ReadString('\n')
		io.WriteString(conn, line)
	}))
	defer srv.Close()
	p := fastPolicy()
	p.AttemptTimeout = 10 * time.Second // set, not reached: the 101 comes at once, however loaded the machine
	for name, opts := range map[string][]transport.Option{
		"attempt timeout": fast(transport.WithPolicy(p)),
		"hedging":         fast(transport.WithHedging(10 * time.Second)),
	} {
		t.Run(name, func(t *testing.T) {
			rt := transport.New(newBase(t), opts...)
			req := newRequest(t, "GET", srv.URL, nil)
			req.Header.Set("Connection", "Upgrade")
			req.Header.Set("Upgrade", "echo")
			resp, err := (&http.Client{Transport: rt}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != 101 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			rw, ok := resp.Body.(io.ReadWriteCloser)
			if !ok {
				t.Fatalf("the 101 body is a %T, not an io.ReadWriteCloser", resp.Body)
			}
			if _, err := io.WriteString(rw, "ping\n"); err != nil {
				t.Fatal(err)
			}
			line, err := bufio.NewReader(rw).ReadString('\n')
			if err != nil || line != "ping\n" {
				t.Errorf("echo %q, %v", line, err)
			}
		})
	}
}

// TestBugHedgeSentAfterRequestCancel: once the caller closed
// Request.Cancel, no hedge or retry goes out, even through a base that
// does not watch Request.Cancel itself.
func TestBugHedgeSentAfterRequestCancel(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	// The caller closes Request.Cancel while the first attempt is in
	// flight, before the hedge's delay: closed by the base itself, not by
	// a timer, which on a loaded machine could fire before the first
	// attempt was sent (then nothing is sent at all, and the test proves
	// nothing).
	cancel := make(chan struct{})
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if calls.Add(1) == 1 {
			close(cancel)
		}
		select { // ignores Request.Cancel, as a custom base may
		case <-r.Context().Done():
			return nil, r.Context().Err()
		case <-time.After(60 * time.Millisecond):
		}
		return &http.Response{StatusCode: 503, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
	})
	rt := transport.New(base, fast(transport.WithHedging(10*time.Millisecond))...)
	req := newRequest(t, "GET", "http://example.invalid/", nil)
	req.Cancel = cancel //nolint:staticcheck // the deprecated field is the one under test
	resp, err, as := do(t, rt, req)
	if err == nil {
		resp.Body.Close()
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("the base was called %d times after the caller closed Request.Cancel (attempts %s)", n, rules(as))
	}
}
