package transport_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"math"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// snapshot is what a RoundTripper must leave as it found it.
type snapshot struct {
	Method, URL, Host string
	Header            http.Header
	Body              io.ReadCloser
	HasGetBody        bool
	ContentLength     int64
}

func snap(r *http.Request) snapshot {
	return snapshot{r.Method, r.URL.String(), r.Host, r.Header.Clone(), r.Body, r.GetBody != nil, r.ContentLength}
}

// TestCallerRequestUntouched: whatever happens (retries, a refusal by the
// breaker, a cancelled context, a body that fails, a body too large to
// replay, hedging), the caller's request is left as it was and its body is
// closed.
func TestCallerRequestUntouched(t *testing.T) {
	t.Parallel()
	openBreaker := func(t *testing.T, g *gateway) *transport.Transport {
		rt := transport.New(newBase(t), transport.WithPolicy(fastPolicy()), transport.WithoutBudget(),
			transport.WithBreaker(gobreaker.Settings{Timeout: time.Minute,
				ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 1 }}), transport.WithFailFast())
		resp, err := rt.RoundTrip(newRequest(t, "POST", g.URL, nil))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return rt
	}
	tests := []struct {
		name    string
		script  []answer
		rt      func(*testing.T, *gateway) *transport.Transport
		ctx     func() context.Context
		body    io.ReadCloser
		wantErr bool
	}{
		{name: "retried", script: []answer{gw504, gw504, ok200}},
		{name: "all failed", script: []answer{gw504}},
		{name: "breaker open", script: []answer{gw504}, rt: openBreaker, wantErr: true},
		{name: "context cancelled", ctx: func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, wantErr: true},
		{name: "body fails", body: &failingBody{data: "half", err: errors.New("disk on fire")}, wantErr: true},
		{name: "body too large", script: []answer{gw504},
			rt: func(t *testing.T, _ *gateway) *transport.Transport {
				return transport.New(newBase(t), fast(transport.WithBodyLimit(4))...)
			}},
		{name: "hedged", script: []answer{ok200},
			rt: func(t *testing.T, _ *gateway) *transport.Transport {
				return transport.New(newBase(t), fast(transport.WithHedging(time.Hour))...)
			}},
	}
	for _, tt := range tests {
		for _, withGetBody := range []bool{false, true} {
			name := tt.name
			if withGetBody {
				if tt.body != nil {
					continue
				}
				name += " GetBody"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				g := newGateway(t, tt.script...)
				var rt *transport.Transport
				if tt.rt != nil {
					rt = tt.rt(t, g)
				} else {
					rt = transport.New(newBase(t), fast()...)
				}
				hitsBefore := g.hits()
				body := tt.body
				if body == nil {
					body = newRequestBody("payload")
				}
				req := newRequest(t, "PUT", g.URL+"/orders/1?x=1", nil)
				req.Body, req.ContentLength = body, -1
				if withGetBody {
					req.GetBody = func() (io.ReadCloser, error) { return newRequestBody("payload"), nil }
				}
				req.Header.Set("X-Caller", "yes")
				req.Header["X-Multi"] = []string{"a", "b"}
				if tt.ctx != nil {
					req = req.WithContext(tt.ctx())
				}
				before := snap(req)
				resp, err := rt.RoundTrip(req)
				if resp != nil {
					resp.Body.Close()
				}
				if (err != nil) != tt.wantErr {
					t.Fatalf("err = %v, want error %v", err, tt.wantErr)
				}
				if after := snap(req); !reflect.DeepEqual(before, after) {
					t.Errorf("request modified:\nbefore %+v\nafter  %+v", before, after)
				}
				closes := 0
				switch b := body.(type) {
				case *requestBody:
					closes = int(b.closed.Load())
				case *failingBody:
					closes = int(b.closed.Load())
				}
				if closes == 0 {
					t.Errorf("the caller's body was not closed")
				}
				if tt.wantErr && tt.name != "breaker open" && g.hits() != hitsBefore {
					t.Errorf("%d requests reached the server", g.hits()-hitsBefore)
				}
				for i, s := range g.seen()[hitsBefore:] {
					if string(s.Body) != "payload" && tt.name != "body too large" {
						t.Errorf("request %d body %q", i+1, s.Body)
					}
				}
			})
		}
	}
}

// failingBody returns data, then err.
type failingBody struct {
	data   string
	err    error
	off    int
	closed atomic.Int32
}

func (b *failingBody) Read(p []byte) (int, error) {
	if b.off < len(b.data) {
		n := copy(p, b.data[b.off:])
		b.off += n
		return n, nil
	}
	return 0, b.err
}

func (b *failingBody) Close() error { b.closed.Add(1); return nil }

