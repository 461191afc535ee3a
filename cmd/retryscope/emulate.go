package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/retryscope/retryscope/apigwtest"
	"github.com/retryscope/retryscope/lambdalog"
)

func init() {
	register("emulate", "run the local API Gateway + Lambda emulator as a standing server", runEmulate)
}

const emulateUsage = `usage: retryscope emulate [flags]

Runs apigwtest, a local API Gateway (REST, or HTTP API with -http-api) in
front of a Lambda function, until SIGINT or SIGTERM, then prints what
happened from the emulator's ground truth. It answers like AWS: 504
"Endpoint request timed out" at the integration timeout while the function
runs on, 502 for function errors, 500 when Lambda throttles, 429 when the
gateway throttles; it writes access, execution and Lambda logs in AWS's
formats.

The function echoes the request as JSON. Query parameters steer it:
?sleep=35s (or ?sleep=35000, milliseconds) runs that long (emulated time),
?status=503 answers that status, ?fail=1 fails with a function error (502).
With -function, your own Lambda binary runs instead, unmodified, behind a
local Lambda Runtime API.

It listens on loopback only.

Flags:`

// defaultInvocationHistory bounds the invocation records a standing
// emulator keeps (about a kilobyte each, with their headers).
const defaultInvocationHistory = 10000

// emulateConfig is what the flags ask for.
type emulateConfig struct {
	addr               string
	integrationTimeout time.Duration
	functionTimeout    time.Duration
	httpAPI            bool
	stage              string
	stageSet           bool
	latency            apigwtest.Latency
	errorRate          float64
	malformedRate      float64
	throttle           *throttle
	concurrency        int
	coldStart          time.Duration
	idleExpiry         time.Duration
	outages            []apigwtest.Phase
	timeScale          float64
	accessLog          string
	executionLog       string
	lambdaLog          string
	seed               int64
	memoryMB           int
	closeGrace         time.Duration
	timeoutSet         bool
	quiet              bool
	gatewayLatency     apigwtest.Latency
	quota              int
	history            int
	function           string   // a Lambda binary to run instead of the echo function
	env                []string // KEY=value for the binary's processes
	initTimeout        time.Duration
}

// runEmulate is the emulate command: it runs until SIGINT or SIGTERM.
func runEmulate(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return emulate(ctx, args, stdout, stderr, nil)
}

// emulate runs the emulator until ctx is done. started, when not nil, is
// called with the server's URL once it serves.
func emulate(ctx context.Context, args []string, stdout, stderr io.Writer, started func(url string)) int {
	cfg, code := parseEmulateFlags(args, stderr)
	if code >= 0 {
		return code
	}
	logs, err := openEmulateLogs(cfg)
	if err != nil {
		// A log file that cannot be written is a bad flag value, as
		// probe's -attempt-log and bench's -out are.
		return usageError(stderr, "emulate", "%v", err)
	}
	defer logs.close()
	logs.onEmulatorClock(cfg)
	// Requests print from the server's goroutines: one lock for stdout.
	stdout = &lineWriter{w: stdout}
	if !cfg.quiet {
		p := &requestPrinter{w: stdout}
		if logs.access != nil {
			logs.access = io.MultiWriter(logs.access, p)
		} else {
			logs.access = p
		}
	}

	srv, err := startEmulator(cfg, logs)
	if err != nil {
		fmt.Fprintf(stderr, "retryscope emulate: %v\n", err)
		return 1
	}
	begun := time.Now()
	printBanner(stdout, cfg, srv.URL)
	if !cfg.quiet {
		fmt.Fprintln(stdout, "\nrequests (time, status, response latency, request id, gateway error):")
	}
	if started != nil {
		started(srv.URL)
	}

	<-ctx.Done()
	st := srv.Stats()
	fmt.Fprintf(stdout, "\nretryscope emulate: stopping after %s", fmtDuration(time.Since(begun)))
	if st.InFlight > 0 {
		fmt.Fprintf(stdout, "; waiting up to %s for %d function(s) still running", cfg.closeGrace, st.InFlight)
	}
	fmt.Fprintln(stdout)
	srv.Close()
	printGroundTruth(stdout, srv.Stats(), srv.Invocations())
	return 0
}

