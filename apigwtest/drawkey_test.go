package apigwtest

import (
	"context"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// drawsFor sends one request per key, one after the other, and returns the
// value each drew from the server's source for its fault's latency and for
// the gateway latency.
func drawsFor(t *testing.T, keys []string, opts ...Option) (fault, gateway []int64) {
	t.Helper()
	var mu sync.Mutex
	record := func(into *[]int64) Latency {
		return LatencyFunc(func(r *rand.Rand, _ int) time.Duration {
			mu.Lock()
			*into = append(*into, r.Int64())
			mu.Unlock()
			return 0
		})
	}
	opts = append([]Option{fastScale, WithSeed(3), WithFault(Fault{Latency: record(&fault)}), WithGatewayLatency(record(&gateway))}, opts...)
	s := NewServer(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	}, opts...)
	defer s.Close()
	for _, k := range keys {
		req, err := http.NewRequest(http.MethodGet, s.URL+"/x", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Key", k)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	if len(fault) != len(keys) || len(gateway) != len(keys) {
		t.Fatalf("%d fault and %d gateway draws for %d requests", len(fault), len(gateway), len(keys))
	}
	return fault, gateway
}

// With WithDrawKey a request's draws depend on its key and how many
// requests with that key came before, not on the order of arrival: two
// requests that arrive at one instant in a virtual-time run draw the same
// values whichever the scheduler lets in first.
func TestWithDrawKeyDrawsByKeyNotArrival(t *testing.T) {
	t.Parallel()
	f1, g1 := drawsFor(t, []string{"a", "b", "a"}, WithDrawKey("X-Key"))
	f2, g2 := drawsFor(t, []string{"b", "a", "a"}, WithDrawKey("X-Key"))
	// a's first, b's first and a's second request.
	if f1[0] != f2[1] || f1[1] != f2[0] || f1[2] != f2[2] || g1[0] != g2[1] || g1[1] != g2[0] || g1[2] != g2[2] {
		t.Errorf("draws follow the arrival order: fault %v and %v, gateway %v and %v", f1, f2, g1, g2)
	}
	if f1[0] == f1[1] || f1[0] == f1[2] {
		t.Errorf("different requests drew the same values: %v", f1)
	}
	// Without a key, one source in arrival order (the default).
	f3, _ := drawsFor(t, []string{"a", "b", "a"})
	f4, _ := drawsFor(t, []string{"b", "a", "a"})
	if f3[0] != f4[0] || f3[1] != f4[1] {
		t.Errorf("without WithDrawKey the n-th request should draw the same whatever its key: %v and %v", f3, f4)
	}
}

// fnv64a is hash/fnv's FNV-1a: the keyed streams stay what they were.
func TestFNV64a(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "a", "apigwtest draws\x00", "apigwtest draws\x00123", "X-Bench-Request"} {
		h := fnv.New64a()
		h.Write([]byte(s))
		if got, want := fnv64a(fnvOffset64, s), h.Sum64(); got != want {
			t.Errorf("fnv64a(%q) = %#x, hash/fnv says %#x", s, got, want)
		}
	}
	h := fnv.New64a()
	h.Write([]byte(drawSalt + "42"))
	if got := fnv64a(fnv64a(fnvOffset64, drawSalt), "42"); got != h.Sum64() {
		t.Errorf("salt then key: %#x, want %#x", got, h.Sum64())
	}
}
