package diagnose

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// timeoutAccessRecord is a REST access-log record (JSON) of request r's
// integration timeout, received at 2026-11-26T01:00:00Z (1795654800000):
// the integration fields "-", as the gateway logs an answer it gave up on.
func timeoutAccessRecord(r string) string {
	return `{"requestId":"` + r + `","status":"504","integration_requestId":"-","integration_latency":"-","error_message":"Endpoint request timed out",` +
		`"error_responseType":"INTEGRATION_TIMEOUT","responseLatency":"29004","requestTimeEpoch":"1795654800000"}` + "\n"
}

// reportOfFiles reads files (name, content) in order and returns the report.
func reportOfFiles(t *testing.T, files ...[2]string) Report {
	t.Helper()
	e := NewEvidence(Options{})
	for _, f := range files {
		if _, err := e.ReadFile(f[0], strings.NewReader(f[1])); err != nil {
			t.Fatalf("%s: %v", f[0], err)
		}
	}
	return e.Report()
}

// TestBugLambdaJSONAppLineWithStatusKey: in Lambda's JSON log format the
// runtime writes the function's own keys next to timestamp, level, message
// and requestId (Python's logger.info(..., extra={"status": ...})). A line
// with a "status" key was read as an API Gateway access-log record keyed
// by the Lambda request id: a phantom gateway request in the report, and
// its time counted as gateway-log coverage, so an attempt the exported
// gateway logs do not cover was judged not_run ("never reached the
// gateway") although a Lambda invocation started in its window.
func TestBugLambdaJSONAppLineWithStatusKey(t *testing.T) {
	t.Parallel()
	const (
		r1 = "a1b2c3d4-0000-4000-8000-000000000001"
		r2 = "a1b2c3d4-0000-4000-8000-000000000002"
		l2 = "c0000002-0000-4000-8000-000000000002"
	)
	attempt := func(n int, id, start string, dur, status int, reach string) string {
		return fmt.Sprintf(`{"time":"2026-11-26T01:01:00Z","level":"INFO","msg":"attempt","invocation_id":"inv-1","attempt":%d,"max_attempts":2,"method":"PUT",`+
			`"url":"https://abc123.execute-api.eu-west-1.amazonaws.com/prod/orders","start":%q,"duration_ms":%d,"status":%d,"reach":%q,"request_id_sent":%q,"request_id":%q,"retry":true}`,
			n, start, dur, status, reach, id, id) + "\n"
	}
	attempts := attempt(1, r1, "2026-11-26T01:00:00.000Z", 29050, 504, "backend_timeout") +
		attempt(2, r2, "2026-11-26T01:00:40.000Z", 10000, 0, "unknown")
	exec := "2026-11-26T01:00:00.010Z (" + r1 + ") Starting execution for request: " + r1 + "\n" +
		"2026-11-26T01:00:00.012Z (" + r1 + ") Sending request to https://lambda.eu-west-1.amazonaws.com/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders/invocations\n" +
		"2026-11-26T01:00:29.012Z (" + r1 + ") Execution failed due to a timeout error\n" +
		"2026-11-26T01:00:29.013Z (" + r1 + ") Method completed with status: 504\n"
	const base = 1795654800000 // 2026-11-26T01:00:00Z
	appLine := `{"timestamp":"2026-11-26T01:00:55.000Z","level":"INFO","message":"order saved","logger":"root","status":"CREATED","requestId":"` + l2 + `"}`
	events := []struct {
		at  int64
		msg string
	}{
		{base - 5000, "START RequestId: 0e000000-0000-4000-8000-000000000000 Version: $LATEST\n"},
		{base + 40100, "START RequestId: " + l2 + " Version: $LATEST\n"},
		{base + 55000, appLine + "\n"},
		{base + 56000, "END RequestId: " + l2 + "\n"},
		{base + 56000, "REPORT RequestId: " + l2 + "\tDuration: 15900.00 ms\tBilled Duration: 15900 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\t\n"},
	}
	type event struct {
		LogStreamName string `json:"logStreamName"`
		Timestamp     int64  `json:"timestamp"`
		Message       string `json:"message"`
		IngestionTime int64  `json:"ingestionTime"`
		EventID       string `json:"eventId"`
	}
	var doc struct {
		Events             []event  `json:"events"`
		SearchedLogStreams []string `json:"searchedLogStreams"`
	}
	for i, ev := range events {
		doc.Events = append(doc.Events, event{"2026/11/26/[$LATEST]0123456789abcdef0123456789abcdef", ev.at, ev.msg, ev.at + 400, fmt.Sprint(i)})
	}
	doc.SearchedLogStreams = []string{}
	fle, err := json.MarshalIndent(doc, "", "    ")
	if err != nil {
		t.Fatal(err)
	}

	// The line on its own is the function's, not the gateway's.
	if p, err := classifyLine([]byte(appLine)); err != nil || p.kind != kindPlatform || p.platform.Event != platformApp || p.platform.RequestID != l2 {
		t.Errorf("classifyLine(%s) = kind %d, event %d, id %q, err %v; want a Lambda application line of %s", appLine, p.kind, p.platform.Event, p.platform.RequestID, err, l2)
	}

	rep := reportOfFiles(t, [2]string{"attempts.jsonl", attempts}, [2]string{"execution.log", exec}, [2]string{"lambda.json", string(fle)})
	if len(rep.Attempts) != 2 {
		t.Fatalf("attempts = %d, want 2: %+v", len(rep.Attempts), rep.Attempts)
	}
	if v := rep.Attempts[1]; v.Verdict == VerdictNotRun {
		t.Errorf("attempt 2 verdict %s (%s): the gateway logs given end at 01:00:29 and a Lambda invocation (%s) started at 01:00:40.1, in its window; a Lambda log line is not gateway coverage", v.Verdict, v.Reason, l2)
	}

	// Without an attempt log, the line must not become a gateway request.
	rep = reportOfFiles(t, [2]string{"execution.log", exec}, [2]string{"lambda.json", string(fle)})
	for _, v := range rep.Attempts {
		if v.RequestID == l2 {
			t.Errorf("the Lambda request id %s is reported as an API Gateway request: %s", l2, v.Reason)
		}
	}
}

// TestBugNumericLevelJSONIsNotDamaged: pino, the common Node logger,
// writes {"level":30,"time":<epoch ms>,...,"msg":...} straight to stdout,
// so a Lambda log holds such lines as they are. They are valid JSON of no
// known kind, but were listed as malformed "invalid or truncated JSON"
// (the probe wanted "level" and "time" to be strings).
func TestBugNumericLevelJSONIsNotDamaged(t *testing.T) {
	t.Parallel()
	const l = "c0000001-0000-4000-8000-000000000001"
	pino := `{"level":30,"time":1795654800120,"pid":8,"hostname":"169.254.10.1","awsRequestId":"` + l + `","msg":"creating order"}`
	if p, err := classifyLine([]byte(pino)); err != nil {
		t.Errorf("classifyLine(%s): kind %d, err %v; valid JSON is not damaged", pino, p.kind, err)
	}
	log := "2026-11-26T01:00:00.100Z START RequestId: " + l + " Version: $LATEST\n" +
		"2026-11-26T01:00:00.120Z " + pino + "\n" +
		"2026-11-26T01:00:00.300Z END RequestId: " + l + "\n" +
		"2026-11-26T01:00:00.300Z REPORT RequestId: " + l + "\tDuration: 200.00 ms\tBilled Duration: 200 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\t\n"
	rep := reportOfFiles(t, [2]string{"lambda.log", log})
	if rep.MalformedCount != 0 {
		t.Errorf("malformed = %d, want 0: %+v", rep.MalformedCount, rep.Malformed)
	}
}

