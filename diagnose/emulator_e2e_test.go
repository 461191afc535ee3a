package diagnose

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"
	"github.com/retryscope/retryscope/apigwtest"
	"github.com/retryscope/retryscope/lambdalog"
)

// emulatorAttempt is one scripted attempt: which server, which fault, and
// how long the client waits.
type emulatorAttempt struct {
	target        string // "main", "throttled" (a server whose bucket is empty), "closed" (nothing listens), "no-stage"
	fault         string // X-Test-Fault: "", "timeout", "lambda-throttle", "function-error", "malformed"
	clientTimeout time.Duration
}

// logFiles opens the files the emulator and the client write.
type logFiles struct {
	dir                                                         string
	attempts, access, throttledAccess, exec, lambda, middleware *os.File
}

func openLogFiles(t *testing.T) *logFiles {
	t.Helper()
	l := &logFiles{dir: t.TempDir()}
	for name, f := range map[string]**os.File{
		"attempts.jsonl": &l.attempts, "access.jsonl": &l.access, "access-throttled.jsonl": &l.throttledAccess,
		"execution.log": &l.exec, "lambda.log": &l.lambda, "lambdalog.log": &l.middleware,
	} {
		var err error
		if *f, err = os.Create(filepath.Join(l.dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

func (l *logFiles) close() {
	for _, f := range []*os.File{l.attempts, l.access, l.throttledAccess, l.exec, l.lambda, l.middleware} {
		f.Close()
	}
}

// TestAgainstEmulator runs the apigwtest emulator with its logs to files,
// sends scripted attempts through plain net/http writing the transport's
// attempt-log format, and checks that diagnose agrees with the emulator's
// ground truth on every attempt.
//
// Without lambdalog the Lambda log's START lines carry no time and no
// gateway id, so a 504 may stay "maybe"; every decisive verdict must still
// match the ground truth.
//
// As an HTTP API the gateway makes its own request ids, so an attempt
// without a response cannot be found in its logs: it must stay "maybe".
func TestAgainstEmulator(t *testing.T) {
	t.Run("with lambdalog", func(t *testing.T) { againstEmulator(t, true, false) })
	t.Run("platform lines only", func(t *testing.T) { againstEmulator(t, false, false) })
	t.Run("HTTP API", func(t *testing.T) { againstEmulator(t, true, true) })
}

func againstEmulator(t *testing.T, withMiddleware, httpAPI bool) {
	const integrationTimeout = 500 * time.Millisecond // OutageTimeout runs 10% past it: 50 ms between the 504 and the function's end
	logs := openLogFiles(t)
	defer logs.close()

	handler := func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: `{"ok":true}`}, nil
	}
	if withMiddleware {
		handler = lambdalog.Wrap(handler, lambdalog.WithWriter(logs.middleware))
	}
	faults := map[string]apigwtest.Fault{
		"timeout":         {Outage: apigwtest.OutageTimeout},
		"lambda-throttle": {Outage: apigwtest.OutageThrottle},
		"function-error":  {Outage: apigwtest.OutageFunctionError},
		"malformed":       {MalformedRate: 1},
	}
	var flavour []apigwtest.Option
	if httpAPI {
		flavour = append(flavour, apigwtest.WithHTTPAPI())
	}
	srv := apigwtest.NewServer(handler, append(flavour,
		apigwtest.WithIntegrationTimeout(integrationTimeout),
		apigwtest.WithColdStart(time.Millisecond),
		apigwtest.WithFaultFunc(func(m apigwtest.Moment) apigwtest.Fault { return faults[m.Header.Get("X-Test-Fault")] }),
		apigwtest.WithAccessLog(logs.access), apigwtest.WithExecutionLog(logs.exec), apigwtest.WithLambdaLog(logs.lambda))...)
	defer srv.Close()
	throttled := apigwtest.NewServer(handler, append(flavour, apigwtest.WithThrottle(0, 0), apigwtest.WithAccessLog(logs.throttledAccess))...)
	defer throttled.Close()
	closedURL := closedPortURL(t)

	targets := map[string]string{"main": srv.URL + "/orders", "throttled": throttled.URL + "/orders", "closed": closedURL, "no-stage": strings.TrimSuffix(srv.URL, "/prod") + "/orders"}
	script := [][]emulatorAttempt{
		{{target: "main", fault: "timeout"}, {target: "main"}},
		{{target: "main", fault: "lambda-throttle"}, {target: "main", fault: "function-error"}, {target: "main"}},
		{{target: "throttled"}, {target: "no-stage"}},
		{{target: "closed"}, {target: "main"}},
		{{target: "main", fault: "timeout", clientTimeout: 50 * time.Millisecond}},
		{{target: "main", fault: "malformed"}},
	}

	logger := slog.New(slog.NewJSONHandler(logs.attempts, nil))
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	sent := map[string]bool{} // request ids the client sent
	for _, attempts := range script {
		invocationID := uuid.NewString()
		for n, a := range attempts {
			id := uuid.NewString()
			sent[id] = true
			sendAttempt(t, client, logger, targets[a.target], a, invocationID, id, n+1, len(attempts), n+1 < len(attempts))
		}
	}
	srv.Wait() // functions still running after their 504
	truth := map[string]apigwtest.Invocation{}
	for _, inv := range append(srv.Invocations(), throttled.Invocations()...) {
		truth[inv.RequestID] = inv
	}
	srv.Close()
	throttled.Close()
	client.CloseIdleConnections()

	e := NewEvidence(Options{IntegrationTimeout: integrationTimeout})
	files := []*os.File{logs.attempts, logs.access, logs.throttledAccess, logs.exec, logs.lambda}
	if withMiddleware {
		files = append(files, logs.middleware)
	}
	for _, f := range files {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		if _, err := e.ReadFile(filepath.Base(f.Name()), f); err != nil {
			t.Fatal(err)
		}
	}
	rep := e.Report()
	if rep.MalformedCount != 0 {
		t.Errorf("malformed lines in the emulator's logs: %+v", rep.Malformed)
	}
	if len(rep.Attempts) != len(sent) {
		t.Fatalf("%d attempts diagnosed, %d sent", len(rep.Attempts), len(sent))
	}
	for _, a := range rep.Attempts {
		inv, ran := truth[a.RequestID]
		want := VerdictNotRun
		if ran {
			want = VerdictRan
		}
		if !withMiddleware && a.Verdict == VerdictMaybe && ran && inv.GatewayTimedOut {
			continue // no log ties the invocation that ran on to this 504
		}
		if httpAPI && a.Reach == "unknown" {
			// No response, so no HTTP API id: the logs cannot name it.
			if a.Verdict != VerdictMaybe {
				t.Errorf("%s: HTTP API attempt without a response judged %s: %s", a.RequestID, a.Verdict, a.Reason)
			}
			continue
		}
		if a.Verdict != want {
			t.Errorf("%s (status %d, reach %s): diagnose says %s, the emulator says %s\n  reason: %s", a.RequestID, a.Status, a.Reach, a.Verdict, want, a.Reason)
		}
		if ran && inv.GatewayTimedOut {
			if a.RanAfterGatewayGaveUp == nil || *a.RanAfterGatewayGaveUp != inv.RanAfterTimeout {
				t.Errorf("%s: ran after the 504 = %v (%s), the emulator says %v", a.RequestID, a.RanAfterGatewayGaveUp, a.RanOn, inv.RanAfterTimeout)
			}
		}
		if ran && a.LambdaRequestID != inv.LambdaRequestID {
			t.Errorf("%s: Lambda request id %q, the emulator says %q", a.RequestID, a.LambdaRequestID, inv.LambdaRequestID)
		}
	}
	if t.Failed() || testing.Verbose() {
		var out strings.Builder
		_ = rep.WriteText(&out)
		t.Log("\n" + out.String())
	}
}

// closedPortURL returns a URL on which nothing listens.
func closedPortURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/prod/orders"
}

// sendAttempt sends one attempt and logs it as the transport would.
func sendAttempt(t *testing.T, client *http.Client, logger *slog.Logger, url string, a emulatorAttempt, invocationID, requestID string, n, max int, retry bool) {
	t.Helper()
	ctx := context.Background()
	if a.clientTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.clientTimeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, strings.NewReader(`{"item":42}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-amzn-RequestId", requestID)
	req.Header.Set("amz-sdk-invocation-id", invocationID)
	req.Header.Set("amz-sdk-request", "attempt="+strconv.Itoa(n)+"; max="+strconv.Itoa(max))
	if a.fault != "" {
		req.Header.Set("X-Test-Fault", a.fault)
	}
	start := time.Now()
	resp, err := client.Do(req)
	elapsed := time.Since(start)
	attrs := []any{
		slog.String("invocation_id", invocationID), slog.Int("attempt", n), slog.Int("max_attempts", max), slog.Bool("hedge", false),
		slog.String("method", req.Method), slog.String("url", url), slog.Time("start", start),
		slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
	}
	status, reach, cause := 0, "unknown", "attempt_timeout"
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			reach, cause = "not_sent", "connection_refused"
		}
		attrs = append(attrs, slog.Int("status", 0), slog.String("error", err.Error()))
	} else {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		status = resp.StatusCode
		reach, cause = reachOf(status)
		attrs = append(attrs, slog.Int("status", status))
	}
	attrs = append(attrs, slog.String("reach", reach), slog.String("cause", cause), slog.String("request_id_sent", requestID))
	if resp != nil {
		if id := resp.Header.Get("x-amzn-RequestId"); id != "" {
			attrs = append(attrs, slog.String("request_id", id))
		}
		if id := resp.Header.Get("x-amz-apigw-id"); id != "" {
			attrs = append(attrs, slog.String("apigw_id", id))
		}
		if id := resp.Header.Get("apigw-requestid"); id != "" {
			attrs = append(attrs, slog.String("apigw_requestid", id))
		}
	}
	attrs = append(attrs, slog.Bool("retry", retry), slog.Float64("wait_ms", 0), slog.String("reason", "scripted"))
	logger.Info("attempt", attrs...)
}

// reachOf is the transport's classification for the default gateway
// responses of a REST API (docs/aws-behaviour.md#gateway-answers).
func reachOf(status int) (reach, cause string) {
	switch status {
	case 504, 503:
		return "backend_timeout", "integration_timeout"
	case 500:
		return "gateway", "lambda_throttled"
	case 429:
		return "gateway", "throttled"
	case 403:
		return "gateway", "missing_authentication_token"
	case 502:
		return "backend", "function_error"
	}
	return "backend", ""
}
