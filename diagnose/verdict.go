package diagnose

import (
	"fmt"
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
	// RequestID is the id API Gateway logged the attempt under (its
	// $context.requestId): the x-amzn-RequestId a REST API answered or
	// adopted, or an HTTP API's apigw-requestid; "" when unknown (nothing
	// answered and the id sent was not a UUID).
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
	// LambdaStatus is Lambda's own status for the Invoke call
	// ("Received response. Status: N", integration_integrationStatus); 0
	// when not logged.
	LambdaStatus int `json:"lambda_status,omitempty"`
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
		if r.Reach == "backend_timeout" && (g == nil || g.access == nil && len(g.exec) == 0) {
			// No gateway log has it: the client's 504 (or HTTP API
			// 503 timeout) says the gateway gave up, as in
			// attemptOnly, whichever log then decides the verdict.
			v.GatewayTimedOut = true
		}
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
		v.LambdaStatus = g.access.LambdaStatus
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
	if v.LambdaStatus == 0 {
		v.LambdaStatus = g.receivedStatus
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
		g.exec[execFunctionError] != nil || g.exec[execInvocationFailed] != nil || g.exec[execMalformedProxy] != nil ||
		g.exec[execResponseHeaders] != nil || g.exec[execResponseBody] != nil || g.endpoint.refusal != "" || g.endpoint.bodyRefusal != "" {
		return true, true
	}
	if g.access != nil && g.access.calledIntegration() {
		return true, true
	}
	if g.exec[execStarting] != nil && g.exec[execMethodCompleted] != nil {
		// a complete execution log without "Sending request to".
		return false, true
	}
	if acc := g.access; acc != nil && acc.answeredBeforeIntegration() {
		// THROTTLED, WAF_FILTERED, ...: the gateway answered before the
		// integration, whatever else the format logs.
		return false, true
	}
	if acc := g.access; acc != nil && acc.LogsIntegration && acc.Status >= 400 && (acc.Status != 504 && acc.Status != 503 || acc.ErrorResponseType != "") &&
		!(acc.HasResponseLatency && acc.ResponseLatencyMS >= nearTimeoutFraction*float64(j.e.opts.IntegrationTimeout.Milliseconds())) {
		// An error the gateway answered with every integration field "-":
		// a 429, 403, ..., or a 504 of a response type other than
		// INTEGRATION_TIMEOUT (which calledIntegration already took). A
		// 503 without a response type is what an HTTP API answers after
		// its integration timeout (docs/aws-behaviour.md#http-apis), and
		// an answer that took about the integration timeout was waiting
		// for something: neither is the gateway answering on its own.
		return false, true
	}
	return false, false
}
