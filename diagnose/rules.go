package diagnose

import (
	"fmt"
	"time"
)

// The verdict rules, strongest evidence first; doc.go lists them in words.

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
	return j.traceSide()
}

// traceSide decides from the X-Ray trace id: an invocation whose REPORT
// line or platform record carries the Root this attempt's access log (or
// attempt line) carries ran for it, when no other attempt carries that
// Root. Attempts of one logical request may share a Root (a client that
// sends one trace header for all of them): then the trace proves nothing
// for any one of them.
func (j *judgement) traceSide() bool {
	root := j.traceRoot()
	if root == "" {
		return false
	}
	invs := j.e.traceInvocations[root]
	if len(invs) == 0 {
		return false
	}
	reqs := j.e.traceRequests[root]
	if len(reqs) != 1 {
		return false
	}
	// link tied the invocations that also started while this attempt
	// was at the gateway: an export may hold only some of the attempts
	// that share a Root.
	var inv *invocation
	for _, c := range invs {
		if c.gatewayRequestID == reqs[0] {
			inv = c
			break
		}
	}
	if inv == nil {
		return false
	}
	if j.v.LambdaRequestID == "" {
		j.v.LambdaRequestID = inv.id
		if inv.hasDuration {
			d := inv.durationMS
			j.v.FunctionDurationMS = &d
		}
		j.inv = inv
	}
	j.decide(VerdictRan, inv.traceLine, "the function ran: Lambda request %s carries X-Ray trace %s, which only this attempt carries", inv.id, root)
	return true
}

// traceRoot is the X-Ray Root the gateway or the transport logged for
// this attempt.
func (j *judgement) traceRoot() string {
	if j.g != nil && j.g.access != nil {
		if r := traceRoot(j.g.access.XRayTraceID); r != "" {
			return r
		}
	}
	if j.a != nil {
		return traceRoot(j.a.rec.TraceID)
	}
	return ""
}

