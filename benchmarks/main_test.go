package benchmarks

import (
	"testing"

	"go.uber.org/goleak"
)

// Every run starts servers, clients and load goroutines: none may outlive
// it.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
