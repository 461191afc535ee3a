//go:build !unix

package benchmarks

import "time"

// cpuTime is 0 where getrusage is missing: no cpu-ns/op is reported.
func cpuTime() time.Duration { return 0 }
