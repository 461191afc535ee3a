package apigwtest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// backend starts execution environments: in-process or real processes.
type backend interface {
	// start starts a new execution environment: the cold start. It blocks
	// for the init phase and fails with an *functionError for init errors.
	start(ctx context.Context) (environment, error)
}

// environment is one Lambda execution environment: it runs one invocation
// at a time.
type environment interface {
	// invoke runs the function and returns its raw proxy response, or the
	// function error Lambda reports.
	invoke(ctx context.Context, c *call) ([]byte, *functionError)
	// settle waits until the environment is ready for another invocation
	// or dead, killing it if ctx ends first.
	settle(ctx context.Context)
	// alive reports whether the environment can take another invocation.
	alive() bool
	// close ends the environment (kills its process).
	close()
}

type warmEnv struct {
	env      environment
	lastUsed time.Time
}

// call is one invocation as the runtime sees it. One of event (payload
// format 1.0) and eventV2 (2.0) is set.
type call struct {
	lambdaID string
	event    *events.APIGatewayProxyRequest
	eventV2  *events.APIGatewayV2HTTPRequest
	deadline time.Time
	trace    string
}

// marshalEvent is the event's JSON, as Lambda hands it to a runtime.
func (c *call) marshalEvent() ([]byte, error) {
	if c.eventV2 != nil {
		return json.Marshal(c.eventV2)
	}
	return json.Marshal(c.event)
}

// functionError is a function error as Lambda reports it: the invocation
// returns 200 with X-Amz-Function-Error and this payload.
type functionError struct {
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
}

func (e *functionError) Error() string { return e.Type + ": " + e.Message }

// draws are the random decisions of one invocation, made under the lock.
type draws struct {
	latency   time.Duration // emulated
	fail      bool
	malformed bool
}

// result is what the integration hands back to the gateway.
type result struct {
	payload []byte
	ferr    *functionError
	at      time.Time // when Lambda answered
	// recorded, when not nil, is closed once the invocation's record is
	// complete; the gateway waits for it before answering, so the ground
	// truth is complete when the client reads its answer.
	recorded chan struct{}
}

// hand gives the gateway its result at once, then records the end: were
// the record first, a result Lambda had before the integration timeout
// could reach the gateway after it, waiting for the server's lock, and be
// answered as a 504.
func (s *Server) hand(out chan<- result, r result, rec *Invocation, ferr *functionError, finished, timedOut bool) {
	r.recorded = make(chan struct{})
	out <- r
	s.end(rec, ferr, finished, timedOut)
	close(r.recorded)
}

// maxResponsePayload is Lambda's limit on a synchronous invocation's
// response (6 MB), in either mode.
const maxResponsePayload = 6 << 20

func responseTooLarge() *functionError {
	return &functionError{Type: "Function.ResponseSizeTooLarge",
		Message: "Response payload size exceeded maximum allowed payload size (6291556 bytes)."}
}

// malformedPayload is what a fault-injected malformed response looks like:
// a plain string instead of the proxy response object. Payload format 2.0
// takes a JSON string for a body (mapHTTPAPIResponse), so there it is
// malformedPayloadV2: a statusCode that is not a number.
var (
	malformedPayload   = []byte(`"OK"`)
	malformedPayloadV2 = []byte(`{"statusCode":"OK"}`)
)

