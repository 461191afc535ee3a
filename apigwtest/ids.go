package apigwtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
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

// Trace is a parsed X-Amzn-Trace-Id header. The zero value is no trace.
type Trace struct {
	// Root is "1-<8 hex epoch seconds>-<24 hex>".
	Root string
	// Parent is the 16-hex id of the parent segment, or "".
	Parent string
	// Sampled is "1", "0", "?" or "" when absent.
	Sampled string
}

// ParseTrace parses an X-Amzn-Trace-Id header such as
// "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1".
// It accepts a Root-only header (as API Gateway returns on a 504) and ignores
// unknown keys. ok is false when there is no valid Root.
func ParseTrace(header string) (t Trace, ok bool) {
	for part := range strings.SplitSeq(header, ";") {
		k, v, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			continue
		}
		switch strings.TrimSpace(k) {
		case "Root":
			t.Root = strings.TrimSpace(v)
		case "Parent":
			t.Parent = strings.TrimSpace(v)
		case "Sampled":
			t.Sampled = strings.TrimSpace(v)
		}
	}
	if !validRoot(t.Root) {
		return Trace{}, false
	}
	if t.Parent != "" && !isHex(t.Parent, 16) {
		t.Parent = ""
	}
	return t, true
}

// String formats the header: Root, then Parent and Sampled where set.
func (t Trace) String() string {
	var b strings.Builder
	b.WriteString("Root=")
	b.WriteString(t.Root)
	if t.Parent != "" {
		b.WriteString(";Parent=")
		b.WriteString(t.Parent)
	}
	if t.Sampled != "" {
		b.WriteString(";Sampled=")
		b.WriteString(t.Sampled)
	}
	return b.String()
}

func validRoot(r string) bool {
	// 1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx
	if len(r) != 35 || r[0] != '1' || r[1] != '-' || r[10] != '-' {
		return false
	}
	return isHex(r[2:10], 8) && isHex(r[11:], 24)
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
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
