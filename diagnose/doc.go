// Package diagnose answers, for every attempt of every logical request,
// "did this attempt reach the Lambda function?", from log files: the
// transport's attempt log, API Gateway access and execution logs, and the
// function's Lambda logs (START/END/REPORT lines, the JSON log format,
// runtimes' own lines and lambdalog lines).
//
// It is run after the fact: the transport wrote one attempt line per
// attempt with the x-amzn-RequestId it sent, API Gateway adopted that id as
// its requestId, and lambdalog wrote it next to the Lambda request id.
// Joining on those ids (and on X-Ray trace ids) gives each attempt a
// Verdict (ran, not_run, maybe) with the log line that decided it, then
// Findings in the order of the AWS troubleshooting checklist for 504s.
//
// # Formats
//
// Each file's format is detected from its content, by a table of formats
// (format.go) in which each format is one file: raw log lines with or
// without timestamps, access logs in a JSON format or the console's CLF,
// CSV and XML presets, execution logs with or without the "(requestId) "
// prefix, the console's test-invoke log, `aws logs tail` and `sam logs`
// output, CloudWatch console copies and CSV downloads, `filter-log-events`
// JSON, Logs Insights results (JSON, CSV, Markdown, TSV), subscription-filter
// payloads (JSON, gzip, base64) and gzip files of any of these. A message
// printed over several lines (a body, pretty-printed JSON) is joined to the
// line it continues. docs/aws-behaviour.md#file-shapes lists the shapes and
// their published descriptions.
//
// A file that cannot be read (unknown format, read error) is listed in the
// report with its error; the others are still read.
//
// Files are streamed with bounded memory: one line (or one element of a JSON
// export, or one message of a copy) of at most Options.MaxLineBytes
// (default 1 MiB; longer ones are reported and skipped) is held at a time,
// about twice that for JSON exports, plus a fixed-size entry per distinct
// request id (attempts, gateway requests, Lambda invocations): kept strings
// are cut to 256 bytes and kept log lines to 240, about 2 to 4 KiB per id
// (measured 2.3 KiB for a 504 with its access record, four execution lines
// and three Lambda lines). Up to 1000 malformed lines are listed, all are
// counted. Malformed or truncated lines are reported by file and line
// number (within a decoded payload, by its own lines); they never stop the
// reading. Time is bounded too: gzip data may expand to 64 MiB, then to
// Options.MaxExpansion times its file's size (default 100); past that the
// file stops with ErrExpansion, as for a decompression bomb.
//
// # Rules
//
// Strongest evidence first (rules.go;
// docs/aws-behaviour.md#execution-log-wordings-strongest-evidence-first
// gives each wording and its source):
//
//   - A lambdalog line naming the request id, or a START/END/REPORT line for
//     the Lambda request id a gateway log gives: ran. So is an invocation
//     whose X-Ray trace Root (REPORT "XRAY TraceId", platform.report
//     tracing) only this attempt carries (access log xrayTraceId, attempt
//     line); attempts sharing a Root get no verdict from it.
//   - Execution log "customer function error", or X-Amz-Function-Error in
//     the endpoint response headers: ran.
//   - Lambda refused the Invoke call: a throttling, permission or
//     not-found error type in the endpoint response headers
//     (x-amzn-ErrorType=TooManyRequestsException, AccessDeniedException,
//     ...), a throttle "Reason" in the response body when nothing shows
//     Lambda answering 200, "Invalid permissions on Lambda function",
//     "Received response. Status: 4xx", "Lambda invocation failed with
//     status: 4xx": not_run, whatever follows (a throttle is sometimes
//     followed by "Malformed Lambda proxy response"). A 5xx there: maybe.
//   - "Malformed Lambda proxy response": ran. The access log's
//     integration_integrationStatus says the same as Lambda's status above.
//   - A Lambda request id in "Endpoint response headers", a logged
//     response body, "Received response" (any wording) or a logged
//     integration_requestId: ran.
//   - An integration timeout (504 INTEGRATION_TIMEOUT, "Execution failed due
//     to a timeout error") with no Lambda line naming the request: the
//     access log cannot prove anything, because integration_requestId is
//     "-" on a timeout. It is not_run only when Lambda logs cover the
//     window from the request to 10 s (Lambda's init limit) after the
//     gateway gave up and every invocation that started in it is tied to
//     another request, since Lambda writes START as soon as an invocation
//     begins (a single-stream export, get-log-events or a subscription
//     payload, covers one execution environment and counts for no
//     window, and only Lambda's own lines, not the function's, make a
//     log cover a time); otherwise maybe, naming the untied invocation or
//     the gap.
//   - A gateway answer with every integration field "-" (429, 403, a 504 of
//     another response type) or an execution log without "Sending request
//     to" / "Endpoint request URI": not_run. Such 504s are safe to retry.
//   - No gateway record: not_run when the transport never sent it (reach
//     not_sent: connection refused, DNS, TLS), or when gateway logs cover
//     its time and the gateway is seen adopting client request ids (REST
//     APIs do; HTTP APIs do not, so there a missing id proves nothing);
//     otherwise the transport's reach decides (gateway: not_run, backend:
//     ran) or the verdict is maybe.
//
// Inferred rather than documented: that API Gateway writes an access-log
// record for every request it receives, so covering logs without the id
// show the attempt never arrived; and that a client's x-amzn-RequestId
// reaches the event as requestContext.requestId, which lambdalog logs.
package diagnose
