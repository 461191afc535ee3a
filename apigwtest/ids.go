package apigwtest

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"time"

	"math/rand/v2"

	"github.com/google/uuid"
)

// randomBytes fills b from math/rand/v2's global source (ChaCha8 per
// thread, seeded at start-up): ids must be unique and well-formed, not
// secret, and this costs no system call and no lock on each request, where
// crypto/rand cost a system call and, on a new goroutine, a stack growth.
func randomBytes(b []byte) {
	for i := 0; i < len(b); i += 8 {
		v := rand.Uint64()
		for j := i; j < len(b) && j < i+8; j++ {
			b[j] = byte(v)
			v >>= 8
		}
	}
}

// newUUID returns a random (version 4) UUID string, the shape of API
// Gateway and Lambda request ids.
func newUUID() string {
	var u uuid.UUID
	randomBytes(u[:])
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return u.String()
}

// isUUID reports whether s is a UUID in its canonical 36-character form, the
// only form API Gateway adopts from a client's x-amzn-RequestId [inferred].
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}

// newExtendedID returns an x-amz-apigw-id: 16 characters of URL-safe
// base64 ending in "=", e.g. "K2Ib_G66IAMEF6g=". Every id seen in published
// captures uses the URL-safe alphabet ("_" and "-", never "/" or "+").
func newExtendedID() string {
	var b [11]byte
	randomBytes(b[:])
	return base64.URLEncoding.EncodeToString(b[:]) // 16 chars, ends in "="
}

// newRoot starts a trace at now.
func newRoot(now time.Time) string {
	var b [12]byte
	randomBytes(b[:])
	if u := now.Unix(); u >= 0 && u < 1<<32 {
		// "1-" + 8 hex digits + "-" + 24 hex digits, in one allocation.
		var out [35]byte
		out[0], out[1], out[10] = '1', '-', '-'
		for i := 9; i >= 2; i-- {
			out[i] = hexDigits[u&0xf]
			u >>= 4
		}
		hex.Encode(out[11:], b[:])
		return string(out[:])
	}
	epoch := strconv.FormatInt(now.Unix(), 16)
	for len(epoch) < 8 {
		epoch = "0" + epoch
	}
	return "1-" + epoch[len(epoch)-8:] + "-" + hex.EncodeToString(b[:])
}

const hexDigits = "0123456789abcdef"

// newSegmentID returns a 16-hex segment id.
func newSegmentID() string {
	var b [8]byte
	randomBytes(b[:])
	return hex.EncodeToString(b[:])
}
