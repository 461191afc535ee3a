package diagnose

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The corpus in testdata/corpus is written to each format's published
// description (docs/aws-behaviour.md#file-shapes names the sources): one file per format
// and per API Gateway wording. Each case reads some of its files and names
// the verdict every request must get, and the format each file must be
// read as.
func TestCorpusVerdicts(t *testing.T) {
	t.Parallel()
	type file struct {
		name   string
		format Format
	}
	tests := []struct {
		name  string
		files []file
		want  map[string]Verdict
		// reason holds a fragment each listed request's reason must have.
		reason map[string]string
	}{
		{name: "2016 wording: Endpoint request URI, response headers carry the Lambda id",
			files: []file{{"exec-2016-endpoint-uri.log", FormatExecutionLog}},
			want: map[string]Verdict{
				"a1000001-0000-4000-8000-000000000001": VerdictRan,
				"a1000002-0000-4000-8000-000000000002": VerdictRan,
			},
			reason: map[string]string{
				"a1000001-0000-4000-8000-000000000001": "b1000001-0000-4000-8000-000000000001",
				"a1000002-0000-4000-8000-000000000002": "response body",
			}},
		{name: "2018 throttle: Received response, then a throttle error and a malformed proxy response",
			files: []file{{"exec-2018-throttle.log", FormatExecutionLog}},
			want: map[string]Verdict{
				"a2000001-0000-4000-8000-000000000001": VerdictNotRun,
				"a2000002-0000-4000-8000-000000000002": VerdictNotRun,
				"a2000003-0000-4000-8000-000000000003": VerdictRan,
			},
			reason: map[string]string{
				"a2000001-0000-4000-8000-000000000001": "ReservedFunctionConcurrentInvocationLimitExceeded",
				"a2000002-0000-4000-8000-000000000002": "ConcurrentInvocationLimitExceeded",
				"a2000003-0000-4000-8000-000000000003": "malformed proxy response",
			}},
		{name: "permission and configuration errors",
			files: []file{{"exec-permissions.log", FormatExecutionLog}},
			want: map[string]Verdict{
				"a3000001-0000-4000-8000-000000000001": VerdictNotRun,
				"a3000002-0000-4000-8000-000000000002": VerdictNotRun,
				"a3000003-0000-4000-8000-000000000003": VerdictNotRun,
				"a3000004-0000-4000-8000-000000000004": VerdictNotRun,
			},
			reason: map[string]string{
				"a3000001-0000-4000-8000-000000000001": "Invalid permissions",
				"a3000002-0000-4000-8000-000000000002": "ResourceNotFoundException",
				"a3000003-0000-4000-8000-000000000003": "AccessDeniedException",
				"a3000004-0000-4000-8000-000000000004": "lambda:InvokeFunction",
			}},
		{name: "today's wording: Received response. Status: 200, Integration latency",
			files: []file{{"exec-2019-status.log", FormatExecutionLog}},
			want: map[string]Verdict{
				"a4000001-0000-4000-8000-000000000001": VerdictRan,
				"a4000002-0000-4000-8000-000000000002": VerdictRan,
				// The function's own payload looks like a throttle;
				// Lambda answered 200, so it ran.
				"a4000003-0000-4000-8000-000000000003": VerdictRan,
			}},
		{name: "a Lambda authorizer's own call is not the integration's",
			files: []file{{"exec-authorizer.log", FormatExecutionLog}},
			// The authorizer's answer (a Lambda request id, Status 200)
			// says nothing of the integration, which timed out.
			want: map[string]Verdict{"b1400001-0000-4000-8000-000000000001": VerdictMaybe}},
		{name: "execution log without the (id) prefix",
			files: []file{{"exec-unprefixed.log", FormatExecutionLog}},
			want: map[string]Verdict{
				"a5000001-0000-4000-8000-000000000001": VerdictRan,
				"a5000002-0000-4000-8000-000000000002": VerdictMaybe,
			}},
		{name: "console test invoke",
			files: []file{{"test-invoke.txt", FormatTestInvoke}},
			want:  map[string]Verdict{"a6000001-0000-4000-8000-000000000001": VerdictRan}},
		{name: "aws apigateway test-invoke-method output: the log inside JSON",
			files:  []file{{"test-invoke-method.json", FormatTestInvoke}},
			want:   map[string]Verdict{"a6000002-0000-4000-8000-000000000001": VerdictNotRun},
			reason: map[string]string{"a6000002-0000-4000-8000-000000000001": "AccessDeniedException"}},
		{name: "X-Ray trace id joins a 504 to a REPORT line; a shared Root decides nothing",
			files: []file{{"xray-access.jsonl", FormatAccessLog}, {"xray-lambda.log", FormatLambdaLog}},
			want: map[string]Verdict{
				"a7000001-0000-4000-8000-000000000001": VerdictRan,
				"a7000002-0000-4000-8000-000000000002": VerdictMaybe,
				"a7000003-0000-4000-8000-000000000003": VerdictMaybe,
			},
			reason: map[string]string{"a7000001-0000-4000-8000-000000000001": "X-Ray trace 1-69264b10-aaaaaaaaaaaaaaaaaaaaaaa1"}},
		{name: "Lambda JSON log format: platform.report tracing joins a 504",
			files:  []file{{"lambda-json-access.jsonl", FormatAccessLog}, {"lambda-json-format.log", FormatLambdaLog}},
			want:   map[string]Verdict{"a8000001-0000-4000-8000-000000000001": VerdictRan},
			reason: map[string]string{"a8000001-0000-4000-8000-000000000001": "b8000001-0000-4000-8000-000000000001"}},
		{name: "Lambda logs starting with a runtime's own line, and Python runtime lines only",
			files: []file{{"lambda-runtime-access.jsonl", FormatAccessLog}, {"lambda-runtime-first.log", FormatLambdaLog}, {"lambda-python-only.log", FormatLambdaLog}},
			want: map[string]Verdict{
				"a9000001-0000-4000-8000-000000000001": VerdictMaybe,
				"a9000002-0000-4000-8000-000000000002": VerdictRan,
			},
			reason: map[string]string{"a9000002-0000-4000-8000-000000000002": "lambda-python-only.log:1"}},
		{name: "an access format with unquoted variables; Java's and .NET's own lines only",
			files: []file{{"access-unquoted.jsonl", FormatAccessLog}, {"lambda-java-json.log", FormatLambdaLog}, {"lambda-dotnet.log", FormatLambdaLog}},
			want: map[string]Verdict{
				"b1500001-0000-4000-8000-000000000001": VerdictMaybe,
				"b1500002-0000-4000-8000-000000000002": VerdictNotRun,
				"b1500003-0000-4000-8000-000000000003": VerdictRan,
			},
			reason: map[string]string{
				"b1500001-0000-4000-8000-000000000001": "c1500001-0000-4000-8000-000000000001",
				"b1500003-0000-4000-8000-000000000003": "lambda-dotnet.log:1",
			}},
		{name: "a function that prints execution-log words is still a Lambda log",
			files: []file{{"lambda-prints-gateway-words.log", FormatLambdaLog}},
			want:  map[string]Verdict{}},
		{name: "aws logs tail, streams interleaved, a body over several lines",
			files: []file{{"logs-tail.txt", FormatLogsTail}},
			want: map[string]Verdict{
				"aa000001-0000-4000-8000-000000000001": VerdictRan,
				"aa000002-0000-4000-8000-000000000002": VerdictNotRun,
			},
			reason: map[string]string{"aa000002-0000-4000-8000-000000000002": "ReservedFunctionInvocationRateLimitExceeded"}},
		{name: "aws logs tail --format json: each message pretty-printed under its timestamp and stream",
			files: []file{{"logs-tail-json.txt", FormatLogsTail}},
			want: map[string]Verdict{
				"b1100001-0000-4000-8000-000000000001": VerdictRan,
				"b1100002-0000-4000-8000-000000000002": VerdictNotRun,
			}},
		{name: "aws logs filter-log-events --output text, after the command line",
			files: []file{{"logs-cli-text.txt", FormatCLIText}},
			want:  map[string]Verdict{"b1200001-0000-4000-8000-000000000001": VerdictNotRun}},
		{name: "aws logs tail pasted with its command line",
			files:  []file{{"logs-tail-transcript-access.jsonl", FormatAccessLog}, {"logs-tail-transcript.txt", FormatLogsTail}},
			want:   map[string]Verdict{"b1200002-0000-4000-8000-000000000002": VerdictRan},
			reason: map[string]string{"b1200002-0000-4000-8000-000000000002": "logs-tail-transcript.txt:2"}},
		{name: "Logs Insights TSV with a row-number column",
			files: []file{{"insights-numbered.tsv", FormatInsightsTSV}},
			want:  map[string]Verdict{"b1300001-0000-4000-8000-000000000001": VerdictRan}},
		{name: "console presets CLF, CSV and XML (REST), joined with the execution log on the request id",
			files: []file{{"access-clf.log", FormatAccessLog}, {"access-csv.log", FormatAccessLog}, {"access-xml.log", FormatAccessLog},
				{"exec-2019-status.log", FormatExecutionLog}},
			want: map[string]Verdict{
				"a4000001-0000-4000-8000-000000000001": VerdictRan,
				"a4000002-0000-4000-8000-000000000002": VerdictRan,
				"a4000003-0000-4000-8000-000000000003": VerdictRan,
				// A preset logs no integration field: a 504 alone cannot tell.
				"a4000004-0000-4000-8000-000000000004": VerdictMaybe,
			},
			reason: map[string]string{"a4000004-0000-4000-8000-000000000004": "does not say whether it called Lambda"}},
		{name: "sam logs",
			files:  []file{{"sam-access.jsonl", FormatAccessLog}, {"sam-logs.txt", FormatSAMLogs}},
			want:   map[string]Verdict{"ab000001-0000-4000-8000-000000000001": VerdictRan},
			reason: map[string]string{"ab000001-0000-4000-8000-000000000001": "sam-logs.txt:1"}},
		{name: "console copies: rows, and timestamps over pretty-printed JSON",
			files: []file{{"console-copy.txt", FormatConsoleCopy}, {"console-copy-json.txt", FormatConsoleCopy}},
			want: map[string]Verdict{
				"ac000001-0000-4000-8000-000000000001": VerdictRan,
				"ac000002-0000-4000-8000-000000000002": VerdictNotRun,
				"ac000003-0000-4000-8000-000000000003": VerdictRan,
			}},
		{name: "console CSV download",
			files: []file{{"console-download.csv", FormatInsightsCSV}},
			want:  map[string]Verdict{"ad000001-0000-4000-8000-000000000001": VerdictRan}},
		{name: "Logs Insights as Markdown",
			files: []file{{"insights.md", FormatInsightsMarkdown}},
			want: map[string]Verdict{
				"ae000001-0000-4000-8000-000000000001": VerdictNotRun,
				"ae000002-0000-4000-8000-000000000002": VerdictRan,
			}},
		{name: "Logs Insights as TSV",
			files: []file{{"insights.tsv", FormatInsightsTSV}},
			want: map[string]Verdict{
				"af000001-0000-4000-8000-000000000001": VerdictNotRun,
				"af000002-0000-4000-8000-000000000002": VerdictRan,
			}},
		{name: "subscription payload, raw JSON",
			files: []file{{"subscription.json", FormatSubscription}},
			want:  map[string]Verdict{"b0000001-0000-4000-8000-000000000001": VerdictRan}},
		{name: "subscription payload, gzip and base64 as delivered",
			files:  []file{{"subscription.b64", FormatSubscription}},
			want:   map[string]Verdict{"b0000002-0000-4000-8000-000000000002": VerdictNotRun},
			reason: map[string]string{"b0000002-0000-4000-8000-000000000002": "TooManyRequestsException"}},
		{name: "subscription payload inside a Lambda subscriber's event",
			files: []file{{"subscription-awslogs-event.json", FormatSubscription}},
			want:  map[string]Verdict{"b0000002-0000-4000-8000-000000000002": VerdictNotRun}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := NewEvidence(Options{})
			for _, f := range tt.files {
				fh, err := os.Open(filepath.Join("testdata", "corpus", f.name))
				if err != nil {
					t.Fatal(err)
				}
				sum, err := e.ReadFile(f.name, fh)
				fh.Close()
				if err != nil {
					t.Fatalf("%s: %v", f.name, err)
				}
				if sum.Format != f.format || sum.Records == 0 || sum.Malformed != 0 {
					t.Errorf("%s: read as %s, %d records, %d malformed; want %s, records, none malformed", f.name, sum.Format, sum.Records, sum.Malformed, f.format)
				}
			}
			rep := e.Report()
			if len(rep.Malformed) > 0 {
				t.Errorf("malformed: %+v", rep.Malformed)
			}
			got := map[string]AttemptVerdict{}
			for _, a := range rep.Attempts {
				got[a.RequestID] = a
			}
			for id, want := range tt.want {
				a, ok := got[id]
				if !ok {
					t.Errorf("%s: no verdict (have %d attempts)", id, len(rep.Attempts))
					continue
				}
				if a.Verdict != want {
					t.Errorf("%s: %s, want %s: %s", id, a.Verdict, want, a.Reason)
				}
				if frag := tt.reason[id]; frag != "" && !strings.Contains(a.Reason, frag) {
					t.Errorf("%s: reason lacks %q: %s", id, frag, a.Reason)
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("%d requests judged, want %d: %v", len(got), len(tt.want), got)
			}
		})
	}
}
