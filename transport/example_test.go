package transport_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"

	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// timesOutFirst starts a server that answers its first n requests the way
// API Gateway answers an integration timeout, and then {"id":42}.
func timesOutFirst(n int32) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= n {
			w.Header().Set("x-amzn-ErrorType", "InternalServerErrorException")
			w.WriteHeader(http.StatusGatewayTimeout)
			io.WriteString(w, `{"message": "Endpoint request timed out"}`)
			return
		}
		io.WriteString(w, `{"id":42}`)
	}))
	return srv, &calls
}

// A GET that times out once is retried; a POST that times out is not,
// because the function may still be running.
func ExampleNew() {
	srv, calls := timesOutFirst(1)
	defer srv.Close()

	client := &http.Client{Transport: transport.New(nil)}

	resp, err := client.Get(srv.URL + "/orders/42")
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println("GET:", resp.Status, string(body), "after", calls.Load(), "attempts")

	calls.Store(0)
	resp, err = client.Post(srv.URL+"/orders", "application/json", strings.NewReader(`{"item":"book"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println("POST:", resp.Status, string(body), "after", calls.Load(), "attempt")
	// Output:
	// GET: 200 OK {"id":42} after 2 attempts
	// POST: 504 Gateway Timeout {"message": "Endpoint request timed out"} after 1 attempt
}

// Five attempts with equal jitter between 10 ms and 50 ms.
func ExampleWithPolicy() {
	srv, calls := timesOutFirst(4)
	defer srv.Close()

	p := policy.Default()
	p.MaxAttempts = 5
	p.Backoff = policy.Backoff{Jitter: policy.EqualJitter, Base: 10 * time.Millisecond, Cap: 50 * time.Millisecond}
	client := &http.Client{Transport: transport.New(nil, transport.WithPolicy(p))}

	resp, err := client.Get(srv.URL + "/orders/42")
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.Status, "after", calls.Load(), "attempts")
	// Output: 200 OK after 5 attempts
}

// Record collects the attempts of one request: how far each got and what
// the transport decided.
func ExampleRecord() {
	srv, _ := timesOutFirst(1)
	defer srv.Close()

	client := &http.Client{Transport: transport.New(nil)}
	ctx, rec := transport.Record(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/orders/42", nil)
	resp, err := client.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()

	for _, a := range rec.Attempts() {
		fmt.Printf("attempt %d: %d, reach %s, cause %s, rule %s\n", a.Number, a.Status, a.Reach, a.Cause, a.Rule)
	}
	// Output:
	// attempt 1: 504, reach backend_timeout, cause integration_timeout, rule retry
	// attempt 2: 200, reach backend, cause ok, rule not_retryable
}
