package apigwtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Handler is an aws-lambda-go proxy handler: the function behind the gateway.
type Handler = func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)

// Server is an API Gateway stage with one Lambda proxy integration
// ({proxy+}, any method), listening on a loopback address, like
// httptest.Server. Start it with NewServer (in-process handler) or
// NewRuntimeServer (a real Lambda binary) and stop it with Close. All
// methods are safe for concurrent use.
type Server struct {
	// URL is the stage's base URL, "http://127.0.0.1:<port>/<stage>", with
	// no trailing slash.
	URL string

	cfg     config
	backend backend
	http    *http.Server
	ln      net.Listener
	started time.Time

	accessLog, execLog, lambdaLog *lineLog
	logMu                         sync.Mutex // one writer may serve all three logs

	// runCtx is every invocation's parent; Close cancels it after the grace.
	runCtx    context.Context
	cancelRun context.CancelFunc
	closing   chan struct{}
	handlers  sync.WaitGroup
	conns     sync.WaitGroup // connections net/http has not finished with
	closeOnce sync.Once

	mu       sync.Mutex
	closed   bool
	rng      *rand.Rand
	keyed    map[string]uint64 // requests seen per draw key (WithDrawKey)
	bucket   tokenBucket
	idleEnvs []*warmEnv // most recently used last
	running  int        // invocations holding a concurrency slot
	// instant is the last instant an invocation started or ended at, and
	// startedAt and endedAt how many did at it: with running, what the
	// invocations in flight were just before it (runningBeforeLocked).
	instant            time.Time
	startedAt, endedAt int
	idle               chan struct{}
	stats              Stats
	invocations        []*Invocation
	quotaUsed          map[string]int // by API key
}

// NewServer starts a server whose function is fn, run in-process: each
// execution environment is a goroutine-free slot, a cold start is a sleep of
// WithColdStart, and fn runs in its own goroutine per invocation with a
// context that carries the Lambda context, the trace id under
// "x-amzn-trace-id" (as aws-lambda-go does) and the function deadline. A
// panic in fn is a function error, and so is a response over Lambda's 6 MB
// limit (Function.ResponseSizeTooLarge), as in runtime mode. NewServer panics if it cannot listen,
// like httptest.NewServer.
func NewServer(fn Handler, opts ...Option) *Server {
	if fn == nil {
		panic("apigwtest: NewServer with a nil handler")
	}
	return newServer(func(s *Server) backend { return inProcess{fn: fn, s: s} }, opts, payloadFormat1)
}

// The payload format versions, as AWS spells them.
const (
	payloadFormat1 = "1.0"
	payloadFormat2 = "2.0"
)

// newServer starts a server whose backend newBackend makes. format is the
// payload format its handler takes ("" for a runtime binary, which may
// take either).
func newServer(newBackend func(*Server) backend, opts []Option, format string) *Server {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if format == payloadFormat2 {
		cfg.httpAPI = true // a 2.0 handler implies an HTTP API
	}
	cfg.resolvePayloadFormat(format)
	if cfg.httpAPI {
		if !cfg.timeoutSet {
			cfg.integrationTimeout = DefaultHTTPAPIIntegrationTimeout
		}
		if !cfg.stageSet {
			cfg.stage = ""
		}
	}
	ln := cfg.listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			panic(fmt.Sprintf("apigwtest: failed to listen on a port: %v", err))
		}
	}
	s := &Server{
		cfg:       cfg,
		ln:        ln,
		started:   time.Now(),
		closing:   make(chan struct{}),
		rng:       rand.New(rand.NewPCG(uint64(cfg.seed), 0x5eed)),
		stats:     Stats{Answers: map[int]int64{}},
		quotaUsed: map[string]int{},
		keyed:     map[string]uint64{},
	}
	s.accessLog = newLineLog(cfg.accessLog, &s.logMu)
	s.execLog = newLineLog(cfg.executionLog, &s.logMu)
	s.lambdaLog = newLineLog(cfg.lambdaLog, &s.logMu)
	s.runCtx, s.cancelRun = context.WithCancel(context.Background())
	s.bucket = newTokenBucket(cfg.throttleRate/cfg.timeScale, cfg.throttleBurst, s.started)
	s.backend = newBackend(s)
	s.URL = "http://" + ln.Addr().String()
	if cfg.stage != "" {
		s.URL += "/" + cfg.stage
	}
	s.http = &http.Server{Handler: http.HandlerFunc(s.serveHTTP), ReadHeaderTimeout: 10 * time.Second, ErrorLog: cfg.errorLog, ConnState: s.trackConn}
	serve := ln
	if !cfg.httpAPI {
		// A REST API's events need the header names as written.
		serve = wireListener{ln}
		s.http.ConnContext = connContext
	}
	s.handlers.Add(1)
	go func() {
		defer s.handlers.Done()
		_ = s.http.Serve(serve)
	}()
	return s
}