// TestBodyErrorHalfWay: a body that fails while it is buffered gives a clear
// error that wraps the cause, and nothing is sent.
func TestBodyErrorHalfWay(t *testing.T) {
	t.Parallel()
	g := newGateway(t, ok200)
	rt := transport.New(newBase(t), fast()...)
	cause := errors.New("disk on fire")
	body := &failingBody{data: strings.Repeat("x", 1000), err: cause}
	req := newRequest(t, "POST", g.URL, nil)
	req.Body = body
	resp, err, as := do(t, rt, req)
	if resp != nil {
		t.Fatalf("got a response %d", resp.StatusCode)
	}
	if !errors.Is(err, cause) {
		t.Errorf("error %v does not wrap the body's error", err)
	}
	var te *transport.Error
	if !errors.As(err, &te) || len(te.Attempts) != 0 {
		t.Errorf("error %#v: want *Error with no attempts", err)
	}
	if !strings.Contains(err.Error(), "request body") {
		t.Errorf("message %q does not say it is the request body", err)
	}
	if g.hits() != 0 || len(as) != 0 {
		t.Errorf("%d requests sent, %d recorded", g.hits(), len(as))
	}
	if body.closed.Load() == 0 {
		t.Errorf("body not closed")
	}
}

// TestBodyReplayGetBody: a request with GetBody is replayed through it; the
// transport buffers nothing and every attempt sends the same bytes.
func TestBodyReplayGetBody(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw504, gw504, ok200)
	rt := transport.New(newBase(t), fast()...)
	payload := strings.Repeat("replay me ", 1000)
	req := newRequest(t, "PUT", g.URL, strings.NewReader(payload))
	var calls atomic.Int32
	getBody := req.GetBody
	req.GetBody = func() (io.ReadCloser, error) {
		calls.Add(1)
		return getBody()
	}
	first := &trackedBody{ReadCloser: req.Body}
	req.Body = first
	if _, err, _ := do(t, rt, req); err != nil {
		t.Fatal(err)
	}
	got := g.seen()
	if len(got) != 3 {
		t.Fatalf("%d requests", len(got))
	}
	for i, s := range got {
		if string(s.Body) != payload {
			t.Errorf("attempt %d sent %d bytes, want %d", i+1, len(s.Body), len(payload))
		}
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("GetBody called %d times, want 2", n)
	}
	if first.reads.Load() == 0 || !first.closed.Load() {
		t.Errorf("the caller's body was not sent first and closed (reads %d)", first.reads.Load())
	}
}

// TestBodyReplayBuffered: a body without GetBody is buffered and sent byte
// for byte on every attempt.
func TestBodyReplayBuffered(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw504, gw500, ok200)
	rt := transport.New(newBase(t), fast()...)
	payload := make([]byte, 300<<10)
	rand.Read(payload)
	body := &requestBody{r: bytes.NewReader(payload)}
	req := newRequest(t, "PUT", g.URL, nil)
	req.Body, req.ContentLength = body, int64(len(payload))
	if _, err, _ := do(t, rt, req); err != nil {
		t.Fatal(err)
	}
	got := g.seen()
	if len(got) != 3 {
		t.Fatalf("%d requests", len(got))
	}
	for i, s := range got {
		if !bytes.Equal(s.Body, payload) {
			t.Errorf("attempt %d sent different bytes (%d of %d)", i+1, len(s.Body), len(payload))
		}
		if s.Header.Get("Content-Length") != "307200" {
			t.Errorf("attempt %d Content-Length %q", i+1, s.Header.Get("Content-Length"))
		}
	}
	if body.closed.Load() == 0 {
		t.Error("the caller's body was not closed")
	}
}

// TestBodyTooLargeNotReplayable: a body larger than WithBodyLimit is sent
// once, in full, and not retried (rule "not_replayable").
func TestBodyTooLargeNotReplayable(t *testing.T) {
	t.Parallel()
	for _, size := range []int{17, 5000, 3 << 20} {
		g := newGateway(t, gw504, ok200)
		rt := transport.New(newBase(t), fast(transport.WithBodyLimit(16))...)
		payload := make([]byte, size)
		rand.Read(payload)
		body := &requestBody{r: bytes.NewReader(payload)}
		req := newRequest(t, "PUT", g.URL, nil)
		req.Body, req.ContentLength = body, int64(size)
		resp, err, as := do(t, rt, req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 504 || rules(as) != "not_replayable" {
			t.Errorf("size %d: status %d rules %s", size, resp.StatusCode, rules(as))
		}
		if got := g.seen(); len(got) != 1 || !bytes.Equal(got[0].Body, payload) {
			t.Errorf("size %d: server saw %d requests", size, len(got))
		}
		if !strings.Contains(as[0].Reason, "too large") {
			t.Errorf("reason %q", as[0].Reason)
		}
		if body.closed.Load() == 0 {
			t.Errorf("size %d: body not closed", size)
		}
	}
}

// TestBodyWithinLimitReplayed: a body exactly at the limit is still
// replayable.
func TestBodyWithinLimitReplayed(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw504, ok200)
	rt := transport.New(newBase(t), fast(transport.WithBodyLimit(16))...)
	req := newRequest(t, "PUT", g.URL, nil)
	req.Body = newRequestBody("0123456789abcdef")
	resp, err, _ := do(t, rt, req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", resp, err)
	}
	for _, s := range g.seen() {
		if string(s.Body) != "0123456789abcdef" {
			t.Errorf("sent %q", s.Body)
		}
	}
}