// acquire takes a concurrency slot and, when one is warm, an execution
// environment, and makes the invocation's random draws. ok is false when
// Lambda would throttle. The caller closes the returned expired envs.
func (s *Server) acquire(now time.Time, f Fault, rng *rand.Rand) (we *warmEnv, d draws, expired []environment, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running >= s.cfg.concurrencyLimit || s.closed {
		return nil, d, nil, false
	}
	// Draw before taking the slot: a Latency that panics (net/http
	// recovers the handler) must not keep a slot that Wait and Close
	// would wait for. An outage overrides the fault's other fields.
	if rng == nil {
		rng = s.rng
	}
	switch f.Outage {
	case OutageTimeout:
		d.latency = s.cfg.integrationTimeout + s.cfg.integrationTimeout/10
	case OutageFunctionError:
		d.fail = true
	default:
		if f.Latency != nil {
			d.latency = f.Latency.Draw(rng, s.runningBeforeLocked(now)+1)
		}
		d.fail = f.ErrorRate > 0 && rng.Float64() < f.ErrorRate
		d.malformed = f.MalformedRate > 0 && rng.Float64() < f.MalformedRate
	}
	s.running++
	s.startedLocked(now)
	if s.running == 1 {
		s.idle = make(chan struct{})
	}
	s.stats.PeakInFlight = max(s.stats.PeakInFlight, s.running)
	ttl := s.scale(s.cfg.idleExpiry)
	// The oldest environments expire first.
	for len(s.idleEnvs) > 0 && now.Sub(s.idleEnvs[0].lastUsed) > ttl {
		expired = append(expired, s.idleEnvs[0].env)
		s.idleEnvs = s.idleEnvs[1:]
	}
	for len(s.idleEnvs) > 0 {
		e := s.idleEnvs[len(s.idleEnvs)-1]
		s.idleEnvs = s.idleEnvs[:len(s.idleEnvs)-1]
		if e.env.alive() {
			we = e
			break
		}
		expired = append(expired, e.env)
	}
	return we, d, expired, true
}

// runningBeforeLocked is the number of invocations running just before
// now: those that started at now are not counted, those that ended at now
// are. Invocations that start or end at one instant (in virtual time,
// where instants meet) are then seen alike whichever the scheduler runs
// first: two arrivals at one instant see the same count, as do an arrival
// and an invocation ending at that instant in either order. Called with
// s.mu held.
func (s *Server) runningBeforeLocked(now time.Time) int {
	if !now.Equal(s.instant) {
		return s.running
	}
	return s.running - s.startedAt + s.endedAt
}

// startedLocked and endedLocked count an invocation that started or
// ended at now (s.running already changed) for runningBeforeLocked. A
// later instant than the last one counted starts the counts afresh; an
// earlier one (a time read before another goroutine's, in real time) is
// not counted: for any later instant it is simply before. Called with
// s.mu held.
func (s *Server) startedLocked(now time.Time) {
	if s.atInstantLocked(now) {
		s.startedAt++
	}
}

func (s *Server) endedLocked(now time.Time) {
	if s.atInstantLocked(now) {
		s.endedAt++
	}
}

// atInstantLocked moves the instant counted to now when now is later,
// and reports whether now is that instant. Called with s.mu held.
func (s *Server) atInstantLocked(now time.Time) bool {
	if now.After(s.instant) {
		s.instant, s.startedAt, s.endedAt = now, 0, 0
	}
	return now.Equal(s.instant)
}

// release gives back the environment when reusable, else ends it, and then
// the slot: Wait and Close return only once a dead environment (its
// process, its Runtime API, its last output) is gone.
func (s *Server) release(env environment, reusable bool) {
	s.mu.Lock()
	if env != nil && reusable && env.alive() {
		s.idleEnvs = append(s.idleEnvs, &warmEnv{env: env, lastUsed: time.Now()})
		env = nil
	}
	s.mu.Unlock()
	if env != nil {
		env.close()
	}
	s.mu.Lock()
	s.running--
	s.endedLocked(time.Now())
	if s.running == 0 {
		close(s.idle)
	}
	s.mu.Unlock()
}

// outcome is how the function itself ended.
type outcome struct {
	payload []byte
	ferr    *functionError
	stopped bool // by the function timeout or Close, not on its own
}

