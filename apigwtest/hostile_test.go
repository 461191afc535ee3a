package apigwtest

import (
	"bytes"
	"net/http"
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
