package apigwtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// syncBuffer is a bytes.Buffer safe to read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Split(strings.TrimSuffix(b.b.String(), "\n"), "\n")
}

// The CloudWatch Logs Insights query of AWS's troubleshooting guide for
// 504s (https://repost.aws/knowledge-center/api-gateway-rest-api-504-errors;
// see docs/aws-behaviour.md), which the emulator's execution log must answer:
//
//	parse @message '(*) *' as reqId, message
//	| filter message like /Method completed with status: \d\d\d/
//	| parse message 'Method completed with status: *' as status
var (
	insightsParse  = regexp.MustCompile(`^\((.*?)\) (.*)$`)
	insightsFilter = regexp.MustCompile(`Method completed with status: \d\d\d`)
	insightsStatus = regexp.MustCompile(`Method completed with status: (.*)$`)
	reportRe       = regexp.MustCompile(`^REPORT RequestId: ([0-9a-f-]{36})\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: 64 MB(\tInit Duration: \d+\.\d\d ms)?$`)
)

func TestLogs(t *testing.T) {
	t.Parallel()
	var access, exec, lambda syncBuffer
	release := make(chan struct{})
	s := NewServer(func(ctx context.Context, r events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		switch r.Path {
		case "/slow":
			<-release
		case "/fail":
			return events.APIGatewayProxyResponse{}, errors.New("card declined")
		}
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	}, fastScale, WithAccessLog(&access), WithExecutionLog(&exec), WithLambdaLog(&lambda))

	ids := map[string]string{} // path -> request id
	for _, p := range []string{"/ok", "/slow", "/fail", "/ok"} {
		got := get(t, s.URL+p)
		ids[p] = got.header.Get("x-amzn-RequestId")
	}
	close(release)
	s.Wait()
	s.Close()

	// Access log: one JSON object per request, exactly the production field set.
	wantFields := []string{"error_message", "error_responseType", "extendedRequestId", "integration_error",
		"integration_integrationStatus", "integration_latency", "integration_requestId", "integration_status",
		"integrationLatency", "requestId", "requestTimeEpoch", "responseLatency", "status"}
	slices.Sort(wantFields)
	byID := map[string]map[string]string{}
	for _, line := range access.lines() {
		var m map[string]string
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("access log line %q: %v", line, err)
		}
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range m {
				if !yield(k) {
					return
				}
			}
		})
		if !slices.Equal(keys, wantFields) {
			t.Errorf("fields %v, want %v", keys, wantFields)
		}
		byID[m["requestId"]] = m
	}
	if len(byID) != 4 {
		t.Fatalf("%d access lines with distinct ids, want 4", len(byID))
	}
	slow := byID[ids["/slow"]]
	if slow["status"] != "504" || slow["integration_requestId"] != "-" || slow["error_responseType"] != "INTEGRATION_TIMEOUT" ||
		slow["integration_status"] != "-" || slow["error_message"] != "Endpoint request timed out" {
		t.Errorf("504 access line %v", slow)
	}
	if lat := slow["integration_latency"]; lat < "29000" || len(lat) != 5 {
		t.Errorf("504 integration latency %q, want about 29000 (emulated ms)", lat)
	}
	okLine := byID[ids["/ok"]]
	if okLine["status"] != "200" || !uuidRe.MatchString(okLine["integration_requestId"]) || okLine["integration_status"] != "200" ||
		okLine["integration_integrationStatus"] != "200" || okLine["error_message"] != "-" {
		t.Errorf("200 access line %v", okLine)
	}
	// A function error as published access logs show it: INTEGRATION_FAILURE,
	// the gateway's message, Lambda's error prefixed.
	if fail := byID[ids["/fail"]]; fail["status"] != "502" || fail["integration_integrationStatus"] != "200" ||
		fail["error_responseType"] != "INTEGRATION_FAILURE" || fail["error_message"] != "Internal server error" ||
		fail["integration_error"] != "Lambda Customer Function Error:card declined" {
		t.Errorf("502 access line %v", fail)
	}

	// Execution log: every line parses; the status query finds each request.
	statuses := map[string]string{}
	for _, line := range exec.lines() {
		m := insightsParse.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("execution line %q does not parse as '(*) *'", line)
		}
		if insightsFilter.MatchString(m[2]) {
			statuses[m[1]] = insightsStatus.FindStringSubmatch(m[2])[1]
		}
	}
	if statuses[ids["/slow"]] != "504" || statuses[ids["/fail"]] != "502" || statuses[ids["/ok"]] != "200" {
		t.Errorf("Logs Insights statuses %v", statuses)
	}
	text := strings.Join(exec.lines(), "\n")
	for _, want := range []string{
		"(" + ids["/slow"] + ") Execution failed due to a timeout error",
		"(" + ids["/fail"] + ") Lambda execution failed with status 200 due to customer function error: card declined. Lambda request id: ",
		"(" + ids["/ok"] + ") Received response. Status: 200, Integration latency: ",
		"(" + ids["/ok"] + ") Endpoint response headers: {Date=",
		"(" + ids["/ok"] + ") Endpoint response body before transformations: {\"statusCode\":200,",
		"(" + ids["/ok"] + ") Successfully completed execution",
		"(" + ids["/fail"] + ") Received response. Status: 200, Integration latency: ",
		"X-Amz-Function-Error=Unhandled, ",
		"(" + ids["/fail"] + ") Endpoint response body before transformations: {\"errorType\":\"errorString\",\"errorMessage\":\"card declined\"}",
		"Sending request to https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("execution log lacks %q:\n%s", want, text)
		}
	}

	// The Lambda request id in "Endpoint response headers" is the one the
	// access log names; a failed request never "Successfully completed".
	for _, p := range []string{"/ok", "/fail"} {
		want := "(" + ids[p] + ") Endpoint response headers: {"
		lid := byID[ids[p]]["integration_requestId"]
		found := false
		for _, line := range exec.lines() {
			if strings.HasPrefix(line, want) && strings.Contains(line, ", x-amzn-RequestId="+lid+", ") {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no endpoint response headers naming Lambda request id %s", p, lid)
		}
	}
	if strings.Contains(text, "("+ids["/fail"]+") Successfully completed execution") {
		t.Error("a function error was logged as a successful execution")
	}

	// Lambda log: START, END, REPORT for each of the 4 invocations.
	var starts, ends, reports, inits int
	for _, line := range lambda.lines() {
		switch {
		case strings.HasPrefix(line, "START RequestId: ") && strings.HasSuffix(line, " Version: $LATEST"):
			starts++
		case strings.HasPrefix(line, "END RequestId: "):
			ends++
		case reportRe.MatchString(line):
			reports++
			if reportRe.FindStringSubmatch(line)[2] != "" {
				inits++
			}
		default:
			t.Errorf("unexpected Lambda log line %q", line)
		}
	}
	if starts != 4 || ends != 4 || reports != 4 || inits < 1 {
		t.Errorf("START %d END %d REPORT %d (Init %d), want 4 4 4 (>=1)", starts, ends, reports, inits)
	}
}

func TestLogsConcurrentLinesStayWhole(t *testing.T) {
	t.Parallel()
	var access syncBuffer
	s := NewServer(ok, fastScale, WithAccessLog(&access))
	defer s.Close()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10 {
				_ = get(t, s.URL+"/x")
			}
		})
	}
	wg.Wait()
	lines := access.lines()
	if len(lines) != 80 {
		t.Fatalf("%d lines, want 80", len(lines))
	}
	for _, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Fatalf("torn line %q", l)
		}
	}
}
