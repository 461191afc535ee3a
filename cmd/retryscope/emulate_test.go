package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/retryscope/retryscope/apigwtest"
)

// emulateRun is an emulate command running in-process.
type emulateRun struct {
	url            string
	cancel         context.CancelFunc
	done           chan int
	stdout, stderr bytes.Buffer
}

// startEmulate runs emulate with args until stop is called; it fails the
// test if the server does not start.
func startEmulate(t *testing.T, args ...string) *emulateRun {
	t.Helper()
	if !slices.Contains(args, "-addr") {
		args = append([]string{"-addr", "127.0.0.1:0"}, args...) // tests run in parallel
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &emulateRun{cancel: cancel, done: make(chan int, 1)}
	urls := make(chan string, 1)
	go func() {
		r.done <- emulate(ctx, args, &r.stdout, &r.stderr, func(u string) { urls <- u })
	}()
	select {
	case r.url = <-urls:
	case code := <-r.done:
		t.Fatalf("emulate %q exited with %d before serving: %s", args, code, r.stderr.String())
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("emulate did not start")
	}
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop ends the run as SIGINT would and returns its exit code; stdout and
// stderr are safe to read afterwards.
func (r *emulateRun) stop(t *testing.T) int {
	t.Helper()
	r.cancel()
	select {
	case code := <-r.done:
		r.done <- code // a later stop gets the same answer
		return code
	case <-time.After(10 * time.Second):
		t.Fatal("emulate did not stop")
		return -1
	}
}

type emulateAnswer struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, url string, header ...string) emulateAnswer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return emulateAnswer{resp.StatusCode, resp.Header, string(b)}
}

