package apigwtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// NewRuntimeServer starts a server whose function is the Lambda binary at
// binaryPath, unmodified (an aws-lambda-go program calling lambda.Start, or
// any custom runtime). Each execution environment is one process of it,
// started with AWS_LAMBDA_RUNTIME_API pointing at a Lambda Runtime API
// (2018-06-01) the server serves for that environment alone; the cold start
// is the real process start, until its first poll for an invocation.
//
// A process that exits, calls /runtime/init/error, or does not poll within
// WithInitTimeout (default 10 s, real time) is an init error: the client gets
// 502 and the next request starts a new process. A process that exits during
// an invocation is a Runtime.ExitError (502); at the function timeout the
// process is killed (502 "Task timed out" when the timeout is shorter than
// the integration timeout). Close kills every process. On Unix each process
// leads a process group of its own and a kill takes the whole group, so a
// bootstrap script's children die with it. The processes inherit
// the server's environment plus WithEnv and the usual AWS_LAMBDA_* variables;
// their output goes to the Lambda log. The process gets payload format 1.0
// events (events.APIGatewayProxyRequest) unless the server is an HTTP API
// with WithPayloadFormat("2.0"), which sends events.APIGatewayV2HTTPRequest.
//
// Process starts take real time (milliseconds) that a time scale does not
// shrink, and they count against the scaled integration timeout, as cold
// starts do in AWS: pick a scale that leaves them room (0.1 makes 29 s
// last 2.9 s).
func NewRuntimeServer(binaryPath string, opts ...Option) *Server {
	// A path, not a command name: "bootstrap" is the file in the working
	// directory, which exec.Command would look for in $PATH instead.
	if abs, err := filepath.Abs(binaryPath); err == nil {
		binaryPath = abs
	}
	return newServer(func(s *Server) backend { return &runtimeBackend{path: binaryPath, s: s} }, opts, "")
}

type runtimeBackend struct {
	path string
	s    *Server
}

const runtimeAPIPrefix = "/2018-06-01/runtime/"

func (b *runtimeBackend) start(ctx context.Context) (environment, error) {
	s := b.s
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, &functionError{Type: "Runtime.Unknown", Message: err.Error()}
	}
	e := &processEnv{
		ln:          ln,
		ready:       make(chan struct{}),
		initErr:     make(chan *functionError, 1),
		exited:      make(chan struct{}),
		closed:      make(chan struct{}),
		invocations: make(chan *pendingCall),
		polling:     make(chan struct{}, 1),
		served:      make(chan struct{}),
		calls:       map[string]*pendingCall{},
	}
	e.srv = &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(e.served)
		_ = e.srv.Serve(ln)
	}()

	cmd := exec.Command(b.path)
	cmd.Env = append(os.Environ(),
		"AWS_LAMBDA_RUNTIME_API="+ln.Addr().String(),
		"AWS_LAMBDA_FUNCTION_NAME="+functionName,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(s.cfg.memoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/"+functionName,
		"AWS_REGION="+region,
		"AWS_DEFAULT_REGION="+region,
		"_HANDLER=bootstrap",
	)
	cmd.Env = append(cmd.Env, s.cfg.env...)
	if s.lambdaLog != nil {
		e.out = &processOutput{log: s.lambdaLog}
		cmd.Stdout, cmd.Stderr = e.out, e.out
	}
	ownProcessGroup(cmd)
	cmd.WaitDelay = time.Second // grandchildren outside the group holding the pipes
	if err := cmd.Start(); err != nil {
		e.shutdown()
		return nil, &functionError{Type: "Runtime.InvalidEntrypoint", Message: err.Error()}
	}
	e.cmd = cmd
	go func() {
		e.waitErr = cmd.Wait()
		close(e.exited)
	}()

	// Real time: a real process does not start faster under a time scale.
	timer := time.NewTimer(s.cfg.initTimeout)
	defer timer.Stop()
	select {
	case <-e.ready:
		return e, nil
	case ferr := <-e.initErr:
		e.close()
		return nil, ferr
	case <-e.exited:
		e.close()
		return nil, &functionError{Type: "Runtime.ExitError", Message: "Runtime exited with error: " + exitText(e.waitErr)}
	case <-timer.C:
		e.close()
		return nil, &functionError{Type: "Runtime.Unknown", Message: fmt.Sprintf("Init timed out after %.2f seconds", s.cfg.initTimeout.Seconds())}
	case <-ctx.Done():
		e.close()
		return nil, &functionError{Type: "Runtime.Closed", Message: errServerClosed.Error()}
	}
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// processEnv is one execution environment: a process and the Runtime API it
// polls.
type processEnv struct {
	ln      net.Listener
	srv     *http.Server
	served  chan struct{}
	cmd     *exec.Cmd
	out     *processOutput
	waitErr error

	ready     chan struct{} // closed at the first poll
	readyOnce sync.Once
	initErr   chan *functionError
	exited    chan struct{}
	closed    chan struct{}
	closeOnce sync.Once

	invocations chan *pendingCall // handed to a waiting /next
	polling     chan struct{}     // buffered 1: a /next arrived

	mu    sync.Mutex
	calls map[string]*pendingCall // by Lambda request id, until answered
}

type pendingCall struct {
	c       *call
	payload []byte
	done    chan outcome // buffered 1
}

func (e *processEnv) invoke(ctx context.Context, c *call) ([]byte, *functionError) {
	payload, err := c.marshalEvent()
	if err != nil {
		return nil, &functionError{Type: "Runtime.MarshalError", Message: err.Error()}
	}
	pc := &pendingCall{c: c, payload: payload, done: make(chan outcome, 1)}
	e.mu.Lock()
	e.calls[c.lambdaID] = pc
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.calls, c.lambdaID)
		e.mu.Unlock()
	}()
	exitErr := func() *functionError {
		return &functionError{Type: "Runtime.ExitError",
			Message: "RequestId: " + c.lambdaID + " Error: Runtime exited with error: " + exitText(e.waitErr)}
	}
	select {
	case e.invocations <- pc:
		// The poll that took pc signalled before taking it; settle waits
		// for the next one.
		select {
		case <-e.polling:
		default:
		}
	case <-e.exited:
		return nil, exitErr()
	case <-e.closed:
		return nil, nil
	case <-ctx.Done():
		return nil, nil
	}
	select {
	case o := <-pc.done:
		return o.payload, o.ferr
	case <-e.exited:
		return nil, exitErr()
	case <-e.closed:
		return nil, nil
	case <-ctx.Done():
		return nil, nil
	}
}

