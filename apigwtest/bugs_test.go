package apigwtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Regression tests, each named after the defect it pins.

// closeWithin fails the test when Close takes longer than d.
func closeWithin(t *testing.T, s *Server, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("Close still waiting after %v", d)
	}
}

// A handler that calls runtime.Goexit (as t.Fatal does) never handed its
// outcome back: the client got a 504 instead of a function error, the
// concurrency slot was never released and Close hung for ever.
func TestBugHandlerGoexitHangsInvocation(t *testing.T) {
	t.Parallel()
	s := NewServer(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		runtime.Goexit()
		return events.APIGatewayProxyResponse{}, nil
	}, WithTimeScale(0.1), WithCloseGrace(10*time.Millisecond)) // 2.9 s
	for range 2 {
		if got := get(t, s.URL+"/x"); got.status != 502 || got.body != `{"message": "Internal server error"}` {
			t.Errorf("got %d %q, want the function error 502", got.status, got.body)
		}
	}
	closeWithin(t, s, 5*time.Second)
	invs := s.Invocations()
	if len(invs) != 2 || invs[0].FunctionError != "Runtime.ExitError" || !invs[1].ColdStart {
		t.Errorf("invocations %+v: want Runtime.ExitError and the environment not reused", invs)
	}
	if st := s.Stats(); st.InFlight != 0 {
		t.Errorf("stats %+v", st)
	}
}

// Each log had its own lock, so one writer given to WithAccessLog,
// WithExecutionLog and WithLambdaLog (the natural "all logs here") was
// written from several goroutines at once, although the options promise
// that w need not be safe for concurrent use (-race reports it).
func TestBugOneWriterForAllLogsRaces(t *testing.T) {
	t.Parallel()
	var all bytes.Buffer // not safe for concurrent use, as promised
	s := NewServer(ok, fastScale, WithAccessLog(&all), WithExecutionLog(&all), WithLambdaLog(&all))
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 5 {
				get(t, s.URL+"/x")
			}
		})
	}
	wg.Wait()
	s.Close()
	for _, l := range strings.Split(strings.TrimSuffix(all.String(), "\n"), "\n") {
		if !strings.HasPrefix(l, "{") && !strings.HasPrefix(l, "(") && !strings.HasPrefix(l, "START ") &&
			!strings.HasPrefix(l, "END ") && !strings.HasPrefix(l, "REPORT ") {
			t.Errorf("torn line %q", l)
		}
	}
}

// A line break in a request path (%0A) or in a function's error message
// went into the execution log as is: the text after it became a line of
// its own, which Logs Insights parses as another entry, so a client could
// forge "(<id>) Method completed with status: 200".
func TestBugExecutionLogLineInjection(t *testing.T) {
	t.Parallel()
	var exec syncBuffer
	s := NewServer(func(_ context.Context, r events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		if r.HTTPMethod == http.MethodPost {
			return events.APIGatewayProxyResponse{}, errors.New("line one\r\n(forged) Method completed with status: 200")
		}
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	}, fastScale, WithExecutionLog(&exec))
	defer s.Close()
	ids := map[string]bool{}
	got := get(t, s.URL+"/a%0A(forged)%20Method%20completed%20with%20status:%20200")
	ids[got.header.Get("x-amzn-RequestId")] = true
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/x", nil)
	got = do(t, req)
	ids[got.header.Get("x-amzn-RequestId")] = true
	completed := 0
	for _, l := range exec.lines() {
		m := insightsParse.FindStringSubmatch(l)
		if m == nil || !ids[m[1]] {
			t.Errorf("line %q is not one of the requests' (%v)", l, ids)
			continue
		}
		if insightsFilter.MatchString(m[2]) && strings.HasPrefix(m[2], "Method completed") {
			completed++
		}
	}
	if completed != 2 {
		t.Errorf("%d \"Method completed\" lines for 2 requests", completed)
	}
}

