package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retryscope/retryscope/apigwtest"
)

// TestBugEmulateBadPortExitsOne pins an -addr whose port is out of range
// or not a number: it passed the flag checks and failed at listen time with
// exit 1 and net's message, instead of a usage error (exit 2).
func TestBugEmulateBadPortExitsOne(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"127.0.0.1:99999", "127.0.0.1:-1", "127.0.0.1:http", "localhost:"} {
		var stdout, stderr bytes.Buffer
		code := emulate(context.Background(), []string{"-addr", addr}, &stdout, &stderr, nil)
		if code != 2 || !strings.Contains(stderr.String(), "PORT must be a number from 0 to 65535") ||
			strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("-addr %s: exit %d, stderr %q", addr, code, stderr.String())
		}
	}
}

// TestBugEmulateUnwritableLogExitsOne pins a log file that cannot be
// created: emulate exited 1 without naming the file, where probe's
// -attempt-log and bench's -out give a usage error (exit 2).
func TestBugEmulateUnwritableLogExitsOne(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "missing", "lambda.log")
	var stdout, stderr bytes.Buffer
	code := emulate(context.Background(), []string{"-lambda-log", bad}, &stdout, &stderr, nil)
	if code != 2 || !strings.Contains(stderr.String(), "-lambda-log: cannot write "+bad) ||
		strings.Count(stderr.String(), "\n") != 1 {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// TestBugProbeURLWithoutHostname pins a URL with a port but no host name
// ("http://:80/x", or ":/x" which becomes "http://:/x"): it passed the
// "has no host" check and was sent, dialling this machine, instead of a
// usage error.
func TestBugProbeURLWithoutHostname(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"http://:80/x", ":/x", "http://user:pw@:8080/x?k=v"} {
		var stdout, stderr bytes.Buffer
		code := probe(context.Background(), []string{u}, &stdout, &stderr, nil)
		if code != 2 || !strings.Contains(stderr.String(), "has no host") || strings.Contains(stderr.String(), "pw") ||
			stdout.Len() != 0 {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", u, code, stdout.String(), stderr.String())
		}
	}
}

// TestBugInsightsQueryOverLimit pins the queries probe prints for long
// request ids (an API that answers x-amzn-RequestId with ids of up to 128
// characters, which probe accepts): 100 of them made one query of more than
// Logs Insights' 10,000 characters, which the console refuses.
func TestBugInsightsQueryOverLimit(t *testing.T) {
	t.Parallel()
	for _, n := range []int{36, 128} {
		var ids []string
		for i := range 250 {
			id := fmt.Sprintf("%04d", i) + strings.Repeat("a", n-4)
			ids = append(ids, id)
		}
		seen := map[string]int{}
		for _, q := range insightsQueries(ids) {
			if len(q.Query) > 10000 {
				t.Errorf("ids of %d characters: a query of %d characters: %s", n, len(q.Query), q.Title)
			}
			for _, id := range ids {
				if strings.Contains(q.Query, `"`+id+`"`) {
					seen[id]++
				}
			}
		}
		for _, id := range ids {
			if seen[id] != 3 {
				t.Errorf("ids of %d characters: %s in %d queries, want 3", n, id[:4], seen[id])
				break
			}
		}
	}
}

// TestBugDiagnoseUsageOmitsMaxLine pins diagnose's one-line usage, printed
// with every flag error: it named -json and -timeout but not -max-line.
func TestBugDiagnoseUsageOmitsMaxLine(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"diagnose", "-max-lines", "5", "x.log"}, &stdout, &stderr); code != 2 {
		t.Fatalf("exit %d", code)
	}
	for _, flag := range []string{"-json", "-timeout", "-max-line "} {
		if !strings.Contains(stderr.String(), flag) {
			t.Errorf("stderr lacks %q: %q", flag, stderr.String())
		}
	}
	if strings.Count(stderr.String(), "\n") != 1 {
		t.Errorf("not one line: %q", stderr.String())
	}
}

