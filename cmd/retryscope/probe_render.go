package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/retryscope/retryscope/internal/redact"
	"github.com/retryscope/retryscope/internal/termsafe"
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
	held         []probeResult
	started      bool
	breakerNoted bool // the breaker hint was printed
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

// tableWidth is the width probe's tables fit by default (-wide: no limit).
const tableWidth = 120

// table prints one request's heading and its attempts.
func (o *probeOutput) table(r probeResult) {
	heading := fmt.Sprintf("request %d: %s after %d attempt(s) in %s",
		r.index+1, o.ending(r), len(r.attempts), fmtDuration(r.duration))
	trace := sharedTrace(r.attempts)
	if !o.cfg.wide && trace != "" {
		heading += ", trace " + termsafe.String(trace)
	}
	fmt.Fprintf(o.w, "\n%s\n", heading)
	for _, rd := range r.redirects {
		fmt.Fprintf(o.w, "  followed %d %s to %s\n", rd.status, http.StatusText(rd.status), termsafe.String(redact.URL(rd.url)))
	}
	if len(r.attempts) > 0 {
		if o.cfg.wide {
			o.wideTable(r)
		} else {
			o.narrowTable(r)
		}
		for i := range r.attempts {
			if a := &r.attempts[i]; a.Err != nil {
				o.line(fmt.Sprintf("  attempt %d error: %s", a.Number, o.shown(a.Err.Error())))
			}
		}
	}
	if o.cfg.breaker && !o.breakerNoted && breakerRefused(r) {
		o.breakerNoted = true
		o.line(fmt.Sprintf("  note: probe's circuit breaker for %s is open: requests are refused without being sent.", o.cfg.url.Host))
		o.line("        Drop -breaker to see every answer.")
	}
}

// line prints s, cut to tableWidth unless -wide.
func (o *probeOutput) line(s string) {
	if !o.cfg.wide {
		s = cut(s, tableWidth)
	}
	fmt.Fprintln(o.w, s)
}

// breakerRefused reports whether the transport's breaker refused an
// attempt of r.
func breakerRefused(r probeResult) bool {
	if errors.Is(r.err, transport.ErrCircuitOpen) {
		return true
	}
	for i := range r.attempts {
		if errors.Is(r.attempts[i].Err, transport.ErrCircuitOpen) {
			return true
		}
	}
	return false
}

// sharedTrace is the trace id every attempt of a request carries (with
// -xray), or "".
func sharedTrace(attempts []transport.Attempt) string {
	if len(attempts) == 0 {
		return ""
	}
	t := attempts[0].TraceID
	for i := range attempts {
		if attempts[i].TraceID != t {
			return ""
		}
	}
	return t
}

// wideTable prints every column in full.
func (o *probeOutput) wideTable(r probeResult) {
	tw := tabwriter.NewWriter(o.w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ATTEMPT\tSTATUS\tDURATION\tREQUEST ID SENT\tREQUEST ID\tAPIGW ID\tTRACE ID\tREACH\tDECISION\tREASON")
	for i := range r.attempts {
		a := &r.attempts[i]
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			attemptLabel(a), attemptStatus(a), fmtDuration(a.Duration),
			dash(termsafe.String(a.RequestIDSent)), dash(termsafe.String(a.RequestID)), dash(termsafe.String(apigwID(a))), dash(termsafe.String(a.TraceID)),
			dash(string(a.Reach)), decision(a), o.shown(a.Reason))
	}
	tw.Flush()
}

