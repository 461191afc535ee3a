package benchmarks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/failsafe-go/failsafe-go/retrypolicy"
	"github.com/sony/gobreaker/v2"

	"github.com/retryscope/retryscope/transport"
)

// sleepyClient answers every request after its own delay (by the
// request's index), recording when each was sent.
type sleepyClient struct {
	delay func(i int) time.Duration
	t0    time.Time
	mu    sync.Mutex
	sent  map[int]time.Duration
}

func (c *sleepyClient) Do(req *http.Request) (*http.Response, error) {
	i, _ := strconv.Atoi(req.Header.Get(HeaderRequest))
	c.mu.Lock()
	c.sent[i] = time.Since(c.t0)
	c.mu.Unlock()
	select {
	case <-time.After(c.delay(i)):
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
}

// The generator sends every arrival at its instant while fewer than its
// workers are busy and drops the rest; a worker freed by an answer takes
// a later arrival (workers are reused, not one goroutine per request).
func TestGeneratorWorkers(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		sc := Scenario{Name: "gen"}
		// Arrivals at 0..5 s; requests 0 and 1 take 2.5 s, the others 0.5 s.
		times := []time.Duration{0, time.Second, 2 * time.Second, 3 * time.Second, 4 * time.Second, 5 * time.Second}
		c := &sleepyClient{t0: time.Now(), sent: map[int]time.Duration{}, delay: func(i int) time.Duration {
			if i < 2 {
				return 2500 * time.Millisecond
			}
			return 500 * time.Millisecond
		}}
		g := &generator{sc: &sc, scale: 1, url: "http://" + pipeHost + "/orders", clients: []Client{c},
			workers: 2, recs: make([]Record, len(times)), deadline: 10 * time.Second}
		g.run(context.Background(), c.t0, times)
		// Request 2 arrives while 0 and 1 are both busy: dropped. Request 3
		// finds request 0's worker free (it ended at 2.5 s).
		var got []string
		for i, r := range g.recs {
			got = append(got, strconv.Itoa(i)+":"+r.Outcome)
			if r.Issued != times[i] {
				t.Errorf("request %d issued at %v, want %v", i, r.Issued, times[i])
			}
			if sent, ok := c.sent[i]; ok && sent != times[i] {
				t.Errorf("request %d sent at %v, want its arrival %v", i, sent, times[i])
			}
		}
		if s := strings.Join(got, " "); s != "0:200 1:200 2:dropped 3:200 4:200 5:200" {
			t.Errorf("outcomes %s, want request 2 dropped", s)
		}
		if g.recs[0].Latency != 2500*time.Millisecond || g.recs[3].Latency != 500*time.Millisecond {
			t.Errorf("latencies %v and %v, want 2.5s and 0.5s", g.recs[0].Latency, g.recs[3].Latency)
		}
	})
}

// The load generator sets these names as map keys, as Header.Set would
// only if they are canonical.
func TestGeneratorHeaderNamesCanonical(t *testing.T) {
	for _, k := range []string{HeaderRequest, "Content-Type"} {
		if c := http.CanonicalHeaderKey(k); c != k {
			t.Errorf("%q is not canonical (%q)", k, c)
		}
	}
}

// TestErrorClass: a request that failed without an answer is filed by why,
// a request the transport's send rate refused apart from other errors.
func TestErrorClass(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&transport.Error{Err: transport.ErrCircuitOpen}, "circuit_open"},
		{&url.Error{Op: "Get", URL: "http://api.example/", Err: &transport.Error{Err: transport.ErrCircuitOpen}}, "circuit_open"}, // as http.Client returns it
		{&transport.Error{Err: fmt.Errorf("%w: api.example", transport.ErrThrottledLocally)}, "throttled_locally"},
		{context.DeadlineExceeded, "deadline"},
		{context.Canceled, "canceled"},
		{errors.New("connection refused"), "error"},
		// Peers' breakers: sony/gobreaker open and half-open, failsafe-go's
		// refusal as its retry policy hands it back once retries ran out.
		{&url.Error{Op: "Get", URL: "http://api.example/", Err: gobreaker.ErrOpenState}, "circuit_open"},
		{gobreaker.ErrTooManyRequests, "circuit_open"},
		{&url.Error{Op: "Get", URL: "http://api.example/", Err: retrypolicy.ExceededError{LastError: circuitbreaker.ErrOpen}}, "circuit_open"},
		{retrypolicy.ExceededError{LastError: errors.New("connection reset")}, "error"},
	} {
		if got := errorClass(tc.err); got != tc.want {
			t.Errorf("errorClass(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
