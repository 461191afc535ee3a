package diagnose

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/retryscope/retryscope/internal/termsafe"
)

// WriteText writes the report for a person: attempts grouped by logical
// request, then findings, malformed lines and the files read. Text taken
// from the logs is written with control characters and escape sequences
// escaped, so a log line cannot drive the terminal.
func (r Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	last := "\x00"
	for _, a := range r.Attempts {
		if a.InvocationID != last {
			last = a.InvocationID
			if a.InvocationID == "" {
				fmt.Fprintln(bw, "requests (no attempt log)")
			} else {
				fmt.Fprintf(bw, "logical request %s\n", termsafe.String(a.InvocationID))
			}
		}
		label := "  -"
		if a.Attempt > 0 {
			label = fmt.Sprintf("  #%d", a.Attempt)
			if a.Hedge {
				label += " hedge"
			}
		}
		fmt.Fprintf(bw, "%s %s  status %s  %s\n", label, termsafe.String(orDash(a.RequestID)), orDashInt(a.Status), termsafe.String(strings.ToUpper(string(a.Verdict))))
		var facts []string
		if a.IntegrationLatencyMS != nil {
			facts = append(facts, fmt.Sprintf("integration latency %.0f ms", *a.IntegrationLatencyMS))
		} else {
			facts = append(facts, "integration latency -")
		}
		facts = append(facts, "Lambda request id "+termsafe.String(orDash(a.LambdaRequestID)))
		if a.FunctionDurationMS != nil {
			facts = append(facts, fmt.Sprintf("duration %.2f ms", *a.FunctionDurationMS))
		}
		if a.Reach != "" {
			facts = append(facts, "reach "+termsafe.String(a.Reach))
		}
		fmt.Fprintf(bw, "      %s\n", strings.Join(facts, ", "))
		fmt.Fprintf(bw, "      why: %s\n", termsafe.String(a.Reason))
		if a.RanOn != "" {
			// An HTTP API answers its integration timeout with 503.
			answer := "the timeout"
			if a.Status != 0 {
				answer = fmt.Sprintf("the %d", a.Status)
			}
			fmt.Fprintf(bw, "      after %s: %s\n", answer, termsafe.String(a.RanOn))
		}
	}
	if len(r.Attempts) == 0 {
		fmt.Fprintln(bw, "no attempts or gateway requests found")
	}
	fmt.Fprintln(bw)
	if len(r.Findings) == 0 {
		fmt.Fprintln(bw, "findings: none")
	} else {
		fmt.Fprintln(bw, "findings:")
	}
	for i, f := range r.Findings {
		fmt.Fprintf(bw, "%d. [%s] %s\n   what to do: %s\n", i+1, termsafe.String(f.Kind), termsafe.String(f.Summary), termsafe.String(f.Advice))
		if len(f.RequestIDs) > 0 {
			fmt.Fprintf(bw, "   request ids: %s\n", termsafe.String(strings.Join(f.RequestIDs, ", ")))
		}
	}
	if r.MalformedCount > 0 {
		fmt.Fprintf(bw, "\nmalformed lines: %d\n", r.MalformedCount)
		for _, m := range r.Malformed {
			fmt.Fprintf(bw, "  %s: %s: %s\n", termsafe.String(m.Position.String()), termsafe.String(m.Problem), termsafe.String(fmt.Sprintf("%q", m.Text)))
		}
		if n := r.MalformedCount - len(r.Malformed); n > 0 {
			fmt.Fprintf(bw, "  ... and %d more\n", n)
		}
	}
	fmt.Fprintln(bw, "\nfiles:")
	for _, f := range r.Files {
		if f.Format == FormatUnreadable {
			fmt.Fprintf(bw, "  %s: unreadable: %s\n", termsafe.String(f.Path), termsafe.String(f.Error))
			continue
		}
		fmt.Fprintf(bw, "  %s: %s, %d lines, %d used, %d ignored, %d malformed\n", termsafe.String(f.Path), termsafe.String(string(f.Format)), f.Lines, f.Records, f.Ignored, f.Malformed)
		if f.Error != "" {
			fmt.Fprintf(bw, "    not read to the end: %s\n", termsafe.String(f.Error))
		}
	}
	return bw.Flush()
}