// settle waits until the process polls for its next invocation (an
// invocation is not complete before that), exits, or ctx ends; in the last
// case the process is killed.
func (e *processEnv) settle(ctx context.Context) {
	select {
	case <-e.polling:
	case <-e.exited:
	case <-e.closed:
	case <-ctx.Done():
		e.close()
	}
}

func (e *processEnv) alive() bool {
	select {
	case <-e.exited:
		return false
	case <-e.closed:
		return false
	default:
		return true
	}
}

// close kills the process and stops its Runtime API.
func (e *processEnv) close() {
	e.closeOnce.Do(func() {
		close(e.closed)
		if e.cmd != nil {
			killProcessTree(e.cmd)
			<-e.exited
		}
		e.shutdown()
		if e.out != nil {
			e.out.flush()
		}
	})
}

func (e *processEnv) shutdown() {
	_ = e.srv.Close()
	<-e.served
}

// ServeHTTP serves the Lambda Runtime API for this environment's process.
func (e *processEnv) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, runtimeAPIPrefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch {
	case r.Method == http.MethodGet && rest == "invocation/next":
		e.next(w, r)
	case r.Method == http.MethodPost && rest == "init/error":
		ferr := readFunctionError(r, "Runtime.InitError")
		select {
		case e.initErr <- ferr:
		default:
		}
		accepted(w)
	case r.Method == http.MethodPost && strings.HasPrefix(rest, "invocation/"):
		id, kind, _ := strings.Cut(strings.TrimPrefix(rest, "invocation/"), "/")
		e.mu.Lock()
		pc := e.calls[id]
		e.mu.Unlock()
		if pc == nil {
			http.Error(w, `{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}`, http.StatusBadRequest)
			return
		}
		var o outcome
		switch kind {
		case "response":
			b, err := io.ReadAll(io.LimitReader(r.Body, maxResponsePayload+1))
			if err != nil {
				return
			}
			if len(b) > maxResponsePayload {
				o.ferr = responseTooLarge()
			} else {
				o.payload = b
			}
		case "error":
			o.ferr = readFunctionError(r, "Unhandled")
		default:
			http.NotFound(w, r)
			return
		}
		select {
		case pc.done <- o:
		default: // answered twice
		}
		accepted(w)
	default:
		http.NotFound(w, r)
	}
}

// next hands the process its next invocation, waiting for one.
func (e *processEnv) next(w http.ResponseWriter, r *http.Request) {
	e.readyOnce.Do(func() { close(e.ready) })
	select {
	case e.polling <- struct{}{}:
	default:
	}
	var pc *pendingCall
	select {
	case pc = <-e.invocations:
	case <-e.closed:
		return
	case <-r.Context().Done():
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Lambda-Runtime-Aws-Request-Id", pc.c.lambdaID)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(pc.c.deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", functionARN)
	h.Set("Lambda-Runtime-Trace-Id", pc.c.trace)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(pc.payload)
}

func accepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

// readFunctionError reads an error the runtime posts: a JSON body with
// errorMessage and errorType, the type also in a header.
func readFunctionError(r *http.Request, fallbackType string) *functionError {
	var ferr functionError
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	_ = json.Unmarshal(b, &ferr)
	if t := r.Header.Get("Lambda-Runtime-Function-Error-Type"); t != "" && ferr.Type == "" {
		ferr.Type = t
	}
	if ferr.Type == "" {
		ferr.Type = fallbackType
	}
	if ferr.Message == "" {
		ferr.Message = strings.TrimSpace(string(b))
	}
	return &ferr
}
