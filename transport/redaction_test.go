package transport_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

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

// TestBugRedactBareQueryAndPathParams: a query part without '=' (a token
// passed as the whole query) and the values of path parameters (a servlet
// container's ";jsessionid=") were recorded as they came, in url.full, the
// attempts' URL and text and the attempt log. Through a real server (which
// does receive them) and through a closed port, whose *url.Error spells the
// URL, none of them is recorded anywhere, while the path's segments and the
// parameters' names still are.
func TestBugRedactBareQueryAndPathParams(t *testing.T) {
	t.Parallel()
	secrets := []string{"s3cr3tT0ken", "ABC123sess", "b4reP4ram"}
	const pathQuery = "/app;jsessionid=ABC123sess;b4reP4ram/orders?s3cr3tT0ken&debug"
	const want = "/app;jsessionid=REDACTED;REDACTED/orders?REDACTED&REDACTED"

	var (
		mu   sync.Mutex
		seen []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.RequestURI())
		n := len(seen)
		mu.Unlock()
		if n == 1 {
			w.Header().Set("x-amzn-ErrorType", "InternalServerErrorException")
			w.WriteHeader(http.StatusGatewayTimeout)
			io.WriteString(w, `{"message": "Endpoint request timed out"}`)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	client := &http.Client{Transport: newBase(t)}
	viaClient := roundTripFunc(func(r *http.Request) (*http.Response, error) { return client.Do(r) })

	for _, tc := range []struct {
		name   string
		base   http.RoundTripper
		target string
	}{
		{"answered", newBase(t), srv.URL + pathQuery},
		{"closed port", viaClient, closedPortURL(t) + pathQuery},
	} {
		spans := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
		defer tp.Shutdown(context.Background())
		var logs bytes.Buffer
		rt := transport.New(tc.base, fast(transport.WithTracerProvider(tp),
			transport.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))...)
		resp, err, as := do(t, rt, newRequest(t, "GET", tc.target, nil))
		var recorded []string // every text recorded, with where it was found
		if err != nil {
			recorded = append(recorded, "Error(): "+err.Error())
			var ue *url.Error
			if tc.name == "closed port" && (!errors.As(err, &ue) || len(secretsIn(ue.Error(), secrets...)) != len(secrets)) {
				t.Fatalf("%s: the base's error %v does not spell the URL: the test would prove nothing", tc.name, err)
			}
		} else if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", tc.name, resp.StatusCode)
		}
		if len(as) < 2 {
			t.Fatalf("%s: %d attempts, want a retry", tc.name, len(as))
		}
		for _, a := range as {
			recorded = append(recorded, "Attempt.URL: "+a.URL, "Attempt.String(): "+a.String(), "Attempt.Reason: "+a.Reason)
			if a.Err != nil {
				recorded = append(recorded, "Attempt.Err: "+a.Err.Error())
			}
			if !strings.HasSuffix(a.URL, want) {
				t.Errorf("%s: Attempt.URL = %q, want it to end in %q", tc.name, a.URL, want)
			}
		}
		for line := range strings.Lines(logs.String()) {
			recorded = append(recorded, "log: "+line)
		}
		ended := spans.Ended()
		if len(ended) < 2 {
			t.Fatalf("%s: %d spans", tc.name, len(ended))
		}
		fulls := 0
		for _, sp := range ended {
			recorded = append(recorded, "span "+sp.Name()+": "+sp.Name(), "span status: "+sp.Status().Description)
			for _, kv := range sp.Attributes() {
				recorded = append(recorded, "span attribute "+string(kv.Key)+": "+kv.Value.Emit())
				if kv.Key == "url.full" {
					fulls++
					if !strings.HasSuffix(kv.Value.AsString(), want) {
						t.Errorf("%s: url.full = %q, want it to end in %q", tc.name, kv.Value.AsString(), want)
					}
				}
			}
			for _, ev := range sp.Events() {
				for _, kv := range ev.Attributes {
					recorded = append(recorded, "span event "+ev.Name+" "+string(kv.Key)+": "+kv.Value.Emit())
				}
			}
		}
		if fulls == 0 {
			t.Errorf("%s: no url.full recorded", tc.name)
		}
		for _, r := range recorded {
			if s := secretsIn(r, secrets...); len(s) > 0 {
				t.Errorf("%s: %q recorded in %s", tc.name, s, r)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 2 || seen[0] != pathQuery {
		t.Errorf("the server saw %q, not %q: the test would prove nothing", seen, pathQuery)
	}
}
