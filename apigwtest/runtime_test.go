package apigwtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/retryscope/retryscope/internal/xray"
)

// The test function is built once per test run, on first use.
var (
	buildOnce sync.Once
	buildDir  string
	buildPath string
	buildErr  error
)

func runtimeBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a Lambda binary")
	}
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "apigwtest-rtfunction-")
		if buildErr != nil {
			return
		}
		buildPath, buildErr = buildFunction(filepath.Join(buildDir, "bootstrap"), "./testdata/rtfunction")
	})
	if buildErr != nil {
		t.Fatalf("building the test function: %v\n%s", buildErr, buildPath)
	}
	return buildPath
}

// buildFunction builds the Lambda function in package dir as the
// executable path, as Lambda's provided runtimes want it (static). It
// returns path, or the build's output with the error.
func buildFunction(path, dir string) (string, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", err
	}
	cmd := exec.Command(goTool, "build", "-o", path, dir)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return string(out), err
	}
	return path, nil
}

func cleanupRuntimeBuild() {
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
}

func TestRuntimeEndToEnd(t *testing.T) {
	t.Parallel()
	var lambdaLog syncBuffer
	s := NewRuntimeServer(runtimeBinary(t), WithLambdaLog(&lambdaLog), WithTimeScale(0.1)) // 2.9 s
	defer s.Close()

	first := get(t, s.URL+"/orders?x=1")
	if first.status != 200 || !uuidRe.MatchString(first.body) || first.body != first.header.Get("x-amzn-RequestId") {
		t.Fatalf("first: %d %q %v", first.status, first.body, first.header)
	}
	s.Wait()
	second := get(t, s.URL+"/orders")
	if second.status != 200 || second.header.Get("X-Pid") != first.header.Get("X-Pid") {
		t.Errorf("the warm process was not reused: pids %q %q", first.header.Get("X-Pid"), second.header.Get("X-Pid"))
	}
	invs := s.Invocations()
	if !invs[0].ColdStart || invs[1].ColdStart || invs[0].LambdaRequestID != first.header.Get("X-Lambda-Id") {
		t.Errorf("invocations %+v", invs)
	}
	if tr, ok := xray.Parse(first.header.Get("X-Trace")); !ok || !strings.HasPrefix(first.header.Get("X-Amzn-Trace-Id"), "Root="+tr.Root) {
		t.Errorf("trace for the function %q vs response %q", first.header.Get("X-Trace"), first.header.Get("X-Amzn-Trace-Id"))
	}
	s.Wait()
	text := strings.Join(lambdaLog.lines(), "\n")
	if strings.Count(text, "START RequestId: ") != 2 || !strings.Contains(text, "\tInit Duration: ") {
		t.Errorf("Lambda log:\n%s", text)
	}
}

func TestRuntimeTimeoutRunsOn(t *testing.T) {
	t.Parallel()
	side := filepath.Join(t.TempDir(), "orders")
	// Integration timeout 29 s -> 290 ms; the function sleeps 1.5 s real.
	s := NewRuntimeServer(runtimeBinary(t), WithTimeScale(0.01))
	defer s.Close()
	got := get(t, s.URL+"/orders?sleep=1500ms&side="+side)
	if got.status != 504 || got.body != `{"message": "Endpoint request timed out"}` {
		t.Fatalf("%d %q", got.status, got.body)
	}
	if _, err := os.Stat(side); err == nil {
		t.Fatal("the order was written before the 504")
	}
	s.Wait()
	b, err := os.ReadFile(side)
	if err != nil || strings.TrimSpace(string(b)) != got.header.Get("x-amzn-RequestId") {
		t.Fatalf("order file %q, %v", b, err)
	}
	if inv := s.Invocations()[0]; !inv.RanAfterTimeout {
		t.Errorf("invocation %+v", inv)
	}
}

