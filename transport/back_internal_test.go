package transport

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// slowOK answers 200 after a short sleep, so that many attempts are in
// flight at once.
type slowOK struct{}

func (slowOK) RoundTrip(req *http.Request) (*http.Response, error) {
	time.Sleep(200 * time.Microsecond)
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("ok")), Request: req}, nil
}

// The attempts the stall rule keeps after they came back (hostWait.back)
// stay bounded on a busy healthy host, whatever the options: with more
// than stallCount requests in flight all the time, every success that the
// fast path lands is kept for the instant it came back, and something must
// let the older ones go even when no admission asks the stall rule (no
// waiting for the host).
func TestCameBackStaysBounded(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []Option
	}{
		{"defaults", nil},
		{"fail fast", []Option{WithFailFast()}},
		{"no breaker, fail fast", []Option{WithoutBreaker(), WithFailFast()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := New(slowOK{}, tc.opts...)
			c := &http.Client{Transport: tr}
			const workers, each = 3 * stallCount, 300
			var wg sync.WaitGroup
			for range workers {
				wg.Go(func() {
					for range each {
						req := httptest.NewRequestWithContext(context.Background(), http.MethodGet, "http://api.example/x", nil)
						req.RequestURI = ""
						resp, err := c.Do(req)
						if err != nil {
							t.Error(err)
							return
						}
						resp.Body.Close()
					}
				})
			}
			wg.Wait()
			u, _ := url.Parse("http://api.example/x")
			h := tr.hosts.get(u)
			defer tr.hosts.release(h, time.Time{})
			h.wait.mu.Lock()
			n := len(h.wait.back)
			h.wait.mu.Unlock()
			if n > 4*workers {
				t.Errorf("%d attempts kept after %d requests (%d workers): back is not let go", n, workers*each, workers)
			}
		})
	}
}
