package gatewayid

import "testing"

var isUUIDSink bool

// BenchmarkIsUUID: a UUID (every byte read) and a non-UUID of the same
// length (rejected at its first hyphen's place).
func BenchmarkIsUUID(b *testing.B) {
	for _, s := range []string{"0b6c3f64-8c1e-4d7a-9f21-5a3e2c1d0e9f", "Ab1cDeFgIAMEb2Q=Ab1cDeFgIAMEb2Q=Ab1c"} {
		b.Run(s[:8], func(b *testing.B) {
			for b.Loop() {
				isUUIDSink = IsUUID(s)
			}
		})
	}
}
