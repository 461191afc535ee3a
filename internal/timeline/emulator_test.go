package timeline_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/retryscope/retryscope/apigwtest"
	"github.com/retryscope/retryscope/diagnose"
	"github.com/retryscope/retryscope/internal/timeline"
	"github.com/retryscope/retryscope/lambdalog"
	"github.com/retryscope/retryscope/transport"
)

// emulatorScale runs the emulator's 29 s integration timeout in 580 ms.
const emulatorScale = 0.02

// emulatorRun is what runEmulator saw: the page, the report behind it and
// the emulator's own record of every invocation.
type emulatorRun struct {
	page  string // path of the HTML page
	tl    diagnose.Timeline
	truth []apigwtest.Invocation
}

// runEmulator sends three logical requests through the retrying transport
// (writing its attempt log) to the API Gateway emulator, time-scaled, with
// a function that sleeps 35 s (past the 29 s integration timeout) for
// POST /orders, and for the first call of each PUT /slow-once; then runs
// diagnose over the emulator's logs and writes the timeline page.
//
//  1. POST /orders: a 504, not retried (a POST without a key); the
//     function finishes anyway, about 6 s of emulated time later.
//  2. PUT /slow-once: a 504, retried, then a 200: the function ran twice.
//  3. GET /fast: a 200 at once.
func runEmulator(t *testing.T) emulatorRun {
	t.Helper()
	dir := t.TempDir()
	files := map[string]*os.File{}
	for _, name := range []string{"attempts.log", "access.log", "execution.log", "lambda.log", "lambdalog.log"} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		files[name] = f
	}
	var mu sync.Mutex
	calls := map[string]int{} // per logical request
	handler := func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		mu.Lock()
		id := ev.Headers[http.CanonicalHeaderKey("amz-sdk-invocation-id")]
		calls[id]++
		n := calls[id]
		mu.Unlock()
		if ev.Path == "/orders" || ev.Path == "/slow-once" && n == 1 {
			if err := apigwtest.Sleep(ctx, 35*time.Second); err != nil {
				return events.APIGatewayProxyResponse{}, err
			}
		}
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: `{"ok":true}`}, nil
	}
	srv := apigwtest.NewServer(lambdalog.Wrap(handler, lambdalog.WithWriter(files["lambdalog.log"])),
		apigwtest.WithTimeScale(emulatorScale), apigwtest.WithColdStart(time.Millisecond),
		apigwtest.WithAccessLog(files["access.log"]), apigwtest.WithExecutionLog(files["execution.log"]),
		apigwtest.WithLambdaLog(files["lambda.log"]))
	defer srv.Close()
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	// No budget: the PUT is retried whatever tokens the budget has.
	client := &http.Client{Transport: transport.New(base, transport.WithoutBudget(), transport.WithLogger(slog.New(slog.NewJSONHandler(files["attempts.log"], nil))))}
	for _, r := range []struct{ method, path string }{{http.MethodPost, "/orders"}, {http.MethodPut, "/slow-once"}, {http.MethodGet, "/fast"}} {
		req, err := http.NewRequest(r.method, srv.URL+r.path, strings.NewReader(`{"item":42}`))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", r.method, r.path, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	srv.Wait() // the functions still running after their 504s
	truth := srv.Invocations()
	srv.Close()

	ev := diagnose.NewEvidence(diagnose.Options{IntegrationTimeout: time.Duration(float64(apigwtest.DefaultIntegrationTimeout) * emulatorScale)})
	for _, name := range []string{"attempts.log", "access.log", "execution.log", "lambda.log", "lambdalog.log"} {
		f := files[name]
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		if _, err := ev.ReadFile(name, f); err != nil {
			t.Fatal(err)
		}
	}
	tl := ev.Timeline()
	in := timeline.FromDiagnose(tl)
	in.Title = "retryscope diagnose: the emulator's 504s"
	in.Source = "retryscope diagnose attempts.log access.log execution.log lambda.log lambdalog.log (emulator, time scale 0.02: 29 s = 580 ms)"
	page := filepath.Join(dir, "timeline.html")
	out, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := timeline.WriteInput(out, in); err != nil {
		t.Fatal(err)
	}
	return emulatorRun{page: page, tl: tl, truth: truth}
}

// TestEmulatorRunDiagnosis checks the run the browser tests draw: every
// attempt's verdict matches the emulator's ground truth, and the timings
// put the POST's function end after the gateway gave up.
func TestEmulatorRunDiagnosis(t *testing.T) {
	run := runEmulator(t)
	ran := map[string]apigwtest.Invocation{}
	for _, inv := range run.truth {
		ran[inv.RequestID] = inv
	}
	rep := run.tl.Report
	if len(rep.Attempts) != 4 {
		t.Fatalf("%d attempts diagnosed, want 4 (POST 504; PUT 504, 200; GET 200)", len(rep.Attempts))
	}
	for i, a := range rep.Attempts {
		inv, ok := ran[a.RequestID]
		if !ok || a.Verdict != diagnose.VerdictRan {
			t.Errorf("attempt %s: verdict %s, in the emulator's invocations: %v (%s)", a.RequestID, a.Verdict, ok, a.Reason)
		}
		tm := run.tl.Timings[i]
		if tm.RequestID != a.RequestID || tm.Sent.IsZero() || tm.Answered.Before(tm.Sent) || tm.FunctionStart.IsZero() || tm.FunctionEnd.Before(tm.FunctionStart) {
			t.Errorf("attempt %s: timing %+v", a.RequestID, tm)
		}
		if inv.GatewayTimedOut {
			if tm.GaveUp.IsZero() || tm.FunctionEnd.After(tm.GaveUp) != inv.RanAfterTimeout {
				t.Errorf("attempt %s: function end %v, gateway gave up %v, emulator says ran after timeout %v", a.RequestID, tm.FunctionEnd, tm.GaveUp, inv.RanAfterTimeout)
			}
		}
	}
}
