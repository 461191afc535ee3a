package transport_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/retryscope/retryscope/transport"
)

// streamingPost is a POST to url with body b and no GetBody, as a caller
// that streams its body sends one.
func streamingPost(t *testing.T, url string, b io.ReadCloser) *http.Request {
	req := newRequest(t, http.MethodPost, url, nil)
	req.Body, req.ContentLength = b, -1
	return req
}

// TestWaitingHoldsNoBodyCopy: a request whose body the transport has to
// buffer (no GetBody) reads none of it while it waits for its host; let
// go, it sends the body whole. In virtual time against an in-memory host:
// the body is checked unread once the request waits (synctest.Wait) and
// again 1 ms before the breaker's open window ends, at exact instants (a
// loaded machine could stretch the old quarter-window sleep past the
// window and skip the check), and the request reaches the host no earlier
// than the window's end.
func TestWaitingHoldsNoBodyCopy(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const openFor = 400 * time.Millisecond
		const tick = 20 * time.Millisecond
		h := newMemHost()
		rt := waitingOver(h, openFor, transport.WaitConfig{Tick: tick, ProbeInterval: time.Hour})
		h.trip(t, rt)
		opened := time.Now()
		body := newRequestBody(`{"order":42}`)
		done := make(chan error, 1)
		go func() {
			resp, err := rt.RoundTrip(streamingPost(t, memURL, body))
			if err == nil {
				resp.Body.Close()
			}
			done <- err
		}()
		synctest.Wait() // the request waits for its host
		if body.read.Load() {
			t.Error("the body was read as its request began to wait for the host")
		}
		time.Sleep(openFor - time.Millisecond)
		synctest.Wait()
		if body.read.Load() {
			t.Error("the body was read while its request waited for the host")
		}
		if err := <-done; err != nil {
			t.Fatalf("the waiting request failed: %v", err)
		}
		got := h.seen()
		if last := got[len(got)-1].body; len(got) != 2 || last != `{"order":42}` {
			t.Errorf("the host got %d requests, the last with %q", len(got), last)
		}
		if at := got[len(got)-1].at.Sub(opened); at < openFor {
			t.Errorf("the request reached the host %v after the breaker opened, before its window (%v) ended", at, openFor)
		}
		if body.closed.Load() == 0 {
			t.Error("the caller's body was not closed")
		}
		time.Sleep(tick) // the pacer sees its queue empty and ends: time stops when this function returns
	})
}

// TestRefusedClosesUnreadBody: a request that fails fast while its host's
// breaker is open never has its body read, and the body is closed, as a
// RoundTripper must.
func TestRefusedClosesUnreadBody(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	rt := waitingTransport(t, time.Hour, transport.WaitConfig{}, transport.WithFailFast())
	trip(t, rt, h)
	body := newRequestBody("x")
	_, err := rt.RoundTrip(streamingPost(t, h.URL, body))
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
	h := newHost(t)
	// One failure opens the breaker: a failed read counted as one would.
	rt := waitingTransport(t, time.Hour, transport.WaitConfig{}, transport.WithFailFast())
	cause := errors.New("disk gone")
	for range 5 {
		body := &failingBody{err: cause}
		resp, err := rt.RoundTrip(streamingPost(t, h.URL, body))
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
	if got := h.seen(); len(got) != 0 {
		t.Fatalf("the host got %d requests", len(got))
	}
	resp, err := rt.RoundTrip(streamingPost(t, h.URL, newRequestBody("ok")))
	if err != nil {
		t.Fatalf("the request after the failed reads: %v", err)
	}
	resp.Body.Close()
	if got := h.seen(); len(got) != 1 || got[0].body != "ok" {
		t.Errorf("the host got %+v", got)
	}
}
