package benchmarks

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Measurement constants (emulated time).
const (
	// Bucket is the width of a time-series bucket: one emulated second.
	Bucket = time.Second
	// RecoveryWindow is the sliding window over which the success rate is
	// judged after a fault: 5 emulated seconds of logical requests, by the
	// time they were issued.
	RecoveryWindow = 5 * time.Second
	// RecoveredRate is the success rate that counts as recovered: 95%.
	RecoveredRate = 0.95
)

// Record is what the load generator knows about one logical request.
type Record struct {
	// Issued is when it was issued (emulated, from the run's start).
	Issued time.Duration
	// Latency is how long it took, body read included (emulated).
	Latency time.Duration
	// OK is true when it ended in a 2xx answer.
	OK bool
	// Dropped is true when no worker was free to send it (it counts as
	// failed and sent nothing).
	Dropped bool
	// Attempts is how many attempts reached the network for it.
	Attempts int
	// Outcome is its final status ("200", "504") or error class.
	Outcome string
}

// Percentile returns the p-th percentile (0 < p <= 100) of sorted values by
// the nearest-rank method: the smallest value with at least p% of the
// values at or below it. It returns 0 for no values.
func Percentile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	return sorted[percentileRank(n, p)-1]
}

// percentileRank is the nearest rank of the p-th percentile of n > 0
// values, 1 to n: the ceil(p/100 n)-th smallest.
func percentileRank(n int, p float64) int {
	return min(max(int(math.Ceil(p/100*float64(n))), 1), n)
}

// Latencies returns the latencies, in emulated milliseconds, of the
// records that were sent (not dropped), sorted.
func Latencies(recs []Record) []float64 {
	return latencies(recs, false)
}

// successLatencies is Latencies of the successful records alone.
func successLatencies(recs []Record) []float64 {
	return latencies(recs, true)
}

// SlowestOKMin is the fewest slowest successes a Result keeps
// (Result.SlowestOK).
const SlowestOKMin = 10

// slowestOK returns the latencies (emulated ms, fastest first) and
// attempts of the 2% slowest successful records, at least SlowestOKMin of
// them; nil for none.
func slowestOK(recs []Record) ([]float64, []int) {
	var ok []Record
	for _, r := range recs {
		if r.OK && !r.Dropped {
			ok = append(ok, r)
		}
	}
	slices.SortStableFunc(ok, func(a, b Record) int { return cmp.Compare(a.Latency, b.Latency) })
	k := min(len(ok), max(SlowestOKMin, len(ok)/50))
	if k == 0 {
		return nil, nil
	}
	lat, att := make([]float64, k), make([]int, k)
	for i, r := range ok[len(ok)-k:] {
		lat[i], att[i] = float64(r.Latency)/float64(time.Millisecond), r.Attempts
	}
	return lat, att
}

func latencies(recs []Record, okOnly bool) []float64 {
	out := make([]float64, 0, len(recs))
	for _, r := range recs {
		if !r.Dropped && (r.OK || !okOnly) {
			out = append(out, float64(r.Latency)/float64(time.Millisecond))
		}
	}
	slices.Sort(out)
	return out
}

// Duplicates counts the logical requests that executed more than once; 0
// when the method is idempotent (running a GET twice is no duplicate).
func Duplicates(idempotent bool, executions []int) int {
	if idempotent {
		return 0
	}
	n := 0
	for _, e := range executions {
		if e > 1 {
			n++
		}
	}
	return n
}

// CountSeries counts events per bucket from 0 to end.
func CountSeries(at []time.Duration, bucket, end time.Duration) []int {
	out := make([]int, int(end/bucket)+1)
	for _, t := range at {
		if t < 0 {
			continue
		}
		if i := int(t / bucket); i < len(out) {
			out[i]++
		}
	}
	return out
}

// windowRate returns the success rate of the records issued in [from, to)
// and how many there were.
func windowRate(recs []Record, from, to time.Duration) (float64, int) {
	n, ok := 0, 0
	for _, r := range recs {
		if r.Issued >= from && r.Issued < to {
			n++
			if r.OK {
				ok++
			}
		}
	}
	if n == 0 {
		return 1, 0
	}
	return float64(ok) / float64(n), n
}

// SuccessSeries returns, per bucket from 0 to end, the success rate of the
// logical requests issued in the window of the given width that starts at
// the bucket, or -1 when none was issued in it.
func SuccessSeries(recs []Record, bucket, width, end time.Duration) []float64 {
	out := make([]float64, int(end/bucket)+1)
	for i := range out {
		from := time.Duration(i) * bucket
		r, n := windowRate(recs, from, from+width)
		if n == 0 {
			r = -1
		}
		out[i] = r
	}
	return out
}

// Recovery returns how long after faultEnd the success rate of the logical
// requests issued in every window [t, t+width) (t stepping by bucket, up to
// loadEnd) stays at or above threshold from then on; ok is false when it
// never does before the load ends. Windows with no requests are skipped.
func Recovery(recs []Record, faultEnd, loadEnd, bucket, width time.Duration, threshold float64) (time.Duration, bool) {
	last := time.Duration(-1) // start of the last window below threshold
	for t := faultEnd; t+width <= loadEnd; t += bucket {
		if r, n := windowRate(recs, t, t+width); n > 0 && r < threshold {
			last = t
		}
	}
	if last < 0 {
		return 0, true
	}
	rec := last + bucket
	if rec+width > loadEnd {
		return 0, false
	}
	return rec - faultEnd, true
}

// WindowAttempts returns the attempts per logical request issued in w and
// how many were issued (dropped ones excluded).
func WindowAttempts(recs []Record, w Window) (float64, int) {
	n, a := 0, 0
	for _, r := range recs {
		if !r.Dropped && w.Contains(r.Issued) {
			n++
			a += r.Attempts
		}
	}
	if n == 0 {
		return 0, 0
	}
	return float64(a) / float64(n), n
}

// PeakInFlight returns the most logical requests in flight at once (sent,
// not yet ended) among recs.
func PeakInFlight(recs []Record) int {
	type edge struct {
		at time.Duration
		d  int
	}
	edges := make([]edge, 0, 2*len(recs))
	for _, r := range recs {
		if !r.Dropped {
			edges = append(edges, edge{r.Issued, 1}, edge{r.Issued + r.Latency, -1})
		}
	}
	// Ends before starts at the same instant.
	slices.SortFunc(edges, func(a, b edge) int {
		if a.at != b.at {
			return cmp.Compare(a.at, b.at)
		}
		return cmp.Compare(a.d, b.d)
	})
	n, peak := 0, 0
	for _, e := range edges {
		n += e.d
		peak = max(peak, n)
	}
	return peak
}