// TestBugLogsTailFirstLineLongerThanPeek: `aws logs tail` output whose
// first event is longer than the 64 KiB detection peek (a function that
// logged a large payload; Lambda log events go up to 256 KB) was not
// detected as logs-tail: no head line was complete, so the file was read
// as plain lines, and every START, REPORT and "Task timed out" line after
// it was silently ignored ("<timestamp> <stream> START ..." is no known
// line), so the verdict's reason said no Lambda log covered the window.
func TestBugLogsTailFirstLineLongerThanPeek(t *testing.T) {
	t.Parallel()
	const (
		r = "a1b2c3d4-0000-4000-8000-000000000001"
		l = "c0000001-0000-4000-8000-000000000001"
		s = "2026/11/26/[$LATEST]0123456789abcdef0123456789abcdef"
	)
	big := strings.Repeat("x", headBytes+1000)
	tail := strings.Join([]string{
		"2026-11-26T00:59:50.000000+00:00 " + s + " 2026-11-26T00:59:50.000Z\t0e000000-0000-4000-8000-000000000000\tINFO\tpayload " + big,
		"2026-11-26T00:59:50.100000+00:00 " + s + " REPORT RequestId: 0e000000-0000-4000-8000-000000000000\tDuration: 100.00 ms\tBilled Duration: 100 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\t",
		"2026-11-26T01:00:00.100000+00:00 " + s + " START RequestId: " + l + " Version: $LATEST",
		"2026-11-26T01:00:30.105000+00:00 " + s + " 2026-11-26T01:00:30.105Z " + l + " Task timed out after 30.01 seconds",
		"2026-11-26T01:00:30.106000+00:00 " + s + " END RequestId: " + l,
		"2026-11-26T01:00:30.106000+00:00 " + s + " REPORT RequestId: " + l + "\tDuration: 30005.51 ms\tBilled Duration: 30000 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\tStatus: timeout",
		"2026-11-26T01:00:45.000000+00:00 " + s + " START RequestId: c0000002-0000-4000-8000-000000000002 Version: $LATEST",
	}, "\n") + "\n"
	exec := "2026-11-26T01:00:00.010Z (" + r + ") Starting execution for request: " + r + "\n" +
		"2026-11-26T01:00:00.012Z (" + r + ") Sending request to https://lambda.eu-west-1.amazonaws.com/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders/invocations\n" +
		"2026-11-26T01:00:29.012Z (" + r + ") Execution failed due to a timeout error\n" +
		"2026-11-26T01:00:29.013Z (" + r + ") Method completed with status: 504\n"
	access := timeoutAccessRecord(r)
	rep := reportOfFiles(t, [2]string{"access.jsonl", access}, [2]string{"execution.log", exec}, [2]string{"tail.txt", tail})
	f := rep.Files[2]
	if f.Format != FormatLogsTail || f.Ignored != 0 || f.Records != 7 {
		t.Errorf("tail.txt read as %s: %d records, %d ignored, %d malformed; want logs-tail, 7 records", f.Format, f.Records, f.Ignored, f.Malformed)
	}
	if len(rep.Attempts) != 1 || !strings.Contains(rep.Attempts[0].Reason, l) {
		t.Errorf("verdict does not name invocation %s, which started in the window: %+v", l, rep.Attempts)
	}
}

// TestBugFunctionTimeoutQuotedInUnprefixedExecutionLine: when the
// function's own timeout is shorter than the integration timeout, Lambda
// answers 200 with X-Amz-Function-Error and the errorMessage "<time> <id>
// Task timed out after 3.00 seconds" (newer runtimes: "RequestId: <id>
// Error: Task timed out after 3.00 seconds"), which API Gateway quotes in
// "Lambda execution failed with status 200 due to customer function error:
// ... Lambda request id: <id>" (a 502). Without the "(id) " prefix (the
// console's test invoke, older exports) that line was taken for Lambda's
// own "Task timed out" line (or reported malformed, for the newer
// wording), so the customer function error that proves the function ran
// was lost and the verdict was maybe.
func TestBugFunctionTimeoutQuotedInUnprefixedExecutionLine(t *testing.T) {
	t.Parallel()
	const (
		r = "a6000001-0000-4000-8000-000000000001"
		l = "b6000001-0000-4000-8000-000000000001"
	)
	for _, msg := range []string{
		"2021-04-01T21:58:35.512Z " + l + " Task timed out after 3.00 seconds",
		"RequestId: " + l + " Error: Task timed out after 3.00 seconds",
	} {
		log := "Execution log for request " + r + "\n" +
			"Thu Apr 01 21:58:32 UTC 2021 : Starting execution for request: " + r + "\n" +
			"Thu Apr 01 21:58:32 UTC 2021 : HTTP Method: POST, Resource Path: /orders\n" +
			"Thu Apr 01 21:58:32 UTC 2021 : Sending request to https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:orders/invocations\n" +
			"Thu Apr 01 21:58:35 UTC 2021 : Lambda execution failed with status 200 due to customer function error: " + msg + ". Lambda request id: " + l + "\n" +
			"Thu Apr 01 21:58:35 UTC 2021 : Method completed with status: 502\n"
		rep := reportOfFiles(t, [2]string{"test-invoke.txt", log})
		if len(rep.Attempts) != 1 {
			t.Fatalf("attempts = %+v", rep.Attempts)
		}
		if v := rep.Attempts[0]; v.Verdict != VerdictRan || v.LambdaRequestID != l {
			t.Errorf("errorMessage %q: verdict %s, Lambda request id %q (%s); want ran, %s: the customer function error line proves it", msg, v.Verdict, v.LambdaRequestID, v.Reason, l)
		}
		if rep.MalformedCount != 0 {
			t.Errorf("errorMessage %q: malformed %+v", msg, rep.Malformed)
		}
	}
}

// TestBugGetLogEventsIsOneStream: `aws logs get-log-events` reads one
// log stream (its output carries nextForwardToken and nextBackwardToken,
// and its events no logStreamName), and a Lambda log stream is one
// execution environment. Its lines were counted as coverage of the whole
// function, so a 504 whose invocation ran in another environment was
// judged not_run ("safe to retry") because this one stream shows no
// invocation starting in the window. The same holds for a subscription
// payload (one "logStream") and for gateway coverage (API Gateway writes
// a stage's events over many streams).
func TestBugGetLogEventsIsOneStream(t *testing.T) {
	t.Parallel()
	const r = "a1b2c3d4-0000-4000-8000-000000000001"
	access := timeoutAccessRecord(r)
	const base = 1795654800000
	type event struct {
		Timestamp     int64  `json:"timestamp"`
		Message       string `json:"message"`
		IngestionTime int64  `json:"ingestionTime"`
	}
	inv := func(id string, at int64) []event {
		return []event{
			{at, "START RequestId: " + id + " Version: $LATEST\n", at + 300},
			{at + 100, "END RequestId: " + id + "\n", at + 400},
			{at + 100, "REPORT RequestId: " + id + "\tDuration: 100.00 ms\tBilled Duration: 100 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\t\n", at + 400},
		}
	}
	events := append(inv("0e000000-0000-4000-8000-000000000000", base-10000), inv("0f000000-0000-4000-8000-00000000000f", base+50000)...)
	gle, err := json.MarshalIndent(map[string]any{
		"events":            events,
		"nextForwardToken":  "f/37000000000000000000000000000000000000000000000000000001/s",
		"nextBackwardToken": "b/37000000000000000000000000000000000000000000000000000000/s",
	}, "", "    ")
	if err != nil {
		t.Fatal(err)
	}
	rep := reportOfFiles(t, [2]string{"access.jsonl", access}, [2]string{"get-log-events.json", string(gle)})
	if len(rep.Attempts) != 1 {
		t.Fatalf("attempts = %+v", rep.Attempts)
	}
	if v := rep.Attempts[0]; v.Verdict == VerdictNotRun {
		t.Errorf("verdict %s (%s): one log stream cannot show that no other execution environment started an invocation for it", v.Verdict, v.Reason)
	}
	for _, f := range rep.Findings {
		if f.Kind == FindingSafeToRetry504 {
			t.Errorf("finding %s from a single log stream: %+v", f.Kind, f)
		}
	}
}

