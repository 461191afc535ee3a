package diagnose

import (
	"sort"
)

// Report is the diagnosis: one AttemptVerdict per attempt, then Findings in
// the order of the AWS 504 troubleshooting checklist. Its JSON form is the
// output of `retryscope diagnose -json`; the keys attempts, findings and
// malformed (and, per attempt, request_id, verdict and reason) are fixed.
type Report struct {
	// Attempts are ordered by logical request (first seen first), then
	// attempt number. Without an attempt log, one row per API Gateway
	// request in the order first seen.
	Attempts []AttemptVerdict `json:"attempts"`
	// Findings follow the checklist's order; empty when nothing stands out.
	Findings []Finding `json:"findings"`
	// Malformed lists up to 1000 malformed lines; MalformedCount counts all.
	Malformed []Malformed `json:"malformed"`
	// MalformedCount is the number of malformed lines in all files.
	MalformedCount int `json:"malformed_count"`
	// Files summarises each file read, in the order read.
	Files []FileSummary `json:"files"`
}

// Report links the evidence and judges every attempt. It may be called more
// than once; later ReadFile calls are reflected in later reports.
func (e *Evidence) Report() Report {
	e.link()
	rep := Report{
		Attempts:       []AttemptVerdict{},
		Malformed:      append([]Malformed{}, e.malformed...),
		MalformedCount: e.malformedCount,
		Files:          append([]FileSummary{}, e.files...),
	}
	if len(e.attempts) > 0 {
		for _, a := range e.orderedAttempts() {
			rep.Attempts = append(rep.Attempts, e.judge(a.rec.gatewayRequestID(), a))
		}
	} else {
		for _, id := range e.gatewayOrder {
			if g := e.gateway[id]; g.access != nil || len(g.exec) > 0 {
				rep.Attempts = append(rep.Attempts, e.judge(id, nil))
			}
		}
	}
	rep.Findings = e.findings(rep.Attempts)
	return rep
}

// link ties Lambda invocations to the gateway requests whose logs name
// them, and indexes the rest by start time.
func (e *Evidence) link() {
	for _, id := range e.gatewayOrder {
		g := e.gateway[id]
		for _, lid := range []string{g.lambdaRequestID, accessLambdaID(g)} {
			if inv := e.invocations[lid]; lid != "" && inv != nil && inv.gatewayRequestID == "" {
				inv.gatewayRequestID = id
			}
		}
	}
	e.linkTraces()
	e.untied, e.untiedUntimed = e.untied[:0], nil
	for _, id := range e.invocationIDs {
		inv := e.invocations[id]
		switch {
		case inv.gatewayRequestID != "":
		case inv.startTime().IsZero():
			if e.untiedUntimed == nil {
				e.untiedUntimed = inv
			}
		default:
			e.untied = append(e.untied, inv)
		}
	}
	sort.SliceStable(e.untied, func(i, j int) bool { return e.untied[i].startTime().Before(e.untied[j].startTime()) })
	e.clientIDsAdopted = e.adoptsClientIDs()
}

// linkTraces indexes X-Ray trace Roots: the distinct gateway requests (and
// attempts API Gateway has no record of) that carry each, and the
// invocations that carry each. An invocation whose Root only one request
// carries is tied to it.
func (e *Evidence) linkTraces() {
	e.traceRequests = map[string][]string{}
	e.traceInvocations = map[string][]*invocation{}
	seen := map[[2]string]bool{}
	note := func(root, id string) {
		if root == "" || seen[[2]string{root, id}] {
			return
		}
		seen[[2]string{root, id}] = true
		e.traceRequests[root] = append(e.traceRequests[root], id)
	}
	for _, id := range e.gatewayOrder {
		if g := e.gateway[id]; g.access != nil {
			note(traceRoot(g.access.XRayTraceID), id)
		}
	}
	for _, a := range e.attempts {
		note(traceRoot(a.rec.TraceID), a.rec.gatewayRequestID())
	}
	for _, id := range e.invocationIDs {
		if inv := e.invocations[id]; inv.traceRoot != "" {
			e.traceInvocations[inv.traceRoot] = append(e.traceInvocations[inv.traceRoot], inv)
		}
	}
	for root, invs := range e.traceInvocations {
		if reqs := e.traceRequests[root]; len(reqs) == 1 {
			for _, inv := range invs {
				if inv.gatewayRequestID == "" && e.startedDuring(inv, reqs[0]) {
					inv.gatewayRequestID = reqs[0]
				}
			}
		}
	}
}

// startedDuring reports whether inv started while gateway request id was
// waiting for Lambda (up to Lambda's init allowance after), or either time
// is unknown.
func (e *Evidence) startedDuring(inv *invocation, id string) bool {
	g := e.gateway[id]
	start := inv.startTime()
	if g == nil || g.access == nil || g.access.RequestTime.IsZero() || start.IsZero() {
		return true
	}
	from := g.access.RequestTime
	to := g.access.gaveUpAt()
	if to.IsZero() {
		to = from.Add(e.opts.IntegrationTimeout)
	}
	skew := e.opts.ClockSkew
	return !start.Before(from.Add(-skew)) && !start.After(to.Add(lambdaInitAllowance+skew))
}

// adoptsClientIDs reports whether the gateway logs hold a record under an id
// the client sent: then API Gateway adopts client ids (a REST API), and an
// attempt missing from covering logs never arrived. HTTP APIs make their
// own ids, so there a missing id proves nothing.
func (e *Evidence) adoptsClientIDs() bool {
	for _, a := range e.attempts {
		if g := e.gateway[a.rec.RequestIDSent]; a.rec.RequestIDSent != "" && g != nil && (g.access != nil || len(g.exec) > 0) {
			return true
		}
	}
	return false
}

func accessLambdaID(g *gatewayRequest) string {
	if g.access == nil {
		return ""
	}
	return g.access.IntegrationRequestID
}

// orderedAttempts groups attempts by invocation id in first-seen order,
// then by attempt number, keeping log order for equal numbers (hedges).
func (e *Evidence) orderedAttempts() []*attemptEntry {
	first := map[string]int{}
	for i, a := range e.attempts {
		if _, ok := first[a.rec.InvocationID]; !ok {
			first[a.rec.InvocationID] = i
		}
	}
	out := append([]*attemptEntry(nil), e.attempts...)
	sort.SliceStable(out, func(i, j int) bool {
		fi, fj := first[out[i].rec.InvocationID], first[out[j].rec.InvocationID]
		if fi != fj {
			return fi < fj
		}
		return out[i].rec.Attempt < out[j].rec.Attempt
	})
	return out
}
