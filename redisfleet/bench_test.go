package redisfleet

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"

	"github.com/retryscope/retryscope/transport"
)

// Run side by side in one run (Redis from scripts/redis.sh start):
//
//	go test -run XXX -bench . -benchmem ./redisfleet/

// benchGoroutines is how many goroutines BenchmarkSharedState runs in all,
// whatever GOMAXPROCS is.
const benchGoroutines = 16

// benchServer answers 200 with a small body after delay; the base
// transport keeps its connections alive.
func benchServer(b *testing.B, delay time.Duration) (url string, base *http.Transport) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if delay > 0 {
			time.Sleep(delay)
		}
		io.WriteString(w, `{"ok":true}`)
	}))
	b.Cleanup(srv.Close)
	base = &http.Transport{MaxIdleConns: 2 * benchGoroutines, MaxIdleConnsPerHost: 2 * benchGoroutines}
	b.Cleanup(base.CloseIdleConnections)
	return srv.URL, base
}

// benchClient is one member's own Redis client (as in separate processes),
// with go-redis's default options.
func benchClient(b *testing.B) *redis.Client { return newPlainClient(b) }

// hammer sends GETs to url from benchGoroutines goroutines, alternating
// between the members' round trippers, and reports requests per second.
func hammer(b *testing.B, url string, members ...http.RoundTripper) {
	b.SetParallelism(max(1, benchGoroutines/runtime.GOMAXPROCS(0))) // RunParallel starts p × GOMAXPROCS
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		rt := members[int(next.Add(1))%len(members)]
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		for pb.Next() {
			resp, err := rt.RoundTrip(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// gobreakerRT wraps a round trip in a DistributedCircuitBreaker's Execute,
// as gobreaker intends: the shared lock is held for the whole call.
type gobreakerRT struct {
	cb   *gobreaker.DistributedCircuitBreaker[*http.Response]
	base http.RoundTripper
}

func (g gobreakerRT) RoundTrip(req *http.Request) (*http.Response, error) {
	return g.cb.Execute(func() (*http.Response, error) {
		resp, err := g.base.RoundTrip(req)
		if err == nil && resp.StatusCode >= 500 {
			return resp, &transport.OutcomeError{Status: resp.StatusCode}
		}
		return resp, err
	})
}

// BenchmarkSharedState: 16 goroutines across two members sharing breaker
// state through Redis, retryscope's Fleet against gobreaker's
// DistributedCircuitBreaker with gobreakerStore, on the same Redis, server
// and base transport. backend=0s is a loopback server that answers at once
// (the spec's case); backend=1ms adds a millisecond to each answer, still
// far quicker than API Gateway + Lambda. gobreaker's throughput is one
// lock-holding call at a time whatever the core count; ours is bounded by
// CPU and by the backend's latency divided by the goroutines.
func BenchmarkSharedState(b *testing.B) {
	ca, cb := benchClient(b), benchClient(b)
	for _, delay := range []time.Duration{0, time.Millisecond} {
		url, base := benchServer(b, delay)
		b.Run("backend="+delay.String(), func(b *testing.B) {
			b.Run("redisfleet", func(b *testing.B) {
				prefix := testPrefix(b)
				fa, fb := New(ca, WithKeyPrefix(prefix)), New(cb, WithKeyPrefix(prefix))
				defer fa.Close()
				defer fb.Close()
				hammer(b, url, transport.New(base, transport.WithFleet(fa)), transport.New(base, transport.WithFleet(fb)))
			})
			b.Run("gobreaker-distributed", func(b *testing.B) {
				name := testPrefix(b) + "breaker"
				defer ca.Del(context.Background(), "gobreaker:state:"+name, "gobreaker:mutex:"+name)
				s := gobreaker.Settings{Name: name}
				dcbA, err := gobreaker.NewDistributedCircuitBreaker[*http.Response](newGobreakerStore(ca), s)
				if err != nil {
					b.Fatal(err)
				}
				dcbB, err := gobreaker.NewDistributedCircuitBreaker[*http.Response](newGobreakerStore(cb), s)
				if err != nil {
					b.Fatal(err)
				}
				hammer(b, url, gobreakerRT{dcbA, base}, gobreakerRT{dcbB, base})
			})
		})
	}
}

// BenchmarkSuccessPath: one goroutine, the transport with its defaults
// (breaker and budget) with and without a Fleet: the Fleet's calls are a
// map load and a few atomics.
func BenchmarkSuccessPath(b *testing.B) {
	url, base := benchServer(b, 0)
	client := benchClient(b)
	run := func(b *testing.B, rt http.RoundTripper) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		b.ReportAllocs()
		for b.Loop() {
			resp, err := rt.RoundTrip(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	b.Run("transport", func(b *testing.B) { run(b, transport.New(base)) })
	b.Run("transport+fleet", func(b *testing.B) {
		f := New(client, WithKeyPrefix(testPrefix(b)))
		defer f.Close()
		run(b, transport.New(base, transport.WithFleet(f)))
	})
}

// BenchmarkFleetCalls: what the transport calls on a Fleet per request on
// the success path (CircuitOpen and CountRequest), from parallel goroutines.
func BenchmarkFleetCalls(b *testing.B) {
	c := newClock()
	f := unitFleet(c)
	f.CountRequest(h1, false)
	syncWith(f, c, true, nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		now := time.Now()
		for pb.Next() {
			if f.CircuitOpen(h1, now) {
				b.Error("open")
			}
			f.CountRequest(h1, false)
		}
	})
}

// BenchmarkParallelSuccessPath: the harness of BenchmarkSharedState (16
// goroutines, two round trippers) over the bare base transport, retryscope's
// transport, and the transport with a Fleet each: the ceiling this machine
// puts on any RoundTripper, and the Fleet's share of the cost.
func BenchmarkParallelSuccessPath(b *testing.B) {
	url, base := benchServer(b, 0)
	client := benchClient(b)
	b.Run("base", func(b *testing.B) { hammer(b, url, base, base) })
	b.Run("transport", func(b *testing.B) { hammer(b, url, transport.New(base), transport.New(base)) })
	b.Run("transport+fleet", func(b *testing.B) {
		prefix := testPrefix(b)
		fa, fb := New(client, WithKeyPrefix(prefix)), New(client, WithKeyPrefix(prefix))
		defer fa.Close()
		defer fb.Close()
		hammer(b, url, transport.New(base, transport.WithFleet(fa)), transport.New(base, transport.WithFleet(fb)))
	})
}
