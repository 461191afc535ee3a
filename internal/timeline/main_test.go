package timeline_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run when a test leaves a goroutine behind (the
// emulator, the browser's connection).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
