package main

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// TestProbeGatewayRequestID: the table's REQUEST ID column, the "answered
// another id" note, the JSON's gateway_request_id and the ids the Logs
// Insights queries list all follow the one rule for the id API Gateway
// logged an attempt under (docs/aws-behaviour.md#request-ids).
func TestProbeGatewayRequestID(t *testing.T) {
	t.Parallel()
	const (
		u1 = "11111111-1111-4111-8111-111111111111"
		u2 = "22222222-2222-4222-8222-222222222222"
		u3 = "33333333-3333-4333-8333-333333333333"
	)
	tests := []struct {
		name     string
		a        transport.Attempt
		want     string // "" when no id is known
		replaced bool
	}{
		{"REST adopted the UUID sent", transport.Attempt{RequestIDSent: u1, RequestID: u1, ExtendedRequestID: "K2Ib_G66IAMEF6g="}, u1, false},
		{"REST answer carrying an apigw-requestid from behind it",
			transport.Attempt{RequestIDSent: u1, RequestID: u1, ExtendedRequestID: "K2Ib_G66IAMEF6g=", HTTPAPIRequestID: "U9euFi_ySQ0EPsw="}, u1, false},
		{"REST replaced an id that is not a UUID", transport.Attempt{RequestIDSent: "my-id", RequestID: u2, ExtendedRequestID: "K2Ib_G66IAMEF6g="}, u2, true},
		{"HTTP API does not adopt", transport.Attempt{RequestIDSent: u1, HTTPAPIRequestID: "U9euFi_ySQ0EPsw="}, "U9euFi_ySQ0EPsw=", false},
		{"HTTP API passing a backend's x-amzn-RequestId on",
			transport.Attempt{RequestIDSent: u1, RequestID: u3, HTTPAPIRequestID: "cGMi_haHjoEEPmw="}, "cGMi_haHjoEEPmw=", false},
		{"no answer, UUID sent", transport.Attempt{RequestIDSent: u3, Reach: policy.ReachUnknown}, u3, false},
		{"no answer, not a UUID sent", transport.Attempt{RequestIDSent: "my-id", Reach: policy.ReachUnknown}, "", false},
	}
	for _, tt := range tests {
		a := tt.a
		a.Number = 1
		if a.Reach == "" {
			a.Status, a.Reach = 200, policy.ReachBackend
		}
		u, _ := url.Parse("https://api.example/x")
		cfg := &probeConfig{method: "GET", url: u}
		r := probeResult{status: a.Status, attempts: []transport.Attempt{a}}

		var table bytes.Buffer
		newProbeOutput(cfg, &table).narrowTable(r)
		rows := strings.Split(table.String(), "\n")
		if len(rows) < 2 {
			t.Fatalf("%s: table %q", tt.name, table.String())
		}
		cells := strings.Fields(rows[1])
		if len(cells) < 4 || cells[3] != dash(tt.want) {
			t.Errorf("%s: REQUEST ID cell in %q, want %q", tt.name, rows[1], dash(tt.want))
		}
		if got := strings.Contains(table.String(), "API Gateway answered"); got != tt.replaced {
			t.Errorf("%s: replaced note %v, want %v:\n%s", tt.name, got, tt.replaced, table.String())
		}

		tally := newProbeTally(&probeConfig{json: true, method: "GET", url: u})
		tally.add(r)
		if got, want := tally.ids, []string{tt.want}; tt.want == "" && len(got) != 0 || tt.want != "" && !slices.Equal(got, want) {
			t.Errorf("%s: query ids %q, want %q", tt.name, got, tt.want)
		}

		var out bytes.Buffer
		newProbeOutput(cfg, &out).json(tally, nil)
		var doc struct {
			Requests []struct {
				Attempts []struct {
					GatewayRequestID *string `json:"gateway_request_id"`
				} `json:"attempts"`
			} `json:"requests"`
		}
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil || len(doc.Requests) != 1 || len(doc.Requests[0].Attempts) != 1 {
			t.Fatalf("%s: %v\n%s", tt.name, err, out.String())
		}
		got := doc.Requests[0].Attempts[0].GatewayRequestID
		if tt.want == "" && got != nil || tt.want != "" && (got == nil || *got != tt.want) {
			t.Errorf("%s: gateway_request_id %v, want %q\n%s", tt.name, got, tt.want, out.String())
		}
	}
}