// hostPort is the host:port of a server URL.
func hostPort(u string) string {
	u = strings.TrimPrefix(u, "http://")
	h, _, _ := strings.Cut(u, "/")
	return h
}

func parseEmulateFlags(args []string, stderr io.Writer) (*emulateConfig, int) {
	cfg := &emulateConfig{}
	fs := flag.NewFlagSet("emulate", flag.ContinueOnError)
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "loopback `address` to listen on (port 0: any free port)")
	fs.DurationVar(&cfg.integrationTimeout, "integration-timeout", apigwtest.DefaultIntegrationTimeout, "API Gateway's integration timeout (30s with -http-api unless set)")
	fs.DurationVar(&cfg.functionTimeout, "function-timeout", apigwtest.DefaultFunctionTimeout, "the Lambda function's timeout; below the integration timeout a slow function is a 502")
	fs.BoolVar(&cfg.httpAPI, "http-api", false, "answer as an HTTP API (v2): 503 on timeouts, apigw-requestid, no stage prefix")
	fs.StringVar(&cfg.stage, "stage", "prod", "stage `name`, the URL's first path segment (REST; empty: none)")
	fs.Func("latency", "added function `latency`: fixed:200ms, uniform:100ms-2s, normal:1s,200ms, slow:0.1,35s (10% take 35s), overload:200ms,50", func(s string) error {
		l, err := parseLatency(s)
		cfg.latency = l
		return err
	})
	fs.Float64Var(&cfg.errorRate, "error-rate", 0, "share (0 to 1) of invocations that fail with a function error (502)")
	fs.Float64Var(&cfg.malformedRate, "malformed-rate", 0, "share (0 to 1) of invocations whose response is a malformed proxy response (502)")
	fs.Func("throttle", "API Gateway token bucket `RATE,BURST` (requests per second, bucket size; default 10000,5000)", func(s string) error {
		t, err := parseThrottle(s)
		cfg.throttle = &t
		return err
	})
	fs.IntVar(&cfg.concurrency, "concurrency", apigwtest.DefaultConcurrencyLimit, "Lambda concurrency limit; past it Lambda throttles and the client gets 500")
	fs.DurationVar(&cfg.coldStart, "cold-start", apigwtest.DefaultColdStart, "Init Duration of each new execution environment")
	fs.DurationVar(&cfg.idleExpiry, "idle-expiry", apigwtest.DefaultIdleExpiry, "how long an idle execution environment stays warm")
	fs.Func("outage", "`FROM-TO[:KIND]` after start (e.g. 10s-40s; empty TO: for ever), every request meets KIND: timeout (default), throttle, function-error; repeatable", func(s string) error {
		p, err := parseOutage(s)
		if err == nil {
			cfg.outages = append(cfg.outages, p)
		}
		return err
	})
	fs.Float64Var(&cfg.timeScale, "time-scale", 1, "multiply every emulated duration (timeouts, latencies, sleeps, outage windows) by this; 0.01 turns 29s into 290ms; logs keep emulated time")
	fs.StringVar(&cfg.accessLog, "access-log", "", "write the access log (one JSON line per request) to `FILE` (created or truncated)")
	fs.StringVar(&cfg.executionLog, "execution-log", "", "write the execution log ('(<requestId>) ...' lines) to `FILE`")
	fs.StringVar(&cfg.lambdaLog, "lambda-log", "", "write the function's log (START/END/REPORT and the lambdalog middleware's JSON lines) to `FILE`")
	fs.Int64Var(&cfg.seed, "seed", 1, "seed of the random draws (latency, error rate), so runs repeat")
	fs.IntVar(&cfg.memoryMB, "memory", 128, "memory size (MB) reported in REPORT lines")
	fs.DurationVar(&cfg.closeGrace, "close-grace", apigwtest.DefaultCloseGrace, "at shutdown, how long (real time) to wait for functions still running")
	fs.BoolVar(&cfg.quiet, "quiet", false, "do not print a line per request")
	fs.Func("gateway-latency", "the gateway's own `latency` added to every answer, same syntax as -latency; uniform:10ms-230ms is what AWS's 504s show (default none)", func(s string) error {
		l, err := parseLatency(s)
		cfg.gatewayLatency = l
		return err
	})
	fs.IntVar(&cfg.quota, "quota", 0, "usage plan quota: requests per API key (x-api-key; none counts as one key) before 429 Limit Exceeded (0: no usage plan)")
	fs.IntVar(&cfg.history, "invocation-history", defaultInvocationHistory, "invocation records kept for the shutdown report, so memory stays bounded (0: all); the counts cover every request")
	fs.StringVar(&cfg.function, "function", "", "run the Lambda `binary` (an aws-lambda-go program calling lambda.Start, or any custom runtime) instead of the echo function, one process per execution environment")
	fs.Func("env", "`KEY=value` for the -function binary's environment (repeatable)", func(s string) error {
		if k, _, ok := strings.Cut(s, "="); !ok || k == "" {
			return errors.New("want KEY=value")
		}
		cfg.env = append(cfg.env, s)
		return nil
	})
	fs.DurationVar(&cfg.initTimeout, "init-timeout", apigwtest.DefaultInitTimeout, "how long a -function process may take to start polling for invocations")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, flagError(stderr, fs, emulateUsage, err)
	}
	if len(pos) > 0 {
		return nil, usageError(stderr, "emulate", "unexpected argument %q", pos[0])
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "stage":
			cfg.stageSet = true
		case "integration-timeout":
			cfg.timeoutSet = true
		}
	})
	if msg := cfg.check(); msg != "" {
		return nil, usageError(stderr, "emulate", "%s", msg)
	}
	return cfg, -1
}