// A runtime process writing without newlines had its output buffered
// whole, waiting for a newline that never came: the server's memory grew
// with everything the process wrote.
func TestBugProcessOutputWithoutNewlinesGrowsForever(t *testing.T) {
	t.Parallel()
	var log syncBuffer
	o := &processOutput{log: newLineLog(&log, new(sync.Mutex))}
	chunk := bytes.Repeat([]byte("x"), 32<<10)
	for range 64 { // 2 MB, no newline
		if _, err := o.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if len(o.buf) >= maxLogLine {
		t.Errorf("%d bytes held waiting for a newline", len(o.buf))
	}
	o.flush()
	total := 0
	for _, l := range log.lines() {
		if len(l) > maxLogLine {
			t.Errorf("a line of %d bytes", len(l))
		}
		total += len(l)
	}
	if total != 64*len(chunk) {
		t.Errorf("%d bytes logged, want %d", total, 64*len(chunk))
	}
}

// slowLog records lines, taking its time over those containing slow.
type slowLog struct {
	syncBuffer
	slow string
}

func (l *slowLog) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(l.slow)) {
		time.Sleep(300 * time.Millisecond)
	}
	return l.syncBuffer.Write(p)
}

// release freed the concurrency slot before it ended a dead environment,
// so Wait (and Close) returned while the process's Runtime API server was
// still shutting down and its last output not yet in the Lambda log.
func TestBugWaitReturnsBeforeDeadEnvironmentEnds(t *testing.T) {
	t.Parallel()
	lambdaLog := &slowLog{slow: "last-words"}
	s := NewRuntimeServer(runtimeBinary(t), WithTimeScale(0.1), WithLambdaLog(lambdaLog))
	defer s.Close()
	if got := get(t, s.URL+"/x?partial=last-words&crash=1"); got.status != 502 {
		t.Fatalf("%d %q", got.status, got.body)
	}
	s.Wait()
	if !strings.Contains(strings.Join(lambdaLog.lines(), "\n"), "last-words") {
		t.Errorf("Wait returned before the crashed process's output was flushed: %q", lambdaLog.lines())
	}
}

// A function answering a 1xx statusCode was accepted: net/http sent it as
// an interim response followed by an implicit 200 (101 switched protocols
// and dropped the body), while the ground truth recorded the 1xx. Such a
// response is malformed: 502.
func TestBugInformationalStatusFromFunction(t *testing.T) {
	t.Parallel()
	for _, code := range []int{100, 101, 103, 199} {
		s := NewServer(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
			return events.APIGatewayProxyResponse{StatusCode: code, Body: "early"}, nil
		}, fastScale)
		got := get(t, s.URL+"/x")
		s.Close()
		if got.status != 502 || got.body != `{"message": "Internal server error"}` {
			t.Errorf("statusCode %d: client got %d %q, want the malformed-response 502", code, got.status, got.body)
		}
		if inv := s.Invocations()[0]; inv.Status != got.status {
			t.Errorf("statusCode %d: recorded %d, sent %d", code, inv.Status, got.status)
		}
	}
}

// Killing an environment killed only the process the server started. A
// custom runtime whose bootstrap is a shell script running the real binary
// as its child left that child running: after a function timeout (or
// Close) it went on and wrote its side effect, which Lambda never allows.
func TestBugKillLeavesBootstrapChildRunning(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("needs /bin/sh")
	}
	script := filepath.Join(t.TempDir(), "bootstrap")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n'"+runtimeBinary(t)+"'\nexit $?\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	side := filepath.Join(t.TempDir(), "orders")
	s := NewRuntimeServer(script, WithTimeScale(0.1), WithFunctionTimeout(3*time.Second)) // 300 ms
	defer s.Close()
	if got := get(t, s.URL+"/x?sleep=1500ms&side="+side); got.status != 502 {
		t.Fatalf("%d %q", got.status, got.body)
	}
	s.Wait()
	time.Sleep(2 * time.Second)
	if _, err := os.Stat(side); err == nil {
		t.Error("the bootstrap's child outlived the kill and wrote its order")
	}
}