// TestBugCLITextTimestampAfterMultiLineMessage: Lambda ends every log
// message with a line break ("START RequestId: ... Version: $LATEST\n"), so
// `aws logs filter-log-events --output text` prints each Lambda event over
// two lines, the timestamp after the break: "EVENTS\t<id>\t<ingestion>\t
// <stream>\tSTART RequestId: ...\n\t<timestamp>". The timestamp was lost
// for every such event, so the Lambda log covered no time and an invocation
// that started in a 504's window was not named (the reason said no Lambda
// log covered it).
func TestBugCLITextTimestampAfterMultiLineMessage(t *testing.T) {
	t.Parallel()
	const (
		r = "a1b2c3d4-0000-4000-8000-000000000001"
		l = "c0000001-0000-4000-8000-000000000001"
		s = "2026/11/26/[$LATEST]0123456789abcdef0123456789abcdef"
	)
	access := timeoutAccessRecord(r)
	const base = 1795654800000
	var b strings.Builder
	for i, ev := range []struct {
		at  int64
		msg string
	}{
		{base - 20000, "START RequestId: 0e000000-0000-4000-8000-000000000000 Version: $LATEST\n"},
		{base - 19900, "REPORT RequestId: 0e000000-0000-4000-8000-000000000000\tDuration: 100.00 ms\tBilled Duration: 100 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\t\n"},
		{base + 100, "START RequestId: " + l + " Version: $LATEST\n"},
		{base + 30105, "2026-11-26T01:00:30.105Z " + l + " Task timed out after 30.01 seconds\n\n"},
		{base + 30106, "REPORT RequestId: " + l + "\tDuration: 30005.51 ms\tBilled Duration: 30000 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\tStatus: timeout\n"},
		{base + 45000, "START RequestId: c0000002-0000-4000-8000-000000000002 Version: $LATEST\n"},
	} {
		fmt.Fprintf(&b, "EVENTS\t%056d\t%d\t%s\t%s\t%d\n", i+1, ev.at+400, s, ev.msg, ev.at)
	}
	rep := reportOfFiles(t, [2]string{"access.jsonl", access}, [2]string{"lambda.txt", b.String()})
	if f := rep.Files[1]; f.Format != FormatCLIText {
		t.Fatalf("lambda.txt read as %s", f.Format)
	}
	if len(rep.Attempts) != 1 || !strings.Contains(rep.Attempts[0].Reason, l) {
		t.Errorf("verdict does not name invocation %s, which started 100 ms into the window: %+v", l, rep.Attempts)
	}
}

// TestBugLogsTailColour: `aws logs tail --color on` (colour is also on
// whenever the output is a terminal, as in a captured session) wraps each
// line's timestamp and log stream name in terminal colour sequences
// (awscli's formatter: green timestamp, cyan stream, then a reset). Such a
// file was read as plain lines with every START, END and REPORT ignored.
func TestBugLogsTailColour(t *testing.T) {
	t.Parallel()
	const (
		l = "c0000001-0000-4000-8000-000000000001"
		s = "2026/11/26/[$LATEST]0123456789abcdef0123456789abcdef"
	)
	line := func(ts, msg string) string {
		return "\x1b[32m" + ts + "\x1b[0m \x1b[36m" + s + "\x1b[0m " + msg + "\n"
	}
	tail := line("2026-11-26T01:00:00.100000+00:00", "START RequestId: "+l+" Version: $LATEST") +
		line("2026-11-26T01:00:00.300000+00:00", "END RequestId: "+l) +
		line("2026-11-26T01:00:00.300000+00:00", "REPORT RequestId: "+l+"\tDuration: 200.00 ms\tBilled Duration: 200 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB")
	rep := reportOfFiles(t, [2]string{"tail.txt", tail})
	if f := rep.Files[0]; f.Format != FormatLogsTail || f.Records != 3 {
		t.Errorf("tail.txt read as %s: %d records, %d ignored, %d malformed; want logs-tail, 3 records", f.Format, f.Records, f.Ignored, f.Malformed)
	}
	// sam logs' formatter: cyan stream, yellow timestamp, and a "Task
	// timed out" message in red.
	sam := func(ts, msg string) string {
		return "\x1b[36m" + s + "\x1b[0m \x1b[33m" + ts + "\x1b[0m " + msg + "\n"
	}
	samLog := sam("2026-11-26T01:00:00.100000", "START RequestId: "+l+" Version: $LATEST") +
		sam("2026-11-26T01:00:03.105000", "\x1b[31m2026-11-26T01:00:03.105Z "+l+" Task timed out after 3.00 seconds\x1b[0m") +
		sam("2026-11-26T01:00:03.106000", "END RequestId: "+l)
	rep = reportOfFiles(t, [2]string{"sam.txt", samLog})
	if f := rep.Files[0]; f.Format != FormatSAMLogs || f.Records != 3 {
		t.Errorf("sam.txt read as %s: %d records, %d ignored, %d malformed; want sam-logs, 3 records", f.Format, f.Records, f.Ignored, f.Malformed)
	}
}

// TestBugLatencyLoggedButReasonSaysNotKnownIfCalled: a JSON format with
// $context.integrationLatency but no Lambda status (common: integration
// latency and status, no integration.integrationStatus) logged a 200 with
// "integrationLatency":"120". The row printed "integration latency 120 ms"
// and then "its access log does not say whether it called Lambda", with
// advice to add the integration latency it already has.
func TestBugLatencyLoggedButReasonSaysNotKnownIfCalled(t *testing.T) {
	t.Parallel()
	access := `{"requestId":"a1b2c3d4-0000-4000-8000-000000000009","requestTime":"26/Nov/2026:01:00:01 +0000","status":"200","integrationLatency":"120","responseLatency":"131"}` + "\n"
	rep := reportOfFiles(t, [2]string{"access.jsonl", access})
	if len(rep.Attempts) != 1 {
		t.Fatalf("attempts = %+v", rep.Attempts)
	}
	v := rep.Attempts[0]
	if v.IntegrationLatencyMS == nil || *v.IntegrationLatencyMS != 120 {
		t.Fatalf("integration latency not read: %+v", v)
	}
	if strings.Contains(v.Reason, "whether it called Lambda") || strings.Contains(v.Reason, `add "error_responseType": "$context.error.responseType" and "integration_latency"`) {
		t.Errorf("reason contradicts the logged integration latency: %s", v.Reason)
	}
}

