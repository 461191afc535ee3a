package diagnose

import (
	"fmt"
	"sort"
	"time"
)

// Verdict says whether an attempt's request ran the Lambda function.
type Verdict string

// The verdicts.
const (
	// VerdictRan: a log line shows the function ran for this attempt.
	VerdictRan Verdict = "ran"
	// VerdictNotRun: the logs show the function did not run for it.
	VerdictNotRun Verdict = "not_run"
	// VerdictMaybe: the logs given cannot tell; Reason says what is missing.
	VerdictMaybe Verdict = "maybe"
)

// lambdaInitAllowance is how long after the gateway gave up a START line
// may still appear for its request: Lambda's init phase is limited to 10 s
// and START is written after it.
const lambdaInitAllowance = 10 * time.Second

// AttemptVerdict is the diagnosis of one attempt (or, without an attempt
// log, of one API Gateway request).
type AttemptVerdict struct {
	// RequestID is the attempt's x-amzn-RequestId: API Gateway's requestId.
	RequestID string `json:"request_id"`
	// InvocationID is amz-sdk-invocation-id, shared by one logical request's
	// attempts; empty without an attempt log.
	InvocationID string `json:"invocation_id,omitempty"`
	// Attempt is the 1-based attempt number; 0 without an attempt log.
	Attempt int `json:"attempt,omitempty"`
	// Hedge is true for a hedged attempt.
	Hedge bool `json:"hedge,omitempty"`
	// Start is when the attempt (or gateway request) started.
	Start time.Time `json:"start,omitzero"`
	// Status is the HTTP status the client or gateway saw; 0 for none.
	Status int `json:"status"`
	// Reach is the transport's reach for the attempt, empty without one.
	Reach string `json:"reach,omitempty"`
	// Verdict is ran, not_run or maybe.
	Verdict Verdict `json:"verdict"`
	// Reason explains the verdict and names the deciding line as
	// file:line "text".
	Reason string `json:"reason"`
	// DecidingLine is the line that decided, when one did.
	DecidingLine *LogLine `json:"deciding_line,omitempty"`
	// IntegrationLatencyMS is API Gateway's integration latency, when logged.
	IntegrationLatencyMS *float64 `json:"integration_latency_ms,omitempty"`
	// LambdaRequestID is the Lambda request id, when any log links it.
	LambdaRequestID string `json:"lambda_request_id,omitempty"`
	// FunctionDurationMS is the REPORT Duration (or lambdalog duration).
	FunctionDurationMS *float64 `json:"function_duration_ms,omitempty"`
	// GatewayTimedOut is true when API Gateway gave up waiting for Lambda
	// (504 INTEGRATION_TIMEOUT, "Execution failed due to a timeout error").
	GatewayTimedOut bool `json:"gateway_timed_out,omitempty"`
	// IntegrationCalled says whether API Gateway called Lambda; nil when
	// the logs do not say.
	IntegrationCalled *bool `json:"integration_called,omitempty"`
	// RanAfterGatewayGaveUp, for timed-out attempts whose function ran, is
	// true when it finished after the gateway gave up waiting (the request's
	// arrival plus Options.IntegrationTimeout, or the 504 if that came
	// first); nil when unknown.
	RanAfterGatewayGaveUp *bool `json:"ran_after_gateway_gave_up,omitempty"`
	// RanOn describes in words how long the function ran on after the 504,
	// or why that is unknown; empty when not applicable.
	RanOn string `json:"ran_on,omitempty"`
}

// cite formats a line for a reason: file:line "text".
func cite(l *LogLine) string {
	return fmt.Sprintf("%s \"%s\"", l.Position, l.Text)
}

// judgement is built up while deciding one attempt.
type judgement struct {
	e   *Evidence
	v   AttemptVerdict
	a   *attemptEntry
	g   *gatewayRequest
	inv *invocation
}

func (j *judgement) decide(verdict Verdict, line *LogLine, format string, args ...any) {
	j.v.Verdict = verdict
	j.v.Reason = fmt.Sprintf(format, args...)
	if line != nil {
		j.v.DecidingLine = line
		j.v.Reason += ": " + cite(line)
	}
}