// panicOnce is a Latency that panics on its first draw.
func panicOnce() Latency {
	var n atomic.Int64
	return LatencyFunc(func(*rand.Rand, int) time.Duration {
		if n.Add(1) == 1 {
			panic("a broken latency model")
		}
		return 0
	})
}

// A Latency that panicked (net/http recovers the handler) left the server
// broken: a fault latency kept a concurrency slot for ever, so Wait and
// Close hung; a gateway latency left the server's lock held, so every later
// request hung.
func TestBugPanickingLatencyBreaksServer(t *testing.T) {
	t.Parallel()
	for name, opt := range map[string]func() Option{
		"fault":   func() Option { return WithFault(Fault{Latency: panicOnce()}) },
		"gateway": func() Option { return WithGatewayLatency(panicOnce()) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			quiet := func(c *config) { c.errorLog = log.New(io.Discard, "", 0) }
			s := NewServer(ok, fastScale, opt(), WithCloseGrace(10*time.Millisecond), quiet)
			client := &http.Client{Timeout: 5 * time.Second}
			if resp, err := client.Get(s.URL + "/x"); err == nil { // the panic ends the connection
				resp.Body.Close()
			}
			resp, err := client.Get(s.URL + "/x")
			if err != nil {
				t.Fatalf("the server no longer answers: %v", err)
			}
			resp.Body.Close()
			client.CloseIdleConnections()
			closeWithin(t, s, 5*time.Second)
		})
	}
}

// Lambda's result was recorded (under the server's lock) before it was
// handed to the gateway: a function that answered before the integration
// timeout, but whose record waited for the lock across the deadline, was
// answered 504 and counted as having run after a timeout. The function
// must answer before the deadline for real: at a time scale of 0.1 the
// deadline is 2.9 s after the invocation began, which no pause of a
// loaded machine between the handler starting and its release reaches
// (at 0.01 it was 290 ms).
func TestBugResultBeforeDeadlineAnswered504(t *testing.T) {
	t.Parallel()
	ready, proceed := make(chan struct{}), make(chan struct{})
	s := NewServer(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		ready <- struct{}{}
		<-proceed
		return events.APIGatewayProxyResponse{StatusCode: 201}, nil
	}, WithTimeScale(0.1), WithColdStart(0)) // 2.9 s
	defer s.Close()
	answered := make(chan answer, 1)
	go func() { answered <- get(t, s.URL+"/x") }()
	<-ready
	s.mu.Lock() // busy, as under load
	close(proceed)
	time.Sleep(3500 * time.Millisecond) // past the integration timeout (a lower bound: sleeping longer only helps)
	s.mu.Unlock()
	if got := <-answered; got.status != 201 {
		t.Errorf("a function that answered in time got %d %q", got.status, got.body)
	}
	if inv := s.Invocations()[0]; inv.GatewayTimedOut || inv.RanAfterTimeout {
		t.Errorf("invocation %+v", inv)
	}
}

// The integration timer started only after the invocation was set up
// (the server's lock, closing expired environments, building the event),
// though the deadline counts from when the request was sent to Lambda: any
// delay there was added to the 504's time, and under a time scale a real
// millisecond is a scaled second. The setup is held 4 s (40 s emulated), so
// the bug shows as a 504 after at least 69 s emulated; the bound, 49 s
// emulated, leaves 2 s of real time for a loaded machine to be late with
// the 504 (it was 0.5 s, with the lock held 1 s).
func TestBugIntegrationTimerStartsLate(t *testing.T) {
	t.Parallel()
	var access syncBuffer
	arrived, locked := make(chan struct{}), make(chan struct{})
	var first atomic.Bool
	release := make(chan struct{})
	defer close(release)
	s := NewServer(func(ctx context.Context, _ events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	}, WithTimeScale(0.1), WithColdStart(0), WithAccessLog(&access), WithCloseGrace(10*time.Millisecond),
		WithFaultFunc(func(Moment) Fault {
			if first.CompareAndSwap(false, true) {
				arrived <- struct{}{}
				<-locked
			}
			return Fault{}
		})) // 2.9 s
	defer s.Close()
	answered := make(chan answer, 1)
	go func() { answered <- get(t, s.URL+"/x") }()
	<-arrived
	s.mu.Lock() // busy, as under load: Lambda is asked, the setup waits
	close(locked)
	time.Sleep(4 * time.Second) // 40 s emulated
	s.mu.Unlock()
	if got := <-answered; got.status != 504 {
		t.Fatalf("%d %q", got.status, got.body)
	}
	var e AccessLogEntry
	if err := json.Unmarshal([]byte(access.lines()[0]), &e); err != nil {
		t.Fatal(err)
	}
	if ms, _ := strconv.Atoi(e.IntegrationLatency); ms < 29000 || ms > 49000 {
		t.Errorf("504 after %s emulated ms, want the 29000 ms timeout", e.IntegrationLatency)
	}
}