func TestEmulateServesAndLogs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	access, exec, lambda := filepath.Join(dir, "access.log"), filepath.Join(dir, "execution.log"), filepath.Join(dir, "lambda.log")
	r := startEmulate(t, "-addr", "127.0.0.1:0", "-time-scale", "0.05",
		"-access-log", access, "-execution-log", exec, "-lambda-log", lambda)

	ok := get(t, r.url+"/hello?x=1", "Authorization", "Bearer s3cret")
	if ok.status != 200 {
		t.Fatalf("GET /hello: %d %s", ok.status, ok.body)
	}
	var echo echoReply
	if err := json.Unmarshal([]byte(ok.body), &echo); err != nil {
		t.Fatalf("echo %q: %v", ok.body, err)
	}
	if echo.Method != "GET" || echo.Path != "/hello" || echo.Query["x"][0] != "1" ||
		echo.RequestID != ok.header.Get("X-Amzn-Requestid") || echo.ExtendedRequestID != ok.header.Get("X-Amz-Apigw-Id") ||
		echo.LambdaRequestID == "" || !strings.HasPrefix(echo.TraceID, "Root=1-") {
		t.Errorf("echo %+v does not match the request and its headers %v", echo, ok.header)
	}
	if got := echo.Headers["Authorization"]; len(got) != 1 || got[0] != "REDACTED" {
		t.Errorf("Authorization echoed as %q", got)
	}

	timeout := get(t, r.url+"/slow?sleep=35s")
	if timeout.status != 504 || timeout.body != `{"message": "Endpoint request timed out"}` {
		t.Errorf("GET ?sleep=35s: %d %s, want the REST 504", timeout.status, timeout.body)
	}
	for _, c := range []struct {
		query  string
		status int
	}{{"fail=1", 502}, {"status=418", 418}, {"sleep=soon", 400}, {"status=1000", 400}, {"sleep=20", 200}} {
		if a := get(t, r.url+"/x?"+c.query); a.status != c.status {
			t.Errorf("?%s: %d %s, want %d", c.query, a.status, a.body, c.status)
		}
	}
	if a := get(t, strings.TrimSuffix(r.url, "/prod")+"/other/x"); a.status != 403 {
		t.Errorf("outside the stage: %d, want 403", a.status)
	}

	// The 504'd function runs on for another 300 ms of real time: the
	// one-second close grace lets it finish.
	if code := r.stop(t); code != 0 {
		t.Fatalf("exit code %d: %s", code, r.stderr.String())
	}
	out := r.stdout.String()
	for _, want := range []string{
		"URL " + r.url, "loopback only", "integration timeout  29s", "time scale           0.05",
		"requests           8", "answers            200: 2, 400: 2, 403: 1, 418: 1, 502: 1, 504: 1",
		"gateway timeouts   1 (functions that finished after the timeout answer: 1)", "function errors    1",
		"  " + timeout.header.Get("X-Amzn-Requestid") + "  INTEGRATION_TIMEOUT (the function may still be running)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if r.stderr.Len() != 0 {
		t.Errorf("unexpected stderr %q", r.stderr.String())
	}

	// Access log: one JSON line per request; the 504 has no Lambda id.
	entries := readAccessLog(t, access)
	if len(entries) != 8 {
		t.Fatalf("%d access-log lines, want 8", len(entries))
	}
	timeoutID := timeout.header.Get("X-Amzn-Requestid")
	var found bool
	for _, e := range entries {
		if e.RequestID == timeoutID {
			found = true
			if e.Status != "504" || e.IntegrationRequestID != "-" || e.ErrorResponseType != "INTEGRATION_TIMEOUT" {
				t.Errorf("504 access-log entry %+v", e)
			}
		}
	}
	if !found {
		t.Errorf("no access-log line for %s", timeoutID)
	}
	execLog := readFile(t, exec)
	if !strings.Contains(execLog, "("+timeoutID+") Method completed with status: 504") ||
		!strings.Contains(execLog, "("+timeoutID+") Execution failed due to a timeout error") {
		t.Errorf("execution log lacks the 504 of %s:\n%s", timeoutID, execLog)
	}
	// Lambda log: the 504'd function ran; the middleware says so by id.
	lambdaLog := readFile(t, lambda)
	if !strings.Contains(lambdaLog, `"apigw_request_id":"`+timeoutID+`"`) || !strings.Contains(lambdaLog, "REPORT RequestId: ") {
		t.Errorf("lambda log lacks the invocation behind %s:\n%s", timeoutID, lambdaLog)
	}
	for _, line := range strings.Split(strings.TrimSpace(lambdaLog), "\n") {
		if strings.HasPrefix(line, "{") && !json.Valid([]byte(line)) {
			t.Errorf("torn lambda-log line %q", line)
		}
	}
	if strings.Contains(lambdaLog+execLog+readFile(t, access), "s3cret") {
		t.Error("a credential reached the logs")
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readAccessLog(t *testing.T, name string) []apigwtest.AccessLogEntry {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []apigwtest.AccessLogEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e apigwtest.AccessLogEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("access-log line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

func TestEmulateFaultFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		path     string
		statuses []int // of consecutive GETs
		body     string
	}{
		{"latency past the timeout", []string{"-latency", "fixed:35s"}, "/prod/x", []int{504}, "Endpoint request timed out"},
		{"short integration timeout", []string{"-integration-timeout", "1s"}, "/prod/x?sleep=5s", []int{504}, ""},
		{"function timeout shorter", []string{"-function-timeout", "1s"}, "/prod/x?sleep=5s", []int{502}, "Internal server error"},
		{"error rate", []string{"-error-rate", "1"}, "/prod/x", []int{502, 502}, ""},
		{"malformed", []string{"-malformed-rate", "1"}, "/prod/x", []int{502}, ""},
		{"gateway throttle", []string{"-throttle", "0,1"}, "/prod/x", []int{200, 429}, "Too Many Requests"},
		{"concurrency 0", []string{"-concurrency", "0"}, "/prod/x", []int{500}, "Internal server error"},
		{"outage window", []string{"-outage", "0s-1h:function-error"}, "/prod/x", []int{502}, ""},
		{"outage not yet", []string{"-outage", "1h-2h"}, "/prod/x", []int{200}, ""},
		{"outage for ever", []string{"-outage", "0s-:throttle"}, "/prod/x", []int{500}, ""},
		{"http api", []string{"-http-api", "-latency", "slow:1,31s"}, "/x", []int{503}, `{"message":"Service Unavailable"}`},
		{"stage", []string{"-stage", "dev"}, "/dev/x", []int{200}, ""},
		{"usage plan quota", []string{"-quota", "1"}, "/prod/x", []int{200, 429}, `{"message":"Limit Exceeded"}`},
		{"gateway latency", []string{"-gateway-latency", "uniform:10ms-230ms", "-invocation-history", "1"}, "/prod/x", []int{200, 200}, ""},
		{"no stage", []string{"-stage", ""}, "/x", []int{200}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// 0.05: a 29 s timeout is 1.45 s, far from a loaded test's delays.
			r := startEmulate(t, append([]string{"-time-scale", "0.05", "-close-grace", "10ms"}, tt.args...)...)
			base := hostPort(r.url)
			var last emulateAnswer
			for i, want := range tt.statuses {
				last = get(t, "http://"+base+tt.path)
				if last.status != want {
					t.Errorf("request %d: %d %s, want %d", i+1, last.status, last.body, want)
				}
			}
			if !strings.Contains(last.body, tt.body) {
				t.Errorf("body %q lacks %q", last.body, tt.body)
			}
			if code := r.stop(t); code != 0 {
				t.Errorf("exit code %d", code)
			}
		})
	}
}