// TestBugInsightsTSVMessageWithTabs: Lambda's REPORT lines and the
// runtimes' application lines ("<time>\t<id>\tINFO\t<text>") hold tabs, so
// in Logs Insights results copied as tab-separated text their @message
// spans several cells. Only the first cell was kept: the REPORT line lost
// its Duration (and "Status: timeout"), the application line was ignored.
func TestBugInsightsTSVMessageWithTabs(t *testing.T) {
	t.Parallel()
	const (
		r = "a1b2c3d4-0000-4000-8000-000000000001"
		l = "c0000001-0000-4000-8000-000000000001"
		s = "2026/11/26/[$LATEST]0123456789abcdef0123456789abcdef"
	)
	exec := "2026-11-26T01:00:00.010Z (" + r + ") Starting execution for request: " + r + "\n" +
		"2026-11-26T01:00:00.012Z (" + r + ") Sending request to https://lambda.eu-west-1.amazonaws.com/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders/invocations\n" +
		"2026-11-26T01:00:01.200Z (" + r + ") Received response. Status: 200, Integration latency: 1188 ms\n" +
		"2026-11-26T01:00:01.200Z (" + r + ") Endpoint response headers: {Date=Thu, 26 Nov 2026 01:00:01 GMT, Content-Type=application/json, x-amzn-RequestId=" + l + ", X-Amz-Executed-Version=$LATEST}\n" +
		"2026-11-26T01:00:01.201Z (" + r + ") Method completed with status: 200\n"
	tsv := "@timestamp\t@message\t@logStream\n" +
		"2026-11-26 01:00:00.020\tSTART RequestId: " + l + " Version: $LATEST\t" + s + "\n" +
		"2026-11-26 01:00:00.030\t2026-11-26T01:00:00.030Z\t" + l + "\tINFO\tcreating order\t" + s + "\n" +
		"2026-11-26 01:00:01.190\tEND RequestId: " + l + "\t" + s + "\n" +
		"2026-11-26 01:00:01.190\tREPORT RequestId: " + l + "\tDuration: 1170.25 ms\tBilled Duration: 1171 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\t\t" + s + "\n"
	rep := reportOfFiles(t, [2]string{"execution.log", exec}, [2]string{"insights.tsv", tsv})
	if f := rep.Files[1]; f.Format != FormatInsightsTSV || f.Records != 4 || f.Ignored != 0 {
		t.Errorf("insights.tsv read as %s: %d records, %d ignored; want insights-tsv, 4 records", f.Format, f.Records, f.Ignored)
	}
	if len(rep.Attempts) != 1 {
		t.Fatalf("attempts = %+v", rep.Attempts)
	}
	if d := rep.Attempts[0].FunctionDurationMS; d == nil || *d != 1170.25 {
		t.Errorf("function duration = %v, want the REPORT line's 1170.25 ms", d)
	}
}

// TestBugUntiedInvocationNamedWithoutFullCoverage: a Lambda log exported
// from just after the request arrived (here Lambda's JSON log format, whose
// platform.initStart is not an invocation line) holds the platform.start
// of an invocation 100 ms into a 504's window, with "status": "timeout" at
// the end. The reason said only that no Lambda log covered the window and
// did not name that invocation, the one most likely to be this request's.
func TestBugUntiedInvocationNamedWithoutFullCoverage(t *testing.T) {
	t.Parallel()
	const (
		r = "a1b2c3d4-0000-4000-8000-000000000001"
		l = "c0000001-0000-4000-8000-000000000001"
	)
	access := timeoutAccessRecord(r)
	lambda := `{"time":"2026-11-26T01:00:00.050Z","type":"platform.initStart","record":{"initializationType":"on-demand","phase":"init","runtimeVersion":"python:3.12.v40","functionName":"orders","functionVersion":"$LATEST"}}` + "\n" +
		`{"time":"2026-11-26T01:00:00.100Z","type":"platform.start","record":{"requestId":"` + l + `","version":"$LATEST"}}` + "\n" +
		`{"time":"2026-11-26T01:00:30.100Z","type":"platform.runtimeDone","record":{"requestId":"` + l + `","status":"timeout","metrics":{"durationMs":30000.0,"producedBytes":0}}}` + "\n" +
		`{"time":"2026-11-26T01:00:30.101Z","type":"platform.report","record":{"requestId":"` + l + `","metrics":{"durationMs":30000.94,"billedDurationMs":30000,"memorySizeMB":128,"maxMemoryUsedMB":71,"initDurationMs":40.12},"status":"timeout","errorType":"Sandbox.Timedout"}}` + "\n"
	rep := reportOfFiles(t, [2]string{"access.jsonl", access}, [2]string{"lambda.log", lambda})
	if len(rep.Attempts) != 1 {
		t.Fatalf("attempts = %+v", rep.Attempts)
	}
	if v := rep.Attempts[0]; v.Verdict != VerdictMaybe || !strings.Contains(v.Reason, l) {
		t.Errorf("verdict %s (%s); want maybe, naming invocation %s", v.Verdict, v.Reason, l)
	}
}

// TestBugHTTPAPITimeout503NotAnsweredItself: an HTTP API answers its
// integration timeout with 503 Service Unavailable, not 504
// (docs/aws-behaviour.md#http-apis). A JSON access record of one whose
// integration fields are "-" (as REST logs them after a timeout) and whose
// responseLatency is the full 30 s was judged not_run, "API Gateway
// answered 503 itself without calling the integration", while the Lambda
// log shows an invocation starting 100 ms into it and timing out. An
// answer that took the integration timeout was not the gateway answering
// on its own.
func TestBugHTTPAPITimeout503NotAnsweredItself(t *testing.T) {
	t.Parallel()
	const l = "c0000001-0000-4000-8000-000000000001"
	access := `{"requestId":"U9euFi_ySQ0EPsw=","ip":"203.0.113.7","requestTime":"26/Nov/2026:01:00:00 +0000","httpMethod":"POST","routeKey":"POST /orders",` +
		`"status":"503","protocol":"HTTP/1.1","responseLength":"33","integrationLatency":"-","integrationErrorMessage":"-","responseLatency":"30002"}` + "\n"
	lambda := "2026-11-26T00:59:50.000Z START RequestId: 0e000000-0000-4000-8000-000000000000 Version: $LATEST\n" +
		"2026-11-26T00:59:50.100Z REPORT RequestId: 0e000000-0000-4000-8000-000000000000\tDuration: 100.00 ms\tBilled Duration: 100 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\t\n" +
		"2026-11-26T01:00:00.100Z START RequestId: " + l + " Version: $LATEST\n" +
		"2026-11-26T01:00:30.105Z " + l + " Task timed out after 30.01 seconds\n" +
		"2026-11-26T01:00:30.106Z REPORT RequestId: " + l + "\tDuration: 30005.51 ms\tBilled Duration: 30000 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\tStatus: timeout\n" +
		"2026-11-26T01:00:45.000Z START RequestId: c0000002-0000-4000-8000-000000000002 Version: $LATEST\n"
	rep := reportOfFiles(t, [2]string{"access.jsonl", access}, [2]string{"lambda.log", lambda})
	if len(rep.Attempts) != 1 {
		t.Fatalf("attempts = %+v", rep.Attempts)
	}
	if v := rep.Attempts[0]; v.Verdict == VerdictNotRun {
		t.Errorf("verdict %s (%s): a 503 after 30 s is an HTTP API's integration timeout, not an answer without a call", v.Verdict, v.Reason)
	}
}