// resolvePayloadFormat settles the payload format from WithPayloadFormat
// and what the handler takes (format, "" for either), panicking on a
// combination no API could have.
func (c *config) resolvePayloadFormat(format string) {
	v := c.payloadFormat
	switch {
	case v == "" && format != "":
		v = format
	case v == "":
		v = payloadFormat1
	case v != payloadFormat1 && v != payloadFormat2:
		panic(fmt.Sprintf("apigwtest: WithPayloadFormat(%q): the versions are %q and %q", v, payloadFormat1, payloadFormat2))
	case format != "" && v != format:
		panic(fmt.Sprintf("apigwtest: WithPayloadFormat(%q) with a handler that takes payload format %s events", v, format))
	}
	if v == payloadFormat2 && !c.httpAPI {
		panic(`apigwtest: WithPayloadFormat("2.0") needs WithHTTPAPI: a REST API sends payload format 1.0 only`)
	}
	c.payloadFormat, c.payloadV2 = v, v == payloadFormat2
}

// scale converts an emulated duration to real time.
func (s *Server) scale(d time.Duration) time.Duration {
	return time.Duration(float64(d) * s.cfg.timeScale)
}

// Close stops the server: it stops accepting requests, closes client
// connections (a request still waiting for its function gets no answer),
// then waits up to WithCloseGrace (default 1 s, real time) for
// functions still running. Past the grace it cancels their contexts (runtime
// mode: kills their processes) and waits for them to return, so an
// in-process handler that ignores its context keeps Close waiting. Finally
// it ends every execution environment. Every connection's goroutine has
// ended when Close returns (net/http keeps one half a second after
// refusing a body or header block too large). Close is idempotent.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.closing)
		_ = s.http.Close()
		s.handlers.Wait()
		// Serve has returned (it is one of the handlers), so no
		// connection is added now. A connection closed after a refused
		// request (a body or header block too large) lingers half a
		// second in net/http before its goroutine ends.
		s.conns.Wait()

		grace := time.NewTimer(s.cfg.closeGrace)
		waited := make(chan struct{})
		go func() { s.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-grace.C:
			s.cancelRun()
			<-waited
		}
		grace.Stop()
		s.cancelRun()

		s.mu.Lock()
		envs := s.idleEnvs
		s.idleEnvs = nil
		s.mu.Unlock()
		for _, e := range envs {
			e.env.close()
		}
	})
}

// trackConn counts the connections the server serves, from their
// acceptance (in Serve's goroutine) to their end, for Close.
func (s *Server) trackConn(_ net.Conn, state http.ConnState) {
	switch state {
	case http.StateNew:
		s.conns.Add(1)
	case http.StateHijacked, http.StateClosed:
		s.conns.Done()
	}
}

// enter registers a request handler unless the server is closing.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.handlers.Add(1)
	return true
}

// errServerClosed ends invocations cancelled by Close.
var errServerClosed = errors.New("apigwtest: server closed")
