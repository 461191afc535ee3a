package otelwire_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/retryscope/retryscope/internal/gatewayid"
	"github.com/retryscope/retryscope/internal/otelwire"
	"github.com/retryscope/retryscope/policy"
)

// TestAWSRequestIDRule: an attempt span's aws.request_id is the id API
// Gateway logged the attempt under, by internal/gatewayid's rule, the one
// the transport's records, probe and diagnose use; absent when no id is
// known.
func TestAWSRequestIDRule(t *testing.T) {
	t.Parallel()
	uuidSent, uuidOwn := sentID(1), sentID(99) // UUIDs: a REST API adopts the one sent
	extID, httpID := "rest-ext-id=", "http-api-id="
	tests := []struct {
		name   string
		sent   string
		answer map[string]string // nil: no answer came
		want   string            // "": no aws.request_id
	}{
		{"REST adopted the UUID sent", uuidSent, map[string]string{"X-Amzn-Requestid": uuidSent, "X-Amz-Apigw-Id": extID}, uuidSent},
		{"REST replaced a non-UUID", "my-trace-42", map[string]string{"X-Amzn-Requestid": uuidOwn, "X-Amz-Apigw-Id": extID}, uuidOwn},
		{"REST answered its own id, none sent", "", map[string]string{"X-Amzn-Requestid": uuidOwn}, uuidOwn},
		{"HTTP API ignores the UUID sent", uuidSent, map[string]string{"Apigw-Requestid": httpID}, httpID},
		{"HTTP API passing a backend's x-amzn-RequestId on", uuidSent, map[string]string{"Apigw-Requestid": httpID, "X-Amzn-Requestid": uuidOwn}, httpID},
		{"REST answer with an apigw-requestid from behind it", uuidSent, map[string]string{"X-Amzn-Requestid": uuidSent, "X-Amz-Apigw-Id": extID, "Apigw-Requestid": httpID}, uuidSent},
		{"CloudFront's own 504, UUID sent", uuidSent, map[string]string{"X-Amz-Cf-Id": "cf-id=="}, uuidSent},
		{"no answer, UUID sent", uuidSent, nil, uuidSent},
		{"no answer, non-UUID sent", "my-trace-42", nil, ""},
		{"nothing sent, nothing answered", "", map[string]string{}, ""},
	}
	for _, tt := range tests {
		rec := newRecorder(t, otelwire.Config{})
		orig, _ := http.NewRequest(http.MethodGet, "https://api.example.com/x", nil)
		ctx, r := rec.StartRequest(context.Background(), orig, time.Now())
		req := orig.Clone(ctx)
		if tt.sent != "" {
			req.Header.Set("X-Amzn-RequestId", tt.sent)
		}
		_, a := r.StartAttempt(ctx, req, 1, false)
		var resp *http.Response
		var err error
		if tt.answer != nil {
			resp = &http.Response{StatusCode: 504, Header: http.Header{}}
			for k, v := range tt.answer {
				resp.Header.Set(k, v)
			}
		} else {
			err = context.DeadlineExceeded
		}
		a.End(otelwire.AttemptResult{Response: resp, Err: err, Outcome: policy.Outcome{Reach: policy.ReachUnknown, Cause: policy.CauseGatewayTimeout}})
		r.End(resp, err, 1)
		span := rec.spans.Ended()[0]
		got, ok := attrs(span.Attributes())["aws.request_id"]
		switch {
		case tt.want == "" && ok:
			t.Errorf("%s: aws.request_id = %q, want none", tt.name, got.AsString())
		case tt.want != "" && got.AsString() != tt.want:
			t.Errorf("%s: aws.request_id = %q, want %q", tt.name, got.AsString(), tt.want)
		}
		// The same id as the rule gives the transport's records.
		var h http.Header
		if resp != nil {
			h = resp.Header
		}
		if id, _ := gatewayid.FromHeader(tt.sent, h).ID(); id != tt.want {
			t.Errorf("%s: the table disagrees with gatewayid: %q", tt.name, id)
		}
	}
}
