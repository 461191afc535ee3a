package benchmarks_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/retryscope/retryscope/benchmarks"
)

// myRetryablehttp is a user's own go-retryablehttp configuration: two
// retries, 500 ms to 5 s.
func myRetryablehttp(base http.RoundTripper) *http.Client {
	c := retryablehttp.NewClient()
	c.HTTPClient = &http.Client{Transport: base}
	c.RetryMax = 2
	c.RetryWaitMin, c.RetryWaitMax = 500*time.Millisecond, 5*time.Second
	c.Logger = nil
	return c.StandardClient()
}

// Benchmark your own client against the built-in scenarios and peers, in
// virtual time: the same seeds give the same table. (In a test, pass the
// test's *testing.T with benchmarks.WithTesting(ctx, t).)
func Example_bringYourOwnPolicy() {
	mine := benchmarks.ClientPolicy("my-retryablehttp", "go-retryablehttp, 2 retries, 500 ms to 5 s", myRetryablehttp)
	policies := append(benchmarks.Peers(), mine)
	var scenarios []benchmarks.Scenario
	for _, name := range []string{"throttle", "outage"} {
		sc, _ := benchmarks.ScenarioByName(name)
		scenarios = append(scenarios, sc)
	}
	jobs := benchmarks.Plan(scenarios, policies, true)
	jobs = benchmarks.Expand(jobs, []time.Duration{0, 10 * time.Second}, []int64{1, 2, 3})
	results, err := benchmarks.RunVirtual(context.Background(), jobs, benchmarks.Config{}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = benchmarks.WriteTable(os.Stdout, results)
	_ = benchmarks.WriteTargets(os.Stdout, results)
}

// The example's API, run: the user's policy takes part in every job, its
// attempts are counted through base, and its results repeat.
func TestBringYourOwnPolicy(t *testing.T) {
	t.Parallel()
	mine := benchmarks.ClientPolicy("my-retryablehttp", "go-retryablehttp, 2 retries", myRetryablehttp)
	wrapped := benchmarks.TransportPolicy("my-plain", "no retries", func(base http.RoundTripper) http.RoundTripper { return base })
	sc, _ := benchmarks.ScenarioByName("outage")
	peers := benchmarks.Peers()
	jobs := benchmarks.Plan([]benchmarks.Scenario{sc}, append(peers, mine, wrapped), true)
	if len(jobs) != len(peers)+2 {
		t.Fatalf("%d jobs, want the %d built-in peers and 2 of ours", len(jobs), len(peers))
	}
	ctx := benchmarks.WithTesting(context.Background(), t)
	res, err := benchmarks.RunVirtual(ctx, jobs, benchmarks.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]benchmarks.Result{}
	for _, r := range res {
		byName[r.Policy] = r
	}
	m, plain, none := byName["my-retryablehttp"], byName["my-plain"], byName["none"]
	// Two retries of every 504: at most three attempts per request in the
	// outage, fewer only for the requests whose retries outlived it.
	if m.WindowAttempts < 2.5 || m.WindowAttempts > 3 {
		t.Errorf("my-retryablehttp: %.2f attempts per request in the outage, want 2.5 to 3", m.WindowAttempts)
	}
	if plain.Attempts != none.Attempts || plain.Succeeded != none.Succeeded {
		t.Errorf("a transport that adds nothing: %d attempts, %d succeeded; no retries: %d, %d",
			plain.Attempts, plain.Succeeded, none.Attempts, none.Succeeded)
	}
	mineJob := slices.IndexFunc(jobs, func(j benchmarks.Job) bool { return j.Policy.Name == "my-retryablehttp" })
	again, err := benchmarks.RunVirtual(ctx, jobs[mineJob:mineJob+1], benchmarks.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a := again[0]; a.Attempts != m.Attempts || a.Succeeded != m.Succeeded || a.P99 != m.P99 {
		t.Errorf("a second run differs: %d attempts, %d succeeded, p99 %v; first %d, %d, %v",
			a.Attempts, a.Succeeded, a.P99, m.Attempts, m.Succeeded, m.P99)
	}
}
