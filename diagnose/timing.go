package diagnose

import (
	"fmt"
	"sort"
	"time"
)

// When things happened: the request's window at the gateway, when the
// gateway gave up, and whether the function outlived it.

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
// The 504 itself leaves 10 to 230 ms after the deadline (observed in
// published timings; docs/aws-behaviour.md#integration-timeout), so the deadline, not the
// answer, is what a function can outlive.
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