// judge diagnoses the request API Gateway knows as id; a is its attempt
// line, nil when there is no attempt log.
func (e *Evidence) judge(id string, a *attemptEntry) AttemptVerdict {
	j := &judgement{e: e, a: a, g: e.gateway[id], v: AttemptVerdict{RequestID: id}}
	j.fillFacts()
	switch {
	case j.lambdaSide():
	case j.g != nil && j.gatewaySide():
	default:
		j.attemptOnly()
	}
	j.ranOn()
	return j.v
}

// fillFacts copies ids, statuses and latencies from every source.
func (j *judgement) fillFacts() {
	v, g := &j.v, j.g
	if j.a != nil {
		r := &j.a.rec
		v.InvocationID, v.Attempt, v.Hedge, v.Status, v.Reach = r.InvocationID, r.Attempt, r.Hedge, r.Status, r.Reach
		v.Start, _ = r.interval()
	}
	if g == nil {
		return
	}
	if g.access != nil {
		if v.Status == 0 {
			v.Status = g.access.Status
		}
		if v.Start.IsZero() {
			v.Start = g.access.RequestTime
		}
		if g.access.HasIntegrationLatency {
			l := g.access.IntegrationLatencyMS
			v.IntegrationLatencyMS = &l
		}
		v.GatewayTimedOut = g.access.isIntegrationTimeout()
		if v.LambdaRequestID == "" {
			v.LambdaRequestID = g.access.IntegrationRequestID
		}
	}
	if v.IntegrationLatencyMS == nil && g.hasLatency {
		l := g.latencyMS
		v.IntegrationLatencyMS = &l
	}
	if v.Status == 0 {
		v.Status = g.methodStatus
	}
	if g.exec[execTimeout] != nil {
		v.GatewayTimedOut = true
	}
	if g.lambdaRequestID != "" {
		v.LambdaRequestID = g.lambdaRequestID
	}
	j.inv = j.e.invocations[v.LambdaRequestID]
	switch {
	case j.inv != nil && j.inv.hasDuration:
		d := j.inv.durationMS
		v.FunctionDurationMS = &d
	case g.record != nil:
		d := g.record.DurationMS
		v.FunctionDurationMS = &d
	}
	if called, known := j.integrationCalled(); known {
		v.IntegrationCalled = &called
	}
}

// integrationCalled reads the gateway logs for whether Lambda was called.
func (j *judgement) integrationCalled() (called, known bool) {
	g := j.g
	if g.exec[execSending] != nil || g.exec[execReceived] != nil || g.exec[execTimeout] != nil ||
		g.exec[execFunctionError] != nil || g.exec[execInvocationFailed] != nil || g.exec[execMalformedProxy] != nil {
		return true, true
	}
	if g.access != nil && g.access.calledIntegration() {
		return true, true
	}
	if g.exec[execStarting] != nil && g.exec[execMethodCompleted] != nil {
		// a complete execution log without "Sending request to".
		return false, true
	}
	if acc := g.access; acc != nil && acc.LogsIntegration && acc.Status >= 400 && (acc.Status != 504 || acc.ErrorResponseType != "") {
		// An error the gateway answered with every integration field "-":
		// a 429, 403, ..., or a 504 of a response type other than
		// INTEGRATION_TIMEOUT (which calledIntegration already took).
		return false, true
	}
	return false, false
}

// lambdaSide decides from Lambda's own lines, the strongest evidence.
func (j *judgement) lambdaSide() bool {
	if j.g != nil && j.g.record != nil {
		r := j.g.record
		j.decide(VerdictRan, j.g.recordLine, "the function ran: a lambdalog line names this request (Lambda request id %s, returned status %d)", r.LambdaRequestID, r.Status)
		return true
	}
	if j.inv != nil {
		for _, l := range []*LogLine{j.inv.start, j.inv.report, j.inv.end, j.inv.app} {
			if l != nil {
				j.decide(VerdictRan, l, "the function ran: Lambda logged request id %s, which API Gateway gave for this request", j.inv.id)
				return true
			}
		}
	}
	return false
}