// TestBugProbeQueryResultsUnreadable pins the round trip the README walks:
// run probe's Logs Insights queries, export the results, diagnose them.
// The execution-log query displays reqId and message (not @message) and the
// function-log query selected fields without @message, so diagnose ignored
// every row of both exports.
func TestBugProbeQueryResultsUnreadable(t *testing.T) {
	t.Parallel()
	const id = "99e0f8f9-4c32-4885-84db-07dfb22e3d55"
	execution := []string{
		"(" + id + ") Starting execution for request: " + id,
		"(" + id + ") Sending request to https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:f/invocations",
		"(" + id + ") Execution failed due to a timeout error",
		"(" + id + ") Method completed with status: 504",
	}
	lambda := `{"msg":"lambda_invocation","lambda_request_id":"df934fe4-a2d2-4629-b2ff-bbc2a1cb71a9","apigw_request_id":"` + id +
		`","invocation_id":"inv-1","attempt":1,"start":"2026-11-26T01:00:00.050Z","duration_ms":35000.5,"status":200}`
	// What Logs Insights returns for a query: the columns its fields or
	// display command names, every value a string.
	columns := func(query string) []string {
		for _, l := range strings.Split(query, "\n") {
			l = strings.TrimPrefix(l, "| ")
			if rest, ok := strings.CutPrefix(l, "display "); ok {
				return strings.Split(rest, ", ")
			}
			if rest, ok := strings.CutPrefix(l, "fields "); ok {
				return strings.Split(rest, ", ")
			}
		}
		t.Fatalf("no columns in %s", query)
		return nil
	}
	export := func(query string, lines []string) string {
		var rows []map[string]string
		for _, line := range lines {
			all := map[string]string{"@timestamp": "2026-11-26 01:00:35.100", "@message": line}
			if strings.HasPrefix(line, "(") {
				i := strings.Index(line, ") ")
				all["reqId"], all["message"] = line[1:i], line[i+2:]
			} else {
				var fields map[string]any
				if err := json.Unmarshal([]byte(line), &fields); err != nil {
					t.Fatal(err)
				}
				for k, v := range fields {
					all[k] = fmt.Sprint(v)
				}
			}
			row := map[string]string{}
			for _, c := range columns(query) {
				if v, ok := all[c]; ok {
					row[c] = v
				}
			}
			rows = append(rows, row)
		}
		b, _ := json.Marshal(rows)
		return string(b)
	}
	dir := t.TempDir()
	files := []string{filepath.Join(dir, "attempts.log")}
	attempt := `{"time":"2026-11-26T01:00:29.020Z","level":"INFO","msg":"attempt","invocation_id":"inv-1","attempt":1,"max_attempts":1,"method":"GET",` +
		`"start":"2026-11-26T01:00:00.000Z","duration_ms":29020,"status":504,"reach":"backend_timeout","cause":"integration_timeout",` +
		`"request_id_sent":"` + id + `","request_id":"` + id + `","retry":false,"rule":"max_attempts","reason":"x"}` + "\n"
	if err := os.WriteFile(files[0], []byte(attempt), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, q := range insightsQueries([]string{id}) {
		var lines []string
		switch {
		case strings.HasPrefix(q.Title, "these requests in the execution log"):
			lines = execution
		case strings.HasPrefix(q.Title, "these requests in the function's log"):
			lines = []string{lambda}
		default:
			continue
		}
		name := filepath.Join(dir, fmt.Sprintf("query%d.json", len(files)))
		if err := os.WriteFile(name, []byte(export(q.Query, lines)), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, name)
	}
	if len(files) != 3 {
		t.Fatalf("queries: %d", len(files)-1)
	}
	var stdout, stderr bytes.Buffer
	if code := run(append([]string{"diagnose", "-json"}, files...), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var rep struct {
		Attempts []struct {
			Verdict         string `json:"verdict"`
			GatewayTimedOut bool   `json:"gateway_timed_out"`
		} `json:"attempts"`
		Files []struct {
			Path    string `json:"path"`
			Lines   int    `json:"lines"`
			Records int    `json:"records"`
		} `json:"files"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Files {
		if f.Records != f.Lines {
			t.Errorf("%s: %d of %d rows used", filepath.Base(f.Path), f.Records, f.Lines)
		}
	}
	if len(rep.Attempts) != 1 || rep.Attempts[0].Verdict != "ran" || !rep.Attempts[0].GatewayTimedOut {
		t.Errorf("attempts %+v", rep.Attempts)
	}
}

// TestBugHelpCommandIgnored pins "retryscope help probe", which printed
// the list of commands instead of probe's flags.
func TestBugHelpCommandIgnored(t *testing.T) {
	t.Parallel()
	for _, name := range sortedNames() {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"help", name}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "usage: retryscope "+name) {
			t.Errorf("help %s: exit %d, stderr %q", name, code, stderr.String())
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"help", "nope"}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "usage: retryscope <command>") {
		t.Errorf("help nope: exit %d, stderr %q", code, stderr.String())
	}
}

// TestBugProbeBarePartsAndPathParams: a query part without '=' (a token
// passed as the whole query) and a path parameter's value (";jsessionid=")
// were printed as they came: in probe's text and JSON output, its attempt
// log, and its page, whose lanes name the request's path.
func TestBugProbeBarePartsAndPathParams(t *testing.T) {
	t.Parallel()
	secrets := []string{"s3cr3tT0ken", "ABC123sess"}
	const pathQuery = "/app;jsessionid=ABC123sess/orders?s3cr3tT0ken&page=2"
	s := newProbeServer(t, firstAttemptFault(apigwtest.Fault{Outage: apigwtest.OutageTimeout}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	dir := t.TempDir()
	page, log := filepath.Join(dir, "probe.html"), filepath.Join(dir, "attempts.log")
	printed := map[string]string{}
	for i, args := range [][]string{
		{"-html", page, "-attempt-log", log, s.URL + pathQuery},
		{"-json", s.URL + pathQuery},
		{"-attempts", "2", closed + pathQuery},
		{"-json", "-attempts", "2", closed + pathQuery},
	} {
		stdout, stderr, _ := runProbeCmd(t, args...)
		printed[fmt.Sprintf("run %d stdout", i+1)] = stdout
		printed[fmt.Sprintf("run %d stderr", i+1)] = stderr
	}
	for name, path := range map[string]string{"page": page, "attempt log": log} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		printed[name] = string(b)
	}
	for name, text := range printed {
		for _, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("%s holds %s:\n%s", name, secret, text)
			}
		}
	}
	for name, want := range map[string]string{
		"run 1 stdout": "/prod/app;jsessionid=REDACTED/orders?REDACTED&page=REDACTED",
		"attempt log":  "/prod/app;jsessionid=REDACTED/orders?REDACTED",
		"page":         "GET /prod/app;jsessionid=REDACTED/orders",
	} {
		if !strings.Contains(printed[name], want) {
			t.Errorf("%s lacks %q", name, want)
		}
	}
}
