package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/retryscope/retryscope/diagnose"
	"github.com/retryscope/retryscope/internal/redact"
	"github.com/retryscope/retryscope/internal/timeline"
	"github.com/retryscope/retryscope/policy"
)

// The -html flag of diagnose and probe: one self-contained page with a
// timeline per logical request (internal/timeline).

const htmlFlagUsage = "also write the timeline page, one self-contained HTML file, to `FILE`"

// writeDiagnoseHTML writes the page of ev's diagnosis to path. It returns
// the exit code: 0, or 1 when the file cannot be written.
func writeDiagnoseHTML(ev *diagnose.Evidence, path string, files []string, stderr io.Writer) int {
	in := timeline.FromDiagnose(ev.Timeline())
	in.Title = "retryscope diagnose"
	in.Source = "retryscope diagnose " + strings.Join(files, " ")
	f, err := os.Create(path)
	if err == nil {
		err = writeHTMLPage(f, in)
	}
	if err != nil {
		fmt.Fprintf(stderr, "retryscope diagnose: -html: %v\n", pathError(err))
		return 1
	}
	return 0
}

// openProbeHTML creates probe's -html file before anything is sent, so a
// bad path fails at once; nil without -html. code is -1 to go on, else the
// exit code.
func openProbeHTML(cfg *probeConfig, stderr io.Writer) (f *os.File, code int) {
	if cfg.html == "" {
		return nil, -1
	}
	f, err := os.Create(cfg.html)
	if err != nil {
		return nil, usageError(stderr, "probe", "-html: %v", pathError(err))
	}
	return f, -1
}

// writeProbeHTML writes the page of the probe's requests to f (nil: no
// -html) and closes it. It returns 0, or 1 when the page cannot be written.
func writeProbeHTML(f *os.File, cfg *probeConfig, all []probeResult, stderr io.Writer) int {
	if f == nil {
		return 0
	}
	if err := writeHTMLPage(f, probeHTMLInput(cfg, all)); err != nil {
		fmt.Fprintf(stderr, "retryscope probe: -html: %v\n", pathError(err))
		return 1
	}
	return 0
}

// writeHTMLPage renders in into f and closes it.
func writeHTMLPage(f *os.File, in timeline.Input) error {
	err := timeline.WriteInput(f, in)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func pathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

// probeHTMLInput is the page input of a probe: the attempts as the client
// saw them. Without Lambda logs the verdicts are inferred from each
// attempt's reach, and the page says so.
func probeHTMLInput(cfg *probeConfig, all []probeResult) timeline.Input {
	in := timeline.Input{
		Title:            "retryscope probe " + cfg.url.Host,
		Source:           fmt.Sprintf("retryscope probe -X %s -n %d -c %d %s", cfg.method, cfg.n, cfg.c, redact.URL(cfg.url)),
		InferredVerdicts: true,
	}
	text := func(s string) string { return strings.Join(strings.Fields(redact.Text(s, cfg.url)), " ") }
	for _, r := range all {
		req := timeline.Request{Label: fmt.Sprintf("request %d", r.index+1), What: cfg.method + " " + redact.Path(cfg.url.EscapedPath())}
		for i := range r.attempts {
			a := &r.attempts[i]
			req.ID = a.InvocationID
			at := timeline.Attempt{
				Number: a.Number, Hedge: a.Hedge, RequestID: a.APIGatewayRequestID(),
				Sent: a.Start, Answered: a.Start.Add(a.Duration), Status: a.Status, Reach: string(a.Reach),
				Verdict: reachVerdict(a.Reach), Reason: "from the client's view only: " + text(a.Reason),
			}
			if a.Retry {
				at.Wait = a.Wait
			}
			if a.Err != nil {
				at.Error = text(a.Err.Error())
			}
			if a.Reach == policy.ReachBackendTimeout && a.Status != 0 {
				// The timeout answer is when the gateway gave up.
				at.GatewayTimedOut, at.Deadline, at.GaveUp = true, at.Answered, at.Answered
			}
			req.Attempts = append(req.Attempts, at)
		}
		in.Requests = append(in.Requests, req)
	}
	return in
}

// reachVerdict is what an attempt's reach alone says about the function:
// the same inference diagnose makes when it has only the attempt log.
func reachVerdict(r policy.Reach) string {
	switch r {
	case policy.ReachBackend:
		return timeline.VerdictRan
	case policy.ReachGateway, policy.ReachNotSent:
		return timeline.VerdictNotRun
	}
	return timeline.VerdictMaybe
}