// run executes one invocation to its end, whenever that is, and hands the
// result to the gateway through out (buffered) as soon as Lambda has one.
func (s *Server) run(rec *Invocation, we *warmEnv, c *call, d draws, out chan<- result) {
	var env environment
	reusable := false
	defer func() { s.release(env, reusable) }()

	ctx := s.runCtx
	var initDur time.Duration
	if we == nil {
		t0 := time.Now()
		e, err := s.backend.start(ctx)
		initDur = time.Since(t0)
		if err != nil {
			ferr, ok := err.(*functionError)
			if !ok {
				ferr = &functionError{Type: "Runtime.Unknown", Message: err.Error()}
			}
			s.lambdaLog.line(fmt.Sprintf("INIT_REPORT Init Duration: %.2f ms\tPhase: init\tStatus: error\tError Type: %s", s.emulatedMillis(initDur), ferr.Type))
			s.hand(out, result{ferr: ferr, at: time.Now()}, rec, ferr, false, false)
			return
		}
		env = e
	} else {
		env = we.env
	}

	if s.lambdaLog != nil {
		s.lambdaLog.line("START RequestId: " + c.lambdaID + " Version: $LATEST")
	}
	t0 := time.Now()
	c.deadline = t0.Add(s.scale(s.cfg.functionTimeout))
	fctx, cancel := context.WithDeadline(ctx, c.deadline)
	defer cancel()

	done := make(chan outcome, 1)
	go func() {
		returned := false
		defer func() {
			if !returned {
				// The handler called runtime.Goexit (t.FailNow does). In
				// Lambda the Go runtime would exit: a Runtime.ExitError,
				// and the environment is not reused.
				env.close()
				done <- outcome{ferr: &functionError{Type: "Runtime.ExitError",
					Message: "RequestId: " + c.lambdaID + " Error: Runtime exited with error: exit status 2"}}
			}
		}()
		o := s.execute(fctx, env, c, d)
		returned = true
		done <- o
	}()

	var o outcome
	received := false
	select {
	case o = <-done:
		received = true
	case <-fctx.Done():
		o = outcome{stopped: true}
	}
	if o.stopped {
		// Lambda stops the environment at the function timeout; an
		// in-process handler can only be asked to stop, so wait for it.
		stoppedAt := time.Now()
		timedOut := ctx.Err() == nil
		ferr := &functionError{Type: "Sandbox.Timedout", Message: fmt.Sprintf("%s %s Task timed out after %.2f seconds",
			time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), c.lambdaID, s.cfg.functionTimeout.Seconds())}
		if !timedOut {
			ferr = &functionError{Type: "Runtime.Closed", Message: errServerClosed.Error()}
		}
		// For Lambda the invocation ends now: log and record it before
		// the client reads its answer, though an in-process handler that
		// ignores its context keeps its slot until it returns.
		if timedOut {
			s.lambdaLog.line(ferr.Message)
		}
		s.report(c.lambdaID, stoppedAt.Sub(t0), initDur, we == nil)
		s.hand(out, result{ferr: ferr, at: stoppedAt}, rec, ferr, false, timedOut)
		env.close()
		if !received {
			<-done
		}
		return
	}
	at := time.Now()
	s.hand(out, result{payload: o.payload, ferr: o.ferr, at: at}, rec, o.ferr, true, false)
	s.report(c.lambdaID, at.Sub(t0), initDur, we == nil)
	env.settle(fctx)
	reusable = true
}

// execute runs the invocation's draws and the function.
func (s *Server) execute(fctx context.Context, env environment, c *call, d draws) outcome {
	if d.latency > 0 && sleepContext(fctx, s.scale(d.latency)) != nil {
		return outcome{stopped: true}
	}
	if d.fail {
		return outcome{ferr: &functionError{Type: "InjectedError", Message: "apigwtest: injected function error"}}
	}
	payload, ferr := env.invoke(fctx, c)
	if d.malformed && ferr == nil {
		payload = malformedPayload
		if s.cfg.payloadV2 {
			payload = malformedPayloadV2
		}
	}
	// A function that returns after its deadline was, in Lambda, stopped
	// at the deadline: its answer never counts.
	return outcome{payload: payload, ferr: ferr, stopped: fctx.Err() != nil}
}

// end records the end of an invocation.
func (s *Server) end(rec *Invocation, ferr *functionError, finished, timedOut bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec.End = time.Now()
	rec.Finished = finished
	rec.FunctionTimedOut = timedOut
	if ferr != nil {
		rec.FunctionError = ferr.Type
		s.stats.FunctionErrors++
	}
	if timedOut {
		s.stats.FunctionTimeouts++
	}
	if finished {
		s.stats.Completed++
		if rec.GatewayTimedOut {
			rec.RanAfterTimeout = true
			s.stats.RanAfterTimeout++
		}
	}
}

// sleepContext sleeps for d or until ctx is done.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