// narrowTable fits tableWidth: one request id column (the id API Gateway
// logged the attempt under; when it answered another id than the one sent,
// a line under the table says so), no apigw id or trace column (the trace
// is in the heading when the attempts share it), and reasons cut with an
// ellipsis. Columns whose width varies with timing have a fixed minimum,
// so that rows line up the same from run to run.
func (o *probeOutput) narrowTable(r probeResult) {
	type column struct {
		name  string
		min   int
		cells []string
	}
	cols := []*column{{name: "#"}, {name: "STATUS"}, {name: "DURATION", min: 8}, {name: "REQUEST ID"},
		{name: "REACH", min: len(policy.ReachBackendTimeout)}, {name: "DECISION", min: len("retry in 1.234s")}, {name: "REASON"}}
	var replaced []string
	for i := range r.attempts {
		a := &r.attempts[i]
		label := strconv.Itoa(a.Number)
		if a.Hedge {
			label += "h"
		}
		cells := []string{label, attemptStatus(a), fmtDuration(a.Duration), dash(termsafe.String(queryID(a))), dash(string(a.Reach)), decision(a), o.shown(a.Reason)}
		for c, v := range cells {
			cols[c].cells = append(cols[c].cells, v)
		}
		if gatewayIDs(a).Replaced() {
			replaced = append(replaced, fmt.Sprintf("  attempt %s sent request id %s; API Gateway answered %s", label, termsafe.String(a.RequestIDSent), termsafe.String(a.RequestID)))
		}
	}
	defer func() {
		for _, l := range replaced {
			o.line(l)
		}
	}()
	// An id longer than a UUID takes the room it can without leaving the
	// reason less than its 12 columns; -wide shows it whole.
	const idCol, uuidLen, reasonMin = 3, 36, 12
	room := tableWidth - 2 - reasonMin
	for c, col := range cols {
		if c != idCol && c < len(cols)-1 {
			w := max(col.min, utf8.RuneCountInString(col.name))
			for _, v := range col.cells {
				w = max(w, utf8.RuneCountInString(v))
			}
			room -= w + 2
		}
	}
	for i, v := range cols[idCol].cells {
		cols[idCol].cells[i] = cut(v, max(room-2, uuidLen))
	}
	widths := make([]int, len(cols))
	used := 2 // the indent
	for c, col := range cols {
		widths[c] = max(col.min, utf8.RuneCountInString(col.name))
		for _, v := range col.cells {
			widths[c] = max(widths[c], utf8.RuneCountInString(v))
		}
		if c < len(cols)-1 {
			used += widths[c] + 2
		}
	}
	reasonWidth := max(tableWidth-used, 12)
	row := func(cells []string) {
		var b strings.Builder
		b.WriteString("  ")
		for c, v := range cells {
			if c == len(cells)-1 {
				b.WriteString(cut(v, reasonWidth))
				break
			}
			b.WriteString(v)
			b.WriteString(strings.Repeat(" ", widths[c]-utf8.RuneCountInString(v)+2))
		}
		fmt.Fprintln(o.w, strings.TrimRight(b.String(), " "))
	}
	names := make([]string, len(cols))
	for c, col := range cols {
		names[c] = col.name
	}
	row(names)
	for i := range r.attempts {
		cells := make([]string, len(cols))
		for c, col := range cols {
			cells[c] = col.cells[i]
		}
		row(cells)
	}
}

// cut shortens s to at most n runes, ending in an ellipsis when cut; it
// cuts after a whole word when one ends in the second half.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	runes := []rune(s)[:n-1]
	for i := len(runes) - 1; i > len(runes)/2; i-- {
		if runes[i] == ' ' {
			runes = runes[:i]
			break
		}
	}
	return strings.TrimRight(string(runes), " ,:;") + "…"
}

// ending says how a request ended, for its heading.
func (o *probeOutput) ending(r probeResult) string {
	switch {
	case r.err != nil:
		return "error: " + o.shown(finalError(r.err))
	case r.bodyErr != nil:
		return fmt.Sprintf("%d %s, body cut short: %s", r.status, http.StatusText(r.status), o.shown(r.bodyErr.Error()))
	case r.bodyLong:
		return fmt.Sprintf("%d %s, body longer than %d MiB: read no further", r.status, http.StatusText(r.status), probeBodyLimit>>20)
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

// shown is o.text(s) fit to print on a terminal, for the text output (-json
// keeps the text in JSON strings, written through termsafe.JSONWriter):
// error texts quote what a server sent, such as the names in its TLS
// certificate.
func (o *probeOutput) shown(s string) string { return termsafe.String(o.text(s)) }

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
	case a.Err == nil && a.Status > 0 && a.Status < 400 && a.Rule == policy.RuleNotRetryable:
		return "done"
	case a.Rule == "":
		return "stop"
	}
	return "stop: " + string(a.Rule)
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
func (o *probeOutput) finish(t *probeTally) {
	queries := insightsQueries(t.ids)
	if o.cfg.json {
		o.json(t, queries)
		return
	}
	fmt.Fprintf(o.w, "\n%s\n", t.summary())
	fmt.Fprintln(o.w, "\nCloudWatch Logs Insights: choose the log group and time range, paste a query.")
	for _, q := range queries {
		fmt.Fprintf(o.w, "\n# %s\n# log group: %s\n%s\n", q.Title, q.LogGroup, q.Query)
	}
	if t.idsOmitted > 0 {
		fmt.Fprintf(o.w, "\n# the queries list the first %d request ids; %d more are not listed\n", len(t.ids), t.idsOmitted)
	}
	if len(t.ids) == 0 {
		fmt.Fprintln(o.w, "\n# no attempt reached API Gateway: there are no request ids to look up")
	}
}