// gatewaySide decides from API Gateway's access and execution logs.
func (j *judgement) gatewaySide() bool {
	g, acc := j.g, j.g.access
	if l := g.exec[execFunctionError]; l != nil {
		j.decide(VerdictRan, l, "the function ran and failed (502): customer function error, Lambda request id %s", orDash(g.lambdaRequestID))
		return true
	}
	if l := g.exec[execMalformedProxy]; l != nil {
		j.decide(VerdictRan, l, "the function ran but returned a malformed proxy response (502)")
		return true
	}
	if l := g.exec[execInvocationFailed]; l != nil {
		if g.invocationStatus >= 400 && g.invocationStatus < 500 {
			j.decide(VerdictNotRun, l, "Lambda refused the invocation with status %d%s, so the function did not run", g.invocationStatus, throttleWord(g.invocationStatus))
		} else {
			j.decide(VerdictMaybe, l, "Lambda's Invoke API failed with status %d; whether the function started is unknown", g.invocationStatus)
		}
		return true
	}
	if acc != nil {
		switch s := acc.LambdaStatus; {
		case s >= 200 && s < 300:
			j.decide(VerdictRan, j.g.accessLine, "the function ran: Lambda answered the invocation with status %d (integration_integrationStatus), function status %s", s, orDashInt(acc.IntegrationStatus))
			return true
		case s >= 400 && s < 500:
			j.decide(VerdictNotRun, j.g.accessLine, "Lambda refused the invocation with status %d%s (integration_integrationStatus), so the function did not run", s, throttleWord(s))
			return true
		case s >= 500:
			j.decide(VerdictMaybe, j.g.accessLine, "Lambda's Invoke API failed with status %d; whether the function started is unknown", s)
			return true
		}
		if acc.IntegrationRequestID != "" {
			j.decide(VerdictRan, j.g.accessLine, "the function ran: API Gateway logged Lambda request id %s for it", acc.IntegrationRequestID)
			return true
		}
	}
	if l := g.exec[execReceived]; l != nil {
		j.decide(VerdictRan, l, "the function ran: API Gateway received its response")
		return true
	}
	if j.v.GatewayTimedOut || g.exec[execSending] != nil {
		line := g.exec[execTimeout]
		if line == nil {
			line = g.exec[execSending]
		}
		if line == nil {
			line = g.accessLine
		}
		j.afterIntegrationCall(line)
		return true
	}
	called, known := j.integrationCalled()
	if known && !called {
		line := g.accessLine
		if line == nil {
			line = g.exec[execMethodCompleted]
		}
		if line == nil {
			line = g.exec[execStarting]
		}
		j.decide(VerdictNotRun, line, "API Gateway answered %s itself without calling the integration", statusWords(j.v.Status, acc))
		return true
	}
	if acc != nil {
		j.decide(VerdictMaybe, g.accessLine, "API Gateway answered %s and its access log does not say whether it called Lambda (add error_responseType, or the execution log)", statusWords(j.v.Status, acc))
		return true
	}
	return false
}

// afterIntegrationCall decides an attempt whose integration call API
// Gateway made and gave up on (or whose outcome it did not log), with no
// Lambda line naming it. Lambda writes START as soon as the runtime takes
// the invocation, so Lambda logs that cover the window and have no START
// left unexplained show the function did not run for it; otherwise maybe.
func (j *judgement) afterIntegrationCall(line *LogLine) {
	from, to := j.window()
	what := "API Gateway called Lambda and gave up waiting"
	if !j.v.GatewayTimedOut {
		what = "API Gateway called Lambda and logged no outcome"
	}
	if from.IsZero() {
		j.decide(VerdictMaybe, line, "%s; no Lambda line names this request and its time is unknown", what)
		return
	}
	end := to.Add(lambdaInitAllowance)
	if !j.e.lambdaSpan.covers(from, end, j.e.opts.ClockSkew) {
		j.decide(VerdictMaybe, line, "%s; no Lambda line names this request, and no Lambda log covers %s to %s", what, stamp(from), stamp(end))
		return
	}
	if inv := j.e.unattributedInvocation(from.Add(-j.e.opts.ClockSkew), end.Add(j.e.opts.ClockSkew)); inv != nil {
		j.decide(VerdictMaybe, line, "%s; Lambda invocation %s started in that window and no log ties it to a request (wrap the handler with lambdalog to tie it)", what, inv.id)
		return
	}
	j.decide(VerdictNotRun, line, "%s, but the function did not start: Lambda logs %v cover %s to %s and every invocation started then belongs to another request", what, j.e.lambdaSpan.files, stamp(from), stamp(end))
}