// TestBugPythonJSONInitLineIsNotDamaged: in Lambda's JSON log format the
// Python runtime's formatter (awslambdaric JsonFormatter) writes
// "requestId": "" for what the function logs outside an invocation, such
// as module-level logging during init. Such lines were listed as malformed
// ("Lambda platform line without a RequestId").
func TestBugPythonJSONInitLineIsNotDamaged(t *testing.T) {
	t.Parallel()
	const l = "c0000001-0000-4000-8000-000000000001"
	log := `{"time":"2026-11-26T01:00:00.050Z","type":"platform.initStart","record":{"initializationType":"on-demand","phase":"init","runtimeVersion":"python:3.12.v40","functionName":"orders","functionVersion":"$LATEST"}}` + "\n" +
		`{"timestamp":"2026-11-26T01:00:00.060Z","level":"INFO","message":"loading configuration","logger":"root","requestId":""}` + "\n" +
		`{"time":"2026-11-26T01:00:00.100Z","type":"platform.start","record":{"requestId":"` + l + `","version":"$LATEST"}}` + "\n" +
		`{"timestamp":"2026-11-26T01:00:00.110Z","level":"INFO","message":"creating order","logger":"root","requestId":"` + l + `"}` + "\n" +
		`{"time":"2026-11-26T01:00:00.300Z","type":"platform.report","record":{"requestId":"` + l + `","metrics":{"durationMs":200.0,"billedDurationMs":200,"memorySizeMB":128,"maxMemoryUsedMB":71},"status":"success"}}` + "\n"
	rep := reportOfFiles(t, [2]string{"lambda.log", log})
	if rep.MalformedCount != 0 {
		t.Errorf("malformed = %d, want 0: %+v", rep.MalformedCount, rep.Malformed)
	}
}

