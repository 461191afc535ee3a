package transport_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run when any test leaves a goroutine behind: a hedge
// still in flight, a timer, a connection the transport forgot to close.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
