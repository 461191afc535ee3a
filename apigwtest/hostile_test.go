package apigwtest

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

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