func TestEmulateHTTPAPIBanner(t *testing.T) {
	t.Parallel()
	r := startEmulate(t, "-http-api", "-quiet")
	get(t, r.url+"/x")
	r.stop(t)
	if strings.Contains(r.stdout.String(), "requests (") || strings.Contains(r.stdout.String(), "  200  ") {
		t.Errorf("-quiet printed requests:\n%s", r.stdout.String())
	}
	if out := r.stdout.String(); !strings.Contains(out, "API Gateway (HTTP API)") || !strings.Contains(out, "integration timeout  30s") {
		t.Errorf("banner:\n%s", out)
	}
}

func TestEmulateBadFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-latency", "sometimes"}, `invalid value "sometimes" for flag -latency`},
		{[]string{"-latency", "uniform:2s-1s"}, "MAX is below MIN"},
		{[]string{"-throttle", "fast"}, "RATE must be"},
		{[]string{"-outage", "40s-10s"}, "TO must be after FROM"},
		{[]string{"-outage", "10s-40s:flood"}, `unknown kind "flood"`},
		{[]string{"-addr", "0.0.0.0:8080"}, "loopback only"},
		{[]string{"-addr", "8080"}, "want HOST:PORT"},
		{[]string{"-error-rate", "2"}, "-error-rate must be between 0 and 1"},
		{[]string{"-time-scale", "0"}, "-time-scale must be a positive number"},
		{[]string{"-integration-timeout", "0s"}, "-integration-timeout must be positive"},
		{[]string{"-concurrency", "-1"}, "-concurrency must not be negative"},
		{[]string{"-stage", "a/b"}, "must not contain"},
		{[]string{"-gateway-latency", "soon"}, `invalid value "soon" for flag -gateway-latency`},
		{[]string{"-quota", "-1"}, "must not be negative"},
		{[]string{"serve"}, `unexpected argument "serve"`},
		{[]string{"-port", "1"}, "flag provided but not defined: -port"},
		{[]string{"-function", "/nonexistent/bootstrap"}, "-function /nonexistent/bootstrap: no such file or directory"},
		{[]string{"-function", "."}, "is not an executable file"},
		{[]string{"-env", "X=1"}, "-env applies to a -function binary only"},
		{[]string{"-env", "=1"}, "want KEY=value"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := emulate(context.Background(), tt.args, &stdout, &stderr, nil)
		if code != 2 {
			t.Errorf("%q: exit code %d, want 2", tt.args, code)
		}
		if stdout.Len() != 0 || strings.Count(stderr.String(), "\n") != 1 || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%q: stderr %q, want one line with %q", tt.args, stderr.String(), tt.want)
		}
	}
}

func TestEmulateHelpAndLogErrors(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := emulate(context.Background(), []string{"-h"}, &stdout, &stderr, nil); code != 0 ||
		!strings.Contains(stderr.String(), "usage: retryscope emulate") || !strings.Contains(stderr.String(), "-time-scale") {
		t.Errorf("-h: exit %d, stderr %s", code, stderr.String())
	}
	stderr.Reset()
	bad := filepath.Join(t.TempDir(), "missing", "access.log")
	if code := emulate(context.Background(), []string{"-access-log", bad}, &stdout, &stderr, nil); code != 2 ||
		!strings.Contains(stderr.String(), "-access-log") {
		t.Errorf("unwritable log: exit %d, stderr %s", code, stderr.String())
	}
}