// check validates the values the flag package cannot; it returns the
// problem, or "".
func (cfg *emulateConfig) check() string {
	host, port, err := net.SplitHostPort(cfg.addr)
	switch {
	case err != nil:
		return fmt.Sprintf("-addr %q: want HOST:PORT", cfg.addr)
	case !validPort(port):
		return fmt.Sprintf("-addr %q: PORT must be a number from 0 to 65535 (0: any free port)", cfg.addr)
	case !isLoopback(host):
		return fmt.Sprintf("-addr %q: the emulator listens on loopback only (127.0.0.1, ::1 or localhost)", cfg.addr)
	case cfg.integrationTimeout <= 0:
		return "-integration-timeout must be positive"
	case cfg.functionTimeout <= 0:
		return "-function-timeout must be positive"
	case !(cfg.errorRate >= 0 && cfg.errorRate <= 1):
		return "-error-rate must be between 0 and 1"
	case !(cfg.malformedRate >= 0 && cfg.malformedRate <= 1):
		return "-malformed-rate must be between 0 and 1"
	case cfg.concurrency < 0:
		return "-concurrency must not be negative"
	case cfg.coldStart < 0 || cfg.idleExpiry < 0 || cfg.closeGrace < 0:
		return "durations must not be negative"
	case !(cfg.timeScale > 0) || cfg.timeScale > 1e6:
		return "-time-scale must be a positive number"
	case cfg.memoryMB < 1:
		return "-memory must be at least 1"
	case strings.Contains(cfg.stage, "/"):
		return "-stage must not contain '/'"
	case cfg.quota < 0 || cfg.history < 0:
		return "-quota and -invocation-history must not be negative"
	case cfg.initTimeout <= 0:
		return "-init-timeout must be positive"
	case len(cfg.env) > 0 && cfg.function == "":
		return "-env applies to a -function binary only"
	}
	if cfg.function != "" {
		fi, err := os.Stat(cfg.function)
		switch {
		case err != nil:
			return fmt.Sprintf("-function %s: %v", cfg.function, errors.Unwrap(err))
		case fi.IsDir() || fi.Mode()&0o111 == 0:
			return fmt.Sprintf("-function %s is not an executable file", cfg.function)
		}
	}
	return ""
}