// window is when the request was at the gateway: its access-log time and
// response latency, else the attempt's own interval.
func (j *judgement) window() (time.Time, time.Time) {
	if g := j.g; g != nil && g.access != nil && !g.access.RequestTime.IsZero() {
		if up := g.access.gaveUpAt(); !up.IsZero() {
			return g.access.RequestTime, up
		}
	}
	if j.a != nil {
		return j.a.rec.interval()
	}
	if g := j.g; g != nil && g.access != nil && !g.access.RequestTime.IsZero() {
		return g.access.RequestTime, g.access.RequestTime.Add(j.e.opts.IntegrationTimeout)
	}
	return time.Time{}, time.Time{}
}

// unattributedInvocation returns an invocation starting in [from, to] (or
// with no known time) that no log ties to an API Gateway request.
func (e *Evidence) unattributedInvocation(from, to time.Time) *invocation {
	if e.untiedUntimed != nil {
		return e.untiedUntimed
	}
	i := sort.Search(len(e.untied), func(i int) bool { return !e.untied[i].startTime().Before(from) })
	if i < len(e.untied) && !e.untied[i].startTime().After(to) {
		return e.untied[i]
	}
	return nil
}

// startTime is when the invocation started, from whichever line says.
func (inv *invocation) startTime() time.Time {
	switch {
	case inv.start != nil && !inv.start.Time.IsZero():
		return inv.start.Time
	case inv.record != nil:
		return inv.record.Start
	case inv.app != nil && !inv.app.Time.IsZero():
		return inv.app.Time
	}
	for _, l := range []*LogLine{inv.report, inv.end} {
		if l != nil && !l.Time.IsZero() {
			return l.Time.Add(-time.Duration(inv.durationMS * float64(time.Millisecond)))
		}
	}
	return time.Time{}
}

// endTime is when the invocation finished, zero when unknown.
func (inv *invocation) endTime() time.Time {
	if inv.record != nil {
		return inv.record.Start.Add(time.Duration(inv.record.DurationMS * float64(time.Millisecond)))
	}
	for _, l := range []*LogLine{inv.end, inv.report} {
		if l != nil && !l.Time.IsZero() {
			return l.Time
		}
	}
	return time.Time{}
}

// attemptOnly decides an attempt API Gateway has no record of.
func (j *judgement) attemptOnly() {
	if j.a == nil {
		j.decide(VerdictMaybe, nil, "no log says anything decisive about this request")
		return
	}
	line, r := &j.a.line, &j.a.rec
	from, to := r.interval()
	switch {
	case r.Reach == "not_sent":
		j.decide(VerdictNotRun, line, "the transport never sent it (reach not_sent, cause %s)", orDash(r.Cause))
	case j.e.gatewaySpan.covers(from, to, j.e.opts.ClockSkew) && j.e.clientIDsAdopted:
		j.decide(VerdictNotRun, line, "API Gateway's logs %v cover %s to %s and have no record of request id %s, so it never reached the gateway", j.e.gatewaySpan.files, stamp(from), stamp(to), orDash(j.v.RequestID))
	case r.Reach == "gateway":
		j.decide(VerdictNotRun, line, "no gateway log has it; the transport saw a gateway-generated %d (cause %s), which does not run the function", r.Status, orDash(r.Cause))
	case r.Reach == "backend":
		j.decide(VerdictRan, line, "no gateway log has it; the transport saw the function's own %d response", r.Status)
	case r.Reach == "unknown" && j.e.gatewaySpan.covers(from, to, j.e.opts.ClockSkew):
		j.decide(VerdictMaybe, line, "no response came, and although API Gateway's logs %v cover %s to %s, none of their records carries an id the client sent (an HTTP API makes its own ids), so this attempt cannot be found in them", j.e.gatewaySpan.files, stamp(from), stamp(to))
	case r.Reach == "backend_timeout":
		j.v.GatewayTimedOut = true
		j.afterIntegrationCall(line)
		j.v.Reason = "per the attempt log (no gateway log has it): " + j.v.Reason
	default:
		j.decide(VerdictMaybe, line, "no API Gateway log has request id %s and none covers %s to %s (reach %s)", orDash(j.v.RequestID), stamp(from), stamp(to), orDash(r.Reach))
	}
}

