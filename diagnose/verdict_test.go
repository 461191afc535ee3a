package diagnose

import (
	"strconv"
	"strings"
	"testing"
)

// judgeLines reads each file's text and returns the report.
func judgeLines(t *testing.T, files map[string]string) Report {
	t.Helper()
	e := NewEvidence(Options{})
	for _, name := range []string{"attempts.jsonl", "access.jsonl", "execution.log", "lambda.log"} {
		text, ok := files[name]
		if !ok {
			continue
		}
		if _, err := e.ReadFile(name, strings.NewReader(text)); err != nil {
			t.Fatal(err)
		}
	}
	return e.Report()
}

const (
	t0ms = "1795654800000" // 2026-11-26T01:00:00Z
	t5ms = "1795654805000"
)

func attemptLine(id, start string, status int, reach string) string {
	return `{"msg":"attempt","invocation_id":"inv","attempt":1,"start":"` + start + `","duration_ms":100,"status":` + itoa(status) + `,"reach":"` + reach + `","request_id_sent":"` + id + `"}`
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestVerdictRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		files     map[string]string
		want      Verdict
		reasonHas string
		safe504   bool
	}{
		{name: "access log alone: Lambda said 200",
			files: map[string]string{"access.jsonl": `{"requestId":"r","status":"200","integration_requestId":"l","integration_integrationStatus":"200","integration_status":"201","requestTimeEpoch":"` + t0ms + `"}`},
			want:  VerdictRan, reasonHas: "integration_integrationStatus"},
		{name: "access log alone: Lambda 503 on invoke",
			files: map[string]string{"access.jsonl": `{"requestId":"r","status":"500","integration_integrationStatus":"503","requestTimeEpoch":"` + t0ms + `"}`},
			want:  VerdictMaybe, reasonHas: "status 503"},
		{name: "504 INTEGRATION_FAILURE without any integration field",
			files: map[string]string{"access.jsonl": `{"requestId":"r","status":"504","error_responseType":"INTEGRATION_FAILURE","integration_latency":"-","requestTimeEpoch":"` + t0ms + `"}`},
			want:  VerdictNotRun, reasonHas: "without calling the integration", safe504: true},
		{name: "504 with nothing but the status",
			files: map[string]string{"access.jsonl": `{"requestId":"r","status":"504","requestTimeEpoch":"` + t0ms + `"}`},
			want:  VerdictMaybe, reasonHas: "does not say whether it called Lambda"},
		{name: "200 from a format without integration fields",
			files: map[string]string{"access.jsonl": `{"requestId":"r","status":"200","requestTimeEpoch":"` + t0ms + `"}`},
			want:  VerdictMaybe, reasonHas: "does not say whether it called Lambda"},
		{name: "429 THROTTLED from a format without integration fields: the gateway answered before the integration",
			files: map[string]string{"access.jsonl": `{"requestId":"r","status":"429","error_responseType":"THROTTLED","requestTimeEpoch":"` + t0ms + `"}`},
			want:  VerdictNotRun, reasonHas: "429 THROTTLED itself without calling the integration"},
		{name: "403 WAF_FILTERED from a format without integration fields",
			files: map[string]string{"access.jsonl": `{"requestId":"r","status":"403","error_responseType":"WAF_FILTERED","requestTimeEpoch":"` + t0ms + `"}`},
			want:  VerdictNotRun, reasonHas: "without calling the integration"},
		{name: "502 INTEGRATION_FAILURE from a format without integration fields: it can follow a call",
			files: map[string]string{"access.jsonl": `{"requestId":"r","status":"502","error_responseType":"INTEGRATION_FAILURE","requestTimeEpoch":"` + t0ms + `"}`},
			want:  VerdictMaybe, reasonHas: "does not say whether it called Lambda"},
		{name: "500 API_CONFIGURATION_ERROR from a format without integration fields: it can follow a call",
			files: map[string]string{"access.jsonl": `{"requestId":"r","status":"500","error_responseType":"API_CONFIGURATION_ERROR","requestTimeEpoch":"` + t0ms + `"}`},
			want:  VerdictMaybe, reasonHas: `"integration_latency": "$context.integration.latency" to the access-log format`},
		{name: "429 from the console's CLF preset: advice names JSON",
			files: map[string]string{"access.jsonl": `203.0.113.9 - - [03/Dec/2026:08:12:44 +0000] "GET /items HTTP/1.1" 429 32 r` + "\n"},
			want:  VerdictMaybe, reasonHas: "the console's CLF format has no integration field: log JSON with"},
		{name: "504 from the console's CSV preset: advice names JSON",
			files: map[string]string{"access.jsonl": `203.0.113.9,-,-,03/Dec/2026:08:12:44 +0000,GET,/items,HTTP/1.1,504,41,r` + "\n"},
			want:  VerdictMaybe, reasonHas: "the console's CSV format has no integration field"},
		{name: "504 from the console's XML preset: advice names the elements",
			files: map[string]string{"access.jsonl": `<request id="r"> <ip>203.0.113.9</ip> <requestTime>03/Dec/2026:08:12:44 +0000</requestTime> <status>504</status> </request>` + "\n"},
			want:  VerdictMaybe, reasonHas: "<errorResponseType>$context.error.responseType</errorResponseType>"},
		{name: "execution log: started, completed, never sent",
			files: map[string]string{"execution.log": "(r) Starting execution for request: r\n(r) Method completed with status: 504\n"},
			want:  VerdictNotRun, reasonHas: "without calling the integration", safe504: true},
		{name: "execution log: sent, no outcome, no Lambda log",
			files: map[string]string{"execution.log": "(r) Starting execution for request: r\n(r) Sending request to https://lambda.eu-west-1.amazonaws.com/x\n"},
			want:  VerdictMaybe, reasonHas: "logged no outcome"},
		{name: "Lambda JSON log format START for the logged Lambda id",
			files: map[string]string{
				"execution.log": "(r) Lambda execution failed with status 200 due to customer function error: x. Lambda request id: l\n",
				"lambda.log":    `{"time":"2026-11-26T01:00:00.100Z","type":"platform.start","record":{"requestId":"l","version":"$LATEST"}}` + "\n"},
			want: VerdictRan, reasonHas: "lambda.log:1"},
		{name: "the function's own log line under the logged Lambda id",
			files: map[string]string{
				"access.jsonl": `{"requestId":"r","status":"502","integration_requestId":"5f8e7d6c-1111-2222-3333-444455556666","requestTimeEpoch":"` + t0ms + `"}`,
				"lambda.log":   "2026-11-26T01:00:00.050Z\t5f8e7d6c-1111-2222-3333-444455556666\tERROR\tInvoke Error\n"},
			want: VerdictRan, reasonHas: "lambda.log:1"},
		{name: "Lambda refused with 403",
			files: map[string]string{"execution.log": "(r) Lambda invocation failed with status: 403. Lambda request id: l\n"},
			want:  VerdictNotRun, reasonHas: "status 403"},
		{name: "unknown attempt, covering logs, gateway adopts client ids",
			files: map[string]string{
				"attempts.jsonl": attemptLine("r", "2026-11-26T01:00:02Z", 0, "unknown") + "\n" + strings.Replace(attemptLine("other", "2026-11-26T01:00:00Z", 200, "backend"), `"attempt":1`, `"attempt":2`, 1) + "\n",
				"access.jsonl": `{"requestId":"other","status":"200","integration_integrationStatus":"200","requestTimeEpoch":"` + t0ms + `"}` + "\n" +
					`{"requestId":"later","status":"200","integration_integrationStatus":"200","requestTimeEpoch":"` + t5ms + `"}` + "\n"},
			want: VerdictNotRun, reasonHas: "never reached the gateway"},
		{name: "unknown attempt, covering logs, ids not adopted (HTTP API)",
			files: map[string]string{
				"attempts.jsonl": attemptLine("r", "2026-11-26T01:00:02Z", 0, "unknown") + "\n",
				"access.jsonl": `{"requestId":"gw1","status":"200","requestTimeEpoch":"` + t0ms + `"}` + "\n" +
					`{"requestId":"gw2","status":"200","requestTimeEpoch":"` + t5ms + `"}` + "\n"},
			want: VerdictMaybe, reasonHas: "an HTTP API makes its own ids"},
		{name: "gateway answer seen only by the client",
			files: map[string]string{"attempts.jsonl": attemptLine("r", "2026-11-26T01:00:02Z", 429, "gateway") + "\n"},
			want:  VerdictNotRun, reasonHas: "gateway-generated 429"},
		{name: "function answer seen only by the client",
			files: map[string]string{"attempts.jsonl": attemptLine("r", "2026-11-26T01:00:02Z", 200, "backend") + "\n"},
			want:  VerdictRan, reasonHas: "function's own 200"},
		{name: "504 seen only by the client",
			files: map[string]string{"attempts.jsonl": attemptLine("r", "2026-11-26T01:00:02Z", 504, "backend_timeout") + "\n"},
			want:  VerdictMaybe, reasonHas: "per the attempt log"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rep := judgeLines(t, tt.files)
			if len(rep.Attempts) == 0 {
				t.Fatal("no rows")
			}
			a := rep.Attempts[0]
			if a.Verdict != tt.want || !strings.Contains(a.Reason, tt.reasonHas) {
				t.Errorf("%s: %s; want %s with %q", a.RequestID, a.Reason, tt.want, tt.reasonHas)
			}
			gotSafe := false
			for _, f := range rep.Findings {
				gotSafe = gotSafe || f.Kind == FindingSafeToRetry504
			}
			if gotSafe != tt.safe504 {
				t.Errorf("safe-to-retry finding %v, want %v", gotSafe, tt.safe504)
			}
		})
	}
}

