package diagnose_test

import (
	"fmt"
	"strings"

	"github.com/retryscope/retryscope/diagnose"
)

func ExampleEvidence() {
	attemptLog := `{"time":"2026-11-26T01:00:29.1Z","level":"INFO","msg":"attempt","invocation_id":"inv-1","attempt":1,"max_attempts":2,"start":"2026-11-26T01:00:00Z","duration_ms":29100,"status":504,"reach":"backend_timeout","cause":"integration_timeout","request_id_sent":"11111111-1111-4111-8111-111111111111","retry":true}
{"time":"2026-11-26T01:00:29.4Z","level":"INFO","msg":"attempt","invocation_id":"inv-1","attempt":2,"max_attempts":2,"start":"2026-11-26T01:00:29.3Z","duration_ms":95,"status":429,"reach":"gateway","cause":"throttled","request_id_sent":"22222222-2222-4222-8222-222222222222","retry":false}
`
	accessLog := `{"requestId":"11111111-1111-4111-8111-111111111111","status":"504","error_responseType":"INTEGRATION_TIMEOUT","integration_requestId":"-","integration_latency":"29001","requestTimeEpoch":"1795654800010","responseLatency":"29012"}
{"requestId":"22222222-2222-4222-8222-222222222222","status":"429","error_responseType":"THROTTLED","integration_requestId":"-","integration_latency":"-","requestTimeEpoch":"1795654829310","responseLatency":"2"}
`
	e := diagnose.NewEvidence(diagnose.Options{})
	for name, text := range map[string]string{"attempts.jsonl": attemptLog, "access.jsonl": accessLog} {
		if _, err := e.ReadFile(name, strings.NewReader(text)); err != nil {
			fmt.Println(err)
		}
	}
	report := e.Report()
	for _, a := range report.Attempts {
		fmt.Printf("attempt %d %s: %s\n", a.Attempt, a.RequestID[:8], a.Verdict)
	}
	for _, f := range report.Findings {
		fmt.Println(f.Kind)
	}
	// Output:
	// attempt 1 11111111: maybe
	// attempt 2 22222222: not_run
	// integration_latency_near_timeout
	// consider_asynchronous_invocation
}
