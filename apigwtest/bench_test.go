package apigwtest

import (
	"io"
	"net/http"
	"testing"

	"github.com/retryscope/retryscope/internal/cputime"
)

// BenchmarkServerParallel measures requests per second through the whole
// emulator (gateway, Lambda pool, in-process handler) over loopback, client
// included, and the CPU time each request costs.
func BenchmarkServerParallel(b *testing.B) {
	// No throttle: the benchmark measures the emulator, not the account quota.
	s := NewServer(ok, WithThrottle(1e9, 1<<30))
	defer s.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer client.CloseIdleConnections()
	url := s.URL + "/orders"
	b.ResetTimer()
	cpu0 := cputime.Process()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	// CPU per request (client and server together) tells the capacity of
	// an idle machine when the benchmark shares a busy one.
	if cpu := cputime.Process() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/req")
	}
}
