package transport_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/retryscope/retryscope/transport"
)

// secretsIn lists which of the secrets occur in s.
func secretsIn(s string, secrets ...string) []string {
	var found []string
	for _, x := range secrets {
		if strings.Contains(s, x) {
			found = append(found, x)
		}
	}
	return found
}

// TestBugRedactURLErrors: a base built on http.Client (as go-retryablehttp's
// RoundTripper is) returns *url.Error, whose text holds the request's URL
// with its user name, query values and fragment (net/http hides only the
// password). None of them reaches the log's error and reason fields,
// *Error.Error(), Attempt.String(), the recorded Reason or the recorded
// error's text; errors.Is and errors.As still reach the *url.Error and the
// errno beneath, through the returned error and through each attempt's.
func TestBugRedactURLErrors(t *testing.T) {
	t.Parallel()
	client := &http.Client{Transport: newBase(t)}
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) { return client.Do(r) })
	secrets := []string{"alice", "pw-s3cret", "tok-s3cret", "frag-s3cret", "sig-s3cret"}
	u, err := url.Parse(closedPortURL(t))
	if err != nil {
		t.Fatal(err)
	}
	target := "http://alice:pw-s3cret@" + u.Host + "/orders?token=tok-s3cret&X-Amz-Signature=sig-s3cret#frag-s3cret"

	for _, hedge := range []bool{false, true} {
		var logs bytes.Buffer
		opts := fast(transport.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
		if hedge {
			opts = append(opts, transport.WithHedging(time.Hour))
		}
		rt := transport.New(base, opts...)
		_, err, as := do(t, rt, newRequest(t, "GET", target, nil))
		if err == nil {
			t.Fatal("no error from a closed port")
		}
		// The base's own text does carry the secrets: the test would
		// prove nothing otherwise.
		var ue *url.Error
		if !errors.As(err, &ue) || len(secretsIn(ue.Error(), secrets...)) < 3 {
			t.Fatalf("hedge %v: the base's error %v is not a *url.Error with the URL in it", hedge, err)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("hedge %v: errors.Is(err, ECONNREFUSED) is false through %v", hedge, err)
		}
		if s := secretsIn(err.Error(), secrets...); len(s) > 0 {
			t.Errorf("hedge %v: *Error.Error() holds %q: %s", hedge, s, err)
		}
		if len(as) == 0 {
			t.Fatal("no attempts recorded")
		}
		for _, a := range as {
			if s := secretsIn(a.String(), secrets...); len(s) > 0 {
				t.Errorf("hedge %v: Attempt.String() holds %q: %s", hedge, s, a.String())
			}
			if s := secretsIn(a.Reason, secrets...); len(s) > 0 {
				t.Errorf("hedge %v: Attempt.Reason holds %q: %s", hedge, s, a.Reason)
			}
			if a.Err == nil {
				t.Errorf("hedge %v: attempt %d has no error", hedge, a.Number)
				continue
			}
			if s := secretsIn(a.Err.Error(), secrets...); len(s) > 0 {
				t.Errorf("hedge %v: Attempt.Err holds %q: %s", hedge, s, a.Err)
			}
			var aue *url.Error
			if !errors.As(a.Err, &aue) || !errors.Is(a.Err, syscall.ECONNREFUSED) {
				t.Errorf("hedge %v: attempt %d's error no longer unwraps: %v", hedge, a.Number, a.Err)
			}
		}
		n := 0
		for line := range strings.Lines(logs.String()) {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
			n++
			for _, k := range []string{"error", "reason", "url"} {
				v, _ := rec[k].(string)
				if s := secretsIn(v, secrets...); len(s) > 0 {
					t.Errorf("hedge %v: log field %s holds %q: %s", hedge, k, s, v)
				}
			}
			if rec["error"] == nil || !strings.Contains(rec["error"].(string), "REDACTED") {
				t.Errorf("hedge %v: log error %v does not show where the URL was redacted", hedge, rec["error"])
			}
		}
		if n != len(as) {
			t.Errorf("hedge %v: %d log records, %d attempts", hedge, n, len(as))
		}
	}
}
