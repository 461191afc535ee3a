package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/retryscope/retryscope/internal/redact"
	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// probeOutput prints probe's results: text as each request ends (in
// request order), or one JSON document at the end.
type probeOutput struct {
	cfg *probeConfig
	w   io.Writer
	// held are results not printed yet because no attempt so far got past
	// the client: if none ever does, probe prints one line instead.
	held    []probeResult
	started bool
}

func newProbeOutput(cfg *probeConfig, w io.Writer) *probeOutput {
	return &probeOutput{cfg: cfg, w: w}
}

// request prints one finished request (text mode).
func (o *probeOutput) request(r probeResult) {
	if o.cfg.json {
		return
	}
	o.held = append(o.held, r)
	if !o.started && !reachedAnything(r) {
		return
	}
	if !o.started {
		o.started = true
		o.preamble()
	}
	for _, h := range o.held {
		o.table(h)
	}
	o.held = o.held[:0]
}

func reachedAnything(r probeResult) bool {
	if r.err == nil {
		return true
	}
	for _, a := range r.attempts {
		if a.Reach != policy.ReachNotSent {
			return true
		}
	}
	return false
}

func (o *probeOutput) preamble() {
	fmt.Fprintf(o.w, "probe: %s %s\n", o.cfg.method, redact.URL(o.cfg.url))
	for _, kv := range o.cfg.header.fields {
		fmt.Fprintf(o.w, "  %s: %s\n", kv.name, shownHeaderValue(kv.name, kv.value))
	}
	if o.cfg.hasBody {
		fmt.Fprintf(o.w, "  (body: %d bytes)\n", len(o.cfg.body))
	}
	fmt.Fprintf(o.w, "  %d request(s), %d at a time, up to %d attempt(s) each\n", o.cfg.n, o.cfg.c, o.cfg.attempts)
}

// table prints one request's heading and its attempts.
func (o *probeOutput) table(r probeResult) {
	fmt.Fprintf(o.w, "\nrequest %d: %s after %d attempt(s) in %s\n",
		r.index+1, o.ending(r), len(r.attempts), fmtDuration(r.duration))
	if len(r.attempts) == 0 {
		return
	}
	tw := tabwriter.NewWriter(o.w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ATTEMPT\tSTATUS\tDURATION\tREQUEST ID SENT\tREQUEST ID\tAPIGW ID\tTRACE ID\tREACH\tDECISION\tREASON")
	for i := range r.attempts {
		a := &r.attempts[i]
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			attemptLabel(a), attemptStatus(a), fmtDuration(a.Duration),
			dash(a.RequestIDSent), dash(a.RequestID), dash(apigwID(a)), dash(a.TraceID),
			dash(string(a.Reach)), decision(a), o.text(a.Reason))
	}
	tw.Flush()
	for i := range r.attempts {
		if a := &r.attempts[i]; a.Err != nil {
			fmt.Fprintf(o.w, "  attempt %d error: %s\n", a.Number, o.text(a.Err.Error()))
		}
	}
}

// ending says how a request ended, for its heading.
func (o *probeOutput) ending(r probeResult) string {
	switch {
	case r.err != nil:
		return "error: " + o.text(finalError(r.err))
	case r.bodyErr != nil:
		return fmt.Sprintf("%d %s, body cut short: %s", r.status, http.StatusText(r.status), o.text(r.bodyErr.Error()))
	}
	return fmt.Sprintf("%d %s", r.status, http.StatusText(r.status))
}

// finalError is the error a request ended in, without the transport's
// summary of its attempts (the table shows them).
func finalError(err error) string {
	if te, ok := err.(*transport.Error); ok && te.Err != nil {
		if len(te.Attempts) == 0 {
			return "no attempt sent: " + te.Err.Error()
		}
		return te.Err.Error()
	}
	return err.Error()
}

// text redacts the probe's URL out of s and keeps it on one line.
func (o *probeOutput) text(s string) string {
	s = redact.Text(s, o.cfg.url)
	return strings.Join(strings.Fields(s), " ")
}

func attemptLabel(a *transport.Attempt) string {
	if a.Hedge {
		return strconv.Itoa(a.Number) + " (hedge)"
	}
	return strconv.Itoa(a.Number)
}

func attemptStatus(a *transport.Attempt) string {
	if a.Status != 0 {
		return strconv.Itoa(a.Status)
	}
	return "error"
}

// apigwID is x-amz-apigw-id, or apigw-requestid for HTTP APIs.
func apigwID(a *transport.Attempt) string {
	if a.ExtendedRequestID != "" {
		return a.ExtendedRequestID
	}
	return a.HTTPAPIRequestID
}

