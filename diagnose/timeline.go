package diagnose

import "time"

// Timing places one attempt, the gateway's deadline for it and the function
// run it caused on a clock, for drawing a timeline. A time no log gives is
// zero. Times come from the logs as they are: the attempt log's by the
// client's clock, the gateway's and Lambda's by theirs.
type Timing struct {
	// RequestID is the attempt's request id, as in its AttemptVerdict.
	RequestID string
	// Method and URL are the attempt log's (the transport logs the URL
	// without userinfo, query values or path parameters' values); empty
	// without an attempt line.
	Method, URL string
	// Sent and Answered bound the attempt: the attempt log's start and
	// start plus duration; without an attempt line, the access log's
	// request time and that plus its response latency.
	Sent, Answered time.Time
	// Retried says another attempt followed this one, after Wait (the
	// transport's backoff, from the attempt log; 0 when none).
	Retried bool
	Wait    time.Duration
	// Deadline is when the integration timeout (Options.IntegrationTimeout)
	// ran out for this request: its arrival at the gateway (access log,
	// execution log, else the attempt's start) plus the timeout. Zero when
	// the arrival is unknown.
	Deadline time.Time
	// GaveUp, for an attempt the gateway timed out, is when it stopped
	// waiting for Lambda: the deadline, or the 504 when that came first.
	GaveUp time.Time
	// FunctionStart and FunctionEnd bound the function run the attempt
	// caused (START to END/REPORT, or the lambdalog line's start and
	// duration); zero when no Lambda line with a time names it.
	FunctionStart, FunctionEnd time.Time
	// FunctionStartLine and FunctionEndLine are the lines that gave them.
	FunctionStartLine, FunctionEndLine *LogLine
}

// Timeline is a Report with the Timing of each of its attempts.
type Timeline struct {
	// Report is what Evidence.Report returns.
	Report Report
	// Timings has one entry per Report.Attempts entry, in the same order.
	Timings []Timing
	// IntegrationTimeout is the Options.IntegrationTimeout used.
	IntegrationTimeout time.Duration
}

// Timeline returns the report and, for each of its attempts, when it and
// the function run it caused happened.
func (e *Evidence) Timeline() Timeline {
	rep := e.Report()
	tl := Timeline{Report: rep, Timings: make([]Timing, len(rep.Attempts)), IntegrationTimeout: e.opts.IntegrationTimeout}
	// The same walk as Report's, so entry i is attempt i.
	var entries []*attemptEntry
	var ids []string
	if len(e.attempts) > 0 {
		entries = e.orderedAttempts()
		for _, a := range entries {
			ids = append(ids, a.rec.gatewayRequestID())
		}
	} else {
		for _, id := range e.gatewayOrder {
			if g := e.gateway[id]; g.access != nil || len(g.exec) > 0 {
				ids = append(ids, id)
			}
		}
	}
	for i := range rep.Attempts {
		k := i
		if k >= len(ids) || ids[k] != rep.Attempts[i].RequestID {
			// Should Report's order ever differ, match by id.
			k = indexOf(ids, rep.Attempts[i].RequestID)
		}
		if k < 0 {
			tl.Timings[i] = Timing{RequestID: rep.Attempts[i].RequestID}
			continue
		}
		var a *attemptEntry
		if entries != nil {
			a = entries[k]
		}
		tl.Timings[i] = e.timing(ids[k], a, &rep.Attempts[i])
	}
	return tl
}

func (e *Evidence) timing(id string, a *attemptEntry, v *AttemptVerdict) Timing {
	j := &judgement{e: e, a: a, g: e.gateway[id], v: *v}
	t := Timing{RequestID: v.RequestID}
	var arrived time.Time
	if a != nil {
		t.Sent, t.Answered = a.rec.interval()
		t.Retried = a.rec.Retry
		t.Method, t.URL = a.rec.Method, a.rec.URL
		t.Wait = time.Duration(a.rec.WaitMS * float64(time.Millisecond))
		arrived = t.Sent
	}
	if g := j.g; g != nil {
		switch {
		case g.access != nil && !g.access.RequestTime.IsZero():
			arrived = g.access.RequestTime
		case g.exec[execStarting] != nil && !g.exec[execStarting].Time.IsZero():
			arrived = g.exec[execStarting].Time
		}
		if a == nil && g.access != nil {
			t.Sent, t.Answered = g.access.RequestTime, g.access.gaveUpAt()
		}
	}
	if !arrived.IsZero() {
		t.Deadline = arrived.Add(e.opts.IntegrationTimeout)
	}
	if v.GatewayTimedOut {
		t.GaveUp = j.gaveUpAt()
	}
	if v.Verdict != VerdictRan {
		return t
	}
	inv := e.invocations[v.LambdaRequestID]
	if v.LambdaRequestID == "" {
		inv = nil
	}
	if inv == nil && j.g != nil && j.g.record != nil {
		inv = e.invocations[j.g.record.LambdaRequestID]
		if inv == nil {
			r := j.g.record
			t.FunctionStart = r.Start
			t.FunctionEnd = r.Start.Add(time.Duration(r.DurationMS * float64(time.Millisecond)))
			t.FunctionStartLine, t.FunctionEndLine = j.g.recordLine, j.g.recordLine
			return t
		}
	}
	if inv == nil {
		return t
	}
	t.FunctionStart, t.FunctionEnd = inv.startTime(), inv.endTime()
	switch {
	case inv.start != nil && !inv.start.Time.IsZero():
		t.FunctionStartLine = inv.start
	case inv.record != nil:
		t.FunctionStartLine = inv.recordLine
	case inv.start != nil:
		t.FunctionStartLine = inv.start
	}
	switch {
	case inv.record != nil:
		t.FunctionEndLine = inv.recordLine
	case inv.report != nil:
		t.FunctionEndLine = inv.report
	case inv.end != nil:
		t.FunctionEndLine = inv.end
	}
	return t
}

func indexOf(ids []string, id string) int {
	for i, s := range ids {
		if s == id {
			return i
		}
	}
	return -1
}