// gatewaySide decides from API Gateway's access and execution logs.
func (j *judgement) gatewaySide() bool {
	g, acc := j.g, j.g.access
	if l := g.exec[execFunctionError]; l != nil {
		j.decide(VerdictRan, l, "the function ran and failed (502): customer function error, Lambda request id %s", orDash(g.lambdaRequestID))
		return true
	}
	if g.endpoint.functionError {
		j.decide(VerdictRan, j.endpointLine(), "the function ran and failed: Lambda's answer carries X-Amz-Function-Error (Lambda request id %s)", orDash(g.lambdaRequestID))
		return true
	}
	if refusal, line := j.refusal(); refusal != "" {
		j.decide(VerdictNotRun, line, "Lambda refused the invocation: %s, so the function did not run", refusal)
		return true
	}
	if s := g.receivedStatus; s >= 400 {
		if s < 500 && s != 410 {
			j.decide(VerdictNotRun, g.exec[execReceived], "Lambda refused the invocation with status %d%s, so the function did not run", s, throttleWord(s))
		} else {
			j.decide(VerdictMaybe, g.exec[execReceived], "Lambda's Invoke API answered status %d; whether the function started is unknown", s)
		}
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
	if g.endpoint.lambdaRequestID != "" {
		j.decide(VerdictRan, g.exec[execResponseHeaders], "the function ran: Lambda answered with request id %s (Endpoint response headers) and no error type", g.endpoint.lambdaRequestID)
		return true
	}
	if l := g.exec[execResponseBody]; l != nil {
		j.decide(VerdictRan, l, "the function ran: API Gateway logged its response body, and nothing says Lambda refused")
		return true
	}
	if l := g.exec[execReceived]; l != nil {
		if g.receivedStatus != 0 {
			j.decide(VerdictRan, l, "the function ran: Lambda answered status %d", g.receivedStatus)
		} else {
			j.decide(VerdictRan, l, "the function ran: API Gateway received its response")
		}
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
	if acc != nil && acc.HasIntegrationLatency {
		// The format logs the integration latency, so the gateway did
		// call Lambda; what it lacks is Lambda's answer.
		advice := `add "integration_integrationStatus": "$context.integration.integrationStatus" and "integration_requestId": "$context.integration.requestId" to the access-log format, or add the execution log`
		if acc.Layout != layoutJSON {
			advice = `the XML format gives no Lambda status: log JSON with "integration_integrationStatus": "$context.integration.integrationStatus" and "integration_requestId": "$context.integration.requestId", or add the execution log`
		}
		j.decide(VerdictMaybe, g.accessLine, "API Gateway answered %s after calling Lambda (integration latency %v ms), and its access log does not say whether Lambda ran the function (%s)",
			statusWords(j.v.Status, acc), acc.IntegrationLatencyMS, advice)
		return true
	}
	if acc != nil {
		j.decide(VerdictMaybe, g.accessLine, "API Gateway answered %s and its access log does not say whether it called Lambda (%s)", statusWords(j.v.Status, acc), acc.Layout.missingIntegrationAdvice())
		return true
	}
	return false
}

// refusal says why Lambda refused the Invoke call, "" when no log says it
// did. A refusal read from a response body counts only when Lambda is not
// seen answering 200 (the body is then the function's own payload).
func (j *judgement) refusal() (string, *LogLine) {
	g := j.g
	if g.endpoint.refusal != "" {
		if b := g.endpoint.bodyRefusal; b != "" && b != g.endpoint.refusal {
			return g.endpoint.refusal + "; its body says " + b, g.refusalLine
		}
		return g.endpoint.refusal, g.refusalLine
	}
	answered := (g.receivedStatus >= 200 && g.receivedStatus < 300) ||
		(g.exec[execResponseHeaders] != nil && g.endpoint.lambdaRequestID != "" && g.endpoint.errorType == "")
	if g.endpoint.bodyRefusal != "" && !answered {
		return g.endpoint.bodyRefusal, g.bodyRefusalLine
	}
	return "", nil
}

// endpointLine is the line that logged Lambda's answer.
func (j *judgement) endpointLine() *LogLine {
	if l := j.g.exec[execResponseHeaders]; l != nil {
		return l
	}
	return j.g.exec[execResponseBody]
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
	// An untied invocation that started in the window is named whether
	// or not the logs cover all of it: it is the one that may have been
	// this request's.
	if inv := j.e.unattributedInvocation(from.Add(-j.e.opts.ClockSkew), end.Add(j.e.opts.ClockSkew)); inv != nil {
		j.decide(VerdictMaybe, line, "%s; Lambda invocation %s started in that window and no log ties it to a request (wrap the handler with lambdalog to tie it)", what, inv.id)
		return
	}
	if !j.e.lambdaSpan.covers(from, end, j.e.opts.ClockSkew) {
		j.decide(VerdictMaybe, line, "%s; no Lambda line names this request, and no Lambda log covers %s to %s", what, stamp(from), stamp(end))
		return
	}
	j.decide(VerdictNotRun, line, "%s, but the function did not start: Lambda logs %v cover %s to %s and every invocation started then belongs to another request", what, j.e.lambdaSpan.files, stamp(from), stamp(end))
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
		j.decide(VerdictMaybe, line, "%s, and although API Gateway's logs %v cover %s to %s, none of their records carries an id the client sent (an HTTP API makes its own ids), so this attempt cannot be found in them", unknownAnswer(r.Status), j.e.gatewaySpan.files, stamp(from), stamp(to))
	case r.Reach == "backend_timeout":
		j.v.GatewayTimedOut = true
		j.afterIntegrationCall(line)
		j.v.Reason = "per the attempt log (no gateway log has it): " + j.v.Reason
	default:
		j.decide(VerdictMaybe, line, "no API Gateway log has request id %s and none covers %s to %s (reach %s)", orDash(j.v.RequestID), stamp(from), stamp(to), orDash(r.Reach))
	}
}

// unknownAnswer says what the transport saw of an attempt of reach
// unknown: no response, or an answer (an HTTP API's 429, say) that does
// not show who made it.
func unknownAnswer(status int) string {
	if status == 0 {
		return "no response came"
	}
	return fmt.Sprintf("the transport saw a %d that does not show whether API Gateway or the function made it", status)
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
