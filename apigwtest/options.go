package apigwtest

import (
	"io"
	"log"
	"net"
	"time"
)

// Defaults, each the value AWS uses unless noted.
const (
	// DefaultIntegrationTimeout is API Gateway's REST integration timeout.
	DefaultIntegrationTimeout = 29 * time.Second
	// DefaultHTTPAPIIntegrationTimeout is the HTTP API (v2) integration timeout, fixed in AWS.
	DefaultHTTPAPIIntegrationTimeout = 30 * time.Second
	// DefaultFunctionTimeout is the Lambda function timeout: the maximum, 15
	// minutes, so that a slow function runs on after a 504 as the functions
	// behind real 504s do. (AWS gives new functions 3 s; set
	// WithFunctionTimeout to model that.)
	DefaultFunctionTimeout = 15 * time.Minute
	// DefaultColdStart is the Init Duration of a new execution environment,
	// about that of a small Go function [inferred].
	DefaultColdStart = 100 * time.Millisecond
	// DefaultIdleExpiry is how long an idle execution environment stays warm.
	// AWS does not document it; 5 to 15 minutes is observed [inferred].
	DefaultIdleExpiry = 10 * time.Minute
	// DefaultConcurrencyLimit is Lambda's default account concurrency.
	DefaultConcurrencyLimit = 1000
	// DefaultThrottleRate and DefaultThrottleBurst are the account-level API
	// Gateway throttle (requests per second, token bucket size).
	DefaultThrottleRate  = 10000
	DefaultThrottleBurst = 5000
	// DefaultInitTimeout is Lambda's limit on the init phase (runtime mode).
	DefaultInitTimeout = 10 * time.Second
	// DefaultCloseGrace is how long Close waits (in real time, not scaled) for
	// functions still running before it cancels them.
	DefaultCloseGrace = time.Second
	// MaxPayload is API Gateway's request payload limit (10 MB).
	MaxPayload = 10 << 20
)

// bodyReadTimeout bounds, in real time (not scaled), how long the gateway
// waits for a request's body once its headers are in; a client that
// stalls part way through has its connection closed without an answer.
// It is the emulator's own bound, not a figure AWS publishes: 30 s, well
// past what a body of MaxPayload takes on loopback, so that a stalled
// client cannot hold a handler and its connection for the server's life.
const bodyReadTimeout = 30 * time.Second

// Option configures a Server. Options are applied in order; a later option
// overrides an earlier one.
type Option func(*config)

type config struct {
	integrationTimeout time.Duration
	timeoutSet         bool
	functionTimeout    time.Duration
	timeScale          float64
	httpAPI            bool
	payloadFormat      string // as set by WithPayloadFormat; newServer resolves ""
	payloadV2          bool   // the resolved format is 2.0
	concurrencyLimit   int
	throttleRate       float64
	throttleBurst      int
	coldStart          time.Duration
	idleExpiry         time.Duration
	initTimeout        time.Duration
	closeGrace         time.Duration
	accessLog          io.Writer
	executionLog       io.Writer
	lambdaLog          io.Writer
	seed               int64
	stage              string
	stageSet           bool
	fault              Fault
	schedule           []Phase
	faultFunc          func(Moment) Fault
	env                []string
	quota              int
	history            int
	gatewayLatency     Latency
	drawKey            string
	memoryMB           int
	listener           net.Listener
	errorLog           *log.Logger // net/http's, for tests
	bodyReadTimeout    time.Duration
}

func defaultConfig() config {
	return config{
		integrationTimeout: DefaultIntegrationTimeout,
		functionTimeout:    DefaultFunctionTimeout,
		timeScale:          1,
		concurrencyLimit:   DefaultConcurrencyLimit,
		throttleRate:       DefaultThrottleRate,
		throttleBurst:      DefaultThrottleBurst,
		coldStart:          DefaultColdStart,
		idleExpiry:         DefaultIdleExpiry,
		initTimeout:        DefaultInitTimeout,
		closeGrace:         DefaultCloseGrace,
		seed:               1,
		stage:              "prod",
		memoryMB:           128,
		bodyReadTimeout:    bodyReadTimeout,
	}
}

// WithIntegrationTimeout sets API Gateway's integration timeout. Default 29 s
// (REST) or 30 s (HTTP API). The clock starts when the gateway sends the
// request to Lambda, so queueing and cold starts count against it.
func WithIntegrationTimeout(d time.Duration) Option {
	return func(c *config) { c.integrationTimeout, c.timeoutSet = d, true }
}

