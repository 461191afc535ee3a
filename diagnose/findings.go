package diagnose

import (
	"fmt"
	"time"
)

// Finding kinds, in the order the AWS 504 checklist takes them.
const (
	// FindingLatencyNearTimeout: integration latency reached 90% of the
	// integration timeout, or the gateway timed out: the function is slow.
	FindingLatencyNearTimeout = "integration_latency_near_timeout"
	// FindingSafeToRetry504: 504s whose request never started the function
	// (no integration call, or none found in covering Lambda logs).
	FindingSafeToRetry504 = "504_not_in_lambda_safe_to_retry"
	// FindingDuplicateExecution: one logical request ran the function more
	// than once (or may have).
	FindingDuplicateExecution = "duplicate_execution"
	// FindingConsiderAsync: the work does not fit the integration timeout.
	FindingConsiderAsync = "consider_asynchronous_invocation"
)

// Finding is one conclusion drawn across attempts.
type Finding struct {
	// Kind is one of the Finding* constants.
	Kind string `json:"kind"`
	// Summary is one sentence for a person.
	Summary string `json:"summary"`
	// Advice is what to do about it.
	Advice string `json:"advice"`
	// RequestIDs are the attempts' request ids it is about.
	RequestIDs []string `json:"request_ids,omitempty"`
}

// nearTimeoutFraction is how close to the integration timeout a latency
// must be to count as "near".
const nearTimeoutFraction = 0.9

func (e *Evidence) findings(attempts []AttemptVerdict) []Finding {
	out := []Finding{}
	if f, ok := e.slowFunction(attempts); ok {
		out = append(out, f)
	}
	if f, ok := safeToRetry504s(attempts); ok {
		out = append(out, f)
	}
	out = append(out, duplicateExecutions(attempts)...)
	if len(out) > 0 && out[0].Kind == FindingLatencyNearTimeout {
		out = append(out, Finding{
			Kind:    FindingConsiderAsync,
			Summary: fmt.Sprintf("the function's work does not fit reliably in the %s integration timeout", e.opts.IntegrationTimeout),
			Advice: "keep only API-Gateway-specific work in the synchronous path; if the caller does not need the result in the response, " +
				"invoke the function asynchronously (non-proxy Lambda integration with X-Amz-Invocation-Type: Event, the client gets 200/202 at once) " +
				"and let the client fetch the result later; for REST Regional/private APIs the timeout can also be raised above 29s by quota request",
		})
	}
	return out
}

func (e *Evidence) slowFunction(attempts []AttemptVerdict) (Finding, bool) {
	limit := float64(e.opts.IntegrationTimeout.Milliseconds()) * nearTimeoutFraction
	var ids []string
	var ranOn int
	maxDuration := -1.0
	for _, a := range attempts {
		if a.Verdict == VerdictNotRun {
			// The gateway waited, but not for the function: its time
			// says nothing about the function's speed.
			continue
		}
		near := a.IntegrationLatencyMS != nil && *a.IntegrationLatencyMS >= limit
		if !near && !a.GatewayTimedOut {
			continue
		}
		ids = append(ids, a.RequestID)
		if a.RanAfterGatewayGaveUp != nil && *a.RanAfterGatewayGaveUp {
			ranOn++
		}
		if a.FunctionDurationMS != nil && *a.FunctionDurationMS > maxDuration {
			maxDuration = *a.FunctionDurationMS
		}
	}
	if len(ids) == 0 {
		return Finding{}, false
	}
	summary := fmt.Sprintf("%d attempt(s) spent at least %.0f%% of the %s integration timeout waiting for Lambda or timed out: the function is slow",
		len(ids), nearTimeoutFraction*100, e.opts.IntegrationTimeout)
	if ranOn > 0 {
		summary += fmt.Sprintf("; %d of them kept running after the gateway's timeout answer", ranOn)
	}
	if maxDuration >= 0 {
		summary += fmt.Sprintf("; longest REPORT Duration seen %s", time.Duration(maxDuration*float64(time.Millisecond)).Round(time.Millisecond))
	}
	advice := "check the function's Duration metric and REPORT lines for the same period; a spike in IntegrationLatency that Duration matches means " +
		"the time is spent in the function (add X-Ray or OpenTelemetry spans to see where); make sure it finishes well under the integration timeout"
	if n, first := e.initTimeoutsDuring(attempts, ids); n > 0 {
		summary += fmt.Sprintf("; %d Lambda init phase(s) timed out meanwhile (first at %s), and Lambda runs a timed-out init again inside the next invocation, which waits for both", n, stamp(first))
		advice += "; shorten the function's init code (what runs outside the handler), which a cold start waits for, or keep environments initialized with provisioned concurrency"
	}
	return Finding{
		Kind:       FindingLatencyNearTimeout,
		Summary:    summary,
		Advice:     advice,
		RequestIDs: ids,
	}, true
}

