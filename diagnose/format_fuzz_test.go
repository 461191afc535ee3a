package diagnose

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Fuzz targets for the parsers of the wrapper formats and of the texts
// API Gateway and Lambda write; each runs its seeds as a normal test.

func FuzzSplitFramings(f *testing.F) {
	for _, s := range []string{
		"2026-11-26T04:00:00.011000+00:00 c4ca4238a0b923820dcc509a6f75849b (r) x",
		"2026/11/26/[$LATEST]0f1e 2026-11-26T05:00:00.105000 START RequestId: l",
		"2026-11-26T06:00:00.011+00:00 | (r) x",
		"2026-11-26T06:10:00.000Z",
		"Thu Apr 01 21:58:32 UTC 2021 : Starting execution for request: r",
		"Execution log for request r",
		"EVENTS\t37000000000000000000000001\t1795687200500\ts\t(r) x\ty\t1795687200011",
		"EVENTS\t1795687200500\tSTART RequestId: l\t1795687200011", "EVENTS\t", "SEARCHEDLOGSTREAMS\ts\tTrue",
		"  \"Reason\": \"x\"", "", " ", "|", " | ",
	} {
		f.Add([]byte(s))
	}
	splits := map[string]func([]byte) (time.Time, string, []byte, bool){
		"logs-tail": splitLogsTail, "sam-logs": splitSAMLogs, "console-copy": splitConsoleCopy, "test-invoke": splitTestInvoke, "cli-text": splitCLIText,
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		for name, split := range splits {
			at, stream, msg, ok := split(line)
			if !ok {
				continue
			}
			if len(msg)+len(stream) > len(line) || (len(msg) > 0 && !bytes.Contains(line, msg)) {
				t.Fatalf("%s(%q) = %q, %q", name, line, stream, msg)
			}
			if name != "test-invoke" && name != "cli-text" && at.IsZero() {
				t.Fatalf("%s(%q) accepted a line without a time", name, line)
			}
		}
	})
}

func FuzzTableCells(f *testing.F) {
	for _, s := range []string{"| @timestamp | @message |", "| a \\| b | c |", "|---|---|", "a\tb\tc", "|", "\\|", "| x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if cells, ok := markdownCells([]byte(line)); ok {
			n := 0
			for _, c := range cells {
				n += len(c)
			}
			if n > len(line) || len(cells) == 0 {
				t.Fatalf("markdownCells(%q) = %q", line, cells)
			}
		}
		if cells, ok := tsvCells([]byte(line)); ok && strings.Join(cells, "\t") != line {
			t.Fatalf("tsvCells(%q) = %q", line, cells)
		}
		_ = markdownSeparator([]byte(line))
	})
}

var reRoot = regexp.MustCompile(`^1-[0-9a-f]{8}-[0-9a-f]{24}$`)

func FuzzParseExecutionText(f *testing.F) {
	for _, s := range []string{
		"Received response. Status: 200, Integration latency: 356 ms",
		"Received response. Integration latency: 5 ms",
		"Endpoint response headers: {x-amzn-RequestId=b1000001-0000-4000-8000-000000000001, x-amzn-ErrorType=TooManyRequestsException}",
		`Endpoint response body before transformations: {"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded"}`,
		"Endpoint request URI: https://lambda.us-east-1.amazonaws.com/x",
		"Execution failed due to configuration error: Invalid permissions on Lambda function",
		"Starting execution for request: r", "Execution log for request r",
		"X-Amz-Function-Error=Unhandled", `"__type":"com.amazonaws#AccessDeniedException:"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := parseExecutionText([]byte(s))
		if e.Status != 0 && (e.Status < 100 || e.Status > 999) || e.LatencyMS < 0 {
			t.Fatalf("%q: %+v", s, e)
		}
		if strings.ContainsAny(e.RequestID, " \t") {
			t.Fatalf("%q: request id %q", s, e.RequestID)
		}
		for _, headers := range []bool{false, true} {
			sig := scanEndpointText([]byte(s), headers)
			if !headers && sig.lambdaRequestID != "" {
				t.Fatalf("%q: Lambda id outside headers", s)
			}
		}
		if r := traceRoot(s); r != "" && !reRoot.MatchString(r) {
			t.Fatalf("traceRoot(%q) = %q", s, r)
		}
		if p, ok := parseRuntimeLine([]byte(s)); ok && p.Event == platformApp && p.RequestID == "" {
			t.Fatalf("%q: app line without id", s)
		}
	})
}