// decision says what the transport did after the attempt.
func decision(a *transport.Attempt) string {
	switch {
	case a.Retry:
		return "retry in " + fmtDuration(a.Wait)
	case a.Err == nil && a.Status > 0 && a.Status < 400 && a.Rule == "not_retryable":
		return "done"
	case a.Rule == "":
		return "stop"
	}
	return "stop: " + a.Rule
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// fmtDuration rounds d to the millisecond (microsecond below 1 ms).
func fmtDuration(d time.Duration) string {
	if d > 0 && d < time.Millisecond {
		return d.Round(time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// finish prints the summary and the queries (text), or the whole JSON
// document.
func (o *probeOutput) finish(all []probeResult) {
	ids := probeRequestIDs(all)
	queries := insightsQueries(ids)
	if o.cfg.json {
		o.json(all, queries)
		return
	}
	fmt.Fprintf(o.w, "\n%s\n", summary(all))
	fmt.Fprintln(o.w, "\nCloudWatch Logs Insights: choose the log group and time range, paste a query.")
	for _, q := range queries {
		fmt.Fprintf(o.w, "\n# %s\n# log group: %s\n%s\n", q.Title, q.LogGroup, q.Query)
	}
	if len(ids) == 0 {
		fmt.Fprintln(o.w, "\n# no attempt reached API Gateway: there are no request ids to look up")
	}
}

// summary counts how the requests ended.
func summary(all []probeResult) string {
	ends := map[string]int{}
	attempts := 0
	for _, r := range all {
		attempts += len(r.attempts)
		switch {
		case r.err != nil:
			ends["error"]++
		default:
			ends[strconv.Itoa(r.status)]++
		}
	}
	keys := make([]string, 0, len(ends))
	for k := range ends {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, ends[k])
	}
	return fmt.Sprintf("%d request(s), %d attempt(s); ended with %s", len(all), attempts, strings.Join(parts, ", "))
}

// probeRequestIDs returns the API Gateway request ids of every attempt that
// got past the client, in order, without duplicates. An attempt that sent a
// UUID but got no answer still has one: API Gateway adopts the client's id.
func probeRequestIDs(all []probeResult) []string {
	seen := map[string]bool{}
	var ids []string
	for _, r := range all {
		for i := range r.attempts {
			a := &r.attempts[i]
			if a.Reach == policy.ReachNotSent {
				continue
			}
			id := queryID(a)
			if !validQueryID(id) || seen[id] {
				continue
			}
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids
}

// queryID is the id API Gateway logged the attempt under: the one it
// answered (apigw-requestid for HTTP APIs, x-amzn-RequestId for REST), else
// the x-amzn-RequestId sent, which a REST API adopts.
func queryID(a *transport.Attempt) string {
	switch {
	case a.HTTPAPIRequestID != "":
		return a.HTTPAPIRequestID
	case a.RequestID != "":
		return a.RequestID
	}
	return a.RequestIDSent
}

// validQueryID keeps ids that can go in a Logs Insights string literal as
// they are: whatever a server answers, no quote or backslash gets into a
// query.
func validQueryID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_=+/.", c) >= 0) {
			return false
		}
	}
	return true
}

// insightsQuery is one query ready to paste.
type insightsQuery struct {
	Title    string `json:"title"`
	LogGroup string `json:"log_group"`
	Query    string `json:"query"`
}

// The troubleshooting guide's two queries (SEED-troubleshoot-504.txt),
// verbatim.
const (
	seedQuery504Parsed = `parse @message '(*) *' as reqId, message
| filter message like /Method completed with status: \d\d\d/
| parse message 'Method completed with status: *' as status
| filter status = 504
| sort @timestamp desc
| limit 20`
	seedQuery504Plain = `fields @timestamp, @message
| filter message like /Method completed with status: 504/
| sort @timestamp desc
| limit 20`
)

// Log groups as API Gateway and Lambda name them.
const (
	executionLogGroup = "API-Gateway-Execution-Logs_<api-id>/<stage>"
	accessLogGroup    = "the stage's access log group (JSON format with $context.requestId as requestId)"
	lambdaLogGroup    = "/aws/lambda/<function-name>"
)

// queryIDChunk is how many ids one query lists, so that a query stays well
// under Logs Insights' 10,000-character limit.
const queryIDChunk = 100

// insightsQueries returns the guide's two 504 queries and, for the given
// request ids, one query each over the execution log, the access log and
// the function's log (lines of retryscope's lambdalog middleware).
func insightsQueries(ids []string) []insightsQuery {
	qs := []insightsQuery{
		{"504 answers in the execution log (the guide's first query; REST APIs)", executionLogGroup, seedQuery504Parsed},
		{"504 answers in the execution log (the guide's second query; REST APIs)", executionLogGroup, seedQuery504Plain},
	}
	chunks := (len(ids) + queryIDChunk - 1) / queryIDChunk
	for c := range chunks {
		part := ids[c*queryIDChunk : min(len(ids), (c+1)*queryIDChunk)]
		suffix := ""
		if chunks > 1 {
			suffix = fmt.Sprintf(" (part %d of %d)", c+1, chunks)
		}
		list := quoteIDs(part)
		qs = append(qs,
			insightsQuery{"these requests in the execution log (REST APIs): did the gateway call Lambda, and what came back" + suffix, executionLogGroup,
				"parse @message '(*) *' as reqId, message\n" +
					"| filter reqId in " + list + "\n" +
					"| sort @timestamp asc\n" +
					"| display @timestamp, reqId, message\n" +
					"| limit 10000"},
			insightsQuery{"these requests in the access log: integration_requestId is the Lambda request id, '-' when no integration answered" + suffix, accessLogGroup,
				"fields @timestamp, requestId, extendedRequestId, status, integration_status, integration_integrationStatus, " +
					"integration_latency, integration_requestId, integration_error, error_responseType, responseLatency\n" +
					"| filter requestId in " + list + "\n" +
					"| sort @timestamp asc\n" +
					"| limit 10000"},
			insightsQuery{"these requests in the function's log (lines of retryscope's lambdalog middleware): a line means the function ran" + suffix, lambdaLogGroup,
				"fields @timestamp, lambda_request_id, apigw_request_id, attempt, status, duration_ms, error\n" +
					"| filter apigw_request_id in " + list + "\n" +
					"| sort @timestamp asc\n" +
					"| limit 10000"},
		)
	}
	return qs
}

func quoteIDs(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = `"` + id + `"`
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// probeJSON is the -json document.
type probeJSON struct {
	Method   string             `json:"method"`
	URL      string             `json:"url"`
	Headers  []string           `json:"headers,omitempty"`
	OK       bool               `json:"ok"`
	Summary  string             `json:"summary"`
	Requests []probeRequestJSON `json:"requests"`
	Queries  []insightsQuery    `json:"queries"`
}

type probeRequestJSON struct {
	Request    int                `json:"request"`
	Status     int                `json:"status,omitempty"`
	Error      string             `json:"error,omitempty"`
	DurationMS float64            `json:"duration_ms"`
	BodyBytes  int64              `json:"body_bytes"`
	Attempts   []probeAttemptJSON `json:"attempts"`
}

// probeAttemptJSON uses the keys of the transport's attempt log
// (transport.WithLogger), so the same tools read both.
type probeAttemptJSON struct {
	Attempt        int     `json:"attempt"`
	Hedge          bool    `json:"hedge,omitempty"`
	InvocationID   string  `json:"invocation_id,omitempty"`
	Start          string  `json:"start"`
	DurationMS     float64 `json:"duration_ms"`
	Status         int     `json:"status"`
	Error          string  `json:"error,omitempty"`
	Reach          string  `json:"reach"`
	Cause          string  `json:"cause,omitempty"`
	RequestIDSent  string  `json:"request_id_sent,omitempty"`
	RequestID      string  `json:"request_id,omitempty"`
	APIGWID        string  `json:"apigw_id,omitempty"`
	APIGWRequestID string  `json:"apigw_requestid,omitempty"`
	TraceID        string  `json:"trace_id,omitempty"`
	Retry          bool    `json:"retry"`
	WaitMS         float64 `json:"wait_ms"`
	Rule           string  `json:"rule"`
	Reason         string  `json:"reason"`
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (o *probeOutput) json(all []probeResult, queries []insightsQuery) {
	doc := probeJSON{
		Method:   o.cfg.method,
		URL:      redact.URL(o.cfg.url),
		OK:       true,
		Summary:  summary(all),
		Requests: make([]probeRequestJSON, 0, len(all)),
		Queries:  queries,
	}
	for _, kv := range o.cfg.header.fields {
		doc.Headers = append(doc.Headers, kv.name+": "+shownHeaderValue(kv.name, kv.value))
	}
	for _, r := range all {
		if r.failed() {
			doc.OK = false
		}
		rj := probeRequestJSON{Request: r.index + 1, Status: r.status, DurationMS: millis(r.duration),
			BodyBytes: r.bodyBytes, Attempts: make([]probeAttemptJSON, 0, len(r.attempts))}
		if r.err != nil {
			rj.Error = o.text(finalError(r.err))
		} else if r.bodyErr != nil {
			rj.Error = "reading the body: " + o.text(r.bodyErr.Error())
		}
		for i := range r.attempts {
			a := &r.attempts[i]
			aj := probeAttemptJSON{
				Attempt: a.Number, Hedge: a.Hedge, InvocationID: a.InvocationID,
				Start: a.Start.UTC().Format(time.RFC3339Nano), DurationMS: millis(a.Duration),
				Status: a.Status, Reach: string(a.Reach), Cause: a.Cause,
				RequestIDSent: a.RequestIDSent, RequestID: a.RequestID,
				APIGWID: a.ExtendedRequestID, APIGWRequestID: a.HTTPAPIRequestID, TraceID: a.TraceID,
				Retry: a.Retry, WaitMS: millis(a.Wait), Rule: a.Rule, Reason: o.text(a.Reason),
			}
			if a.Err != nil {
				aj.Error = o.text(a.Err.Error())
			}
			rj.Attempts = append(rj.Attempts, aj)
		}
		doc.Requests = append(doc.Requests, rj)
	}
	enc := json.NewEncoder(o.w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(doc)
}
