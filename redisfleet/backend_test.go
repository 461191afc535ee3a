package redisfleet

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// backend answers 200, or during an outage what API Gateway answers when
// the function did not answer in time: 504 {"message": "Endpoint request
// timed out"} with x-amzn-ErrorType. It counts requests per member (the
// X-Member header) and first attempts and retries (amz-sdk-request).
type backend struct {
	*httptest.Server
	down atomic.Bool

	mu       sync.Mutex
	byMember map[string]int
	firsts   int
	retries  int
}

func newBackend(t *testing.T) *backend {
	b := &backend{byMember: map[string]int{}}
	b.Server = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.Close)
	return b
}

func (b *backend) serve(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	b.byMember[r.Header.Get("X-Member")]++
	if strings.HasPrefix(r.Header.Get("Amz-Sdk-Request"), "attempt=1;") {
		b.firsts++
	} else {
		b.retries++
	}
	b.mu.Unlock()
	if b.down.Load() {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("x-amzn-ErrorType", "InternalServerErrorException")
		w.Header().Set("x-amzn-RequestId", r.Header.Get("x-amzn-RequestId"))
		w.WriteHeader(http.StatusGatewayTimeout)
		io.WriteString(w, `{"message": "Endpoint request timed out"}`)
		return
	}
	io.WriteString(w, `{"ok":true}`)
}

func (b *backend) count(member string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.byMember[member]
}

func (b *backend) attempts() (firsts, retries int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.firsts, b.retries
}

// member is one client of the fleet: a Transport with its own Fleet and its
// own connection pool, as a separate process would have.
type member struct {
	name  string
	rt    *transport.Transport
	fleet *Fleet
	base  *http.Transport
}

func newMember(t *testing.T, name string, f *Fleet, opts ...transport.Option) *member {
	base := &http.Transport{MaxIdleConnsPerHost: 16}
	t.Cleanup(base.CloseIdleConnections)
	t.Cleanup(func() { f.Close() })
	// Fail fast: these tests count the fleet's refusals.
	opts = append([]transport.Option{transport.WithFailFast()}, opts...)
	return &member{name: name, rt: transport.New(base, append(opts, transport.WithFleet(f))...), fleet: f, base: base}
}

// get sends one GET and returns its status (0 on error), the error and how
// long RoundTrip took.
func (m *member) get(url string) (int, error, time.Duration) {
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	req.Header.Set("X-Member", m.name)
	start := time.Now()
	resp, err := m.rt.RoundTrip(req)
	d := time.Since(start)
	if err != nil {
		return 0, err, d
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil, d
}

// oneAttempt is a policy without retries, so counts are requests.
func oneAttempt() policy.Policy {
	p := policy.Default()
	p.MaxAttempts = 1
	return p
}

// tripAfter is a breaker that opens after n consecutive failures and stays
// open for open; n < 0 never opens.
func tripAfter(n int, open time.Duration) gobreaker.Settings {
	s := transport.DefaultBreaker()
	s.Timeout = open
	s.ReadyToTrip = func(c gobreaker.Counts) bool { return n >= 0 && c.ConsecutiveFailures >= uint32(n) }
	return s
}

func isOpen(err error) bool { return errors.Is(err, transport.ErrCircuitOpen) }
