package timeline

import (
	"fmt"
	"net/url"

	"github.com/retryscope/retryscope/diagnose"
	"github.com/retryscope/retryscope/internal/redact"
)

// FromDiagnose turns a diagnosis into the page's input: one request per
// logical request (attempts sharing an invocation id, in the report's
// order), or one per gateway request without an attempt log. The report's
// texts are already scrubbed of credentials by diagnose.
func FromDiagnose(tl diagnose.Timeline) Input {
	in := Input{IntegrationTimeout: tl.IntegrationTimeout}
	rep := tl.Report
	byInvocation := map[string]int{}
	for i, v := range rep.Attempts {
		var t diagnose.Timing
		if i < len(tl.Timings) {
			t = tl.Timings[i]
		}
		a := Attempt{
			Number: v.Attempt, Hedge: v.Hedge, RequestID: v.RequestID,
			Sent: t.Sent, Answered: t.Answered, Status: v.Status, Reach: v.Reach,
			Verdict: string(v.Verdict), Reason: v.Reason,
			Wait: t.Wait, Deadline: t.Deadline, GatewayTimedOut: v.GatewayTimedOut, GaveUp: t.GaveUp,
			RanOn: v.RanOn,
		}
		if a.Sent.IsZero() {
			a.Sent = v.Start
		}
		if !t.Retried {
			a.Wait = 0
		}
		if v.DecidingLine != nil {
			a.Evidence = v.DecidingLine.Position.String()
		}
		if v.RanAfterGatewayGaveUp != nil {
			a.RanAfterTimeout = *v.RanAfterGatewayGaveUp
		}
		if v.Verdict == diagnose.VerdictRan && (v.LambdaRequestID != "" || !t.FunctionStart.IsZero()) {
			f := &Execution{LambdaRequestID: v.LambdaRequestID, Start: t.FunctionStart, End: t.FunctionEnd}
			if v.FunctionDurationMS != nil {
				f.DurationMS = *v.FunctionDurationMS
			}
			if t.FunctionStartLine != nil {
				f.StartEvidence = t.FunctionStartLine.Position.String()
			}
			if t.FunctionEndLine != nil {
				f.EndEvidence = t.FunctionEndLine.Position.String()
			}
			a.Function = f
		}
		k, ok := byInvocation[v.InvocationID]
		if !ok || v.InvocationID == "" {
			k = len(in.Requests)
			in.Requests = append(in.Requests, Request{ID: v.InvocationID, What: what(t.Method, t.URL)})
			if v.InvocationID != "" {
				byInvocation[v.InvocationID] = k
			}
		}
		in.Requests[k].Attempts = append(in.Requests[k].Attempts, a)
	}
	for _, f := range rep.Findings {
		in.Findings = append(in.Findings, Finding{Kind: f.Kind, Summary: f.Summary, Advice: f.Advice, RequestIDs: f.RequestIDs})
	}
	if rep.MalformedCount > 0 {
		in.Notes = append(in.Notes, fmt.Sprintf("%d malformed line(s) skipped; retryscope diagnose lists them.", rep.MalformedCount))
	}
	for _, f := range rep.Files {
		in.Files = append(in.Files, fmt.Sprintf("%s: %s, %d lines, %d used, %d ignored, %d malformed", f.Path, f.Format, f.Lines, f.Records, f.Ignored, f.Malformed))
	}
	return in
}

// what is "METHOD /path" of a logged URL: the path only, its parameters
// redacted (an attempt log written before the transport redacted them may
// hold them), as query values and userinfo have no place on the page.
func what(method, raw string) string {
	if method == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return method
	}
	return method + " " + redact.Path(u.EscapedPath())
}
