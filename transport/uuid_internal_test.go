package transport

import (
	mrand "math/rand/v2"
	"testing"

	"github.com/google/uuid"
)

// TestFormatUUID: formatUUID writes the canonical text of a version 4
// UUID, as google/uuid does for the same bytes.
func TestFormatUUID(t *testing.T) {
	t.Parallel()
	for i := range 1000 {
		var u [16]byte
		for j := range u {
			u[j] = byte(mrand.IntN(256))
		}
		if i == 0 {
			u = [16]byte{} // all zeros
		} else if i == 1 {
			u = [16]byte{0: 0xff, 1: 0xff, 2: 0xff, 3: 0xff, 4: 0xff, 5: 0xff, 6: 0xff, 7: 0xff, 8: 0xff, 9: 0xff, 10: 0xff, 11: 0xff, 12: 0xff, 13: 0xff, 14: 0xff, 15: 0xff}
		}
		var dst [36]byte
		formatUUID(dst[:], u[:]) // sets the version and variant bits in u
		want := uuid.UUID(u)
		if got := string(dst[:]); got != want.String() || want.Version() != 4 || want.Variant() != uuid.RFC4122 {
			t.Fatalf("formatUUID(%x) = %s, want %s (version %d, variant %v)", u, got, want, want.Version(), want.Variant())
		}
	}
}