// WithFunctionTimeout sets the Lambda function timeout. Default 15 minutes.
// Shorter than the integration timeout, a slow function fails with "Task
// timed out" and the client gets 502; longer, the client gets 504 while the
// function runs on. At the timeout an in-process handler's context is
// cancelled and its environment is discarded, but Go cannot stop the
// goroutine: its concurrency slot is freed when the handler returns (in
// runtime mode the process is killed at once, as Lambda does).
func WithFunctionTimeout(d time.Duration) Option {
	return func(c *config) { c.functionTimeout = d }
}

// WithTimeScale multiplies every duration the server uses: integration and
// function timeouts, cold starts, idle expiry, fault latencies and phase
// windows, the throttle's refill period, and Sleep in handlers (not
// WithInitTimeout or WithCloseGrace, which are real time). Default 1;
// 0.001 turns 29 s into 29 ms. Logs report emulated time (real time divided
// by the scale), so a scaled 504 still logs an integration latency near
// 29000 ms. Values <= 0 are ignored.
func WithTimeScale(f float64) Option {
	return func(c *config) {
		if f > 0 {
			c.timeScale = f
		}
	}
}

// WithHTTPAPI makes the server answer as an HTTP API (v2), with payload
// format 1.0 unless WithPayloadFormat("2.0") is given (NewHTTPAPIServer
// implies both): 503 {"message":"Service Unavailable"} on an integration timeout, 500
// {"message":"Internal Server Error"} on a function failure, an
// apigw-requestid header instead of x-amzn-RequestId, the $default stage (no
// path prefix), a 30 s integration timeout unless set, and header names in
// lower case in the event (payload 1.0: all but Content-Length,
// Content-Type, Host, User-Agent, X-Forwarded-* and X-Amzn-Trace-Id;
// payload 2.0: all). HTTP APIs
// generate their own request ids (a client's x-amzn-RequestId is not
// adopted) and send no X-Amzn-Trace-Id or x-amzn-ErrorType in their
// answers; the event's X-Amzn-Trace-Id is "Root=..." alone. Default: REST
// API.
func WithHTTPAPI() Option {
	return func(c *config) { c.httpAPI = true }
}

// WithPayloadFormat sets the Lambda payload format version of an HTTP
// API's integration, as AWS's payloadFormatVersion does: "1.0" (the
// event is an events.APIGatewayProxyRequest, the response must be an
// events.APIGatewayProxyResponse) or "2.0" (events.APIGatewayV2HTTPRequest
// in, events.APIGatewayV2HTTPResponse or any other JSON out; see
// NewHTTPAPIServer). Default "1.0" with NewServer and NewRuntimeServer,
// which is what the emulator has always sent (the AWS console's default
// for a new integration is "2.0"), and "2.0" with NewHTTPAPIServer. It is
// for NewRuntimeServer, whose binary's handler takes either event: the
// in-process constructors fix the format by their handler's type. The
// server's constructor panics on any other version, on "2.0" without
// WithHTTPAPI (REST APIs send 1.0 only), and on a version its handler
// cannot take.
func WithPayloadFormat(version string) Option {
	return func(c *config) { c.payloadFormat = version }
}

// WithConcurrencyLimit sets how many invocations may run at once (reserved
// concurrency). Default 1000. Past it Lambda answers 429 and the REST client
// gets 500 "Internal server error"; the function does not run. Functions
// still running after a 504 keep their slot, as in AWS. A limit of 0 (reserved
// concurrency 0) throttles every invocation.
func WithConcurrencyLimit(n int) Option {
	return func(c *config) { c.concurrencyLimit = n }
}

// WithThrottle sets API Gateway's token bucket: ratePerSec tokens per
// (scaled) second, burst tokens at most. Default 10000/s, burst 5000 (the
// account quota). A request that finds no token gets 429
// {"message":"Too Many Requests"}. A rate of 0 allows only the burst.
func WithThrottle(ratePerSec float64, burst int) Option {
	return func(c *config) { c.throttleRate, c.throttleBurst = ratePerSec, burst }
}

// WithColdStart sets the Init Duration of each new execution environment
// (in-process mode; in runtime mode the cold start is the real process start).
// Default 100 ms.
func WithColdStart(d time.Duration) Option {
	return func(c *config) { c.coldStart = d }
}

// WithIdleExpiry sets how long an idle execution environment stays warm.
// Default 10 minutes. An expired environment (in runtime mode, its process)
// is ended when the next invocation looks for a warm one, or at Close.
func WithIdleExpiry(d time.Duration) Option {
	return func(c *config) { c.idleExpiry = d }
}

// WithInitTimeout sets how long a runtime process may take to poll for its
// first invocation before it counts as an init error. Default 10 s. It is
// real time: the time scale does not apply, since a real process does not
// start faster.
func WithInitTimeout(d time.Duration) Option {
	return func(c *config) { c.initTimeout = d }
}

