package apigwtest

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// A client that sends a body over MaxPayload or a header block over
// net/http's bound gets 413 or 431, and its connection is closed after
// the answer: net/http lingers on it for half a second first. Close
// returned before those goroutines ended, so a test checking for leaks
// right after it (goleak gives up after about 0.4 s) saw them. Close now
// waits for every connection it served. Not parallel: it counts
// goroutines.
func TestHostileClientConnectionsEndWithClose(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	s := NewServer(ok, fastScale)
	client := &http.Client{Transport: &http.Transport{}}
	resp, err := client.Post(s.URL+"/x", "text/plain", bytes.NewReader(make([]byte, MaxPayload+1)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("body of %d bytes: %d", MaxPayload+1, resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/x", nil)
	for range 2000 {
		req.Header.Add("X-Flood", strings.Repeat("y", 1000))
	}
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("2 MB of headers: %d", resp.StatusCode)
	}
	client.CloseIdleConnections()
	s.Close()
	goleak.VerifyNone(t, ignore)
}

// A REST API's event names each header as the client wrote it, and the
// names read off the connection were matched to the request's header with
// a linear search per name: a header block of 60000 short names (600 KB,
// within net/http's bound) took 4.8 s of the server's time against 0.1 s
// for an HTTP API, which does not match names. Not parallel: it times.
func TestHostileClientManyHeaderNames(t *testing.T) {
	const n = 60000
	elapsed := func(opts ...Option) time.Duration {
		s := NewServer(ok, append([]Option{fastScale}, opts...)...)
		defer s.Close()
		client := &http.Client{Transport: &http.Transport{}}
		defer client.CloseIdleConnections()
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/x", nil)
		for i := range n {
			req.Header["H"+strconv.Itoa(i)] = []string{""}
		}
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%d", resp.StatusCode)
		}
		return time.Since(start)
	}
	httpAPI := elapsed(WithHTTPAPI())
	rest := elapsed()
	if rest > 10*httpAPI+time.Second {
		t.Errorf("%d header names: %v for a REST API, %v for an HTTP API", n, rest, httpAPI)
	}
}

// A client that stops part way through its body held the gateway's
// handler, its goroutine and its connection for as long as it kept the
// connection open: the body had no read bound. Where the gateway answers
// without the body (an unknown route, a throttle), net/http holds that
// answer until it has read the rest, and so was held as long. Now a body
// must arrive within the bound: the gateway's read of it fails after it
// (the connection is closed without an answer, as for a body that
// fails), an early answer goes out with the connection closed after it,
// and the gateway goes on serving others.
func TestHostileClientStalledBody(t *testing.T) {
	const bound = 300 * time.Millisecond
	for _, tc := range []struct {
		name    string
		inStage bool // else the path is outside the stage: 403 at once
		answer  string
	}{
		{"read by the gateway", true, ""},
		{"answered without it", false, "HTTP/1.1 403 Forbidden"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ignore := goleak.IgnoreCurrent()
			s := NewServer(ok, fastScale, func(c *config) { c.bodyReadTimeout = bound })
			u, _ := url.Parse(s.URL + "/x")
			if !tc.inStage {
				u.Path = "/elsewhere"
			}
			conn, err := net.Dial("tcp", u.Host)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, "POST "+u.EscapedPath()+" HTTP/1.1\r\nHost: api\r\nContent-Length: 100\r\n\r\n0123456789"); err != nil {
				t.Fatal(err)
			}
			conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // a bound for the test itself
			start := time.Now()
			got, err := io.ReadAll(conn)
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("the stalled body held the connection for %v with no end; read %q", time.Since(start), got)
			}
			if !strings.HasPrefix(string(got), tc.answer) || (tc.answer == "" && len(got) != 0) {
				t.Errorf("answer to a stalled body: %q, want %q", got, tc.answer)
			}
			if el := time.Since(start); el < bound {
				t.Errorf("connection closed after %v, before the %v bound", el, bound)
			}
			client := &http.Client{Transport: &http.Transport{}}
			resp, err := client.Post(s.URL+"/x", "text/plain", strings.NewReader("whole"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("a whole body after the stalled one: %d", resp.StatusCode)
			}
			client.CloseIdleConnections()
			conn.Close()
			s.Close()
			goleak.VerifyNone(t, ignore)
		})
	}
}
