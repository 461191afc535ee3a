package transport_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/retryscope/retryscope/transport"
)

// watchedBody is a request body without GetBody, as a caller that streams
// its body gives one, that records whether it was read and closed, and can
// fail its reads.
type watchedBody struct {
	r      io.Reader
	fail   error // returned by Read when set
	read   atomic.Bool
	closed atomic.Int32
}

func (b *watchedBody) Read(p []byte) (int, error) {
	b.read.Store(true)
	if b.fail != nil {
		return 0, b.fail
	}
	return b.r.Read(p)
}

func (b *watchedBody) Close() error { b.closed.Add(1); return nil }

// streamingPost is a POST to url with body b and no GetBody.
func streamingPost(t *testing.T, url string, b *watchedBody) *http.Request {
	req := newRequest(t, http.MethodPost, url, nil)
	req.Body, req.ContentLength = b, -1
	return req
}

// bodyHost answers 504 while down, and 200 otherwise after reading the
// request body, which it hands to bodies.
func bodyHost(t *testing.T, down *atomic.Bool, bodies chan<- string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if down.Load() {
			w.Header().Set("X-Amzn-Errortype", "InternalServerErrorException")
			w.WriteHeader(http.StatusGatewayTimeout)
			return
		}
		select {
		case bodies <- string(b):
		default:
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// openBreaker opens rt's breaker for url with one POST answered 504.
func openBreaker(t *testing.T, rt http.RoundTripper, url string, down *atomic.Bool) {
	t.Helper()
	down.Store(true)
	resp, err := rt.RoundTrip(newRequest(t, http.MethodPost, url, nil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	down.Store(false)
}

// TestWaitingHoldsNoBodyCopy: a request whose body the transport has to
// buffer (no GetBody) reads none of it while it waits for its host; let
// go, it sends the body whole.
func TestWaitingHoldsNoBodyCopy(t *testing.T) {
	t.Parallel()
	var down atomic.Bool
	bodies := make(chan string, 1)
	srv := bodyHost(t, &down, bodies)
	const openFor = 400 * time.Millisecond
	rt := waitingTransport(t, openFor, transport.WaitConfig{Tick: 20 * time.Millisecond, ProbeInterval: time.Hour})
	openBreaker(t, rt, srv.URL, &down)
	opened := time.Now()
	body := &watchedBody{r: strings.NewReader(`{"order":42}`)}
	done := make(chan error, 1)
	go func() {
		resp, err := rt.RoundTrip(streamingPost(t, srv.URL, body))
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	time.Sleep(openFor / 4)
	if read := body.read.Load(); read && time.Since(opened) < openFor {
		t.Error("the body was read while its request waited for the host")
	}
	if err := <-done; err != nil {
		t.Fatalf("the waiting request failed: %v", err)
	}
	if got := <-bodies; got != `{"order":42}` {
		t.Errorf("the host got %q", got)
	}
	if body.closed.Load() == 0 {
		t.Error("the caller's body was not closed")
	}
}

// TestRefusedClosesUnreadBody: a request that fails fast while its host's
// breaker is open never has its body read, and the body is closed, as a
// RoundTripper must.
func TestRefusedClosesUnreadBody(t *testing.T) {
	t.Parallel()
	var down atomic.Bool
	srv := bodyHost(t, &down, make(chan string, 1))
	rt := waitingTransport(t, time.Hour, transport.WaitConfig{}, transport.WithFailFast())
	openBreaker(t, rt, srv.URL, &down)
	body := &watchedBody{r: strings.NewReader("x")}
	_, err := rt.RoundTrip(streamingPost(t, srv.URL, body))
	if !errors.Is(err, transport.ErrCircuitOpen) {
		t.Fatalf("err %v, want ErrCircuitOpen", err)
	}
	if body.read.Load() || body.closed.Load() != 1 {
		t.Errorf("refused: body read %v, closed %d times; want unread, closed once", body.read.Load(), body.closed.Load())
	}
}

// TestBodyReadFailsAfterAdmission: a body whose Read fails, found once the
// first attempt was admitted, fails the call with nothing sent, and the
// admission is let go: the host's breaker does not count it, and the
// requests after it go through.
func TestBodyReadFailsAfterAdmission(t *testing.T) {
	t.Parallel()
	var down atomic.Bool
	bodies := make(chan string, 1)
	srv := bodyHost(t, &down, bodies)
	// One failure opens the breaker: a failed read counted as one would.
	rt := waitingTransport(t, time.Hour, transport.WaitConfig{}, transport.WithFailFast())
	cause := errors.New("disk gone")
	for range 5 {
		body := &watchedBody{fail: cause}
		resp, err := rt.RoundTrip(streamingPost(t, srv.URL, body).WithContext(context.Background()))
		if resp != nil || !errors.Is(err, cause) || !strings.Contains(err.Error(), "reading the request body") {
			t.Fatalf("resp %v, err %v; want no response and the read's error", resp, err)
		}
		var te *transport.Error
		if !errors.As(err, &te) || len(te.Attempts) != 0 {
			t.Errorf("err %v: want a *transport.Error with no attempt", err)
		}
		if body.closed.Load() != 1 {
			t.Errorf("the failed body was closed %d times, want once", body.closed.Load())
		}
	}
	select {
	case got := <-bodies:
		t.Fatalf("the host got a request: %q", got)
	default:
	}
	body := &watchedBody{r: strings.NewReader("ok")}
	resp, err := rt.RoundTrip(streamingPost(t, srv.URL, body))
	if err != nil {
		t.Fatalf("the request after the failed reads: %v", err)
	}
	resp.Body.Close()
	if got := <-bodies; got != "ok" {
		t.Errorf("the host got %q", got)
	}
}