// A zip archive was reported as an unknown format with its first bytes
// ("PK\x03\x04...") as the first line; it now says what it is and what to
// do.
func TestBugZipArchiveNamed(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("execution.log")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("(aaaaaaaa-1111-4222-8333-444444444444) Method completed with status: 504\n"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = NewEvidence(Options{}).ReadFile("logs.zip", &buf)
	if !errors.Is(err, ErrUnknownFormat) || !strings.Contains(err.Error(), "zip archive: unzip it") {
		t.Errorf("err %v, want ErrUnknownFormat naming a zip archive", err)
	}
}

// TestBugAccessLogUnquotedValues: an access-log format written as
// "status": $context.status, without quotes around the variable (AWS's
// examples quote every value), gives bare numbers, and "-" bare where the
// value is missing: `"integrationLatency":-` is not JSON. Every record of
// such a format was listed as malformed ("invalid or truncated JSON") and
// the file read as damaged, so no request got a verdict from it.
func TestBugAccessLogUnquotedValues(t *testing.T) {
	t.Parallel()
	const (
		r1 = "a1b2c3d4-0000-4000-8000-0000000000a1"
		r2 = "a1b2c3d4-0000-4000-8000-0000000000a2"
		r3 = "a1b2c3d4-0000-4000-8000-0000000000a3"
		l3 = "c0000003-0000-4000-8000-000000000003"
	)
	access := `{"requestId":"` + r1 + `","status":504,"responseLatency":29012,"integrationLatency":-,"integration_requestId":-,"integration_integrationStatus":-,` +
		`"error_responseType":"INTEGRATION_TIMEOUT","requestTimeEpoch":1795654800000,"xrayTraceId":-}` + "\n" +
		`{"requestId":"` + r2 + `", "status": 429, "responseLatency": 2, "integrationLatency": - , "integration_requestId": -, "error_responseType": "THROTTLED", "requestTimeEpoch": 1795654840000}` + "\n" +
		`{"requestId":"` + r3 + `","status":200,"responseLatency":131,"integrationLatency":120,"integration_requestId":"` + l3 + `","integration_integrationStatus":200,"error_message":"-","requestTimeEpoch":1795654850000}` + "\n"
	rep := reportOfFiles(t, [2]string{"access.jsonl", access})
	if f := rep.Files[0]; f.Format != FormatAccessLog || f.Records != 3 || f.Malformed != 0 {
		t.Errorf("access.jsonl read as %s: %d records, %d malformed (%+v); want access-log, 3 records", f.Format, f.Records, f.Malformed, rep.Malformed)
	}
	want := map[string]Verdict{r1: VerdictMaybe, r2: VerdictNotRun, r3: VerdictRan}
	if len(rep.Attempts) != len(want) {
		t.Fatalf("attempts = %+v, want one per record", rep.Attempts)
	}
	checkVerdicts(t, "", rep.Attempts, want)
	if v := rep.Attempts[0]; v.Status != 504 || !v.GatewayTimedOut || v.IntegrationLatencyMS != nil {
		t.Errorf("%s: status %d, timed out %v, integration latency %v; want 504, timed out, no latency (\"-\")", r1, v.Status, v.GatewayTimedOut, v.IntegrationLatencyMS)
	}
}

// TestBugAccessLogUnquotedStrings: a format that leaves string variables
// unquoted ("ip":$context.identity.sourceIp, "requestId":$context.requestId)
// logs their text bare: an IP address, a UUID, a request time with spaces
// and colons, a response type, an error message, a user agent with a
// comma in it. None of it is JSON, so each such record was listed as
// malformed and its request left out of the diagnosis. They are read now;
// a truncated record stays malformed.
func TestBugAccessLogUnquotedStrings(t *testing.T) {
	t.Parallel()
	const (
		r1 = "a1b2c3d4-0000-4000-8000-0000000000c1"
		r2 = "a1b2c3d4-0000-4000-8000-0000000000c2"
		r3 = "a1b2c3d4-0000-4000-8000-0000000000c3"
		l3 = "c0000003-0000-4000-8000-0000000000c3"
		ua = `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36`
	)
	access := `{"requestId":` + r1 + `,"ip":203.0.113.7,"requestTime":04/Dec/2026:10:00:00 +0000,"status":504,"userAgent":` + ua + `,"responseLatency":29012,` +
		`"integration_requestId":-,"integration_latency":-,"error_message":Endpoint request timed out,"error_responseType":INTEGRATION_TIMEOUT}` + "\n" +
		`{"requestId":` + r2 + `,"ip":203.0.113.7,"requestTime":04/Dec/2026:10:00:40 +0000,"status":429,"userAgent":curl/8.5.0,"responseLatency":2,` +
		`"integration_requestId":-,"integration_latency":-,"error_message":Too Many Requests,"error_responseType":THROTTLED}` + "\n" +
		`{"requestId":` + r3 + `,"ip":203.0.113.7,"requestTime":04/Dec/2026:10:00:50 +0000,"status":200,"userAgent":curl/8.5.0,"responseLatency":131,` +
		`"integration_requestId":` + l3 + `,"integration_latency":120,"integration_integrationStatus":200,"error_message":-,"error_responseType":-}` + "\n" +
		`{"requestId":a1b2c3d4-0000-4000-8000-0000000000c4,"ip":203.0.113.7,"requestTime":04/Dec/2026:10:01:00 +0000,"status":5` + "\n"
	rep := reportOfFiles(t, [2]string{"access.jsonl", access})
	if f := rep.Files[0]; f.Format != FormatAccessLog || f.Records != 3 || f.Malformed != 1 {
		t.Errorf("access.jsonl read as %s: %d records, %d malformed (%+v); want access-log, 3 records, the truncated one malformed", f.Format, f.Records, f.Malformed, rep.Malformed)
	}
	want := map[string]Verdict{r1: VerdictMaybe, r2: VerdictNotRun, r3: VerdictRan}
	if len(rep.Attempts) != len(want) {
		t.Fatalf("attempts = %+v, want one per whole record", rep.Attempts)
	}
	checkVerdicts(t, "", rep.Attempts, want)
	start := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	if v := rep.Attempts[0]; v.RequestID != r1 || v.Status != 504 || !v.GatewayTimedOut || !v.Start.Equal(start) {
		t.Errorf("first attempt %s: status %d, timed out %v, start %v; want %s, 504, timed out (INTEGRATION_TIMEOUT), %v", v.RequestID, v.Status, v.GatewayTimedOut, v.Start, r1, start)
	}
	if v := rep.Attempts[2]; v.LambdaRequestID != l3 {
		t.Errorf("%s: Lambda request id %q, want %s", v.RequestID, v.LambdaRequestID, l3)
	}
}

// TestBugLambdaLinesOfJavaAndDotNet: the function's own lines carry its
// Lambda request id in each runtime's own way, and Java's and .NET's were
// not read: Java's JSON log format ("AWSRequestId", also what the
// aws-lambda-java-log4j2 JSON layout writes), the aws-lambda-java-log4j2
// text pattern ("<time> <id> INFO  <logger> - ..."), and .NET's text
// format ("<time>\t<id>\tinfo\t...", lower-case levels). A Lambda log of
// such lines alone (a query of the function's own messages; with the JSON
// log format and system log level WARN Lambda writes no platform.start or
// platform.report) was refused as an unknown format, and the invocation
// that started in a 504's window went unnoticed. .NET's JSON format
// ("requestId", "Information") was read already and stays so.
func TestBugLambdaLinesOfJavaAndDotNet(t *testing.T) {
	t.Parallel()
	const (
		r0 = "a1b2c3d4-0000-4000-8000-0000000000b0"
		r1 = "a1b2c3d4-0000-4000-8000-0000000000b1"
		r2 = "a1b2c3d4-0000-4000-8000-0000000000b2"
		l0 = "c0000000-0000-4000-8000-0000000000b0"
		l1 = "c0000001-0000-4000-8000-0000000000b1"
		l2 = "c0000002-0000-4000-8000-0000000000b2"
	)
	// r0 and r2 were answered by invocations l0 and l2; r1 timed out, and
	// l1, which no gateway log names, started 1 s into its window.
	access := `{"requestId":"` + r0 + `","status":"200","integration_requestId":"` + l0 + `","integration_integrationStatus":"200","integration_latency":"80","requestTimeEpoch":"1795654800000","responseLatency":"90"}` + "\n" +
		`{"requestId":"` + r1 + `","status":"504","integration_requestId":"-","integration_latency":"-","error_message":"Endpoint request timed out","error_responseType":"INTEGRATION_TIMEOUT","requestTimeEpoch":"1795654805000","responseLatency":"29004"}` + "\n" +
		`{"requestId":"` + r2 + `","status":"200","integration_requestId":"` + l2 + `","integration_integrationStatus":"200","integration_latency":"80","requestTimeEpoch":"1795654850000","responseLatency":"90"}` + "\n"
	lines := []struct {
		at  string // 2026-11-26T01:00:<at>Z
		id  string
		msg string
	}{
		{"00", l0, "order 16 saved"}, {"06", l1, "creating order 17"}, {"40", l1, "order 17 saved"}, {"50", l2, "order 18 saved"}, {"51", l2, "done"},
	}
	runtimes := []struct {
		name string
		line func(at, id, msg string) string
	}{
		{"Java LambdaLogger, JSON log format", func(at, id, msg string) string {
			return `{"timestamp":"2026-11-26T01:00:` + at + `.000Z","message":"` + msg + `","level":"INFO","AWSRequestId":"` + id + `"}`
		}},
		{"aws-lambda-java-log4j2 JSON layout", func(at, id, msg string) string {
			return `{"timestamp":"2026-11-26T01:00:` + at + `.000Z","level":"INFO","message":"` + msg + `","logger":"example.Handler","AWSRequestId":"` + id + `"}`
		}},
		{"aws-lambda-java-log4j2 text pattern", func(at, id, msg string) string {
			return "2026-11-26 01:00:" + at + " " + id + " INFO  Handler:42 - " + msg
		}},
		{".NET text format", func(at, id, msg string) string {
			return "2026-11-26T01:00:" + at + ".000Z\t" + id + "\tinfo\t" + msg
		}},
		{".NET JSON log format", func(at, id, msg string) string {
			return `{"timestamp":"2026-11-26T01:00:` + at + `.000Z","level":"Information","requestId":"` + id + `","traceId":"1-69265000-000000000000000000000001","message":"` + msg + `"}`
		}},
	}
	for _, rt := range runtimes {
		t.Run(rt.name, func(t *testing.T) {
			t.Parallel()
			var lambda strings.Builder
			for _, l := range lines {
				lambda.WriteString(rt.line(l.at, l.id, l.msg) + "\n")
			}
			first := rt.line(lines[0].at, lines[0].id, lines[0].msg)
			if p, err := classifyLine([]byte(first)); err != nil || p.kind != kindPlatform || p.platform.Event != platformApp || p.platform.RequestID != l0 {
				t.Errorf("classifyLine(%s) = kind %d, event %d, id %q, err %v; want a function line of %s", first, p.kind, p.platform.Event, p.platform.RequestID, err, l0)
			}
			e := NewEvidence(Options{})
			for _, f := range [][2]string{{"access.jsonl", access}, {"lambda.log", lambda.String()}} {
				sum, err := e.ReadFile(f[0], strings.NewReader(f[1]))
				if err != nil {
					t.Fatalf("%s: %v", f[0], err)
				}
				if f[0] == "lambda.log" && (sum.Format != FormatLambdaLog || sum.Records != len(lines)) {
					t.Errorf("lambda.log read as %s with %d records, want lambda-log with %d", sum.Format, sum.Records, len(lines))
				}
			}
			rep := e.Report()
			checkVerdicts(t, "", rep.Attempts, map[string]Verdict{r0: VerdictRan, r1: VerdictMaybe, r2: VerdictRan})
			for _, v := range rep.Attempts {
				if v.RequestID == r1 && !strings.Contains(v.Reason, l1) {
					t.Errorf("%s: reason does not name invocation %s, which started in its window: %s", r1, l1, v.Reason)
				}
			}
		})
	}
}

// TestBugLambdaJSONInitRecords: with Lambda's JSON log format the init
// phase is logged as platform.initStart, platform.initRuntimeDone and
// platform.initReport records, where the text format writes INIT_START
// and INIT_REPORT lines. The records were ignored as JSON of no known
// kind: the same log told in JSON covered less time than told in text (a
// 504 that the text log showed never started an invocation was "maybe"),
// and an init that timed out (INIT_REPORT ... Status: timeout, or a
// platform.initReport with "status": "timeout"), which makes a cold start
// wait 10 s more, was not mentioned in either format.
func TestBugLambdaJSONInitRecords(t *testing.T) {
	t.Parallel()
	const (
		r0 = "a1b2c3d4-0000-4000-8000-0000000000c0"
		r1 = "a1b2c3d4-0000-4000-8000-0000000000c1"
		r3 = "a1b2c3d4-0000-4000-8000-0000000000c3"
		l0 = "c0000000-0000-4000-8000-0000000000c0"
		l3 = "c0000003-0000-4000-8000-0000000000c3"
	)
	// r0 is answered by l0 after a cold start; r1 times out with no
	// invocation starting in its window; r3 times out while a new
	// environment's init times out and l3 then starts.
	access := `{"requestId":"` + r0 + `","status":"200","integration_requestId":"` + l0 + `","integration_integrationStatus":"200","integration_latency":"790","requestTimeEpoch":"1795654800200","responseLatency":"800"}` + "\n" +
		`{"requestId":"` + r1 + `","status":"504","integration_requestId":"-","integration_latency":"-","error_message":"Endpoint request timed out","error_responseType":"INTEGRATION_TIMEOUT","requestTimeEpoch":"1795654801500","responseLatency":"29004"}` + "\n" +
		`{"requestId":"` + r3 + `","status":"504","integration_requestId":"-","integration_latency":"-","error_message":"Endpoint request timed out","error_responseType":"INTEGRATION_TIMEOUT","requestTimeEpoch":"1795654920000","responseLatency":"29004"}` + "\n"
	text := "2026-11-26T01:00:00.300Z INIT_START Runtime Version: python:3.12.v40\tRuntime Version ARN: arn:aws:lambda:eu-west-1::runtime:abc\n" +
		"2026-11-26T01:00:00.800Z START RequestId: " + l0 + " Version: $LATEST\n" +
		"2026-11-26T01:00:00.990Z END RequestId: " + l0 + "\n" +
		"2026-11-26T01:00:00.990Z REPORT RequestId: " + l0 + "\tDuration: 190.00 ms\tBilled Duration: 690 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\tInit Duration: 500.00 ms\t\n" +
		"2026-11-26T01:02:00.100Z INIT_START Runtime Version: python:3.12.v40\tRuntime Version ARN: arn:aws:lambda:eu-west-1::runtime:abc\n" +
		"2026-11-26T01:02:10.100Z INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout\n" +
		"2026-11-26T01:02:10.200Z START RequestId: " + l3 + " Version: $LATEST\n" +
		"2026-11-26T01:02:40.200Z END RequestId: " + l3 + "\n" +
		"2026-11-26T01:02:40.200Z REPORT RequestId: " + l3 + "\tDuration: 30000.00 ms\tBilled Duration: 30000 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\tStatus: timeout\n"
	initStart := func(at string) string {
		return `{"time":"` + at + `","type":"platform.initStart","record":{"initializationType":"on-demand","phase":"init","runtimeVersion":"python:3.12.v40","runtimeVersionArn":"arn:aws:lambda:eu-west-1::runtime:abc","functionName":"orders","functionVersion":"$LATEST"}}` + "\n"
	}
	json := initStart("2026-11-26T01:00:00.300Z") +
		`{"time":"2026-11-26T01:00:00.800Z","type":"platform.initRuntimeDone","record":{"initializationType":"on-demand","phase":"init","status":"success"}}` + "\n" +
		`{"time":"2026-11-26T01:00:00.800Z","type":"platform.initReport","record":{"initializationType":"on-demand","phase":"init","status":"success","metrics":{"durationMs":500.0}}}` + "\n" +
		`{"time":"2026-11-26T01:00:00.800Z","type":"platform.start","record":{"requestId":"` + l0 + `","version":"$LATEST"}}` + "\n" +
		`{"time":"2026-11-26T01:00:00.990Z","type":"platform.runtimeDone","record":{"requestId":"` + l0 + `","status":"success","metrics":{"durationMs":190.0,"producedBytes":52}}}` + "\n" +
		`{"time":"2026-11-26T01:00:00.990Z","type":"platform.report","record":{"requestId":"` + l0 + `","metrics":{"durationMs":190.0,"billedDurationMs":690,"memorySizeMB":128,"maxMemoryUsedMB":70,"initDurationMs":500.0},"status":"success"}}` + "\n" +
		initStart("2026-11-26T01:02:00.100Z") +
		`{"time":"2026-11-26T01:02:10.100Z","type":"platform.initReport","record":{"initializationType":"on-demand","phase":"init","status":"timeout","metrics":{"durationMs":10000.0}}}` + "\n" +
		`{"time":"2026-11-26T01:02:10.200Z","type":"platform.start","record":{"requestId":"` + l3 + `","version":"$LATEST"}}` + "\n" +
		`{"time":"2026-11-26T01:02:40.200Z","type":"platform.runtimeDone","record":{"requestId":"` + l3 + `","status":"timeout","metrics":{"durationMs":30000.0,"producedBytes":0}}}` + "\n" +
		`{"time":"2026-11-26T01:02:40.200Z","type":"platform.report","record":{"requestId":"` + l3 + `","metrics":{"durationMs":30000.0,"billedDurationMs":30000,"memorySizeMB":128,"maxMemoryUsedMB":70},"status":"timeout","errorType":"Sandbox.Timedout"}}` + "\n"
	want := map[string]Verdict{r0: VerdictRan, r1: VerdictNotRun, r3: VerdictMaybe}
	for _, format := range []struct{ name, log string }{{"text", text}, {"JSON", json}} {
		rep := reportOfFiles(t, [2]string{"access.jsonl", access}, [2]string{"lambda.log", format.log})
		if f := rep.Files[1]; f.Format != FormatLambdaLog || f.Ignored != 0 || f.Malformed != 0 {
			t.Errorf("%s: lambda.log read as %s, %d records, %d ignored, %d malformed; want lambda-log, every line read", format.name, f.Format, f.Records, f.Ignored, f.Malformed)
		}
		checkVerdicts(t, format.name+": ", rep.Attempts, want)
		var slow *Finding
		for i, f := range rep.Findings {
			if f.Kind == FindingLatencyNearTimeout {
				slow = &rep.Findings[i]
			}
		}
		if slow == nil || !strings.Contains(slow.Summary, "init") || !strings.Contains(slow.Summary, "2026-11-26T01:02:10.100Z") {
			t.Errorf("%s: findings %+v; want the slow-function finding to name the init that timed out at 01:02:10.100", format.name, rep.Findings)
		}
	}
}

// TestBugAccessLogStatusFirst: an access-log format that puts "status"
// first ({"status":504,"requestId":...}) was taken for a JSON export
// document (a Logs Insights result starts {"status":"Complete", ...}) and
// the file refused as of an unknown format. A Logs Insights result is
// still read as one.
func TestBugAccessLogStatusFirst(t *testing.T) {
	t.Parallel()
	const r1, r2 = "a1b2c3d4-0000-4000-8000-0000000000b1", "a1b2c3d4-0000-4000-8000-0000000000b2"
	access := `{"status":504,"requestId":"` + r1 + `","responseLatency":29012,"integrationLatency":"-","error_responseType":"INTEGRATION_TIMEOUT","requestTimeEpoch":1795654800000}` + "\n" +
		`{"status":"200","requestId":"` + r2 + `","responseLatency":"131","integrationLatency":"120","requestTimeEpoch":"1795654850000"}` + "\n"
	rep := reportOfFiles(t, [2]string{"access.jsonl", access})
	if f := rep.Files[0]; f.Format != FormatAccessLog || f.Records != 2 {
		t.Errorf("access.jsonl read as %q with %d records, want %q with 2", f.Format, f.Records, FormatAccessLog)
	}
	insights := `{"status":"Complete","results":[[{"field":"@timestamp","value":"2026-11-26 01:00:29.012"},` +
		`{"field":"@message","value":"(` + r1 + `) Method completed with status: 504"}]],"statistics":{"recordsMatched":1.0}}` + "\n"
	rep = reportOfFiles(t, [2]string{"insights.json", insights})
	if f := rep.Files[0]; f.Format == FormatAccessLog || f.Records == 0 {
		t.Errorf("a Logs Insights result read as %q with %d records", f.Format, f.Records)
	}
}

// TestBugUnknownAnswerSaysWhatCame: an attempt of reach unknown that API
// Gateway's logs cannot be searched for (an HTTP API makes its own ids)
// was explained as "no response came" even when the transport saw an
// answer: an HTTP API's 429, which does not show who made it.
func TestBugUnknownAnswerSaysWhatCame(t *testing.T) {
	t.Parallel()
	const sent = "a1b2c3d4-0000-4000-8000-0000000000c1"
	attempts := `{"time":"2026-11-26T01:01:00Z","level":"INFO","msg":"attempt","invocation_id":"inv-1","attempt":1,"max_attempts":1,"method":"POST",` +
		`"url":"https://abc123.execute-api.eu-west-1.amazonaws.com/orders","start":"2026-11-26T01:00:10.000Z","duration_ms":15,"status":429,` +
		`"reach":"unknown","request_id_sent":"` + sent + `","retry":false}` + "\n"
	// An HTTP API's access log: its own ids, covering the attempt.
	access := `{"requestId":"Ab1cDeFgIAMEb2Q=","status":"200","responseLatency":"40","integrationLatency":"35","requestTimeEpoch":"1795654805000"}` + "\n" +
		`{"requestId":"Ab1cDeFgIAMEb3Q=","status":"200","responseLatency":"41","integrationLatency":"36","requestTimeEpoch":"1795654815000"}` + "\n"
	rep := reportOfFiles(t, [2]string{"attempts.jsonl", attempts}, [2]string{"access.jsonl", access})
	if len(rep.Attempts) != 1 {
		t.Fatalf("attempts = %+v", rep.Attempts)
	}
	v := rep.Attempts[0]
	if v.Verdict != VerdictMaybe || strings.Contains(v.Reason, "no response came") || !strings.Contains(v.Reason, "429") {
		t.Errorf("verdict %s: %s; want maybe, naming the 429 the transport saw", v.Verdict, v.Reason)
	}
}

// TestBugFunctionLinesAloneCoverNoWindow: with Lambda's JSON log format
// and a system log level of WARN, Lambda writes no platform.start or
// platform.report (docs/aws-behaviour.md#runtimes-own-lines), and an
// export filtered on the function's own messages has none either: the
// function's lines are all there is. Such lines before and after a 504's
// window counted as a Lambda log covering it, so an invocation that logged
// nothing at that level was taken as none, and the 504 judged not_run,
// "safe to retry", although the function may have run. The function's own
// lines show the invocations that logged something, not that none other
// started.
func TestBugFunctionLinesAloneCoverNoWindow(t *testing.T) {
	t.Parallel()
	const r = "a1b2c3d4-0000-4000-8000-000000000001"
	exec := "2026-11-26T01:00:00.010Z (" + r + ") Starting execution for request: " + r + "\n" +
		"2026-11-26T01:00:00.012Z (" + r + ") Sending request to https://lambda.eu-west-1.amazonaws.com/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders/invocations\n" +
		"2026-11-26T01:00:29.012Z (" + r + ") Execution failed due to a timeout error\n" +
		"2026-11-26T01:00:29.013Z (" + r + ") Method completed with status: 504\n"
	for name, lambda := range map[string]string{
		"json-warn": `{"timestamp":"2026-11-26T00:59:50.000Z","level":"WARN","requestId":"c0000009-0000-4000-8000-000000000009","message":"slow downstream"}` + "\n" +
			`{"timestamp":"2026-11-26T01:01:00.000Z","level":"ERROR","requestId":"c0000002-0000-4000-8000-000000000002","message":"order rejected"}` + "\n",
		"node-text-filtered": "2026-11-26T00:59:50.000Z\tc0000009-0000-4000-8000-000000000009\tWARN\tslow downstream\n" +
			"2026-11-26T01:01:00.000Z\tc0000002-0000-4000-8000-000000000002\tERROR\torder rejected\n",
	} {
		rep := reportOfFiles(t, [2]string{"access.jsonl", timeoutAccessRecord(r)}, [2]string{"execution.log", exec}, [2]string{"lambda.log", lambda})
		if len(rep.Attempts) != 1 {
			t.Fatalf("%s: attempts = %+v", name, rep.Attempts)
		}
		if v := rep.Attempts[0]; v.Verdict != VerdictMaybe {
			t.Errorf("%s: verdict %s (%s); want maybe: the function's own lines do not show that no invocation started", name, v.Verdict, v.Reason)
		}
	}
}

// TestBugFunctionPrintedObjectIsNotDamaged: a function's print(event)
// (Python writes a dict with single quotes) or console.log(event) (Node's
// util.inspect: "{ headers: { ... } }") goes to the Lambda log as it is.
// Such a line starts with "{" but is no JSON object, and was listed as a
// malformed line ("invalid or truncated JSON"), as if the log were
// damaged, its text quoted in the report. In a Lambda log it is the
// function's own output, ignored like any other; in an access log it is
// still listed.
func TestBugFunctionPrintedObjectIsNotDamaged(t *testing.T) {
	t.Parallel()
	const l = "c0000001-0000-4000-8000-000000000001"
	printed := "2026-11-26T01:00:00.101Z {'resource': '/orders', 'httpMethod': 'POST', 'body': None}\n" +
		"2026-11-26T01:00:00.102Z { resource: '/orders', httpMethod: 'POST', body: null }\n" +
		"{}\n"
	lambda := "2026-11-26T01:00:00.100Z START RequestId: " + l + " Version: $LATEST\n" + printed +
		"2026-11-26T01:00:00.200Z END RequestId: " + l + "\n"
	e := NewEvidence(Options{})
	sum, err := e.ReadFile("lambda.log", strings.NewReader(lambda))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Format != FormatLambdaLog || sum.Malformed != 0 || sum.Ignored != 3 {
		t.Errorf("lambda.log: %+v; want a lambda-log with the 3 printed lines ignored, none malformed", sum)
	}
	sum, _ = e.ReadFile("access.jsonl", strings.NewReader(timeoutAccessRecord("a1b2c3d4-0000-4000-8000-000000000001")+printed))
	if sum.Format != FormatAccessLog || sum.Malformed != 3 {
		t.Errorf("access.jsonl: %+v; want an access-log with the 3 other lines malformed", sum)
	}
}

// checkVerdicts reports each attempt whose verdict is not want's for its
// request id; prefix starts each message (a case's name, or "").
func checkVerdicts(t *testing.T, prefix string, attempts []AttemptVerdict, want map[string]Verdict) {
	t.Helper()
	for _, v := range attempts {
		if v.Verdict != want[v.RequestID] {
			t.Errorf("%s%s: verdict %s (%s), want %s", prefix, v.RequestID, v.Verdict, v.Reason, want[v.RequestID])
		}
	}
}
