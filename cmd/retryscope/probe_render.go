package main

import (
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