// initTimeoutsDuring counts the Lambda init phases that timed out while
// one of the attempts ids name was waiting (from its start to the
// integration timeout and Lambda's init allowance after it), and returns
// the first one's time. A timed-out init is run again inside the next
// invocation (docs/aws-behaviour.md#the-init-phase), so a request that
// started an environment waited for both.
func (e *Evidence) initTimeoutsDuring(attempts []AttemptVerdict, ids []string) (int, time.Time) {
	slow := map[string]bool{}
	for _, id := range ids {
		slow[id] = true
	}
	n, first := 0, time.Time{}
	skew := e.opts.ClockSkew
	for _, t := range e.initTimeouts {
		for _, a := range attempts {
			if !slow[a.RequestID] || a.Start.IsZero() {
				continue
			}
			if !t.Before(a.Start.Add(-skew)) && !t.After(a.Start.Add(e.opts.IntegrationTimeout+lambdaInitAllowance+skew)) {
				n++
				if first.IsZero() || t.Before(first) {
					first = t
				}
				break
			}
		}
	}
	return n, first
}

func safeToRetry504s(attempts []AttemptVerdict) (Finding, bool) {
	var ids []string
	for _, a := range attempts {
		if (a.Status == 504 || a.GatewayTimedOut) && a.Verdict == VerdictNotRun {
			ids = append(ids, a.RequestID)
		}
	}
	if len(ids) == 0 {
		return Finding{}, false
	}
	return Finding{
		Kind:       FindingSafeToRetry504,
		Summary:    fmt.Sprintf("%d 504(s) never started the function (no integration call, or no invocation in Lambda logs that cover their time)", len(ids)),
		Advice:     "these are safe to retry even for non-idempotent requests: the failure was in API Gateway or on the way to Lambda; retry with backoff and jitter",
		RequestIDs: ids,
	}, true
}

func duplicateExecutions(attempts []AttemptVerdict) []Finding {
	type tally struct {
		ran, maybe []string
	}
	byInvocation := map[string]*tally{}
	var order []string
	for _, a := range attempts {
		if a.InvocationID == "" {
			continue
		}
		t := byInvocation[a.InvocationID]
		if t == nil {
			t = &tally{}
			byInvocation[a.InvocationID] = t
			order = append(order, a.InvocationID)
		}
		switch a.Verdict {
		case VerdictRan:
			t.ran = append(t.ran, a.RequestID)
		case VerdictMaybe:
			t.maybe = append(t.maybe, a.RequestID)
		}
	}
	var out []Finding
	for _, id := range order {
		t := byInvocation[id]
		if len(t.ran)+len(t.maybe) < 2 {
			continue
		}
		var summary string
		if len(t.ran) >= 2 {
			summary = fmt.Sprintf("logical request %s ran the function %d times", id, len(t.ran))
		} else {
			summary = fmt.Sprintf("logical request %s may have run the function %d times (%d ran, %d maybe)", id, len(t.ran)+len(t.maybe), len(t.ran), len(t.maybe))
		}
		out = append(out, Finding{
			Kind:       FindingDuplicateExecution,
			Summary:    summary,
			Advice:     "make the operation idempotent (an Idempotency-Key the function checks, e.g. Powertools idempotency) or retry it only after attempts that did not run",
			RequestIDs: append(append([]string{}, t.ran...), t.maybe...),
		})
	}
	return out
}
