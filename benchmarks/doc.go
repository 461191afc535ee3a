// Package benchmarks compares retry policies on the same emulated faults:
// the same API Gateway + Lambda (apigwtest), the same offered load, every
// policy side by side, ours and the libraries people use instead.
//
// A run is one Scenario with one Policy (DESIGN.md: the benchmarks box):
//
//	load generator (open loop: Poisson arrivals at the scenario's offered
//	rate, a bounded pool of workers; each logical request carries its own
//	X-Bench-Request id)
//	  -> the policy's client (its own library, configured with its defaults)
//	  -> a counting transport (one attempt per RoundTrip it sees)
//	  -> apigwtest.Server (faults, schedule, throttles, concurrency, time scale)
//	  -> the function (Function: counts side-effecting executions per
//	     logical request, dedupes by Idempotency-Key like Powertools)
//
// After the load ends the run waits for the logical requests and then for
// the functions still running after a 504 (apigwtest's Wait), and computes
// a Result from the client's records and the emulator's ground truth:
// success, attempts, amplification, executions, duplicate executions,
// latency percentiles, backend load over time, time to recover after the
// fault window, attempts per logical request during the fault window.
//
// Time: every scenario is written in emulated time (AWS's own numbers: a
// 29 s integration timeout, a 10 s breaker) and run at a time scale (real
// time = emulated time x scale) through apigwtest.WithTimeScale. Every
// policy's durations are scaled by the same factor: backoff bases and caps,
// breaker open time, interval and buckets, the budget's per-second floor,
// hedge delays. Counts (attempts, tokens, thresholds) are not scaled. All
// times in a Result are emulated, so they read like production numbers.
//
// Run drives many runs; Report writes the Markdown report with its plots;
// Evaluate checks the targets of issue 6.
package benchmarks
