package diagnose

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// readCorpus reads corpus files (their formats detected) and returns the
// verdict of each request id.
func readCorpus(t *testing.T, names ...string) map[string]AttemptVerdict {
	t.Helper()
	e := NewEvidence(Options{})
	for _, name := range names {
		f, err := os.Open(filepath.Join("testdata", "corpus", name))
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.ReadFile(name, f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	out := map[string]AttemptVerdict{}
	for _, a := range e.Report().Attempts {
		out[a.RequestID] = a
	}
	return out
}

// Verdicts that were wrong: older execution logs ("Endpoint request URI",
// Lambda's answer only in "Endpoint response headers" / "... body before
// transformations") were judged not_run, "answered 200 itself", the
// dangerous direction; a Lambda throttle logged as "Received response" with
// a throttle error type and reason, then "Malformed Lambda proxy
// response", was judged ran; "Invalid permissions on Lambda function" was
// judged maybe.
func TestBugWordingVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want map[string]Verdict
	}{
		{"exec-2016-endpoint-uri.log", map[string]Verdict{"a1000001-0000-4000-8000-000000000001": VerdictRan, "a1000002-0000-4000-8000-000000000002": VerdictRan}},
		{"exec-2018-throttle.log", map[string]Verdict{"a2000001-0000-4000-8000-000000000001": VerdictNotRun, "a2000002-0000-4000-8000-000000000002": VerdictNotRun}},
		{"exec-permissions.log", map[string]Verdict{"a3000001-0000-4000-8000-000000000001": VerdictNotRun}},
	}
	for _, tt := range tests {
		got := readCorpus(t, tt.file)
		for id, want := range tt.want {
			if v := got[id]; v.Verdict != want {
				t.Errorf("%s %s: %s (%s), want %s", tt.file, id, v.Verdict, v.Reason, want)
			}
		}
	}
}

// "Received response. Status: 200, Integration latency: 356 ms" gave 0 ms.
func TestBugReceivedResponseStatusLatency(t *testing.T) {
	t.Parallel()
	v := readCorpus(t, "exec-2019-status.log")["a4000001-0000-4000-8000-000000000001"]
	if v.IntegrationLatencyMS == nil || *v.IntegrationLatencyMS != 356 {
		t.Errorf("integration latency %s, want 356", formatMS(v.IntegrationLatencyMS))
	}
	if v.LambdaStatus != 200 {
		t.Errorf("Lambda status %d, want 200", v.LambdaStatus)
	}
}

// A 504 whose function ran, visible only through the X-Ray trace id the
// access log and the REPORT line share, was judged maybe.
func TestBugXRayJoinIgnored(t *testing.T) {
	t.Parallel()
	got := readCorpus(t, "xray-access.jsonl", "xray-lambda.log")
	if v := got["a7000001-0000-4000-8000-000000000001"]; v.Verdict != VerdictRan {
		t.Errorf("%s (%s), want ran", v.Verdict, v.Reason)
	}
	for _, id := range []string{"a7000002-0000-4000-8000-000000000002", "a7000003-0000-4000-8000-000000000003"} {
		if v := got[id]; v.Verdict == VerdictRan {
			t.Errorf("%s shares its trace Root with another attempt, yet judged ran: %s", id, v.Reason)
		}
	}
}

// Formats users export were refused as unknown.
func TestBugFormatsRefused(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"exec-unprefixed.log", "test-invoke.txt", "logs-tail.txt", "sam-logs.txt", "console-copy.txt",
		"console-copy-json.txt", "console-download.csv", "insights.md", "insights.tsv", "subscription.json", "subscription.b64",
		"subscription-awslogs-event.json", "lambda-runtime-first.log", "lambda-python-only.log"} {
		t.Run(name, func(t *testing.T) {
			e := NewEvidence(Options{})
			f, err := os.Open(filepath.Join("testdata", "corpus", name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sum, err := e.ReadFile(name, f)
			if err != nil || sum.Records == 0 || sum.Malformed > 0 {
				t.Errorf("%+v, %v", sum, err)
			}
		})
	}
}

func formatMS(p *float64) string {
	if p == nil {
		return "none"
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

// A trace Root only one attempt in the logs carries still ties an
// invocation to it only when the invocation started while that attempt was
// at the gateway: an export may hold only some attempts of a shared Root.
func TestXRayJoinNeedsTheWindow(t *testing.T) {
	t.Parallel()
	access := `{"requestId":"r1","requestTimeEpoch":"1795654800000","status":"504","error_responseType":"INTEGRATION_TIMEOUT","integration_requestId":"-","responseLatency":"29010","xrayTraceId":"1-69264b10-aaaaaaaaaaaaaaaaaaaaaaa1"}` + "\n"
	for _, tt := range []struct {
		start string
		want  Verdict
	}{
		{"2026-11-26T01:00:00.050Z", VerdictRan},
		{"2026-11-26T02:00:00.050Z", VerdictMaybe},
	} {
		lambda := tt.start + " START RequestId: l1 Version: $LATEST\n" +
			tt.start + " REPORT RequestId: l1\tDuration: 5.00 ms\tBilled Duration: 5 ms\tXRAY TraceId: 1-69264b10-aaaaaaaaaaaaaaaaaaaaaaa1\tSegmentId: 0a1b2c3d4e5f6a7b\tSampled: true\n"
		rep := judgeLines(t, map[string]string{"access.jsonl": access, "lambda.log": lambda})
		if len(rep.Attempts) != 1 || rep.Attempts[0].Verdict != tt.want {
			t.Errorf("invocation at %s: %+v, want %s", tt.start, rep.Attempts, tt.want)
		}
	}
}

// The lines of a body printed over several lines belong to the line before
// them, even when one looks like a record of another kind.
func TestBodyLinesAreNotRecords(t *testing.T) {
	t.Parallel()
	exec := "(r1) Starting execution for request: r1\n(r1) Sending request to https://lambda.x/y\n" +
		"(r1) Endpoint response body before transformations:\n" +
		`{"requestId":"zz","status":"200","integration_requestId":"q"}` + "\n" +
		`START RequestId: q Version: $LATEST` + "\n" +
		"(r1) Method completed with status: 504\n"
	rep := judgeLines(t, map[string]string{"execution.log": exec})
	if len(rep.Attempts) != 1 || rep.Attempts[0].RequestID != "r1" || rep.Attempts[0].Verdict != VerdictRan || rep.MalformedCount != 0 {
		t.Errorf("%+v, %d malformed", rep.Attempts, rep.MalformedCount)
	}
}