// Lambda's 6 MB response limit held only in runtime mode: an in-process
// handler's 7 MB response reached the client as a 200, where Lambda (and
// the runtime mode) fail the invocation and the client gets 502.
func TestBugInProcessResponseOverLambdaLimit(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 7<<20)
	s := NewServer(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: big}, nil
	}, fastScale)
	defer s.Close()
	if got := get(t, s.URL+"/x"); got.status != 502 || got.body != `{"message": "Internal server error"}` {
		t.Errorf("got %d with %d bytes, want the function error 502", got.status, len(got.body))
	}
	if inv := s.Invocations()[0]; inv.FunctionError != "Function.ResponseSizeTooLarge" {
		t.Errorf("invocation %+v", inv)
	}
}

// NewRuntimeServer("bootstrap") looked for "bootstrap" in $PATH (that is
// what exec.Command does with a bare name) instead of running the file in
// the working directory: every request was an init error.
func TestBugRuntimeBinaryPathWithoutSlash(t *testing.T) {
	bin := runtimeBinary(t)
	t.Chdir(filepath.Dir(bin))
	s := NewRuntimeServer(filepath.Base(bin), WithTimeScale(0.1))
	defer s.Close()
	if got := get(t, s.URL+"/x"); got.status != 200 {
		t.Errorf("%d %q, want the function's 200", got.status, got.body)
	}
}

// A function's header value holding a control character other than CR, LF
// or NUL (\x01, DEL) was sent as is: the client refused the response
// ("malformed MIME header line") and the connection broke, although
// cleanHeaderValue promised a function could not break it.
func TestBugControlCharInFunctionHeaderBreaksConnection(t *testing.T) {
	t.Parallel()
	s := NewServer(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: "ok",
			Headers: map[string]string{"X-A": "a\x01b\x7fc\td", "X-B": "\x1bx"}}, nil
	}, fastScale)
	defer s.Close()
	resp, err := http.Get(s.URL + "/x")
	if err != nil {
		t.Fatalf("the client could not read the answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-A") != "abc\td" || resp.Header.Get("X-B") != "x" {
		t.Errorf("%d %v", resp.StatusCode, resp.Header)
	}
}

// At the function timeout the client got its 502 at once, but the
// invocation was recorded (FunctionTimedOut, FunctionError, the counters)
// and its END and REPORT lines written only when the in-process handler
// returned: for a handler that ignores its context, much later or never,
// though for Lambda the invocation ended at the timeout.
func TestBugFunctionTimeoutRecordedOnlyWhenHandlerReturns(t *testing.T) {
	t.Parallel()
	var lambdaLog syncBuffer
	release := make(chan struct{})
	s := NewServer(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		<-release // ignores its context
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	}, WithTimeScale(0.01), WithFunctionTimeout(3*time.Second), WithLambdaLog(&lambdaLog)) // 30 ms
	defer s.Close()
	defer close(release)
	if got := get(t, s.URL+"/x"); got.status != 502 {
		t.Fatalf("%d %q", got.status, got.body)
	}
	inv := s.Invocations()[0]
	if !inv.FunctionTimedOut || inv.FunctionError != "Sandbox.Timedout" || inv.End.IsZero() || inv.Finished {
		t.Errorf("when the client read its 502: %+v", inv)
	}
	if st := s.Stats(); st.FunctionTimeouts != 1 || st.InFlight != 1 {
		t.Errorf("stats %+v: want the timeout counted, the slot still held", st)
	}
	if !strings.Contains(strings.Join(lambdaLog.lines(), "\n"), "REPORT RequestId: "+inv.LambdaRequestID) {
		t.Errorf("no REPORT line: %q", lambdaLog.lines())
	}
}

