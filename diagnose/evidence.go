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

	// Built by link for judging: invocations no log ties to a request,
	// those with a start time sorted by it, and the first without one.
	untied        []*invocation
	untiedUntimed *invocation
	// clientIDsAdopted caches adoptsClientIDs.
	clientIDsAdopted bool
}

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
	clip(&p.platform.RequestID)
	r := &p.invocation
	for _, s := range []*string{&r.LambdaRequestID, &r.APIGatewayRequestID, &r.ExtendedRequestID, &r.InvocationID, &r.TraceID, &r.Method, &r.Resource, &r.Error, &r.Message} {
		clip(s)
	}
}

// add records one classified line.
func (e *Evidence) add(p parsedLine, line LogLine) {
	clipStrings(&p)
	switch p.kind {
	case kindAttempt:
		if line.Time.IsZero() {
			line.Time, _ = p.attempt.interval()
		}
		r := &p.attempt
		key := attemptKey{r.InvocationID, r.RequestIDSent, r.Attempt, r.Hedge, r.Start.UnixNano()}
		if _, dup := e.attemptSeen[key]; dup {
			return
		}
		e.attemptSeen[key] = struct{}{}
		e.attempts = append(e.attempts, &attemptEntry{rec: p.attempt, line: line})
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
		e.addExecution(p.exec, line)
	case kindPlatform:
		e.addPlatform(p.platform, line)
	case kindInvocation:
		e.addInvocationRecord(p.invocation, line)
	}
}

func (e *Evidence) addExecution(x executionLine, line LogLine) {
	e.gatewaySpan.add(line.Time, line.File)
	g := e.request(x.RequestID)
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
	if x.LambdaRequestID != "" {
		g.lambdaRequestID = x.LambdaRequestID
	}
}

func (e *Evidence) addPlatform(p platformLine, line LogLine) {
	e.lambdaSpan.add(line.Time, line.File)
	if p.Event == platformInit {
		return
	}
	inv := e.invocation(p.RequestID)
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
