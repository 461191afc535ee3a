package transport

import (
	"context"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/retryscope/retryscope/policy"
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

// TestIDsInAttemptRequest: the ids written into each attempt request's
// own bytes (idString) are what went on the wire, stay so after the
// requests are dropped and collected, and are fresh UUIDs: version 4, no
// two alike over many calls, a retry's request id its own.
func TestIDsInAttemptRequest(t *testing.T) {
	t.Parallel()
	type sent struct{ inv, id string }
	var wire []sent
	fail := true
	base := roundTripper(func(r *http.Request) (*http.Response, error) {
		// Copies, so that what the records hold is compared with what
		// was sent, not with itself.
		wire = append(wire, sent{strings.Clone(r.Header.Get(headerInvocationID)), strings.Clone(r.Header.Get(policy.HeaderRequestID))})
		if fail = !fail; fail && strings.HasPrefix(r.Header.Get(headerSDKRequest), "attempt=1;") {
			// API Gateway's 504 after its integration timeout: every
			// other call is retried once.
			return &http.Response{StatusCode: http.StatusGatewayTimeout, Request: r,
				Header: http.Header{"X-Amzn-Errortype": {"InternalServerErrorException"}, "Content-Type": {"application/json"}},
				Body:   io.NopCloser(strings.NewReader(`{"message": "Endpoint request timed out"}`))}, nil
		}
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
	})
	pol := policy.Default()
	pol.Backoff = policy.Backoff{Base: time.Microsecond, Cap: time.Microsecond}
	rt := New(base, WithPolicy(pol), WithoutBudget(), WithoutBreaker())
	var recs []Attempt
	for range 500 {
		ctx, rec := Record(context.Background())
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://example.com/orders", nil)
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		recs = append(recs, rec.Attempts()...)
	}
	runtime.GC()
	if len(recs) != len(wire) || len(recs) < 600 {
		t.Fatalf("%d records, %d attempts sent", len(recs), len(wire))
	}
	seen := map[string]bool{}
	for i, a := range recs {
		if a.InvocationID != wire[i].inv || a.RequestIDSent != wire[i].id {
			t.Fatalf("attempt %d: recorded %q/%q, sent %q/%q", i, a.InvocationID, a.RequestIDSent, wire[i].inv, wire[i].id)
		}
		for _, s := range []string{a.InvocationID, a.RequestIDSent} {
			u, err := uuid.Parse(s)
			if err != nil || u.Version() != 4 || u.Variant() != uuid.RFC4122 || len(s) != 36 {
				t.Fatalf("attempt %d: %q is not a UUIDv4", i, s)
			}
		}
		if seen[a.RequestIDSent] {
			t.Fatalf("attempt %d: request id %q sent twice", i, a.RequestIDSent)
		}
		seen[a.RequestIDSent] = true
		if a.Number == 1 {
			if seen["inv "+a.InvocationID] {
				t.Fatalf("attempt %d: invocation id %q of two calls", i, a.InvocationID)
			}
			seen["inv "+a.InvocationID] = true
		}
	}
}
