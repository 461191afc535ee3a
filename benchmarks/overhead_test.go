package benchmarks

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/failsafe-go/failsafe-go/failsafehttp"
	"github.com/hashicorp/go-retryablehttp"
	"github.com/sony/gobreaker/v2"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

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
	// A recording SDK provider (always sampled, spans dropped at End): the
	// cost of building spans, the same for retryscope and otelhttp.
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	rh := retryablehttp.NewClient()
	rh.HTTPClient = &http.Client{Transport: base}
	rh.Logger = nil
	return []struct {
		name string
		c    *http.Client
	}{
		{"bare", &http.Client{Transport: base}},
		{"retryscope", &http.Client{Transport: transport.New(base)}},
		{"retryablehttp", rh.StandardClient()},
		{"failsafe-go", &http.Client{Transport: failsafehttp.NewRoundTripper(base, failsafehttp.NewRetryPolicyBuilder().Build())}},
		{"otelhttp", &http.Client{Transport: otelhttp.NewTransport(base)}},
		{"retryscope-no-correlation", &http.Client{Transport: transport.New(base, transport.WithCorrelation(false))}},
		{"retryscope-traced", &http.Client{Transport: transport.New(base, transport.WithTracerProvider(tp))}},
		{"otelhttp-traced", &http.Client{Transport: otelhttp.NewTransport(base, otelhttp.WithTracerProvider(tp))}},
		{"gobreaker", &http.Client{Transport: &breakerTransport{base: base,
			cb: gobreaker.NewCircuitBreaker[*http.Response](gobreaker.Settings{Name: "overhead"})}}},
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
