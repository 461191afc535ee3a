package benchmarks

// Result is what one run of a scenario with a policy measured. Times are
// emulated (real time divided by the time scale), in milliseconds. The JSON
// keys scenario, policy, deadline, seed, requests, succeeded, attempts, executions,
// duplicates, p50_ms, p99_ms and recovery_ms are fixed; the others may grow.
type Result struct {
	// Scenario and Policy name the run.
	Scenario string `json:"scenario"`
	Policy   string `json:"policy"`
	// Deadline is the callers' deadline: "none" or a Go duration ("60s").
	Deadline string `json:"deadline"`
	// Seed is the run's seed.
	Seed int64 `json:"seed"`
	// Requests is the number of logical requests offered; Succeeded those
	// that ended in a 2xx; SuccessRate their share.
	Requests    int     `json:"requests"`
	Succeeded   int     `json:"succeeded"`
	SuccessRate float64 `json:"success_rate"`
	// Dropped counts logical requests the load generator could not send
	// because every worker was busy (they count as failed).
	Dropped int `json:"dropped"`
	// Attempts counts every attempt that reached the network, hedges
	// included; Amplification is attempts per logical request sent.
	Attempts      int     `json:"attempts"`
	Amplification float64 `json:"amplification"`
	// AttemptsStdDev is the standard deviation of attempts per logical
	// request (for the noise of Amplification).
	AttemptsStdDev float64 `json:"attempts_stddev"`
	// Invocations is the emulator's ground truth: Lambda invocations
	// accepted (the function ran or started).
	Invocations int `json:"invocations"`
	// Executions counts the function's side-effecting runs, functions that
	// ran on after a 504 included; Duplicates the logical requests with a
	// non-idempotent method that executed more than once.
	Executions int `json:"executions"`
	Duplicates int `json:"duplicates"`
	// PeakInFlight is the most logical requests in flight at once (callers
	// waiting), warm-up and cooldown included.
	PeakInFlight int `json:"peak_in_flight"`
	// Latency percentiles of logical requests (sent ones, failed included).
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
	// P99OK is the p99 latency of the successful logical requests alone
	// (0 when none succeeded): what a caller who got an answer waited.
	P99OK float64 `json:"p99_ok_ms"`
	// SlowestOK are the latencies of the slowest successful logical
	// requests, fastest first: the 2% slowest, at least SlowestOKMin of
	// them (all when fewer succeeded). They tell how many requests a p99
	// of successes rests on (see Evaluate).
	SlowestOK []float64 `json:"slowest_ok_ms,omitempty"`
	// SlowestOKAttempts are the attempts of the requests of SlowestOK, in
	// its order.
	SlowestOKAttempts []int `json:"slowest_ok_attempts,omitempty"`
	// RecoveryMS is the time from the end of the fault window until the
	// success rate over every later 5 s window of issued requests stays at
	// or above 95%; 0 when the scenario has no fault window, -1 when it did
	// not recover before the load ended (Recovered false).
	RecoveryMS float64 `json:"recovery_ms"`
	Recovered  bool    `json:"recovered"`
	// WindowAttempts is attempts per logical request issued during the
	// fault window, over WindowRequests such requests (0 without a window).
	WindowAttempts float64 `json:"window_attempts_per_request"`
	WindowRequests int     `json:"window_requests"`
	// FleetBudgetUse is, for a policy that shares a fleet-wide budget
	// (retryscope-fleet), the most the fleet's retries used of that budget
	// in any window of the store's (10 s, by whole seconds): retries over
	// 0.2 × first attempts + 10. Above 1 the members together overshot
	// it. Absent without a shared budget.
	FleetBudgetUse float64 `json:"fleet_budget_use,omitempty"`
	// Outcomes counts the logical requests' final answers by status
	// ("200", "504") or error ("circuit_open", "throttled_locally", "deadline", "error", "dropped").
	Outcomes map[string]int `json:"outcomes"`
	// Load is the backend load over time: invocations started per emulated
	// second, from the ground truth.
	Load []int `json:"load_per_s"`
	// Success is the success rate of the logical requests issued in the 5 s
	// window starting at each emulated second; -1 when none was issued.
	Success []float64 `json:"success_per_s"`
	// Scale is the run's time scale (1 in virtual time) and WallMS how
	// long a real-time run took (absent in virtual time, where it would
	// change from one run to the next).
	Scale  float64 `json:"time_scale"`
	WallMS float64 `json:"wall_ms,omitempty"`
	// WindowFromMS and WindowToMS are the fault window (emulated), 0 when
	// none.
	WindowFromMS float64 `json:"window_from_ms"`
	WindowToMS   float64 `json:"window_to_ms"`
}
