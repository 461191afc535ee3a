// Package benchmarks compares retry policies on the same emulated faults:
// the same API Gateway + Lambda (apigwtest), the same offered load, every
// policy side by side, ours and the libraries people use instead.
//
// A run is one Scenario with one Policy, one callers' deadline and one
// seed (a Job):
//
//	load generator (open loop: Poisson arrivals at the scenario's offered
//	rate, a bounded pool of workers; each logical request carries its own
//	X-Bench-Request id and the caller's deadline)
//	  -> the policy's client (its own library, configured with its defaults;
//	     one client per member in the fleet scenario)
//	  -> a counting transport (one attempt per RoundTrip it sees)
//	  -> apigwtest.Server (faults, schedule, throttles, concurrency)
//	  -> the function (Function: counts side-effecting executions per
//	     logical request, dedupes by Idempotency-Key like Powertools)
//
// After the load ends the run waits for the logical requests and then for
// the functions still running after a 504 (apigwtest's Wait), and computes
// a Result from the client's records and the emulator's ground truth:
// success, attempts, amplification, executions, duplicate executions,
// latency percentiles, callers in flight, backend load over time, time to
// recover after the fault window, attempts per logical request during the
// fault window.
//
// Time: every scenario is written in emulated time (AWS's own numbers: a
// 29 s integration timeout, a 10 s breaker). RunVirtual, the default
// engine, runs each job in a testing/synctest bubble over in-memory
// connections, where the clock moves only when every goroutine waits: the
// emulated times are the run's own times, the runs take little wall time,
// and the same jobs give the same results byte for byte (one known
// exception: retryscope-hedge's p99 in one overload job can move by tens
// of milliseconds, see README.md). Run, the
// -realtime engine, runs them in real time over loopback at a time scale
// (real time = emulated time x scale), every policy's durations scaled by
// the same factor (Env.Scaled); its numbers move with the machine's load.
// All times in a Result are emulated, so they read like production numbers.
//
// Adding a scenario is one function returning a Scenario, listed in
// Scenarios; adding a peer is one Policy whose New builds its client from
// an Env (the base round tripper to send through, the time scale, a seeded
// random source), listed in Policies. ClientPolicy and TransportPolicy make
// a user's own http.Client or RoundTripper a Policy.
//
// Aggregate groups results into cells (scenario, policy, deadline) with
// the mean and the spread over the seeds; Evaluate checks retryscope's
// targets per deadline; WriteTable, WriteTargets and WriteReport write the
// terminal table and the Markdown report with its plots.
package benchmarks