// ranOn says, for a timed-out attempt whose function ran, whether it was
// still running after the gateway's 504.
func (j *judgement) ranOn() {
	v := &j.v
	if !v.GatewayTimedOut || v.Verdict != VerdictRan {
		return
	}
	inv := j.inv
	if inv == nil && j.g != nil && j.g.record != nil {
		inv = j.e.invocations[j.g.record.LambdaRequestID]
	}
	if inv == nil {
		v.RanOn = "unknown: no Lambda line gives the function's end"
		return
	}
	if inv.hasDuration && v.FunctionDurationMS == nil {
		d := inv.durationMS
		v.FunctionDurationMS = &d
	}
	finished := inv.endTime()
	gaveUp := j.gaveUpAt()
	switch {
	case finished.IsZero() && inv.start != nil:
		v.RanOn = "no END or REPORT line for " + inv.id + ": still running when the log ends, or it was cut off"
	case finished.IsZero() || gaveUp.IsZero():
		v.RanOn = "unknown: the logs do not give both the 504's time and the function's end"
	default:
		after := finished.After(gaveUp)
		v.RanAfterGatewayGaveUp = &after
		if after {
			v.RanOn = fmt.Sprintf("the function was still running after the gateway gave up: it finished %s after the integration timeout", finished.Sub(gaveUp).Round(time.Millisecond))
		} else {
			v.RanOn = fmt.Sprintf("the function finished %s before the gateway gave up", gaveUp.Sub(finished).Round(time.Millisecond))
		}
	}
}

// gaveUpAt is when API Gateway stopped waiting for Lambda: the integration
// timeout after the request arrived, or, when the 504 went out earlier than
// that (a shorter timeout than Options.IntegrationTimeout), the 504's time.
// The 504 itself leaves 10 to 230 ms after the deadline (AWS-FACTS section
// 1), so the deadline, not the answer, is what a function can outlive.
func (j *judgement) gaveUpAt() time.Time {
	var answered, arrived time.Time
	if g := j.g; g != nil {
		if g.access != nil {
			answered, arrived = g.access.gaveUpAt(), g.access.RequestTime
		}
		for _, ev := range []executionEvent{execTimeout, execMethodCompleted} {
			if l := g.exec[ev]; answered.IsZero() && l != nil && !l.Time.IsZero() {
				answered = l.Time
			}
		}
		if l := g.exec[execStarting]; arrived.IsZero() && l != nil {
			arrived = l.Time
		}
	}
	if j.a != nil {
		start, end := j.a.rec.interval()
		if answered.IsZero() {
			answered = end
		}
		if arrived.IsZero() {
			arrived = start
		}
	}
	if arrived.IsZero() {
		return answered
	}
	deadline := arrived.Add(j.e.opts.IntegrationTimeout)
	if answered.IsZero() || deadline.Before(answered) {
		return deadline
	}
	return answered
}

func throttleWord(status int) string {
	if status == 429 {
		return " (throttled)"
	}
	return ""
}

func statusWords(status int, acc *accessRecord) string {
	s := fmt.Sprint(status)
	if acc != nil && acc.ErrorResponseType != "" {
		s += " " + acc.ErrorResponseType
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func orDashInt(n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprint(n)
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
