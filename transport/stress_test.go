package transport_test

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/retryscope/retryscope/transport"
)

// TestConcurrentUse: one Transport shared by many goroutines, with hedging,
// breaker and budget on, against a flaky server; run with -race. Every
// response body is closed and every request gets an answer or an error.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	flaky := answer{serve: func(w http.ResponseWriter, r *http.Request) {
		switch rand.IntN(6) {
		case 0:
			w.Header().Set("x-amzn-ErrorType", "InternalServerErrorException")
			w.WriteHeader(504)
			io.WriteString(w, gw504.body)
		case 1:
			w.WriteHeader(429)
			io.WriteString(w, gw429.body)
		case 2:
			select {
			case <-time.After(15 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
			fallthrough
		default:
			io.WriteString(w, "fine")
		}
	}}
	g := newGateway(t, flaky)
	ct := newCounting(t)
	rt := transport.New(ct, transport.WithPolicy(fastPolicy()), transport.WithHedging(5*time.Millisecond),
		transport.WithBreaker(gobreaker.Settings{Timeout: 10 * time.Millisecond, MaxRequests: 2}),
		transport.WithIdempotencyKeys(), transport.WithLogger(nil))
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				method := []string{"GET", "POST", "PUT"}[i%3]
				req, _ := http.NewRequest(method, g.URL, strings.NewReader("body"))
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(5+i)*time.Millisecond*4)
				ctx, _ = transport.Record(ctx)
				resp, err := rt.RoundTrip(req.WithContext(ctx))
				switch {
				case err == nil:
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				case resp != nil:
					t.Errorf("response and error")
				case !errors.Is(err, transport.ErrCircuitOpen) && !errors.Is(err, context.DeadlineExceeded):
					var te *transport.Error
					if !errors.As(err, &te) {
						t.Errorf("error %T %v", err, err)
					}
				}
				cancel()
			}
		}()
	}
	wg.Wait()
	if n := ct.open(); n != 0 {
		t.Errorf("%d of %d bodies left open", n, ct.responses())
	}
}

// TestBugCloseIdleConnectionsNotForwarded pins a gap: http.Client's
// CloseIdleConnections did not reach the base transport through a
// Transport, so idle connections (and their goroutines) stayed open.
func TestBugCloseIdleConnectionsNotForwarded(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var states []http.ConnState
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		mu.Lock()
		states = append(states, s)
		mu.Unlock()
	}
	srv.Start()
	defer srv.Close()
	client := &http.Client{Transport: transport.New(&http.Transport{})}
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	client.CloseIdleConnections()
	waitFor(t, "the idle connection to close", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(states) > 0 && states[len(states)-1] == http.StateClosed
	})
}
