package diagnose

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// TestBugReportQuotesCredentials pins a leak: the report quoted log lines
// (deciding lines, malformed and unrecognised lines) verbatim, so an
// execution log with request logging, or a damaged line, printed
// Authorization, Cookie and X-Api-Key values, URL userinfo and query values.
func TestBugReportQuotesCredentials(t *testing.T) {
	t.Parallel()
	const id = "aaaaaaaa-1111-4222-8333-444444444444"
	exec := strings.Join([]string{
		"(" + id + ") Method request headers: {Authorization=Bearer SEC01X, Cookie=sid=SEC02X; other=SEC03X, x-api-key=SEC04X, X-Amz-Security-Token=SEC05X}",
		"(" + id + ") Method request query string: {token=SEC06X, page=SEC07X}",
		"(" + id + ") Endpoint request URI: https://alice:SEC08X@example.com/p?sig=SEC09X&x=SEC10X#SEC11X",
		"(" + id + ") Execution failed due to a timeout error Authorization: Bearer SEC12X",
		"(" + id + ") Method completed with status: 504",
		`{"Authorization": "Bearer SEC13X", "cookie":"SEC14X"`,
		`{"msg":"x","Proxy-Authorization":"Basic SEC15X"`,
		`{"msg":"x","cookies":["sid=SEC17X","b=SEC18X"], "n":1`,
	}, "\n") + "\n"
	e := NewEvidence(Options{})
	if _, err := e.ReadFile("execution.log", strings.NewReader(exec)); err != nil {
		t.Fatal(err)
	}
	_, unknownErr := NewEvidence(Options{}).ReadFile("unknown.log", strings.NewReader("Cookie: SEC16X\n"))
	if unknownErr == nil {
		t.Fatal("unknown format not reported")
	}
	rep := e.Report()
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	out := text.String() + string(js) + unknownErr.Error()
	for i := 1; i <= 18; i++ {
		if secret := fmt.Sprintf("SEC%02dX", i); strings.Contains(out, secret) {
			t.Errorf("secret %s printed", secret)
		}
	}
	if t.Failed() || !strings.Contains(out, "REDACTED") {
		t.Errorf("report:\n%s", out)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestBugCSVMultilineRecordUnbounded pins unbounded memory on a Logs
// Insights CSV export: only each line was bounded, and a quoted @message
// of many short lines made csv.Reader buffer the whole record (a 200 MB
// record took 2 GB). Reading must stop near the bound and say so.
func TestBugCSVMultilineRecordUnbounded(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	b.WriteString("@timestamp,@message\n")
	b.WriteString("2026-11-26 01:00:00.000,START RequestId: l1 Version: $LATEST\n")
	b.WriteString("2026-11-26 01:00:01.000,\"REPORT RequestId: l2\n")
	for b.Len() < 10<<20 {
		b.WriteString("a short line of a multi-line message\n")
	}
	b.WriteString("\"\n")
	cr := &countingReader{r: &b}
	e := NewEvidence(Options{MaxLineBytes: 4096})
	sum, err := e.ReadFile("export.csv", cr)
	if err != nil {
		t.Fatal(err)
	}
	if cr.n > 1<<20 {
		t.Errorf("read %d bytes of one record, bound 4096", cr.n)
	}
	if sum.Format != FormatInsightsCSV || sum.Records != 1 || sum.Malformed != 1 {
		t.Errorf("summary %+v", sum)
	}
	rep := e.Report()
	if len(rep.Malformed) != 1 || rep.Malformed[0].Line != 3 || !strings.Contains(rep.Malformed[0].Problem, "longer than 4096 bytes") {
		t.Errorf("malformed %+v", rep.Malformed)
	}
}

// TestBugCSVMultilineRecordWithinBound checks that a multi-line message
// within the bound is still read whole.
func TestBugCSVMultilineRecordWithinBound(t *testing.T) {
	t.Parallel()
	in := "@timestamp,@message\n" +
		"2026-11-26 01:00:01.000,\"START RequestId: l2 Version: $LATEST\nsecond line\"\n" +
		strings.Repeat("2026-11-26 01:00:02.000,\"some output\nmore\"\n", 5000)
	e := NewEvidence(Options{MaxLineBytes: 4096})
	sum, err := e.ReadFile("export.csv", strings.NewReader(in))
	if err != nil || sum.Malformed != 0 || sum.Lines != 5001 {
		t.Errorf("summary %+v, err %v", sum, err)
	}
}

// TestBugTimeoutMissedWithoutGatewayLogs pins a 504 judged from the
// attempt log and the function's log alone (API Gateway logging off): the
// function ran, but the gateway timeout the client saw was dropped, so
// the 35 s function raised no integration_latency_near_timeout nor
// consider_asynchronous_invocation, and nothing said it ran on after the
// 504. With the attempt log alone the same 504 did raise them.
func TestBugTimeoutMissedWithoutGatewayLogs(t *testing.T) {
	t.Parallel()
	const id = "99e0f8f9-4c32-4885-84db-07dfb22e3d55"
	attempts := `{"time":"2026-11-26T01:00:29.020Z","level":"INFO","msg":"attempt","invocation_id":"inv-1","attempt":1,"max_attempts":1,"method":"GET",` +
		`"start":"2026-11-26T01:00:00.000Z","duration_ms":29020,"status":504,"reach":"backend_timeout","cause":"integration_timeout",` +
		`"request_id_sent":"` + id + `","request_id":"` + id + `","retry":false,"rule":"max_attempts","reason":"x"}` + "\n"
	lambda := "START RequestId: df934fe4-a2d2-4629-b2ff-bbc2a1cb71a9 Version: $LATEST\n" +
		`{"msg":"lambda_invocation","lambda_request_id":"df934fe4-a2d2-4629-b2ff-bbc2a1cb71a9","apigw_request_id":"` + id + `",` +
		`"invocation_id":"inv-1","attempt":1,"start":"2026-11-26T01:00:00.050Z","duration_ms":35000,"status":200}` + "\n" +
		"END RequestId: df934fe4-a2d2-4629-b2ff-bbc2a1cb71a9\n" +
		"REPORT RequestId: df934fe4-a2d2-4629-b2ff-bbc2a1cb71a9\tDuration: 35001.00 ms\tBilled Duration: 35002 ms\tMemory Size: 128 MB\tMax Memory Used: 64 MB\n"
	e := NewEvidence(Options{})
	for name, text := range map[string]string{"attempts.log": attempts, "lambda.log": lambda} {
		if _, err := e.ReadFile(name, strings.NewReader(text)); err != nil {
			t.Fatal(err)
		}
	}
	rep := e.Report()
	if len(rep.Attempts) != 1 {
		t.Fatalf("%d attempts", len(rep.Attempts))
	}
	a := rep.Attempts[0]
	if a.Verdict != VerdictRan || !a.GatewayTimedOut {
		t.Errorf("verdict %s, gateway timed out %v: %s", a.Verdict, a.GatewayTimedOut, a.Reason)
	}
	if a.RanAfterGatewayGaveUp == nil || !*a.RanAfterGatewayGaveUp {
		t.Errorf("ran on: %q", a.RanOn)
	}
	kinds := map[string]bool{}
	for _, f := range rep.Findings {
		kinds[f.Kind] = true
	}
	if !kinds[FindingLatencyNearTimeout] || !kinds[FindingConsiderAsync] {
		t.Errorf("findings %v", kinds)
	}
}

// TestBugHTTPAPITimeoutCalled504 pins the text report calling an HTTP
// API's integration timeout, a 503, "the 504".
func TestBugHTTPAPITimeoutCalled504(t *testing.T) {
	t.Parallel()
	const id = "Ps9DnLMQHR3dM3c="
	attempts := `{"time":"2026-11-26T01:00:30.020Z","level":"INFO","msg":"attempt","invocation_id":"inv-1","attempt":1,"max_attempts":1,"method":"GET",` +
		`"start":"2026-11-26T01:00:00.000Z","duration_ms":30020,"status":503,"reach":"backend_timeout","cause":"integration_timeout",` +
		`"request_id_sent":"aaaaaaaa-1111-4222-8333-444444444444","apigw_requestid":"` + id + `","retry":false,"rule":"max_attempts","reason":"x"}` + "\n"
	lambda := `{"msg":"lambda_invocation","lambda_request_id":"df934fe4-a2d2-4629-b2ff-bbc2a1cb71a9","apigw_request_id":"` + id + `",` +
		`"invocation_id":"inv-1","attempt":1,"start":"2026-11-26T01:00:00.050Z","duration_ms":35000,"status":200}` + "\n"
	e := NewEvidence(Options{IntegrationTimeout: 30 * time.Second})
	for name, text := range map[string]string{"attempts.log": attempts, "lambda.log": lambda} {
		if _, err := e.ReadFile(name, strings.NewReader(text)); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if err := e.Report().WriteText(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "after the 503: the function was still running") || strings.Contains(out.String(), "504") {
		t.Errorf("report:\n%s", out.String())
	}
}

// TestBugOverlappingAttemptLogsDuplicateExecution pins the same attempt
// read from two files (an attempt log and a CloudWatch export of it,
// overlapping exports): each copy counted as an attempt, so a request that
// ran its function once was reported as a duplicate execution.
func TestBugOverlappingAttemptLogsDuplicateExecution(t *testing.T) {
	t.Parallel()
	const id = "99e0f8f9-4c32-4885-84db-07dfb22e3d55"
	line := `{"time":"2026-11-26T01:00:00.020Z","level":"INFO","msg":"attempt","invocation_id":"inv-1","attempt":1,"max_attempts":3,"method":"GET",` +
		`"start":"2026-11-26T01:00:00.000Z","duration_ms":20,"status":200,"reach":"backend","cause":"ok",` +
		`"request_id_sent":"` + id + `","request_id":"` + id + `","retry":false,"rule":"not_retryable","reason":"x"}`
	export, _ := json.Marshal(map[string]any{"events": []map[string]any{{"timestamp": 1795654800020, "message": line}}})
	lambda := `{"msg":"lambda_invocation","lambda_request_id":"l-1","apigw_request_id":"` + id + `","invocation_id":"inv-1","attempt":1,` +
		`"start":"2026-11-26T01:00:00.005Z","duration_ms":10,"status":200}` + "\n"
	e := NewEvidence(Options{})
	for _, f := range []struct{ name, text string }{
		{"attempts.log", line + "\n"}, {"attempts-again.log", line + "\n"}, {"attempts.json", string(export)}, {"lambda.log", lambda},
	} {
		if _, err := e.ReadFile(f.name, strings.NewReader(f.text)); err != nil {
			t.Fatal(err)
		}
	}
	rep := e.Report()
	if len(rep.Attempts) != 1 || rep.Attempts[0].Verdict != VerdictRan {
		t.Errorf("%d attempts: %+v", len(rep.Attempts), rep.Attempts)
	}
	for _, f := range rep.Findings {
		if f.Kind == FindingDuplicateExecution {
			t.Errorf("finding %s: %s", f.Kind, f.Summary)
		}
	}
}

// TestBugSlowFunctionFindingForNotRun pins a 504 whose function never
// started (Lambda logs cover its time, no invocation for it): its
// integration latency near the timeout still raised "the function is slow"
// and "consider asynchronous invocation", next to "safe to retry".
func TestBugSlowFunctionFindingForNotRun(t *testing.T) {
	t.Parallel()
	const id = "11111111-2222-4333-8444-555555555555"
	attempts := `{"time":"2026-11-26T01:00:29.100Z","level":"INFO","msg":"attempt","invocation_id":"inv-1","attempt":1,"max_attempts":3,"method":"POST",` +
		`"start":"2026-11-26T01:00:00.000Z","duration_ms":29100,"status":504,"reach":"backend_timeout","cause":"integration_timeout",` +
		`"request_id_sent":"` + id + `","request_id":"` + id + `","retry":false,"rule":"unsafe","reason":"x"}` + "\n"
	access := `{"error_message":"Endpoint request timed out","error_responseType":"INTEGRATION_TIMEOUT","extendedRequestId":"abc=","integration_error":"-",` +
		`"integration_integrationStatus":"-","integration_latency":"29001","integration_requestId":"-","integration_status":"-","integrationLatency":"29001",` +
		`"requestId":"` + id + `","requestTimeEpoch":"1795654800000","responseLatency":"29050","status":"504"}` + "\n"
	t0 := int64(1795654800000 - 60000)
	events := []map[string]any{
		{"timestamp": t0, "message": "START RequestId: other-1 Version: $LATEST"},
		{"timestamp": t0 + 101, "message": "REPORT RequestId: other-1\tDuration: 100.00 ms\tBilled Duration: 100 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB"},
		{"timestamp": t0 + 120000, "message": "START RequestId: other-2 Version: $LATEST"},
		{"timestamp": t0 + 120051, "message": "REPORT RequestId: other-2\tDuration: 50.00 ms\tBilled Duration: 50 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB"},
	}
	lambda, _ := json.Marshal(map[string]any{"events": events})
	e := NewEvidence(Options{})
	for _, f := range []struct{ name, text string }{{"attempts.log", attempts}, {"access.log", access}, {"lambda.json", string(lambda)}} {
		if _, err := e.ReadFile(f.name, strings.NewReader(f.text)); err != nil {
			t.Fatal(err)
		}
	}
	rep := e.Report()
	if len(rep.Attempts) != 1 || rep.Attempts[0].Verdict != VerdictNotRun {
		t.Fatalf("attempts %+v", rep.Attempts)
	}
	kinds := map[string]bool{}
	for _, f := range rep.Findings {
		kinds[f.Kind] = true
	}
	if kinds[FindingLatencyNearTimeout] || kinds[FindingConsiderAsync] || !kinds[FindingSafeToRetry504] {
		t.Errorf("findings %v", kinds)
	}
}

// TestBugByteOrderMark pins files that start with a UTF-8 byte order mark,
// as Windows tools write them: the first line of a log was reported
// malformed, and a CSV export whose first column is @message had every row
// ignored (the column was named "\ufeff@message").
func TestBugByteOrderMark(t *testing.T) {
	t.Parallel()
	const bom = "\xef\xbb\xbf"
	access := `{"requestId":"r-1","status":"200","integration_requestId":"l-1","integration_integrationStatus":"200","integration_latency":"12","requestTimeEpoch":"1795654800010","responseLatency":"20"}` + "\n"
	csvExport := "@message,@timestamp\n\"START RequestId: l-1 Version: $LATEST\",2026-11-26 01:00:00.000\n"
	for _, tt := range []struct {
		name, text string
		format     Format
	}{
		{"access.log", bom + access + access, FormatAccessLog},
		{"export.csv", bom + csvExport, FormatInsightsCSV},
	} {
		e := NewEvidence(Options{})
		sum, err := e.ReadFile(tt.name, strings.NewReader(tt.text))
		if err != nil || sum.Format != tt.format || sum.Malformed != 0 || sum.Ignored != 0 || sum.Records != sum.Lines {
			t.Errorf("%s: %+v, err %v", tt.name, sum, err)
		}
	}
}

// TestBugGzipExportUnknownFormat pins CloudWatch Logs' exports to S3, gzip
// files of "<timestamp> <message>" lines: diagnose refused them as an
// unknown format and printed the compressed bytes as their first line. A
// truncated one must give what it holds and say where it was cut.
func TestBugGzipExportUnknownFormat(t *testing.T) {
	t.Parallel()
	var plain bytes.Buffer
	for i := range 200 {
		fmt.Fprintf(&plain, `2026-11-26T01:00:00.000Z {"requestId":"r-%d","status":"200","integration_requestId":"l-%d","integration_integrationStatus":"200","integration_latency":"12","requestTimeEpoch":"1795654800010","responseLatency":"20"}`+"\n", i, i)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(plain.Bytes())
	_ = zw.Close()

	e := NewEvidence(Options{})
	sum, err := e.ReadFile("000000.gz", bytes.NewReader(gz.Bytes()))
	if err != nil || sum.Format != FormatAccessLog || sum.Records != 200 || sum.Malformed != 0 {
		t.Errorf("whole: %+v, err %v", sum, err)
	}

	e = NewEvidence(Options{})
	sum, err = e.ReadFile("cut.gz", bytes.NewReader(gz.Bytes()[:gz.Len()/2]))
	if err != nil || sum.Format != FormatAccessLog || sum.Records == 0 || sum.Malformed == 0 {
		t.Errorf("cut: %+v, err %v", sum, err)
	}
	rep := e.Report()
	if len(rep.Files) != 1 || rep.Files[0] != sum {
		t.Errorf("files %+v, want %+v", rep.Files, sum)
	}
	found := false
	for _, m := range rep.Malformed {
		found = found || strings.Contains(m.Problem, "gzip data cut short")
	}
	if !found {
		t.Errorf("malformed %+v", rep.Malformed)
	}
}

// TestBugAttemptLinesAfterAppLog pins an application's JSON log that holds
// the transport's attempt lines (transport.WithLogger with the app's own
// logger) after more than 1000 other records: it was refused as an unknown
// format.
func TestBugAttemptLinesAfterAppLog(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := range 2500 {
		fmt.Fprintf(&b, `{"time":"2026-11-26T01:00:00Z","level":"INFO","msg":"handled order","order":%d}`+"\n", i)
	}
	const id = "99e0f8f9-4c32-4885-84db-07dfb22e3d55"
	b.WriteString(`{"time":"2026-11-26T01:00:00.020Z","level":"INFO","msg":"attempt","invocation_id":"inv-1","attempt":1,"max_attempts":3,"method":"GET",` +
		`"start":"2026-11-26T01:00:00.000Z","duration_ms":20,"status":200,"reach":"backend","cause":"ok",` +
		`"request_id_sent":"` + id + `","request_id":"` + id + `","retry":false,"rule":"not_retryable","reason":"x"}` + "\n")
	e := NewEvidence(Options{})
	sum, err := e.ReadFile("app.log", strings.NewReader(b.String()))
	if err != nil || sum.Format != FormatAttemptLog || sum.Records != 1 || sum.Ignored != 2500 || sum.Malformed != 0 {
		t.Fatalf("%+v, err %v", sum, err)
	}
	if rep := e.Report(); len(rep.Attempts) != 1 {
		t.Errorf("%d attempts", len(rep.Attempts))
	}
	// Text of no known kind still stops the search after 1000 lines.
	_, err = NewEvidence(Options{}).ReadFile("notes.txt", strings.NewReader(strings.Repeat("hello\n", 1500)+b.String()))
	if !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("text: err %v", err)
	}
}