// validPort reports whether s is a port number net.Listen accepts; a
// service name ("http") is refused too, as it says nothing on loopback.
func validPort(s string) bool {
	n, err := strconv.ParseUint(s, 10, 16)
	return err == nil && n <= 65535
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// options turns the flags into apigwtest options.
func (cfg *emulateConfig) options(logs *emulateLogs) []apigwtest.Option {
	opts := []apigwtest.Option{
		apigwtest.WithFunctionTimeout(cfg.functionTimeout),
		apigwtest.WithTimeScale(cfg.timeScale),
		apigwtest.WithConcurrencyLimit(cfg.concurrency),
		apigwtest.WithColdStart(cfg.coldStart),
		apigwtest.WithIdleExpiry(cfg.idleExpiry),
		apigwtest.WithSeed(cfg.seed),
		apigwtest.WithMemorySize(cfg.memoryMB),
		apigwtest.WithCloseGrace(cfg.closeGrace),
		apigwtest.WithFault(apigwtest.Fault{Latency: cfg.latency, ErrorRate: cfg.errorRate, MalformedRate: cfg.malformedRate}),
	}
	if cfg.httpAPI {
		opts = append(opts, apigwtest.WithHTTPAPI())
	}
	if cfg.timeoutSet || !cfg.httpAPI {
		opts = append(opts, apigwtest.WithIntegrationTimeout(cfg.integrationTimeout))
	}
	if cfg.stageSet {
		opts = append(opts, apigwtest.WithStage(cfg.stage))
	}
	if cfg.throttle != nil {
		opts = append(opts, apigwtest.WithThrottle(cfg.throttle.rate, cfg.throttle.burst))
	}
	if cfg.gatewayLatency != nil {
		opts = append(opts, apigwtest.WithGatewayLatency(cfg.gatewayLatency))
	}
	if cfg.quota > 0 {
		opts = append(opts, apigwtest.WithQuota(cfg.quota))
	}
	if cfg.history > 0 {
		opts = append(opts, apigwtest.WithInvocationHistory(cfg.history))
	}
	if len(cfg.outages) > 0 {
		opts = append(opts, apigwtest.WithSchedule(cfg.outages...))
	}
	if logs.access != nil {
		opts = append(opts, apigwtest.WithAccessLog(logs.access))
	}
	if logs.execution != nil {
		opts = append(opts, apigwtest.WithExecutionLog(logs.execution))
	}
	if logs.lambda != nil {
		opts = append(opts, apigwtest.WithLambdaLog(logs.lambda))
	}
	if cfg.function != "" {
		opts = append(opts, apigwtest.WithInitTimeout(cfg.initTimeout), apigwtest.WithEnv(cfg.env...))
	}
	return opts
}

// startEmulator starts the server with the -function binary, or with the
// echo function wrapped in the lambdalog middleware when there is a Lambda
// log to write its lines to.
func startEmulator(cfg *emulateConfig, logs *emulateLogs) (srv *apigwtest.Server, err error) {
	defer func() {
		// NewServer panics when it cannot listen, like httptest.NewServer.
		if v := recover(); v != nil {
			srv, err = nil, fmt.Errorf("cannot start the emulator: %v", v)
		}
	}()
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on -addr %s: %w", cfg.addr, err)
	}
	defer func() {
		if srv == nil {
			ln.Close()
		}
	}()
	opts := append(cfg.options(logs), apigwtest.WithListener(ln))
	if cfg.function != "" {
		return apigwtest.NewRuntimeServer(cfg.function, opts...), nil
	}
	var fn apigwtest.Handler = echoFunction
	if logs.lambda != nil {
		fn = lambdalog.Wrap(echoFunction, lambdalog.WithWriter(logs.lambda))
	}
	return apigwtest.NewServer(fn, opts...), nil
}
