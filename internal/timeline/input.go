// Package timeline draws one self-contained HTML page of logical requests:
// per request a swimlane on a shared time axis with each attempt as a bar,
// the backoff waits, the gateway's integration timeout and the function run
// each attempt caused, with the evidence for every verdict. The page needs
// no network; filters are CSS. Up to 100 logical requests it has no script;
// beyond, the first 100 lanes are markup and the others text that a few
// lines of script add as the reader scrolls, filters or follows a link, so
// 1,000 requests load in well under a second.
//
// Input is what the page is drawn from; FromDiagnose and the probe command
// fill it. Build turns it into the page model (positions in SVG pixels),
// Write renders it.
package timeline

import "time"

// Verdicts, as diagnose names them.
const (
	VerdictRan    = "ran"
	VerdictNotRun = "not_run"
	VerdictMaybe  = "maybe"
)

// Input is what a page is drawn from.
type Input struct {
	// Title heads the page. Default "retryscope timeline".
	Title string
	// Source says where the data came from (a command line, redacted).
	Source string
	// IntegrationTimeout is the gateway's integration timeout, shown in
	// the legend. Zero: not shown.
	IntegrationTimeout time.Duration
	// InferredVerdicts is true when verdicts come from the client's view
	// alone (probe), not from logs.
	InferredVerdicts bool
	// Requests are the logical requests, in the order to show them.
	Requests []Request
	// Findings are shown in the summary with what to do.
	Findings []Finding
	// Notes are extra lines for the summary (malformed lines).
	Notes []string
	// Files describe the inputs read, one line each, shown folded.
	Files []string
}

// Request is one logical request and its attempts.
type Request struct {
	// ID is the logical request's id (amz-sdk-invocation-id); may be empty.
	ID string
	// Label names it on the page; default "request N".
	Label string
	// What says what was asked, e.g. "POST /orders"; may be empty.
	What string
	// Attempts in the order made.
	Attempts []Attempt
}

// Attempt is one attempt and what it caused.
type Attempt struct {
	// Number is the attempt's 1-based number; 0 when unknown.
	Number int
	// Hedge is true for a hedged attempt.
	Hedge bool
	// RequestID is the x-amzn-RequestId (API Gateway's request id).
	RequestID string
	// Sent and Answered bound the attempt; zero when unknown.
	Sent, Answered time.Time
	// Status is the HTTP status, 0 for none.
	Status int
	// Error is the attempt's error, already redacted.
	Error string
	// Reach is how far it got (policy.Reach's names).
	Reach string
	// Verdict is ran, not_run, maybe or "" (unknown).
	Verdict string
	// Reason explains the verdict, already redacted.
	Reason string
	// Evidence is the deciding line's position (file:line), if any.
	Evidence string
	// Wait is the backoff after this attempt before the next one.
	Wait time.Duration
	// Deadline is when the gateway's integration timeout ran out for it.
	Deadline time.Time
	// GatewayTimedOut is true when the gateway gave up waiting for Lambda.
	GatewayTimedOut bool
	// GaveUp is when the gateway gave up (zero when it did not).
	GaveUp time.Time
	// RanOn says how long the function ran on after the timeout.
	RanOn string
	// RanAfterTimeout is true when the function finished after GaveUp.
	RanAfterTimeout bool
	// Function is the function run the attempt caused, nil if none known.
	Function *Execution
}

// Execution is one run of the function.
type Execution struct {
	// LambdaRequestID is the Lambda request id.
	LambdaRequestID string
	// Start and End bound the run; End zero when no line ends it.
	Start, End time.Time
	// DurationMS is the reported duration, 0 when unknown.
	DurationMS float64
	// StartEvidence and EndEvidence are the lines' positions (file:line).
	StartEvidence, EndEvidence string
}

// Finding is a conclusion across attempts, with what to do.
type Finding struct {
	// Kind is diagnose's finding kind.
	Kind string
	// Summary and Advice are sentences for a person.
	Summary, Advice string
	// RequestIDs are the attempts it is about.
	RequestIDs []string
}
