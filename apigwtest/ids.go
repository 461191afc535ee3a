package apigwtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// newUUID returns a random UUID string, the shape of API Gateway and Lambda
// request ids.
func newUUID() string { return uuid.NewString() }

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
	_, _ = rand.Read(b[:])
	return base64.URLEncoding.EncodeToString(b[:]) // 16 chars, ends in "="
}

// newRoot starts a trace at now.
func newRoot(now time.Time) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	epoch := strconv.FormatInt(now.Unix(), 16)
	for len(epoch) < 8 {
		epoch = "0" + epoch
	}
	return "1-" + epoch[len(epoch)-8:] + "-" + hex.EncodeToString(b[:])
}

// newSegmentID returns a 16-hex segment id.
func newSegmentID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
