package benchmarks

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/failsafe-go/failsafe-go/failsafehttp"
	"github.com/google/uuid"
	"github.com/hashicorp/go-retryablehttp"
	"github.com/sony/gobreaker/v2"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/retryscope/retryscope/internal/cputime"
	"github.com/retryscope/retryscope/transport"
)

// breakerTransport wraps one round trip in a gobreaker circuit breaker, the
// way people add a breaker by hand.
type breakerTransport struct {
	base http.RoundTripper
	cb   *gobreaker.CircuitBreaker[*http.Response]
}

func (t *breakerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.cb.Execute(func() (*http.Response, error) {
		resp, err := t.base.RoundTrip(req)
		if err == nil && resp.StatusCode >= 500 {
			return resp, errServerError
		}
		return resp, err
	})
}

const errServerError = awsError("5xx")

// overheadClients returns the clients compared, each around base.
func overheadClients(base http.RoundTripper) []struct {
	name string
	c    *http.Client
} {
	// A recording SDK provider, always sampled, with a span processor that
	// receives every ended span (the SDK then takes a snapshot of each, as
	// with any exporter): the same for retryscope and otelhttp.
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithSpanProcessor(new(countingProcessor)))
	rh := retryablehttp.NewClient()
	rh.HTTPClient = &http.Client{Transport: base}
	rh.Logger = nil
	return []struct {
		name string
		c    *http.Client
	}{
		{"bare", &http.Client{Transport: base}},
		{"bare-with-ids", &http.Client{Transport: withIDs(base)}},
		{"bare-with-ids-lean", &http.Client{Transport: withLeanIDs(base)}},
		{"retryscope", &http.Client{Transport: transport.New(base)}},
		{"retryablehttp", rh.StandardClient()},
		{"failsafe-go", &http.Client{Transport: failsafehttp.NewRoundTripper(base, failsafehttp.NewRetryPolicyBuilder().Build())}},
		{"otelhttp", &http.Client{Transport: otelhttp.NewTransport(base)}},
		{"retryscope-no-correlation", &http.Client{Transport: transport.New(base, transport.WithCorrelation(false))}},
		{"retryscope-traced", &http.Client{Transport: transport.New(base, transport.WithTracerProvider(tp))}},
		// The same headers on the wire as otelhttp-traced (traceparent
		// alone): over loopback the server's parsing of the three
		// correlation headers is counted too.
		{"retryscope-traced-no-correlation", &http.Client{Transport: transport.New(base,
			transport.WithTracerProvider(tp), transport.WithCorrelation(false))}},
		{"otelhttp-traced", &http.Client{Transport: otelhttp.NewTransport(base, otelhttp.WithTracerProvider(tp))}},
		{"gobreaker", &http.Client{Transport: &breakerTransport{base: base,
			cb: gobreaker.NewCircuitBreaker[*http.Response](gobreaker.Settings{Name: "overhead"})}}},
	}
}

// countingProcessor is a span processor that counts the spans it is
// handed: the cheapest processor that still makes the SDK build the
// read-only snapshot an exporter would get.
type countingProcessor struct{ ended atomic.Int64 }

func (*countingProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (p *countingProcessor) OnEnd(sdktrace.ReadOnlySpan)                   { p.ended.Add(1) }
func (*countingProcessor) Shutdown(context.Context) error                  { return nil }
func (*countingProcessor) ForceFlush(context.Context) error                { return nil }

// withIDs is the floor for correlation headers: a bare transport that
// clones each request and sets the same three ids retryscope sends, fresh
// UUIDs each time (google/uuid, as a hand-written wrapper would).
func withIDs(base http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Header.Set("X-Amzn-Requestid", uuid.NewString())
		r.Header.Set("Amz-Sdk-Invocation-Id", uuid.NewString())
		r.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
		return base.RoundTrip(r)
	})
}

// withLeanIDs is the least a transport can do to send the same three
// headers without touching the caller's request: a shallow copy of it,
// a header map of its own that shares the caller's values, ids from the
// runtime's fast generator in one string, and the three values in one
// slice. No retry logic at all: what the headers alone cost.
func withLeanIDs(base http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r2 := new(http.Request)
		*r2 = *r
		h := make(http.Header, len(r.Header)+3)
		for k, v := range r.Header {
			h[k] = v
		}
		var raw [32]byte
		for i := 0; i < len(raw); i += 8 {
			binary.LittleEndian.PutUint64(raw[i:], rand.Uint64())
		}
		var text [64]byte
		hex.Encode(text[:], raw[:])
		ids := string(text[:])
		vals := []string{ids[:32], ids[32:], "attempt=1; max=3"}
		h["X-Amzn-Requestid"] = vals[0:1:1]
		h["Amz-Sdk-Invocation-Id"] = vals[1:2:2]
		h["Amz-Sdk-Request"] = vals[2:3:3]
		r2.Header = h
		return base.RoundTrip(r2)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// reportCPU reports the process's CPU time (user and system, all threads,
// the garbage collector's included) per operation as cpu-ns/op, from the
// call until the returned function runs. On a machine shared with other
// work, wall time per operation mostly measures the wait for a core; CPU
// time measures the work.
func reportCPU(b *testing.B) func() {
	start := cputime.Process()
	return func() {
		if b.N > 0 && start > 0 {
			b.ReportMetric(float64(cputime.Process()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

func benchmarkClients(b *testing.B, url string, base http.RoundTripper) {
	clients := overheadClients(base)
	// Warm every client up (connections, pools, lazily built state) so that
	// the first one measured does not pay for the others.
	for _, c := range clients {
		for range 200 {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			if resp, err := c.c.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	}
	for _, c := range clients {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				resp, err := c.c.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
	}
}

// BenchmarkOverhead measures the success path over loopback: one GET
// answered 200 with a small body, through the bare http.Transport and
// through each library around the same transport, side by side:
//
//	go test ./benchmarks -run '^$' -bench Overhead -benchmem
func BenchmarkOverhead(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()
	bare := &http.Transport{MaxIdleConnsPerHost: 64}
	defer bare.CloseIdleConnections()
	benchmarkClients(b, srv.URL+"/orders", bare)
}

// canned answers every request at once with 200 and a small body: with it,
// BenchmarkOverheadInMemory measures each library's own cost, free of the
// loopback's noise.
type canned struct{}

func (canned) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"Content-Type": {"application/json"}},
		Body:    io.NopCloser(strings.NewReader(`{"ok":true}`)),
		Request: req, ContentLength: 11}, nil
}

// BenchmarkOverheadInMemory is BenchmarkOverhead with an in-memory base
// transport: the libraries' own time and allocations per request.
func BenchmarkOverheadInMemory(b *testing.B) {
	benchmarkClients(b, "http://api.example/orders", canned{})
}
