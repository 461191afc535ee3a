package diagnose

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

const (
	accessTimeout   = `{"requestId":"r1","status":"504","error_responseType":"INTEGRATION_TIMEOUT","integration_requestId":"-","requestTimeEpoch":"1795654800010","responseLatency":"29012"}`
	execTimeoutLine = `(r1) Execution failed due to a timeout error`
	lambdaStart     = `START RequestId: l1 Version: $LATEST`
)

func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func TestReadFileFormats(t *testing.T) {
	t.Parallel()
	filterLogEvents := "{\n    \"events\": [\n        {\n            \"logStreamName\": \"s\",\n            \"timestamp\": 1795654800011,\n            \"message\": " + jsonString(execTimeoutLine) +
		",\n            \"ingestionTime\": 1795654800500,\n            \"eventId\": \"1\"\n        },\n        {\n            \"timestamp\": 1795654800012,\n            \"message\": " + jsonString(accessTimeout) +
		"\n        },\n        {\n            \"timestamp\": 1795654800013,\n            \"message\": \"some function output\"\n        }\n    ],\n    \"searchedLogStreams\": [{\"logStreamName\": \"s\", \"searchedCompletely\": true}]\n}\n"
	tests := []struct {
		name        string
		input       string
		format      Format
		records     int
		malformedAt []int
		wantUnknown bool
		wantIgnored int
	}{
		{name: "access log lines", input: accessTimeout + "\n\n" + accessTimeout + "\n", format: FormatAccessLog, records: 2},
		{name: "access log with CRLF and truncated last line", input: accessTimeout + "\r\n" + accessTimeout[:40], format: FormatAccessLog, records: 1, malformedAt: []int{2}},
		{name: "execution log with timestamps", input: "2026-11-26T01:00:00.011Z " + execTimeoutLine + "\n2026-11-26T01:00:00.012Z (r1) Method completed with status: 504\n", format: FormatExecutionLog, records: 2},
		{name: "execution log, stray line first", input: "garbage\n" + execTimeoutLine + "\n", format: FormatExecutionLog, records: 1, malformedAt: []int{1}},
		{name: "lambda log with function output", input: "hello from the handler\n" + lambdaStart + "\nEND RequestId: l1\n", format: FormatLambdaLog, records: 2, wantIgnored: 1},
		{name: "filter-log-events pretty", input: filterLogEvents, format: FormatFilterLogEvents, records: 2, wantIgnored: 1},
		{name: "filter-log-events compact", input: `{"events":[{"timestamp":1795654800011,"message":` + jsonString(execTimeoutLine) + `}],"searchedLogStreams":[]}`, format: FormatFilterLogEvents, records: 1},
		{name: "filter-log-events truncated", input: filterLogEvents[:300], format: FormatFilterLogEvents, records: 1, malformedAt: []int{10}},
		{name: "filter-log-events event without message", input: "{\"events\":[\n{\"timestamp\":1},\n{\"message\":" + jsonString(lambdaStart) + "}]}", format: FormatFilterLogEvents, records: 1, malformedAt: []int{2}},
		{name: "insights JSON array", input: "[\n  {\"@timestamp\": \"2026-11-26 01:00:00.011\", \"@message\": " + jsonString(execTimeoutLine) + "},\n  {\"@timestamp\": \"2026-11-26 01:00:00.012\", \"@message\": " + jsonString(lambdaStart) + "}\n]\n", format: FormatInsightsJSON, records: 2},
		{name: "insights JSON fields", input: `[{"@timestamp":"2026-11-26 01:00:00.010","requestId":"r1","status":"504","error_responseType":"INTEGRATION_TIMEOUT"}]`, format: FormatInsightsJSON, records: 1},
		{name: "get-query-results", input: `{"results":[[{"field":"@timestamp","value":"2026-11-26 01:00:00.011"},{"field":"@message","value":` + jsonString(execTimeoutLine) + `}]],"statistics":{"recordsMatched":1.0},"status":"Complete"}`, format: FormatInsightsJSON, records: 1},
		{name: "insights CSV", input: "@timestamp,@message\n2026-11-26 01:00:00.011," + execTimeoutLine + "\n2026-11-26 01:00:00.012,\"" + strings.ReplaceAll(accessTimeout, `"`, `""`) + "\"\n", format: FormatInsightsCSV, records: 2},
		{name: "insights CSV broken JSON cell", input: "@timestamp,@message\n2026-11-26 01:00:00.011,\"{\"\"requestId\"\":\"\n", format: FormatInsightsCSV, malformedAt: []int{2}},
		{name: "empty", input: "\n\n", format: FormatEmpty},
		{name: "only truncated JSON", input: accessTimeout[:30] + "\n", format: FormatMalformed, malformedAt: []int{1}},
		{name: "unknown text", input: "hello\nworld\n", wantUnknown: true},
		{name: "unknown JSON document", input: "{\n  \"foo\": 1\n}\n", wantUnknown: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := NewEvidence(Options{})
			sum, err := e.ReadFile("f", strings.NewReader(tt.input))
			if tt.wantUnknown {
				if !errors.Is(err, ErrUnknownFormat) {
					t.Fatalf("err = %v, want ErrUnknownFormat", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sum.Format != tt.format || sum.Records != tt.records || sum.Ignored != tt.wantIgnored {
				t.Errorf("summary %+v; want format %s, %d records, %d ignored", sum, tt.format, tt.records, tt.wantIgnored)
			}
			var lines []int
			for _, m := range e.malformed {
				lines = append(lines, m.Line)
			}
			if !equalInts(lines, tt.malformedAt) {
				t.Errorf("malformed at %v, want %v (%+v)", lines, tt.malformedAt, e.malformed)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A line over the bound is reported and skipped; the next line is read.
func TestLongLineIsBounded(t *testing.T) {
	t.Parallel()
	e := NewEvidence(Options{MaxLineBytes: 1024})
	long := `{"requestId":"big","x":"` + strings.Repeat("a", 300_000) + `"}`
	input := accessTimeout + "\n" + long + "\n" + strings.Replace(accessTimeout, "r1", "r2", 1) + "\n"
	sum, err := e.ReadFile("big.jsonl", iotest.HalfReader(strings.NewReader(input)))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records != 2 || sum.Malformed != 1 || e.malformed[0].Line != 2 || !strings.Contains(e.malformed[0].Problem, "longer than 1024") {
		t.Fatalf("%+v %+v", sum, e.malformed)
	}
	if len(e.malformed[0].Text) > 250 {
		t.Errorf("malformed excerpt %d bytes", len(e.malformed[0].Text))
	}
	// And to a CSV export's lines.
	e = NewEvidence(Options{MaxLineBytes: 1024})
	csvText := "@timestamp,@message\n2026-11-26 01:00:00.011,(r1) x\n2026-11-26 01:00:00.012," + strings.Repeat("a", 5000) + "\n"
	sum, err = e.ReadFile("big.csv", strings.NewReader(csvText))
	if err != nil || sum.Malformed != 1 || sum.Records != 1 || e.malformed[0].Line != 3 {
		t.Fatalf("%+v %v %+v", sum, err, e.malformed)
	}
	// The same bound applies to a JSON export element.
	e = NewEvidence(Options{MaxLineBytes: 1024})
	doc := `{"events":[{"message":"` + strings.Repeat("a", 300_000) + `"}]}`
	sum, err = e.ReadFile("big.json", strings.NewReader(doc))
	if err != nil || sum.Malformed != 1 {
		t.Fatalf("%+v %v %+v", sum, err, e.malformed)
	}
}

func TestReadFileReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk on fire")
	for _, head := range []string{accessTimeout + "\n", "{\"events\":[\n", "@timestamp,@message\n"} {
		e := NewEvidence(Options{})
		_, err := e.ReadFile("f", io.MultiReader(strings.NewReader(head), iotest.ErrReader(boom)))
		if !errors.Is(err, boom) {
			t.Errorf("%q: err = %v, want the read error", head, err)
		}
	}
}

func TestTrackingReaderLines(t *testing.T) {
	t.Parallel()
	tr := &trackingReader{r: strings.NewReader("a\nb\nc\n"), limit: 100}
	_, _ = io.ReadAll(tr)
	for _, c := range []struct {
		off  int64
		line int
	}{{0, 1}, {2, 2}, {3, 2}, {4, 3}, {6, 4}} {
		if got := tr.lineAt(c.off); got != c.line {
			t.Errorf("lineAt(%d) = %d, want %d", c.off, got, c.line)
		}
	}
}

func FuzzReadFile(f *testing.F) {
	for _, s := range []string{
		accessTimeout + "\n" + accessTimeout[:50],
		"2026-11-26T01:00:00.011Z " + execTimeoutLine + "\n",
		lambdaStart + "\nREPORT RequestId: l1\tDuration: 1 ms\n",
		`{"events":[{"timestamp":1795654800011,"message":` + jsonString(execTimeoutLine) + `}]}`,
		"{\n \"events\": [\n {\"message\": 5}, {\"message\": \"x\"}\n ]\n}",
		`[{"@timestamp":"2026-11-26 01:00:00.011","@message":"(r) x"}]`,
		`{"results":[[{"field":"@message","value":"(r) x"}]]}`,
		"@timestamp,@message\n2026-11-26 01:00:00.011,(r) x\n\"unterminated",
		`{"msg":"attempt","invocation_id":"i","attempt":1,"duration_ms":3,"reach":"unknown","request_id_sent":"r1"}`,
		"2026-11-26T04:00:00.011000+00:00 c4ca4238a0b923820dcc509a6f75849b (r) Endpoint response body before transformations: {\n  \"Reason\": \"CallerRateLimitExceeded\"\n}\n",
		"s 2026-11-26T05:00:00.105000 START RequestId: l Version: $LATEST\n",
		"timestamp | message\n2026-11-26T06:00:00.011+00:00 | (r) Starting execution for request: r\n2026-11-26T06:10:00.000Z\n{\n \"requestId\": \"r\"\n}\n",
		"Execution log for request r\nThu Apr 01 21:58:32 UTC 2021 : Received response. Status: 200, Integration latency: 5 ms\n",
		"| @timestamp | @message |\n|---|---|\n| 2026-11-26 07:00:00.011 | (r) a \\| b |\n",
		"@timestamp\t@message\n2026-11-26 08:00:00.011\t(r) x\n",
		`{"messageType":"DATA_MESSAGE","logStream":"s","logEvents":[{"id":"1","timestamp":1795680000011,"message":"(r) x"}]}`,
		`{"awslogs":{"data":"H4sIAAAAAAAA"}}`,
		"H4sI\n",
		"timestamp,message\n1795674000011,\"(r) x\"\n",
		"[ERROR] Runtime.ImportModuleError: x\nSTART RequestId: l Version: $LATEST\n",
		`{"status": 500, "log": "Execution log for request r\nThu Apr 01 21:58:32 UTC 2021 : Received response. Status: 429, Integration latency: 5 ms\n"}`,
		`{"requestId":"r1","status":504,"integrationLatency":-,"responseLatency":29004,"requestTimeEpoch":1795654800000}` + "\n" + `{"requestId":"r2","status":-`,
		`{"time":"2026-11-26T01:00:00Z","type":"platform.initStart","record":{"phase":"init"}}` + "\n" + `{"timestamp":"2026-11-26T01:00:01Z","level":"INFO","message":"m","AWSRequestId":"l"}` + "\n",
		"2026-11-26 01:00:00 5f8e7d6c-1111-2222-3333-444455556666 INFO  Handler:42 - m\nINIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e := NewEvidence(Options{MaxLineBytes: 4096})
		sum, err := e.ReadFile("fuzz", bytes.NewReader(data))
		if err != nil && (len(e.files) != 1 || e.files[0].Error == "") {
			t.Fatalf("error %v not listed: %+v", err, e.files)
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, m := range e.malformed {
			// Lines inside a decoded payload (base64, awslogs data, the
			// "log" string of test-invoke-method's JSON) are numbered
			// within it.
			nested := sum.Format == FormatSubscription || sum.Format == FormatTestInvoke
			if m.Line < 1 || (m.Line > lines && !nested) {
				t.Fatalf("malformed line %d outside 1..%d", m.Line, lines)
			}
		}
		// A line is malformed once at most, and the document once more
		// (a JSON export cut short); a payload nested in it (awslogs
		// data, a "log" string) that cannot be read is a problem of its
		// own, listed apart from the document's.
		payloads := 0
		for _, m := range e.malformed {
			if strings.Contains(m.Problem, " unreadable: ") { // nested's wording
				payloads++
			}
		}
		if sum.Malformed > sum.Lines+1+payloads {
			t.Fatalf("summary %+v, malformed %+v", sum, e.malformed)
		}
		var out bytes.Buffer
		if err := e.Report().WriteText(&out); err != nil {
			t.Fatal(err)
		}
	})
}
