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

// Older execution logs say "Endpoint request URI" and show Lambda's answer
// only in "Endpoint response headers" / "... body before transformations":
// they were judged not_run ("answered 200 itself"), the dangerous direction.
func TestBugOlderWordingJudgedNotRun(t *testing.T) {
	t.Parallel()
	got := readCorpus(t, "exec-2016-endpoint-uri.log")
	for _, id := range []string{"a1000001-0000-4000-8000-000000000001", "a1000002-0000-4000-8000-000000000002"} {
		if v := got[id]; v.Verdict != VerdictRan {
			t.Errorf("%s: %s (%s), want ran", id, v.Verdict, v.Reason)
		}
	}
}

// A Lambda throttle logged as "Received response" with a throttle error
// type and reason, then "Malformed Lambda proxy response", was judged ran.
func TestBugThrottleJudgedRan(t *testing.T) {
	t.Parallel()
	got := readCorpus(t, "exec-2018-throttle.log")
	for _, id := range []string{"a2000001-0000-4000-8000-000000000001", "a2000002-0000-4000-8000-000000000002"} {
		if v := got[id]; v.Verdict != VerdictNotRun {
			t.Errorf("%s: %s (%s), want not_run", id, v.Verdict, v.Reason)
		}
	}
}

// "Invalid permissions on Lambda function" was judged maybe.
func TestBugPermissionsJudgedMaybe(t *testing.T) {
	t.Parallel()
	got := readCorpus(t, "exec-permissions.log")
	if v := got["a3000001-0000-4000-8000-000000000001"]; v.Verdict != VerdictNotRun {
		t.Errorf("%s (%s), want not_run", v.Verdict, v.Reason)
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
