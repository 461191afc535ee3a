package diagnose

import (
	"time"

	"github.com/retryscope/retryscope/lambdalog"
)

// Options tunes a diagnosis. The zero value of each field means its default.
type Options struct {
	// IntegrationTimeout is the API's integration timeout, for the
	// "integration latency near the timeout" finding. Default 29s (REST).
	IntegrationTimeout time.Duration
	// MaxLineBytes bounds one line or JSON export element. Default
	// DefaultMaxLineBytes (1 MiB).
	MaxLineBytes int
	// MaxExpansion bounds decompression. A file's gzip data, all layers
	// of it together (a gzip file, the gzip payloads inside it), may
	// expand to 64 MiB whatever the file's size, and past that to
	// MaxExpansion times the file's own bytes read so far; the file then
	// stops with an error (errors.Is(err, ErrExpansion)), keeping what
	// was read, rather than spend hours on a decompression bomb. Log text
	// compresses about 5 to 30 times. Default DefaultMaxExpansion (100).
	MaxExpansion int
	// ClockSkew is how far apart the client's, API Gateway's and Lambda's
	// clocks may be when deciding whether a log covers an attempt's time.
	// Default 1s.
	ClockSkew time.Duration
}

func (o Options) withDefaults() Options {
	if o.IntegrationTimeout <= 0 {
		o.IntegrationTimeout = 29 * time.Second
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	if o.MaxExpansion <= 0 {
		o.MaxExpansion = DefaultMaxExpansion
	}
	if o.ClockSkew <= 0 {
		o.ClockSkew = time.Second
	}
	return o
}

// maxMalformedListed bounds the malformed lines kept for the report; all
// are counted.
const maxMalformedListed = 1000

// Evidence gathers what the log files say, keyed by request id, and turns it
// into a Report. Feed it every file with ReadFile, then call Report. The zero
// value is not usable: use NewEvidence. An Evidence is not safe for
// concurrent use.
type Evidence struct {
	opts           Options
	files          []FileSummary
	malformed      []Malformed
	malformedCount int

	attempts      []*attemptEntry
	attemptSeen   map[attemptKey]struct{}    // so overlapping exports count each attempt once
	gateway       map[string]*gatewayRequest // by API Gateway request id
	gatewayOrder  []string
	invocations   map[string]*invocation // by Lambda request id
	invocationIDs []string

	gatewaySpan, lambdaSpan coverage
	// initTimeouts are the times of the Lambda init phases that timed
	// out (up to maxInitTimeouts), for the slow-function finding.
	initTimeouts []time.Time

	// Built by link for judging: invocations no log ties to a request,
	// those with a start time sorted by it, and the first without one.
	untied        []*invocation
	untiedUntimed *invocation
	// clientIDsAdopted caches adoptsClientIDs.
	clientIDsAdopted bool
	// Built by link: which gateway requests and invocations carry each
	// X-Ray trace Root.
	traceRequests    map[string][]string
	traceInvocations map[string][]*invocation

	// inflation bounds the decompression of the file being read.
	inflation *inflation

	// streams is the reading state of the file being read, per log
	// stream ("" for a file of one stream).
	streams map[string]*streamState
}

// streamState is what the lines read so far in one log stream say about
// the lines that follow: unprefixed execution lines belong to the request
// the last "Starting execution" named, a line that continues a header map
// or body belongs to the line before, and "XRAY TraceId:" on its own
// continues the REPORT line before it.
type streamState struct {
	requestID  string
	lastEvent  executionEvent
	lastExec   bool // the last record was an execution line
	lastReport *invocation
}

func (e *Evidence) stream(name string) *streamState {
	if e.streams == nil {
		e.streams = map[string]*streamState{}
	}
	st := e.streams[name]
	if st == nil {
		if len(e.streams) >= maxStreams {
			clear(e.streams)
		}
		st = &streamState{}
		e.streams[name] = st
	}
	return st
}

// maxStreams bounds the per-stream state of one file.
const maxStreams = 4096

// maxInitTimeouts bounds the init timeouts kept.
const maxInitTimeouts = 1000

// NewEvidence returns an empty Evidence using opts.
func NewEvidence(opts Options) *Evidence {
	return &Evidence{
		opts:        opts.withDefaults(),
		gateway:     map[string]*gatewayRequest{},
		invocations: map[string]*invocation{},
		attemptSeen: map[attemptKey]struct{}{},
	}
}

// attemptKey identifies one attempt across files: the same attempt line in
// two files (an attempt log and its CloudWatch export, overlapping
// exports) is one attempt, not two executions.
type attemptKey struct {
	invocationID, requestIDSent string
	attempt                     int
	hedge                       bool
	start                       int64
}

type attemptEntry struct {
	rec  attemptRecord
	line LogLine
}

// gatewayRequest is everything known about one API Gateway request id.
type gatewayRequest struct {
	access     *accessRecord
	accessLine *LogLine
	exec       map[executionEvent]*LogLine // first line of each event
	latencyMS  float64
	hasLatency bool

	lambdaRequestID  string
	functionStatus   int // execFunctionError's status
	invocationStatus int // execInvocationFailed's status
	methodStatus     int

	record     *lambdalog.Record
	recordLine *LogLine

	// From "Endpoint response headers" and "... body before
	// transformations" (and the lines continuing them).
	endpoint        endpointSignals
	refusalLine     *LogLine // the line that gave endpoint.refusal
	bodyRefusalLine *LogLine // the line that gave endpoint.bodyRefusal
	receivedStatus  int      // "Received response. Status: N"
	// inAuthorizer is true between "Starting authorizer" and the line
	// that ends the authorizer's call: what Lambda answers there is the
	// authorizer function's answer.
	inAuthorizer bool
}

// invocation is everything known about one Lambda request id.
type invocation struct {
	id                          string
	start, end, report, timeout *LogLine
	app                         *LogLine // first line the function logged
	durationMS                  float64
	hasDuration                 bool
	record                      *lambdalog.Record
	recordLine                  *LogLine
	gatewayRequestID            string // the request it served, when known
	traceRoot                   string // X-Ray trace Root, when logged
	traceLine                   *LogLine
}

// coverage is the time span a kind of log covers, from its timestamps.
type coverage struct {
	first, last time.Time
	files       []string
}

func (c *coverage) add(t time.Time, file string) {
	if t.IsZero() {
		return
	}
	if c.first.IsZero() || t.Before(c.first) {
		c.first = t
	}
	if t.After(c.last) {
		c.last = t
	}
	if n := len(c.files); n == 0 || c.files[n-1] != file {
		for _, f := range c.files {
			if f == file {
				return
			}
		}
		c.files = append(c.files, file)
	}
}

// merge adds the span and files of o.
func (c *coverage) merge(o coverage) {
	if o.first.IsZero() {
		return
	}
	for _, f := range o.files {
		c.add(o.first, f)
		c.add(o.last, f)
	}
}

// covers reports whether the span contains [from, to] with skew to spare on
// both sides.
func (c *coverage) covers(from, to time.Time, skew time.Duration) bool {
	if c.first.IsZero() || from.IsZero() {
		return false
	}
	return !c.first.After(from.Add(-skew)) && !c.last.Before(to.Add(skew))
}

func (e *Evidence) request(id string) *gatewayRequest {
	g := e.gateway[id]
	if g == nil {
		g = &gatewayRequest{}
		e.gateway[id] = g
		e.gatewayOrder = append(e.gatewayOrder, id)
	}
	return g
}

func (e *Evidence) invocation(id string) *invocation {
	inv := e.invocations[id]
	if inv == nil {
		inv = &invocation{id: id}
		e.invocations[id] = inv
		e.invocationIDs = append(e.invocationIDs, id)
	}
	return inv
}

func (e *Evidence) addMalformed(pos Position, problem string, text []byte) {
	e.malformedCount++
	if len(e.malformed) < maxMalformedListed {
		e.malformed = append(e.malformed, Malformed{Position: pos, Problem: problem, Text: excerpt(text)})
	}
}

// maxFieldBytes bounds every string kept per request id, so memory per id
// is bounded whatever the line length.
const maxFieldBytes = 256

func clip(s *string) {
	if len(*s) > maxFieldBytes {
		*s = (*s)[:maxFieldBytes]
	}
}

// clipStrings bounds the strings of a parsed line before it is kept.
func clipStrings(p *parsedLine) {
	a := &p.attempt
	for _, s := range []*string{&a.InvocationID, &a.Method, &a.URL, &a.Error, &a.Reach, &a.Cause, &a.RequestIDSent, &a.RequestID, &a.APIGatewayID, &a.HTTPAPIID, &a.TraceID, &a.Reason, &a.Message} {
		clip(s)
	}
	c := &p.access
	for _, s := range []*string{&c.RequestID, &c.ExtendedRequestID, &c.IntegrationRequestID, &c.IntegrationError, &c.ErrorMessage, &c.ErrorResponseType, &c.XRayTraceID} {
		clip(s)
	}
	clip(&p.exec.RequestID)
	clip(&p.exec.LambdaRequestID)
	clip(&p.exec.Signals.lambdaRequestID)
	clip(&p.exec.Signals.errorType)
	clip(&p.platform.RequestID)
	r := &p.invocation
	for _, s := range []*string{&r.LambdaRequestID, &r.APIGatewayRequestID, &r.ExtendedRequestID, &r.InvocationID, &r.TraceID, &r.Method, &r.Resource, &r.Error, &r.Message} {
		clip(s)
	}
}

// add records one classified line of the given log stream. It returns
// false for an unprefixed execution line with no request before it.
func (e *Evidence) add(p parsedLine, line LogLine, stream string) bool {
	clipStrings(&p)
	switch p.kind {
	case kindAttempt:
		if line.Time.IsZero() {
			line.Time, _ = p.attempt.interval()
		}
		r := &p.attempt
		key := attemptKey{r.InvocationID, r.RequestIDSent, r.Attempt, r.Hedge, r.Start.UnixNano()}
		if _, dup := e.attemptSeen[key]; dup {
			return true
		}
		e.attemptSeen[key] = struct{}{}
		e.attempts = append(e.attempts, &attemptEntry{rec: p.attempt, line: line})
		return true
	case kindAccess:
		a := p.access
		if line.Time.IsZero() {
			line.Time = a.RequestTime
		}
		e.gatewaySpan.add(line.Time, line.File)
		g := e.request(a.RequestID)
		if g.access == nil {
			g.access, g.accessLine = &a, &line
		}
	case kindExecution:
		return e.addExecution(p.exec, line, e.stream(stream))
	case kindPlatform:
		e.addPlatform(p.platform, line, e.stream(stream))
	case kindInvocation:
		e.addInvocationRecord(p.invocation, line)
	}
	if st := e.streams[stream]; st != nil {
		st.lastExec = false
	}
	return true
}

// continues reports whether a line of no known kind continues the
// execution line before it in its stream (a header map or body printed
// over several lines).
func (e *Evidence) continues(stream string) bool {
	st := e.streams[stream]
	return st != nil && st.lastExec && st.requestID != "" && st.lastEvent.continues()
}

// addContinuation records a line that continues the execution line before
// it: what it says about Lambda's answer counts for that request.
func (e *Evidence) addContinuation(text []byte, line LogLine, stream string) {
	st := e.streams[stream]
	g := e.request(st.requestID)
	e.addSignals(g, scanEndpointText(text, st.lastEvent == execResponseHeaders), line)
}

func (e *Evidence) addSignals(g *gatewayRequest, s endpointSignals, line LogLine) {
	if s.refusal != "" && g.endpoint.refusal == "" {
		g.refusalLine = &line
	}
	if s.bodyRefusal != "" && g.endpoint.bodyRefusal == "" {
		g.bodyRefusalLine = &line
	}
	g.endpoint.merge(s)
}

func (e *Evidence) addExecution(x executionLine, line LogLine, st *streamState) bool {
	switch {
	case x.RequestID != "" && (x.Event == execStarting || x.Event == execLogHeader || x.Prefixed):
		st.requestID = x.RequestID
	case x.RequestID == "":
		x.RequestID = st.requestID
	}
	if x.RequestID == "" {
		return false
	}
	st.lastExec, st.lastEvent = true, x.Event
	e.gatewaySpan.add(line.Time, line.File)
	g := e.request(x.RequestID)
	switch x.Event {
	case execAuthorizerStart:
		g.inAuthorizer = true
	case execAuthorizerEnd, execStarting:
		// The request's own execution starts after its authorizer's,
		// whatever the authorizer's last line said.
		g.inAuthorizer = false
	case execSending, execReceived, execResponseHeaders, execResponseBody:
		if g.inAuthorizer {
			// The authorizer function's call, not the integration's.
			x.Event, x.Status, x.LambdaRequestID, x.Signals = execOther, 0, "", endpointSignals{}
			st.lastEvent = execOther
		}
	}
	if g.exec == nil {
		g.exec = map[executionEvent]*LogLine{}
	}
	if x.Event != execOther && g.exec[x.Event] == nil {
		g.exec[x.Event] = &line
	}
	switch x.Event {
	case execReceived:
		g.latencyMS, g.hasLatency = x.LatencyMS, true
	case execFunctionError:
		g.functionStatus = x.Status
	case execInvocationFailed:
		g.invocationStatus = x.Status
	case execMethodCompleted:
		g.methodStatus = x.Status
	}
	if x.Event == execReceived && x.Status != 0 {
		g.receivedStatus = x.Status
	}
	e.addSignals(g, x.Signals, line)
	if x.LambdaRequestID != "" {
		g.lambdaRequestID = x.LambdaRequestID
	}
	return true
}

func (e *Evidence) addPlatform(p platformLine, line LogLine, st *streamState) {
	if p.Event != platformApp && p.Event != platformRuntime {
		// Only Lambda's own lines, which it writes for every invocation
		// (START, platform.start, ...), make a log that covers a time:
		// the function's and the runtime's lines show the invocations
		// that logged something, not that no other one started (a
		// JSON-format log at system log level WARN has nothing else,
		// docs/aws-behaviour.md#runtimes-own-lines).
		e.lambdaSpan.add(line.Time, line.File)
	}
	switch p.Event {
	case platformInit:
		if p.InitTimedOut && !line.Time.IsZero() && len(e.initTimeouts) < maxInitTimeouts {
			e.initTimeouts = append(e.initTimeouts, line.Time)
		}
		return
	case platformRuntime:
		return
	case platformTrace:
		if inv := st.lastReport; inv != nil && inv.traceRoot == "" {
			inv.traceRoot, inv.traceLine = p.TraceRoot, &line
		}
		return
	}
	inv := e.invocation(p.RequestID)
	if p.TraceRoot != "" && inv.traceRoot == "" {
		inv.traceRoot, inv.traceLine = p.TraceRoot, &line
	}
	switch p.Event {
	case platformStart:
		if inv.start == nil {
			inv.start = &line
		}
	case platformEnd:
		if inv.end == nil {
			inv.end = &line
		}
	case platformApp:
		if inv.app == nil {
			inv.app = &line
		}
	case platformReport:
		if inv.report == nil {
			inv.report = &line
		}
		st.lastReport = inv
		if p.HasDuration {
			inv.durationMS, inv.hasDuration = p.DurationMS, true
		}
	}
	if p.TimedOut && inv.timeout == nil {
		inv.timeout = &line
	}
}

func (e *Evidence) addInvocationRecord(r lambdalog.Record, line LogLine) {
	if line.Time.IsZero() {
		line.Time = r.Start
	}
	e.lambdaSpan.add(r.Start, line.File)
	e.lambdaSpan.add(r.Start.Add(time.Duration(r.DurationMS*float64(time.Millisecond))), line.File)
	if r.APIGatewayRequestID != "" {
		g := e.request(r.APIGatewayRequestID)
		if g.record == nil {
			g.record, g.recordLine = &r, &line
		}
		if r.LambdaRequestID != "" {
			g.lambdaRequestID = r.LambdaRequestID
		}
	}
	if r.LambdaRequestID != "" {
		inv := e.invocation(r.LambdaRequestID)
		if inv.record == nil {
			inv.record, inv.recordLine = &r, &line
		}
		if r.APIGatewayRequestID != "" {
			inv.gatewayRequestID = r.APIGatewayRequestID
		}
	}
}