// TestVerdictJoinsGatewayID: an attempt joins the gateway's logs under the
// id API Gateway logged it with. An HTTP API adopts no client id and logs
// its own (apigw-requestid), even when its answer also carries an
// x-amzn-RequestId passed on from behind it.
func TestVerdictJoinsGatewayID(t *testing.T) {
	t.Parallel()
	const sent = "0b6c3f64-8c1e-4d7a-9f21-5a3e2c1d0e9f"
	tests := []struct {
		name, ids, logged string
	}{
		{"HTTP API", `"apigw_requestid":"U9euFi_ySQ0EPsw="`, "U9euFi_ySQ0EPsw="},
		{"HTTP API passing a backend's id on", `"request_id":"7e1d2c3b-4a59-4687-b8c9-d0e1f2a3b4c5","apigw_requestid":"U9euFi_ySQ0EPsw="`, "U9euFi_ySQ0EPsw="},
		{"REST adopted the id sent", `"request_id":"` + sent + `","apigw_id":"K2Ib_G66IAMEF6g="`, sent},
		{"REST, no answer", `"reach":"unknown"`, sent},
	}
	for _, tt := range tests {
		line := strings.Replace(attemptLine(sent, "2026-11-26T01:00:00Z", 502, "backend"), `"request_id_sent"`, tt.ids+`,"request_id_sent"`, 1)
		rep := judgeLines(t, map[string]string{
			"attempts.jsonl": line + "\n",
			"access.jsonl":   `{"requestId":"` + tt.logged + `","status":"502","integration_requestId":"l-1","integration_integrationStatus":"200","requestTimeEpoch":"` + t0ms + `"}` + "\n",
		})
		if len(rep.Attempts) != 1 {
			t.Fatalf("%s: %d rows", tt.name, len(rep.Attempts))
		}
		v := rep.Attempts[0]
		if v.RequestID != tt.logged || v.LambdaRequestID != "l-1" || !strings.Contains(v.Reason, "access.jsonl") {
			t.Errorf("%s: request id %q, Lambda id %q, reason %q; want the access log's record under %q",
				tt.name, v.RequestID, v.LambdaRequestID, v.Reason, tt.logged)
		}
	}
}