// WithCloseGrace sets how long Close waits, in real time, for functions still
// running before it cancels their contexts (in runtime mode: kills their
// processes). Default 1 s.
func WithCloseGrace(d time.Duration) Option {
	return func(c *config) { c.closeGrace = d }
}

// WithAccessLog writes one JSON access-log line per request to w. Default:
// no access log. Writes are line-atomic; w need not be safe for concurrent
// use, and the same w may also take the execution and Lambda logs.
func WithAccessLog(w io.Writer) Option {
	return func(c *config) { c.accessLog = w }
}

// WithExecutionLog writes API Gateway execution-log lines "(<requestId>)
// <text>" to w. Default: none. Writes are line-atomic.
func WithExecutionLog(w io.Writer) Option {
	return func(c *config) { c.executionLog = w }
}

// WithLambdaLog writes the function's log (START, END, REPORT, "Task timed
// out", and in runtime mode the process's own output) to w. Default: none.
// Writes are line-atomic.
func WithLambdaLog(w io.Writer) Option {
	return func(c *config) { c.lambdaLog = w }
}

// WithSeed seeds the random source of fault draws. Default 1, so runs repeat.
func WithSeed(seed int64) Option {
	return func(c *config) { c.seed = seed }
}

// WithStage sets the stage name, the first path segment of Server.URL.
// Default "prod" (REST) and none (HTTP API $default stage). A request outside
// the stage gets 403 {"message":"Missing Authentication Token"} (REST) or 404
// {"message":"Not Found"} (HTTP API). An empty name means no prefix.
func WithStage(name string) Option {
	return func(c *config) { c.stage, c.stageSet = name, true }
}

// WithFault applies f to every request outside the schedule's phases.
// Default: no fault.
func WithFault(f Fault) Option {
	return func(c *config) { c.fault = f }
}

// WithSchedule applies each phase's fault while the time since the server
// started is in [From, To) (scaled); the first matching phase wins and
// WithFault applies outside them. Default: no schedule.
func WithSchedule(phases ...Phase) Option {
	return func(c *config) { c.schedule = append([]Phase(nil), phases...) }
}

// WithFaultFunc decides the fault of each request itself, overriding
// WithFault and WithSchedule. It is called concurrently. Default: none.
func WithFaultFunc(f func(Moment) Fault) Option {
	return func(c *config) { c.faultFunc = f }
}

// WithEnv adds "KEY=value" variables to the environment of runtime-mode
// processes (which otherwise inherit the server's environment). Default: none.
func WithEnv(kv ...string) Option {
	return func(c *config) { c.env = append(c.env, kv...) }
}

// WithQuota sets a usage plan quota: each API key (the x-api-key header; no
// key counts as one key) may make n requests over the server's life, then
// gets 429 {"message":"Limit Exceeded"} (LimitExceededException). Default 0:
// no usage plan.
func WithQuota(n int) Option {
	return func(c *config) { c.quota = n }
}

// WithInvocationHistory keeps only the n most recent invocation records
// for Server.Invocations, so a long-running server's memory stays bounded;
// Stats still counts everything. Default 0: keep every record.
func WithInvocationHistory(n int) Option {
	return func(c *config) { c.history = n }
}

// WithGatewayLatency adds a latency drawn from l (emulated time, scaled) to
// every answer, before it is sent: the gateway's and the network's own
// time. Published captures: timeout 504s arrive 10 to 230 ms after the integration
// timeout, so Uniform{Min: 10 * time.Millisecond, Max: 230 * time.Millisecond}
// reproduces their timing. Default: none (answers leave at once).
func WithGatewayLatency(l Latency) Option {
	return func(c *config) { c.gatewayLatency = l }
}

// WithDrawKey makes each request's random draws (its fault's latency,
// error and malformed draws, the gateway latency) come from a source of
// its own, seeded by WithSeed, the value of the request's header and how
// many requests with that value came before, instead of from one source
// shared in arrival order. Two requests that arrive at the same instant
// then draw the same values whichever is handled first: with a header
// that names each logical request, runs of a virtual-time simulation
// repeat exactly. Default "" (one shared source).
func WithDrawKey(header string) Option {
	return func(c *config) { c.drawKey = header }
}

// WithListener makes the server serve on ln, which it closes on Close,
// instead of a new listener on 127.0.0.1:0 (the default). Server.URL is
// taken from ln's address. For a standing emulator on a chosen port. A
// REST API's events carry header names as the client wrote them unless ln
// yields TLS connections (then they are canonical).
func WithListener(ln net.Listener) Option {
	return func(c *config) { c.listener = ln }
}

// WithMemorySize sets the memory size reported in REPORT lines. Default 128 MB.
func WithMemorySize(mb int) Option {
	return func(c *config) { c.memoryMB = mb }
}
