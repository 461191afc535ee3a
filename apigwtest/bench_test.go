package apigwtest

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkServerParallel measures requests per second through the whole
// emulator (gateway, Lambda pool, in-process handler) over loopback.
func BenchmarkServerParallel(b *testing.B) {
	// No throttle: the benchmark measures the emulator, not the account quota.
	s := NewServer(ok, WithThrottle(1e9, 1<<30))
	defer s.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer client.CloseIdleConnections()
	url := s.URL + "/orders"
	b.ResetTimer()
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
}