func TestEmulateProbe(t *testing.T) {
	t.Parallel()
	// probe against emulate, end to end: a 504 whose function ran on, then
	// a 200, with the ids probe prints found in the emulator's logs.
	dir := t.TempDir()
	access := filepath.Join(dir, "access.log")
	r := startEmulate(t, "-time-scale", "0.05", "-outage", "0s-1h", "-access-log", access)
	stdout, _, code := runProbeCmd(t, "-attempts", "2", r.url+"/orders")
	if code != 1 || !strings.Contains(stdout, "504 Gateway Timeout after 2 attempt(s)") {
		t.Errorf("probe during the outage: exit %d\n%s", code, stdout)
	}
	r.stop(t)
	for _, e := range readAccessLog(t, access) {
		if !strings.Contains(stdout, e.RequestID) {
			t.Errorf("probe's output lacks request id %s", e.RequestID)
		}
	}
}

// buildLambda builds testdata/emulate/lambdafn into a directory the test
// removes (the go tool's build cache makes a second build quick).
func buildLambda(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a Lambda binary")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool to build a Lambda binary with")
	}
	path := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command(goTool, "build", "-o", path, "./testdata/emulate/lambdafn")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the test function: %v\n%s", err, out)
	}
	return path
}

func TestEmulateFunctionBinary(t *testing.T) {
	bin := buildLambda(t)
	lambda := filepath.Join(t.TempDir(), "lambda.log")
	// Process starts are not scaled: 0.1 keeps 29 s at 2.9 s, ample for one.
	r := startEmulate(t, "-function", bin, "-env", "GREETING=hi", "-time-scale", "0.1", "-lambda-log", lambda)
	a := get(t, r.url+"/orders")
	if a.status != 200 || a.body != "ran" {
		t.Errorf("GET: %d %q", a.status, a.body)
	}
	if f := get(t, r.url+"/orders?fail=1"); f.status != 502 {
		t.Errorf("GET ?fail=1: %d %q", f.status, f.body)
	}
	if code := r.stop(t); code != 0 {
		t.Fatalf("exit code %d: %s", code, r.stderr.String())
	}
	log := readFile(t, lambda)
	id := a.header.Get("X-Amzn-Requestid")
	if !strings.Contains(log, "START RequestId: ") || !strings.Contains(log, `"apigw_request_id":"`+id+`"`) {
		t.Errorf("the Lambda log lacks the binary's invocation %s:\n%s", id, log)
	}
	if out := r.stdout.String(); !strings.Contains(out, bin+" (Lambda Runtime API") {
		t.Errorf("banner:\n%s", out)
	}

	// A 504 from the binary: its own lambdalog line, on the emulator's
	// clock, must end after the gateway gave up.
	dir := t.TempDir()
	logs := []string{filepath.Join(dir, "attempts.log"), filepath.Join(dir, "access.log"), filepath.Join(dir, "execution.log"), filepath.Join(dir, "lambda.log")}
	r = startEmulate(t, "-function", bin, "-time-scale", "0.1", "-latency", "fixed:35s",
		"-access-log", logs[1], "-execution-log", logs[2], "-lambda-log", logs[3])
	runProbeCmd(t, "-attempts", "1", "-attempt-log", logs[0], r.url+"/orders")
	if code := r.stop(t); code != 0 {
		t.Fatalf("exit code %d: %s", code, r.stderr.String())
	}
	var stdout, stderr bytes.Buffer
	if code := runDiagnose(append([]string{"-json"}, logs...), &stdout, &stderr); code != 0 {
		t.Fatalf("diagnose: %d %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), `"verdict": "ran"`) || !strings.Contains(stdout.String(), `"ran_after_gateway_gave_up": true`) {
		t.Errorf("diagnose does not see the binary run on after the 504:\n%s\nlambda log:\n%s", stdout.String(), readFile(t, logs[3]))
	}
}

// TestEmulateProbeDiagnose walks the README's workflow: emulate with its
// logs, probe with an attempt log, diagnose over all of them; the verdicts
// must match what the emulator did.
func TestEmulateProbeDiagnose(t *testing.T) {
	t.Parallel()
	t.Run("function sleeps", func(t *testing.T) {
		t.Parallel()
		testEmulateProbeDiagnose(t, "/orders?sleep=35s", nil)
	})
	t.Run("added latency", func(t *testing.T) {
		t.Parallel()
		// The emulator adds the latency before the function's handler
		// runs: the middleware's line must still end after the 504.
		testEmulateProbeDiagnose(t, "/orders", []string{"-latency", "slow:1,35s"})
	})
}

func testEmulateProbeDiagnose(t *testing.T, slowPath string, flags []string) {
	dir := t.TempDir()
	logs := map[string]string{}
	for _, name := range []string{"access", "execution", "lambda", "attempts"} {
		logs[name] = filepath.Join(dir, name+".log")
	}
	r := startEmulate(t, append([]string{"-time-scale", "0.05", "-throttle", "0,3",
		"-access-log", logs["access"], "-execution-log", logs["execution"], "-lambda-log", logs["lambda"]}, flags...)...)
	// Two 504s whose functions run on (2 tokens), one 200 (the last token),
	// then two 429s from the gateway: the function never runs.
	runProbeCmd(t, "-attempts", "2", "-no-budget", "-attempt-log", logs["attempts"], r.url+slowPath)
	if flags != nil {
		r.stop(t)
		r = startEmulate(t, "-time-scale", "0.05", "-throttle", "0,1",
			"-access-log", logs["access"]+"2", "-execution-log", logs["execution"]+"2", "-lambda-log", logs["lambda"]+"2")
	}
	for range 2 {
		runProbeCmd(t, "-attempts", "2", "-no-budget", "-attempt-log", logs["attempts"], r.url+"/orders")
	}
	if code := r.stop(t); code != 0 { // waits for the 504'd functions
		t.Fatalf("emulate: %d", code)
	}
	var stdout, stderr bytes.Buffer
	files := []string{"-json", logs["attempts"], logs["access"], logs["execution"], logs["lambda"]}
	if flags != nil {
		files = append(files, logs["access"]+"2", logs["execution"]+"2", logs["lambda"]+"2")
	}
	if code := runDiagnose(files, &stdout, &stderr); code != 0 {
		t.Fatalf("diagnose: exit %d: %s", code, stderr.String())
	}
	var rep struct {
		Attempts []struct {
			RequestID string `json:"request_id"`
			Verdict   string `json:"verdict"`
			Reason    string `json:"reason"`
			Status    int    `json:"status"`
			RanAfter  *bool  `json:"ran_after_gateway_gave_up"`
		} `json:"attempts"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("diagnose -json: %v\n%s", err, stdout.String())
	}
	var got []string
	for _, a := range rep.Attempts {
		got = append(got, a.Verdict)
		if a.Status == 504 && (a.RanAfter == nil || !*a.RanAfter) {
			t.Errorf("attempt %s: the 504'd function finished after the gateway gave up, diagnose says otherwise: %+v", a.RequestID, a)
		}
	}
	if want := []string{"ran", "ran", "ran", "not_run", "not_run"}; !reflect.DeepEqual(got, want) {
		t.Errorf("verdicts %v, want %v\n%s", got, want, stdout.String())
	}
}

func TestEmulateTimesOfMiddlewareLines(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	e := newEmulatedTimes(&b, 0.01, time.Hour)
	tap := &arrivalTap{times: e}
	arrival := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	line := "(a1) Starting execution for request: a1\n"
	if n, err := tap.Write([]byte(line)); err != nil || n != len(line) {
		t.Fatalf("tap: %d, %v", n, err)
	}
	e.arrived("a1", arrival) // the test's own clock instead of time.Now
	lines := []string{
		// Started 350 ms (real) after the request, ran 350.5 ms (real).
		`{"msg":"lambda_invocation","lambda_request_id":"l1","apigw_request_id":"a1","start":"2026-11-26T01:00:00.35Z","duration_ms":350.5,"status":200}` + "\n",
		// A request whose arrival is unknown: only the duration changes.
		`{"msg":"lambda_invocation","apigw_request_id":"zz","start":"2026-11-26T01:00:00.35Z","duration_ms":1,"status":200}` + "\n",
		"START RequestId: l1 Version: $LATEST\n",
		`{"msg":"lambda_invocation",` + "\n", // not JSON: passes through
	}
	for _, l := range lines {
		if n, err := e.Write([]byte(l)); err != nil || n != len(l) {
			t.Fatalf("Write: %d, %v", n, err)
		}
	}
	want := `{"msg":"lambda_invocation","lambda_request_id":"l1","apigw_request_id":"a1","start":"2026-11-26T01:00:35Z","duration_ms":35050,"status":200}` + "\n" +
		`{"msg":"lambda_invocation","apigw_request_id":"zz","start":"2026-11-26T01:00:00.35Z","duration_ms":100,"status":200}` + "\n" +
		lines[2] + lines[3]
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	if len(e.arrivals) != 0 {
		t.Errorf("arrivals kept after their line: %v", e.arrivals)
	}
	// Arrivals whose function never wrote are dropped after maxAge.
	e.maxAge = time.Minute
	for i := range 1024 {
		e.arrived(strconv.Itoa(i), arrival.Add(time.Duration(i)*time.Second))
	}
	if len(e.arrivals) > 64 { // the last minute, and those since the last sweep
		t.Errorf("%d arrivals kept, want those of the last minute", len(e.arrivals))
	}
}

func FuzzParseLatency(f *testing.F) {
	for _, s := range []string{
		"200ms", "fixed:200ms", "uniform:100ms-2s", "normal:1s,200ms", "slow:0.1,35s",
		"slow:0.5,uniform:30s-40s", "slow:1,slow:0.5,1s", "overload:200ms,50", "fixed:-1s",
		"uniform:2s-1s", "slow:NaN,1s", "slow:1e-3,1h", "overload:1s,0", "gamma:1s", "", ":", "fixed:",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := parseLatency(s)
		if err != nil {
			return
		}
		again, err := parseLatency(formatLatency(l))
		if err != nil || !reflect.DeepEqual(again, l) {
			t.Fatalf("%q parsed as %#v, formatted %q, parsed back as %#v (%v)", s, l, formatLatency(l), again, err)
		}
		checkLatency(t, l)
	})
}

// checkLatency checks the invariants of a parsed latency: nothing
// negative, shares in [0, 1].
func checkLatency(t *testing.T, l apigwtest.Latency) {
	switch l := l.(type) {
	case apigwtest.Fixed:
		if l < 0 {
			t.Fatalf("negative %v", l)
		}
	case apigwtest.Uniform:
		if l.Min < 0 || l.Max < l.Min {
			t.Fatalf("uniform %v", l)
		}
	case apigwtest.Normal:
		if l.Mean < 0 || l.StdDev < 0 {
			t.Fatalf("normal %v", l)
		}
	case apigwtest.SlowShare:
		if !(l.Share >= 0 && l.Share <= 1) || l.Fast != nil {
			t.Fatalf("slow share %v", l)
		}
		checkLatency(t, l.Slow)
	case apigwtest.Overload:
		if l.Base < 0 || l.Capacity < 1 {
			t.Fatalf("overload %v", l)
		}
	default:
		t.Fatalf("unexpected latency %T", l)
	}
}

func FuzzParseThrottle(f *testing.F) {
	for _, s := range []string{"10,5", "0,1", "10", "0.5", "1e9,1", "-1,1", "1,0", "NaN,1", "Inf,1", "1,", ",1", "1,2,3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		th, err := parseThrottle(s)
		if err != nil {
			return
		}
		if math.IsNaN(th.rate) || math.IsInf(th.rate, 0) || th.rate < 0 || th.burst < 1 {
			t.Fatalf("%q parsed as %+v", s, th)
		}
	})
}

func FuzzParseOutage(f *testing.F) {
	for _, s := range []string{"10s-40s", "10s-40s:throttle", "0s-:function-error", "10s-", "-10s", "40s-10s", "1h-2h:timeout", "1s-1s", "a-b", "1s-2s:", ":"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseOutage(s)
		if err != nil {
			return
		}
		if p.From < 0 || (p.To != 0 && p.To <= p.From) || p.Fault.Outage == apigwtest.NoOutage {
			t.Fatalf("%q parsed as %+v", s, p)
		}
		again, err := parseOutage(formatOutage(p))
		if err != nil || again != p {
			t.Fatalf("%q parsed as %+v, formatted %q, parsed back as %+v (%v)", s, p, formatOutage(p), again, err)
		}
	})
}

func FuzzParseSleep(f *testing.F) {
	for _, s := range []string{"35s", "35000", "0", "-1", "1.5s", "-1s", "9223372036854775807", "99999999999999999999", "1e3", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := parseSleep(s); err == nil && d < 0 {
			t.Fatalf("%q parsed as %v", s, d)
		}
	})
}

// TestEmulateAddrInUse: -addr is honoured, so a busy address is a clear
// one-line error and exit code 1.
func TestEmulateAddrInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var stdout, stderr strings.Builder
	code := run([]string{"emulate", "-addr", ln.Addr().String()}, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit code %d, want 1 (stderr %q)", code, stderr.String())
	}
	if msg := stderr.String(); !strings.Contains(msg, "cannot listen on -addr "+ln.Addr().String()) || strings.Count(msg, "\n") != 1 {
		t.Errorf("want one line naming the address, got %q", msg)
	}
}
