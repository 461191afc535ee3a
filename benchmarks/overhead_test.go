package benchmarks

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/failsafe-go/failsafe-go/failsafehttp"
	"github.com/hashicorp/go-retryablehttp"
	"github.com/sony/gobreaker/v2"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

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

	rh := retryablehttp.NewClient()
	rh.HTTPClient = &http.Client{Transport: bare}
	rh.Logger = nil
	clients := []struct {
		name string
		c    *http.Client
	}{
		{"bare", &http.Client{Transport: bare}},
		{"retryscope", &http.Client{Transport: transport.New(bare)}},
		{"retryablehttp", rh.StandardClient()},
		{"failsafe-go", &http.Client{Transport: failsafehttp.NewRoundTripper(bare, failsafehttp.NewRetryPolicyBuilder().Build())}},
		{"otelhttp", &http.Client{Transport: otelhttp.NewTransport(bare)}},
		{"gobreaker", &http.Client{Transport: &breakerTransport{base: bare,
			cb: gobreaker.NewCircuitBreaker[*http.Response](gobreaker.Settings{Name: "overhead"})}}},
	}
	for _, c := range clients {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodGet, srv.URL+"/orders", nil)
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
