package diagnose

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// readFixture feeds the named files of testdata/e2e to a new Evidence.
func readFixture(t *testing.T, names ...string) *Evidence {
	t.Helper()
	e := NewEvidence(Options{})
	for _, n := range names {
		path := filepath.Join("testdata", "e2e", n)
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.ReadFile(n, f); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	return e
}

func TestEndToEndHandWrittenFixture(t *testing.T) {
	t.Parallel()
	rep := readFixture(t, "attempts.jsonl", "access.jsonl", "execution.log", "lambda.log").Report()

	want := []struct {
		requestPrefix string
		verdict       Verdict
		reasonHas     string
		lambdaID      string
		ranOn         *bool
	}{
		{"11111111", VerdictRan, "lambda.log:8", "c0000001-0000-4000-8000-000000000001", ptr(true)},      // 504 whose function ran on
		{"22222222", VerdictNotRun, "access.jsonl:2", "", nil},                                           // API Gateway throttle 429
		{"33333333", VerdictRan, "lambda.log:5", "c0000003-0000-4000-8000-000000000003", nil},            // success
		{"44444444", VerdictNotRun, "every invocation started then belongs to another request", "", nil}, // 504, no Lambda line, logs cover
		{"55555555", VerdictNotRun, "execution.log:16", "c0000005-0000-4000-8000-000000000005", nil},     // gateway 500 from Lambda 429
		{"66666666", VerdictRan, "lambda.log:12", "c0000006-0000-4000-8000-000000000006", nil},           // 502 function error
		{"77777777", VerdictNotRun, "reach not_sent", "", nil},                                           // not sent
		{"88888888", VerdictNotRun, "never reached the gateway", "", nil},                                // unknown, gateway logs cover
		{"99999999", VerdictMaybe, "c0000009-0000-4000-8000-000000000009", "", nil},                      // 504, an untied START in the window
		{"aaaaaaaa", VerdictMaybe, "none covers", "", nil},                                               // unknown, after the logs end
	}
	if len(rep.Attempts) != len(want) {
		t.Fatalf("%d attempts, want %d: %+v", len(rep.Attempts), len(want), rep.Attempts)
	}
	for i, w := range want {
		a := rep.Attempts[i]
		if !strings.HasPrefix(a.RequestID, w.requestPrefix) {
			t.Errorf("attempt %d is %s, want %s...", i, a.RequestID, w.requestPrefix)
			continue
		}
		if a.Verdict != w.verdict || !strings.Contains(a.Reason, w.reasonHas) {
			t.Errorf("%s: %s %q; want %s with %q", a.RequestID, a.Verdict, a.Reason, w.verdict, w.reasonHas)
		}
		if a.LambdaRequestID != w.lambdaID {
			t.Errorf("%s: lambda request id %q, want %q", a.RequestID, a.LambdaRequestID, w.lambdaID)
		}
		if (a.RanAfterGatewayGaveUp == nil) != (w.ranOn == nil) || (w.ranOn != nil && *a.RanAfterGatewayGaveUp != *w.ranOn) {
			t.Errorf("%s: ran after gateway gave up = %v (%s), want %v", a.RequestID, a.RanAfterGatewayGaveUp, a.RanOn, w.ranOn)
		}
	}
	if a := rep.Attempts[2]; a.IntegrationLatencyMS == nil || *a.IntegrationLatencyMS != 120 {
		t.Errorf("success attempt integration latency %v, want 120", a.IntegrationLatencyMS)
	}
	if a := rep.Attempts[0]; !strings.Contains(a.RanOn, "finished 4.196s after the integration timeout") {
		t.Errorf("ran on = %q", a.RanOn)
	}

	var kinds []string
	for _, f := range rep.Findings {
		kinds = append(kinds, f.Kind)
	}
	wantKinds := []string{FindingLatencyNearTimeout, FindingSafeToRetry504, FindingDuplicateExecution, FindingDuplicateExecution, FindingConsiderAsync}
	if !slices.Equal(kinds, wantKinds) {
		t.Errorf("findings %v, want %v", kinds, wantKinds)
	}
	if got := rep.Findings[1].RequestIDs; !slices.Equal(got, []string{"44444444-4444-4444-8444-444444444444"}) {
		t.Errorf("safe-to-retry 504s %v", got)
	}

	var malformed []string
	for _, m := range rep.Malformed {
		malformed = append(malformed, m.Position.String())
	}
	if want := []string{"access.jsonl:5", "execution.log:13", "lambda.log:15"}; !slices.Equal(malformed, want) || rep.MalformedCount != 3 {
		t.Errorf("malformed %v (%d), want %v", malformed, rep.MalformedCount, want)
	}
	formats := map[string]Format{}
	for _, f := range rep.Files {
		formats[f.Path] = f.Format
	}
	wantFormats := map[string]Format{"attempts.jsonl": FormatAttemptLog, "access.jsonl": FormatAccessLog, "execution.log": FormatExecutionLog, "lambda.log": FormatLambdaLog}
	for p, f := range wantFormats {
		if formats[p] != f {
			t.Errorf("%s detected as %q, want %q", p, formats[p], f)
		}
	}
}

// Without the Lambda logs the 504s cannot be settled, and without an attempt
// log every gateway request still gets a row.
func TestEndToEndPartialLogs(t *testing.T) {
	t.Parallel()
	rep := readFixture(t, "attempts.jsonl", "access.jsonl", "execution.log").Report()
	for _, a := range rep.Attempts {
		if a.Status == 504 && a.Verdict != VerdictMaybe {
			t.Errorf("%s: 504 without Lambda logs judged %s: %s", a.RequestID, a.Verdict, a.Reason)
		}
	}
	rep = readFixture(t, "access.jsonl", "execution.log", "lambda.log").Report()
	if len(rep.Attempts) != 7 {
		t.Fatalf("%d gateway rows, want 7", len(rep.Attempts))
	}
	got := map[string]Verdict{}
	for _, a := range rep.Attempts {
		got[a.RequestID[:8]] = a.Verdict
	}
	want := map[string]Verdict{"11111111": VerdictRan, "22222222": VerdictNotRun, "33333333": VerdictRan, "44444444": VerdictNotRun,
		"55555555": VerdictNotRun, "66666666": VerdictRan, "99999999": VerdictMaybe}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
}

func ptr[T any](v T) *T { return &v }
