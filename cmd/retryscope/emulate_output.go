package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/retryscope/retryscope/apigwtest"
)

// printBanner says what runs where, before the first request.
func printBanner(w io.Writer, cfg *emulateConfig, url string) {
	flavour := "REST API"
	timeout := cfg.integrationTimeout
	if cfg.httpAPI {
		flavour = "HTTP API"
		if !cfg.timeoutSet {
			timeout = apigwtest.DefaultHTTPAPIIntegrationTimeout
		}
	}
	fmt.Fprintf(w, "retryscope emulate: API Gateway (%s) + Lambda, loopback only\n", flavour)
	fmt.Fprintf(w, "URL %s\n\n", url)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if cfg.function != "" {
		fmt.Fprintf(tw, "  function\t%s (Lambda Runtime API, one process per environment)\n", cfg.function)
	} else {
		fmt.Fprintf(tw, "  function\techo (built in: ?sleep=35s, ?status=503, ?fail=1)\n")
	}
	fmt.Fprintf(tw, "  integration timeout\t%s\n", timeout)
	fmt.Fprintf(tw, "  function timeout\t%s\n", cfg.functionTimeout)
	fmt.Fprintf(tw, "  time scale\t%g\n", cfg.timeScale)
	fmt.Fprintf(tw, "  added latency\t%s\n", formatLatency(cfg.latency))
	fmt.Fprintf(tw, "  error rate\t%g\n", cfg.errorRate)
	if cfg.malformedRate > 0 {
		fmt.Fprintf(tw, "  malformed rate\t%g\n", cfg.malformedRate)
	}
	if cfg.throttle != nil {
		fmt.Fprintf(tw, "  throttle\t%g/s, burst %d\n", cfg.throttle.rate, cfg.throttle.burst)
	} else {
		fmt.Fprintf(tw, "  throttle\t%d/s, burst %d\n", apigwtest.DefaultThrottleRate, apigwtest.DefaultThrottleBurst)
	}
	if cfg.gatewayLatency != nil {
		fmt.Fprintf(tw, "  gateway latency\t%s\n", formatLatency(cfg.gatewayLatency))
	}
	if cfg.quota > 0 {
		fmt.Fprintf(tw, "  usage plan quota\t%d requests per API key\n", cfg.quota)
	}
	fmt.Fprintf(tw, "  concurrency\t%d\n", cfg.concurrency)
	fmt.Fprintf(tw, "  cold start\t%s\n", cfg.coldStart)
	for _, p := range cfg.outages {
		fmt.Fprintf(tw, "  outage\t%s\n", formatOutage(p))
	}
	for _, l := range [...][2]string{{"access log", cfg.accessLog}, {"execution log", cfg.executionLog}, {"lambda log", cfg.lambdaLog}} {
		if l[1] != "" {
			fmt.Fprintf(tw, "  %s\t%s\n", l[0], l[1])
		}
	}
	fmt.Fprintf(tw, "  seed\t%d\n", cfg.seed)
	tw.Flush()
	if cfg.function == "" {
		fmt.Fprintf(w, "\ntry:  retryscope probe '%s/hello?sleep=35s'\n", url)
		fmt.Fprintf(w, "      curl -i '%s/hello?status=200'\n", url)
	} else {
		fmt.Fprintf(w, "\ntry:  retryscope probe '%s/'\n", url)
	}
	fmt.Fprintln(w, "Ctrl-C stops the server and prints what happened.")
}

// printGroundTruth prints the emulator's counters and what its ground
// truth says about the functions behind 504s.
func printGroundTruth(w io.Writer, st apigwtest.Stats, invs []apigwtest.Invocation) {
	var stopped, timedOutRunning int
	for _, inv := range invs {
		if !inv.Finished && !inv.FunctionTimedOut {
			stopped++
		}
		if inv.GatewayTimedOut && !inv.Finished && !inv.RanAfterTimeout {
			timedOutRunning++
		}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  requests\t%d\n", st.Requests)
	fmt.Fprintf(tw, "  answers\t%s\n", formatAnswers(st.Answers))
	fmt.Fprintf(tw, "  invocations\t%d (cold starts %d, peak in flight %d)\n", st.Invocations, st.ColdStarts, st.PeakInFlight)
	fmt.Fprintf(tw, "  completed\t%d\n", st.Completed)
	fmt.Fprintf(tw, "  gateway timeouts\t%d (functions that finished after the timeout answer: %d)\n", st.GatewayTimeouts, st.RanAfterTimeout)
	fmt.Fprintf(tw, "  function errors\t%d\n", st.FunctionErrors)
	fmt.Fprintf(tw, "  function timeouts\t%d\n", st.FunctionTimeouts)
	fmt.Fprintf(tw, "  throttled\tby API Gateway %d, by Lambda %d (the function did not run)\n", st.Throttled, st.LambdaThrottled)
	if stopped > 0 {
		fmt.Fprintf(tw, "  stopped at shutdown\t%d (%d of them behind a gateway timeout)\n", stopped, timedOutRunning)
	}
	tw.Flush()
}

func formatAnswers(m map[int]int64) string {
	if len(m) == 0 {
		return "none"
	}
	codes := make([]int, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%d: %d", c, m[c])
	}
	return strings.Join(parts, ", ")
}