// TestBugBodyLimitOverflow pins a bug: WithBodyLimit(math.MaxInt64)
// overflowed limit+1, the buffer read nothing and every attempt sent an
// empty body.
func TestBugBodyLimitOverflow(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw504, ok200)
	rt := transport.New(newBase(t), fast(transport.WithBodyLimit(math.MaxInt64))...)
	req := newRequest(t, "PUT", g.URL, nil)
	req.Body = newRequestBody("hello")
	if _, err, _ := do(t, rt, req); err != nil {
		t.Fatal(err)
	}
	got := g.seen()
	if len(got) != 2 {
		t.Fatalf("%d requests", len(got))
	}
	for i, s := range got {
		if string(s.Body) != "hello" {
			t.Errorf("attempt %d sent %q, want %q", i+1, s.Body, "hello")
		}
	}
}

// TestBugGetBodyFailureCountsAgainstBreaker pins a bug: a retry whose
// GetBody failed sent nothing, yet the breaker counted it as a failure of
// the host.
func TestBugGetBodyFailureCountsAgainstBreaker(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw429, ok200)
	var changes atomic.Int32
	rt := transport.New(newBase(t), transport.WithPolicy(fastPolicy()), transport.WithoutBudget(),
		transport.WithBreaker(gobreaker.Settings{Timeout: time.Minute,
			ReadyToTrip:   func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 1 },
			OnStateChange: func(string, gobreaker.State, gobreaker.State) { changes.Add(1) }}))
	req := newRequest(t, "PUT", g.URL, strings.NewReader("x"))
	calls := 0
	req.GetBody = func() (io.ReadCloser, error) {
		calls++
		return nil, errors.New("gone")
	}
	// The 429 already received is the answer (the retry could not be made).
	resp, err, as := do(t, rt, req)
	if err != nil || resp.StatusCode != 429 || len(as) != 1 || as[0].Rule != policy.RuleRequestBody {
		t.Fatalf("err %v, attempts %+v", err, as)
	}
	if changes.Load() != 0 {
		t.Errorf("the breaker changed state %d time(s) over a body that failed locally", changes.Load())
	}
	if resp, err := rt.RoundTrip(newRequest(t, "GET", g.URL, nil)); err != nil {
		t.Errorf("next request refused: %v", err)
	} else {
		resp.Body.Close()
	}
}

// TestBugNilNilBaseRetriedAsTransportError pins a bug: a base transport
// that breaks the RoundTripper contract (nil response, nil error) was
// classified as a retryable transport error and called again; it gives a
// clear error at once ("no_response"), never a panic.
func TestBugNilNilBaseRetriedAsTransportError(t *testing.T) {
	t.Parallel()
	calls := 0
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		calls++
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, nil
	})
	rt := transport.New(base, fast()...)
	resp, err, as := do(t, rt, newRequest(t, "GET", "http://example.invalid/", nil))
	if resp != nil || err == nil {
		t.Fatalf("resp %v err %v", resp, err)
	}
	var te *transport.Error
	if !errors.As(err, &te) || len(te.Attempts) != 1 || te.Attempts[0].Cause != policy.CauseNoResponse {
		t.Errorf("err %#v", err)
	}
	if !strings.Contains(err.Error(), "nil response") {
		t.Errorf("message %q", err)
	}
	if calls != 1 || len(as) != 1 {
		t.Errorf("%d calls, %d attempts", calls, len(as))
	}
}

// TestBaseReturnsResponseAndError: a response that comes with an error is
// closed and the error wins; the GET is retried.
func TestBaseReturnsResponseAndError(t *testing.T) {
	t.Parallel()
	var bodies []*trackedBody
	boom := errors.New("boom")
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		b := &trackedBody{ReadCloser: io.NopCloser(strings.NewReader("half"))}
		bodies = append(bodies, b)
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: b, Request: r}, boom
	})
	rt := transport.New(base, fast()...)
	resp, err, as := do(t, rt, newRequest(t, "GET", "http://example.invalid/", nil))
	if resp != nil || !errors.Is(err, boom) {
		t.Fatalf("resp %v err %v", resp, err)
	}
	if len(as) != 3 || as[0].Status != 0 || as[0].Reach != policy.ReachUnknown {
		t.Errorf("attempts %+v", as)
	}
	for i, b := range bodies {
		if !b.closed.Load() {
			t.Errorf("body %d not closed", i+1)
		}
	}
}

// TestBugNilURLPanics pins a bug: RoundTrip with a nil URL panicked while
// looking up the host; http.Transport answers an error.
func TestBugNilURLPanics(t *testing.T) {
	t.Parallel()
	rt := transport.New(newBase(t), fast()...)
	body := newRequestBody("x")
	req := &http.Request{Method: "POST", Header: http.Header{}, Body: body}
	resp, err := rt.RoundTrip(req)
	if resp != nil || err == nil {
		t.Fatalf("resp %v err %v", resp, err)
	}
	if body.closed.Load() == 0 {
		t.Error("body not closed")
	}
}
