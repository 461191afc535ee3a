// Package diagnose answers, for every attempt of every logical request,
// "did this attempt reach the Lambda function?", from log files: the
// transport's attempt log, API Gateway access and execution logs, and the
// function's Lambda logs (START/END/REPORT lines and lambdalog lines).
//
// It is the last step of DESIGN.md's flow, run after the fact: the transport
// wrote one attempt line per attempt with the x-amzn-RequestId it sent, API
// Gateway adopted that id as its requestId, and lambdalog wrote it next to
// the Lambda request id. Joining on those ids gives each attempt a Verdict
// (ran, not_run, maybe) with the log line that decided it, then Findings in
// the order of the AWS troubleshooting checklist for 504s.
//
// Files are streamed: each line (or each element of a JSON export) may be at
// most Options.MaxLineBytes (default 1 MiB) and the memory held is
// proportional to the number of distinct request ids (attempts, gateway
// requests, Lambda invocations), with each remembered log line cut to 240
// bytes. Malformed or truncated lines are counted and reported by file and
// line number; they never stop the reading.
//
// Rules that rest on inferences rather than documentation are marked in
// verdict.go; the main one is that API Gateway writes an access-log record
// for every request it receives, so an access log that covers an attempt's
// time and has no record of its request id shows the attempt never arrived.
package diagnose
