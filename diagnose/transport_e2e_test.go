package diagnose

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/retryscope/retryscope/apigwtest"
	"github.com/retryscope/retryscope/lambdalog"
	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// TestTransportAgainstEmulator is TestAgainstEmulator with the real
// transport writing the attempt log: whatever it decides to retry, every
// attempt it logs must get the emulator's ground truth from diagnose.
func TestTransportAgainstEmulator(t *testing.T) {
	const integrationTimeout = 500 * time.Millisecond // OutageTimeout runs 10% past it: 50 ms between the 504 and the function's end
	dir := t.TempDir()
	create := func(name string) *os.File {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	attempts, access, throttledAccess, exec, lambda, middleware :=
		create("attempts.jsonl"), create("access.jsonl"), create("access-throttled.jsonl"), create("execution.log"), create("lambda.log"), create("lambdalog.log")

	handler := lambdalog.Wrap(func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: `{"ok":true}`}, nil
	}, lambdalog.WithWriter(middleware))
	faults := map[string]apigwtest.Fault{
		"timeout":         {Outage: apigwtest.OutageTimeout},
		"lambda-throttle": {Outage: apigwtest.OutageThrottle},
		"function-error":  {Outage: apigwtest.OutageFunctionError},
		"malformed":       {MalformedRate: 1},
	}
	// X-Test-Script lists one fault per attempt; the transport's
	// amz-sdk-request says which attempt this is.
	faultFor := func(m apigwtest.Moment) apigwtest.Fault {
		script := strings.Split(m.Header.Get("X-Test-Script"), ",")
		n := 1
		if v, ok := strings.CutPrefix(m.Header.Get("Amz-Sdk-Request"), "attempt="); ok {
			n, _ = strconv.Atoi(strings.TrimSpace(strings.Split(v, ";")[0]))
		}
		if n < 1 || n > len(script) {
			return apigwtest.Fault{}
		}
		return faults[script[n-1]]
	}
	srv := apigwtest.NewServer(handler,
		apigwtest.WithIntegrationTimeout(integrationTimeout),
		apigwtest.WithColdStart(time.Millisecond),
		apigwtest.WithFaultFunc(faultFor),
		apigwtest.WithAccessLog(access), apigwtest.WithExecutionLog(exec), apigwtest.WithLambdaLog(lambda))
	defer srv.Close()
	throttled := apigwtest.NewServer(handler, apigwtest.WithThrottle(0, 0), apigwtest.WithAccessLog(throttledAccess))
	defer throttled.Close()

	base := &http.Transport{DisableKeepAlives: true}
	client := &http.Client{Transport: transport.New(base,
		transport.WithLogger(slog.New(slog.NewJSONHandler(attempts, nil))),
		transport.WithPolicy(policy.Policy{MaxAttempts: 3, Backoff: policy.Backoff{Base: time.Millisecond, Cap: 5 * time.Millisecond}}),
		transport.WithoutBreaker(), transport.WithoutBudget())}
	requests := []struct{ url, script string }{
		{srv.URL + "/orders", "timeout,ok"},
		{srv.URL + "/orders", "lambda-throttle,function-error,ok"},
		{srv.URL + "/orders", "timeout,timeout,timeout"},
		{srv.URL + "/orders", "malformed"},
		{srv.URL + "/orders", ""},
		{throttled.URL + "/orders", ""},
		{closedPortURL(t), ""},
	}
	for _, r := range requests {
		req, err := http.NewRequest(http.MethodPut, r.url, strings.NewReader(`{"item":42}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Test-Script", r.script)
		if resp, err := client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	srv.Wait()
	truth := map[string]apigwtest.Invocation{}
	for _, inv := range append(srv.Invocations(), throttled.Invocations()...) {
		truth[inv.RequestID] = inv
	}
	srv.Close()
	throttled.Close()
	base.CloseIdleConnections()

	e := NewEvidence(Options{IntegrationTimeout: integrationTimeout})
	for _, f := range []*os.File{attempts, access, throttledAccess, exec, lambda, middleware} {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		if _, err := e.ReadFile(filepath.Base(f.Name()), f); err != nil {
			t.Fatal(err)
		}
	}
	rep := e.Report()
	if rep.MalformedCount != 0 {
		t.Errorf("malformed lines: %+v", rep.Malformed)
	}
	if len(rep.Attempts) < len(requests) {
		t.Fatalf("only %d attempts logged", len(rep.Attempts))
	}
	verdicts := map[Verdict]int{}
	for _, a := range rep.Attempts {
		inv, ran := truth[a.RequestID]
		want := VerdictNotRun
		if ran {
			want = VerdictRan
		}
		verdicts[a.Verdict]++
		if a.Verdict != want {
			t.Errorf("%s (status %d, reach %s): diagnose says %s, the emulator says %s\n  reason: %s", a.RequestID, a.Status, a.Reach, a.Verdict, want, a.Reason)
		}
		if ran && inv.GatewayTimedOut && (a.RanAfterGatewayGaveUp == nil || *a.RanAfterGatewayGaveUp != inv.RanAfterTimeout) {
			t.Errorf("%s: ran after the 504 = %v (%s), the emulator says %v", a.RequestID, a.RanAfterGatewayGaveUp, a.RanOn, inv.RanAfterTimeout)
		}
	}
	if verdicts[VerdictRan] == 0 || verdicts[VerdictNotRun] == 0 {
		t.Errorf("verdicts %v: the script should produce both", verdicts)
	}
	if t.Failed() || testing.Verbose() {
		var out strings.Builder
		_ = rep.WriteText(&out)
		t.Log("\n" + out.String())
	}
}
