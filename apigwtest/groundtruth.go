package apigwtest

import (
	"maps"
	"net/http"
	"time"
)

// Invocation is the ground truth about one Lambda invocation: what the
// function did, whatever the client saw. Server.Invocations returns copies.
type Invocation struct {
	// RequestID is API Gateway's request id ($context.requestId, the
	// x-amzn-RequestId or apigw-requestid the client sees).
	RequestID string
	// ExtendedRequestID is the x-amz-apigw-id.
	ExtendedRequestID string
	// LambdaRequestID is Lambda's request id, never shown to the client.
	LambdaRequestID string
	// TraceID is the X-Amzn-Trace-Id passed to the function.
	TraceID string
	// Method and Path are the client's (Path without the stage prefix).
	Method, Path string
	// Header holds every request header as the client sent it; benchmarks
	// group invocations by a header of their own.
	Header http.Header
	// Start is when Lambda accepted the invocation (before any cold start);
	// End is when it ended, zero while it runs. A function stopped by its
	// timeout or Close ends then, even if an in-process handler that
	// ignores its context runs on (and keeps its concurrency slot).
	Start, End time.Time
	// ColdStart is true when a new execution environment was started for it.
	ColdStart bool
	// Finished is true when the function returned on its own (with a
	// response or an error), false while it runs or when it was stopped by
	// the function timeout or Close.
	Finished bool
	// GatewayTimedOut is true when the gateway answered the client with an
	// integration timeout (504, or 503 for HTTP APIs) while this ran.
	GatewayTimedOut bool
	// RanAfterTimeout is true when the function finished after the gateway
	// had already answered its integration timeout: the client saw a 504
	// for work that was done.
	RanAfterTimeout bool
	// FunctionTimedOut is true when the function hit its function timeout.
	FunctionTimedOut bool
	// FunctionError is the error type of a function error ("" if none), e.g.
	// "errorString", "Runtime.ExitError", "Sandbox.Timedout".
	FunctionError string
	// Status is the status the gateway answered for this invocation, 0
	// until it answered.
	Status int
}

// Stats counts what the server did. Server.Stats returns a snapshot.
type Stats struct {
	// Requests is every request the server received.
	Requests int64
	// Answers counts the responses sent by HTTP status.
	Answers map[int]int64
	// Invocations is the number of invocations Lambda accepted (the
	// function ran or was starting); Completed those that finished on their
	// own; RanAfterTimeout those that finished after the gateway answered
	// its integration timeout.
	Invocations, Completed, RanAfterTimeout int64
	// FunctionErrors counts invocations that ended in a function error,
	// FunctionTimeouts those that hit the function timeout.
	FunctionErrors, FunctionTimeouts int64
	// GatewayTimeouts counts integration timeouts answered to clients.
	GatewayTimeouts int64
	// Throttled counts API Gateway's 429s; LambdaThrottled counts Lambda's
	// own 429s (concurrency limit or OutageThrottle), answered as 500.
	Throttled, LambdaThrottled int64
	// QuotaExceeded counts usage plan 429s (WithQuota).
	QuotaExceeded int64
	// ColdStarts counts new execution environments.
	ColdStarts int64
	// InFlight is the number of invocations running now, PeakInFlight the
	// most at once.
	InFlight, PeakInFlight int
}

// Invocations returns a copy of every invocation so far (the most recent
// ones with WithInvocationHistory), in start order.
func (s *Server) Invocations() []Invocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	recs := s.invocations
	if n := s.cfg.history; n > 0 && len(recs) > n {
		recs = recs[len(recs)-n:]
	}
	out := make([]Invocation, len(recs))
	for i, inv := range recs {
		out[i] = *inv
		out[i].Header = inv.Header.Clone()
	}
	return out
}

// RangeInvocations calls f with each invocation that Invocations would
// return, in start order, without copying them: f reads inv and must not
// keep or change it, nor call the server (its lock is held). It stops
// when f returns false.
func (s *Server) RangeInvocations(f func(inv *Invocation) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	recs := s.invocations
	if n := s.cfg.history; n > 0 && len(recs) > n {
		recs = recs[len(recs)-n:]
	}
	for _, inv := range recs {
		if !f(inv) {
			return
		}
	}
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Answers = maps.Clone(s.stats.Answers)
	st.InFlight = s.running
	return st
}

// Wait blocks until no invocation is running, including functions still
// running after the gateway answered 504. Use it before counting side
// effects. Requests that arrive meanwhile may start new invocations.
func (s *Server) Wait() {
	s.mu.Lock()
	if s.running == 0 {
		s.mu.Unlock()
		return
	}
	ch := s.idle
	s.mu.Unlock()
	<-ch
}