func TestRuntimeFunctionErrors(t *testing.T) {
	t.Parallel()
	s := NewRuntimeServer(runtimeBinary(t), WithTimeScale(0.1))
	defer s.Close()
	for _, q := range []string{"error=1", "panic=1", "crash=1"} {
		got := get(t, s.URL+"/x?"+q)
		if got.status != 502 || got.body != `{"message": "Internal server error"}` {
			t.Errorf("%s: %d %q", q, got.status, got.body)
		}
		s.Wait() // the environment is back in the pool, or gone
	}
	// The server keeps serving: a new process answers.
	if got := get(t, s.URL+"/x"); got.status != 200 {
		t.Errorf("after the crashes: %d", got.status)
	}
	s.Wait()
	invs := s.Invocations()
	types := []string{invs[0].FunctionError, invs[1].FunctionError, invs[2].FunctionError}
	if types[0] != "errorString" || types[1] == "" || types[2] != "Runtime.ExitError" {
		t.Errorf("error types %q", types)
	}
	// error keeps the process; panic and crash end it.
	if invs[0].ColdStart != true || invs[1].ColdStart || !invs[2].ColdStart || !invs[3].ColdStart {
		t.Errorf("cold starts %v %v %v %v", invs[0].ColdStart, invs[1].ColdStart, invs[2].ColdStart, invs[3].ColdStart)
	}
}

func TestRuntimeFunctionTimeoutKillsProcess(t *testing.T) {
	t.Parallel()
	side := filepath.Join(t.TempDir(), "orders")
	s := NewRuntimeServer(runtimeBinary(t), WithTimeScale(0.1), WithFunctionTimeout(3*time.Second)) // 300 ms
	defer s.Close()
	got := get(t, s.URL+"/x?sleep=2s&side="+side)
	if got.status != 502 {
		t.Fatalf("%d %q", got.status, got.body)
	}
	s.Wait()
	if inv := s.Invocations()[0]; !inv.FunctionTimedOut || inv.Finished {
		t.Errorf("invocation %+v", inv)
	}
	time.Sleep(2 * time.Second)
	if _, err := os.Stat(side); err == nil {
		t.Error("a killed function still wrote its order")
	}
}

func TestRuntimeInitErrors(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"crash", "hang"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			var lambdaLog syncBuffer
			s := NewRuntimeServer(runtimeBinary(t), WithEnv("RTFUNCTION_INIT="+mode), WithLambdaLog(&lambdaLog),
				WithTimeScale(0.1), WithInitTimeout(300*time.Millisecond))
			defer s.Close()
			for range 2 {
				if got := get(t, s.URL+"/x"); got.status != 502 || got.body != `{"message": "Internal server error"}` {
					t.Errorf("%d %q", got.status, got.body)
				}
			}
			s.Wait()
			if st := s.Stats(); st.ColdStarts != 2 || st.FunctionErrors != 2 {
				t.Errorf("stats %+v", st)
			}
			if !strings.Contains(strings.Join(lambdaLog.lines(), "\n"), "INIT_REPORT") {
				t.Errorf("no INIT_REPORT in %q", lambdaLog.lines())
			}
		})
	}
	t.Run("missing binary", func(t *testing.T) {
		t.Parallel()
		s := NewRuntimeServer(filepath.Join(t.TempDir(), "nope"))
		defer s.Close()
		if got := get(t, s.URL+"/x"); got.status != 502 {
			t.Errorf("%d", got.status)
		}
	})
}

func TestRuntimeCloseKillsProcesses(t *testing.T) {
	t.Parallel()
	s := NewRuntimeServer(runtimeBinary(t), WithTimeScale(0.01), WithCloseGrace(10*time.Millisecond))
	if got := get(t, s.URL+"/x?sleep=1h"); got.status != 504 {
		t.Fatalf("%d", got.status)
	}
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Close did not kill the sleeping process")
	}
	if inv := s.Invocations()[0]; inv.Finished || inv.End.IsZero() {
		t.Errorf("invocation %+v", inv)
	}
}