// Fault.Outage promises to override the fault's other fields, but they
// still applied: with OutageTimeout an ErrorRate replaced the handler (the
// function never completed) and a Latency was added; with
// OutageFunctionError the Latency delayed the 502 into a 504.
func TestBugOutageDoesNotOverrideFault(t *testing.T) {
	t.Parallel()
	var ran atomic.Int64
	s := NewServer(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		ran.Add(1)
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	}, WithTimeScale(0.01), WithColdStart(0), WithFaultFunc(func(m Moment) Fault {
		f := Fault{Latency: Fixed(time.Hour), ErrorRate: 1, MalformedRate: 1}
		f.Outage = map[string]Outage{"timeout": OutageTimeout, "error": OutageFunctionError}[m.Header.Get("X-Outage")]
		return f
	}), WithCloseGrace(10*time.Millisecond))
	defer s.Close()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/x", nil)
	req.Header.Set("X-Outage", "error")
	if got := do(t, req); got.status != 502 {
		t.Errorf("OutageFunctionError: %d %q, want its 502 at once", got.status, got.body)
	}
	req.Header.Set("X-Outage", "timeout")
	if got := do(t, req); got.status != 504 {
		t.Errorf("OutageTimeout: %d %q", got.status, got.body)
	}
	done := make(chan struct{})
	go func() { s.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second): // the outage runs 31.9 s emulated: 319 ms
		t.Fatal("the OutageTimeout function did not finish: a Latency was added")
	}
	inv := s.Invocations()[1]
	if !inv.Finished || inv.FunctionError != "" || !inv.RanAfterTimeout || ran.Load() != 1 {
		t.Errorf("OutageTimeout invocation %+v, handler ran %d times: want it to complete after the 504", inv, ran.Load())
	}
}

// A request still waiting for its function when Close came got "200 OK"
// with an empty body (the handler returned without writing, and net/http
// answered for it before the connection closed): a false success.
func TestBugCloseAnswers200ToRequestsInFlight(t *testing.T) {
	t.Parallel()
	for range 20 {
		s := NewServer(func(ctx context.Context, _ events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
			<-ctx.Done()
			return events.APIGatewayProxyResponse{StatusCode: 200}, nil
		}, WithCloseGrace(10*time.Millisecond), WithColdStart(0))
		errc := make(chan error, 1)
		go func() {
			resp, err := http.Get(s.URL + "/x")
			if err == nil {
				resp.Body.Close()
				err = fmt.Errorf("got %d", resp.StatusCode)
			} else {
				err = nil
			}
			errc <- err
		}()
		eventually(t, "the invocation starts", func() bool { return s.Stats().InFlight == 1 })
		s.Close()
		if err := <-errc; err != nil {
			t.Fatalf("a request interrupted by Close: %v, want the connection dropped", err)
		}
	}
}

// A request whose body could not be read (malformed chunked encoding) got
// "200 OK" with an empty body: the handler returned without writing.
func TestBugMalformedBodyAnswered200(t *testing.T) {
	t.Parallel()
	s := NewServer(ok, fastScale)
	defer s.Close()
	u, _ := url.Parse(s.URL)
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "POST /prod/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n")
	if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil && resp.StatusCode == 200 {
		t.Errorf("a malformed body was answered %d", resp.StatusCode)
	}
}
