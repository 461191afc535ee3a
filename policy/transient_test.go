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
// keep their meaning: a throttled Lambda is retried whatever the method;
// a function error (REST 502, HTTP API 500) ran the function, so it is
// retried exactly when a plain 500 is.
func TestPlain500RetriedWhenSafe(t *testing.T) {
	t.Parallel()
	p := policy.Default()
	plain := httptest.NewRecorder()
	plain.WriteHeader(500)
	httpAPI := httptest.NewRecorder()
	httpAPI.Header().Set("Apigw-Requestid", "x")
	httpAPI.WriteHeader(500)
	rest502 := httptest.NewRecorder()
	rest502.Header().Set("X-Amzn-Errortype", "InternalServerErrorException")
	rest502.WriteHeader(502)
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
		{"GET HTTP API integration failure", "GET", false, httpAPI.Result(), "Internal Server Error", "retry"},
		{"POST HTTP API integration failure", "POST", false, httpAPI.Result(), "Internal Server Error", "unsafe"},
		{"POST with key HTTP API integration failure", "POST", true, httpAPI.Result(), "Internal Server Error", "retry"},
		{"GET REST function error", "GET", false, rest502.Result(), `{"message": "Internal server error"}`, "retry"},
		{"DELETE REST function error", "DELETE", false, rest502.Result(), `{"message": "Internal server error"}`, "retry"},
		{"POST REST function error", "POST", false, rest502.Result(), `{"message": "Internal server error"}`, "unsafe"},
		{"PATCH REST function error", "PATCH", false, rest502.Result(), `{"message": "Internal server error"}`, "unsafe"},
		{"POST with key REST function error", "POST", true, rest502.Result(), `{"message": "Internal server error"}`, "retry"},
	} {
		req := httptest.NewRequest(tc.method, "http://api.example.com/", nil)
		o := p.Classify(policy.Exchange{Request: req, Response: tc.resp, Body: []byte(tc.body), Now: now})
		d := p.Decide(policy.State{Method: tc.method, HasIdempotencyKey: tc.key, Replayable: true, Attempts: 1, Start: now}, o, now)
		if d.Rule != tc.rule {
			t.Errorf("%s: rule %q (%s), want %q", tc.name, d.Rule, d.Reason, tc.rule)
		}
	}
}
