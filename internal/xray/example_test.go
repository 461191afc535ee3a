package xray_test

import (
	"fmt"

	"github.com/retryscope/retryscope/internal/xray"
)

// Parse accepts the Root-only header API Gateway answers a 504 with, which
// the OpenTelemetry X-Ray propagator drops.
func ExampleParse() {
	h, ok := xray.Parse("Root=1-67891233-abcdef012345678912345678")
	fmt.Println(h.Root, h.Parent == "", ok)
	// Output: 1-67891233-abcdef012345678912345678 true true
}
