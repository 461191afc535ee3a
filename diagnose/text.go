package diagnose

import (
	"bufio"
	"fmt"
	"io"
	"strings"
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
				fmt.Fprintf(bw, "logical request %s\n", termSafe(a.InvocationID))
			}
		}
		label := "  -"
		if a.Attempt > 0 {
			label = fmt.Sprintf("  #%d", a.Attempt)
			if a.Hedge {
				label += " hedge"
			}
		}
		fmt.Fprintf(bw, "%s %s  status %s  %s\n", label, termSafe(orDash(a.RequestID)), orDashInt(a.Status), termSafe(strings.ToUpper(string(a.Verdict))))
		var facts []string
		if a.IntegrationLatencyMS != nil {
			facts = append(facts, fmt.Sprintf("integration latency %.0f ms", *a.IntegrationLatencyMS))
		} else {
			facts = append(facts, "integration latency -")
		}
		facts = append(facts, "Lambda request id "+termSafe(orDash(a.LambdaRequestID)))
		if a.FunctionDurationMS != nil {
			facts = append(facts, fmt.Sprintf("duration %.2f ms", *a.FunctionDurationMS))
		}
		if a.Reach != "" {
			facts = append(facts, "reach "+termSafe(a.Reach))
		}
		fmt.Fprintf(bw, "      %s\n", strings.Join(facts, ", "))
		fmt.Fprintf(bw, "      why: %s\n", termSafe(a.Reason))
		if a.RanOn != "" {
			// An HTTP API answers its integration timeout with 503.
			answer := "the timeout"
			if a.Status != 0 {
				answer = fmt.Sprintf("the %d", a.Status)
			}
			fmt.Fprintf(bw, "      after %s: %s\n", answer, termSafe(a.RanOn))
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
		fmt.Fprintf(bw, "%d. [%s] %s\n   what to do: %s\n", i+1, termSafe(f.Kind), termSafe(f.Summary), termSafe(f.Advice))
		if len(f.RequestIDs) > 0 {
			fmt.Fprintf(bw, "   request ids: %s\n", termSafe(strings.Join(f.RequestIDs, ", ")))
		}
	}
	if r.MalformedCount > 0 {
		fmt.Fprintf(bw, "\nmalformed lines: %d\n", r.MalformedCount)
		for _, m := range r.Malformed {
			fmt.Fprintf(bw, "  %s: %s: %s\n", termSafe(m.Position.String()), termSafe(m.Problem), termSafe(fmt.Sprintf("%q", m.Text)))
		}
		if n := r.MalformedCount - len(r.Malformed); n > 0 {
			fmt.Fprintf(bw, "  ... and %d more\n", n)
		}
	}
	fmt.Fprintln(bw, "\nfiles:")
	for _, f := range r.Files {
		if f.Format == FormatUnreadable {
			fmt.Fprintf(bw, "  %s: unreadable: %s\n", termSafe(f.Path), termSafe(f.Error))
			continue
		}
		fmt.Fprintf(bw, "  %s: %s, %d lines, %d used, %d ignored, %d malformed\n", termSafe(f.Path), termSafe(string(f.Format)), f.Lines, f.Records, f.Ignored, f.Malformed)
		if f.Error != "" {
			fmt.Fprintf(bw, "    not read to the end: %s\n", termSafe(f.Error))
		}
	}
	return bw.Flush()
}
