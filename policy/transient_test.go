package policy_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/retryscope/retryscope/policy"
)

// TestPlain500RetriedWhenSafe: a plain server's 500 is transient, so an
// idempotent or keyed request is retried; a POST without a key is not
// (the server may have done part of the work). API Gateway's own 500s
// keep their meaning: a throttled Lambda is retried, an HTTP API
// integration failure is not.
func TestPlain500RetriedWhenSafe(t *testing.T) {
	t.Parallel()
	p := policy.Default()
	plain := httptest.NewRecorder()
	plain.WriteHeader(500)
	httpAPI := httptest.NewRecorder()
	httpAPI.Header().Set("Apigw-Requestid", "x")
	httpAPI.WriteHeader(500)
	for _, tc := range []struct {
		name   string
		method string
		key    bool
		resp   *http.Response
		body   string
		rule   policy.Rule
	}{
		{"GET plain 500", "GET", false, plain.Result(), `{"error":"db"}`, "retry"},
		{"PUT plain 500", "PUT", false, plain.Result(), "", "retry"},
		{"POST plain 500", "POST", false, plain.Result(), "", "unsafe"},
		{"POST with key plain 500", "POST", true, plain.Result(), "", "retry"},
		{"GET HTTP API integration failure", "GET", false, httpAPI.Result(), "Internal Server Error", "not_retryable"},
	} {
		req := httptest.NewRequest(tc.method, "http://api.example.com/", nil)
		o := p.Classify(policy.Exchange{Request: req, Response: tc.resp, Body: []byte(tc.body), Now: now})
		d := p.Decide(policy.State{Method: tc.method, HasIdempotencyKey: tc.key, Replayable: true, Attempts: 1, Start: now}, o, now)
		if d.Rule != tc.rule {
			t.Errorf("%s: rule %q (%s), want %q", tc.name, d.Rule, d.Reason, tc.rule)
		}
	}
}
