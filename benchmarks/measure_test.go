package benchmarks

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	vals := []float64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}
	for _, tc := range []struct {
		p    float64
		want float64
	}{
		{50, 50}, {95, 100}, {99, 100}, {10, 10}, {11, 20}, {100, 100}, {0.1, 10},
	} {
		if got := Percentile(vals, tc.p); got != tc.want {
			t.Errorf("Percentile(1..10 x10, %v) = %v, want %v", tc.p, got, tc.want)
		}
	}
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("Percentile(nil) = %v, want 0", got)
	}
	// 1000 values 1..1000: p99 is the 990th.
	var many []float64
	for i := 1; i <= 1000; i++ {
		many = append(many, float64(i))
	}
	if got := Percentile(many, 99); got != 990 {
		t.Errorf("p99 of 1..1000 = %v, want 990", got)
	}
}

func TestLatenciesSkipDropped(t *testing.T) {
	t.Parallel()
	recs := []Record{
		{Latency: 300 * time.Millisecond},
		{Latency: 100 * time.Millisecond},
		{Dropped: true},
		{Latency: 2 * time.Second},
	}
	got := Latencies(recs)
	want := []float64{100, 300, 2000}
	if len(got) != len(want) {
		t.Fatalf("Latencies = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Latencies = %v, want %v", got, want)
		}
	}
}

func TestDuplicates(t *testing.T) {
	t.Parallel()
	execs := []int{1, 2, 0, 3, 1, 1}
	if got := Duplicates(false, execs); got != 2 {
		t.Errorf("Duplicates(POST) = %d, want 2", got)
	}
	if got := Duplicates(true, execs); got != 0 {
		t.Errorf("Duplicates(GET) = %d, want 0: repeating an idempotent request is no duplicate", got)
	}
}

// series builds records issued every 250 ms over [0, end) whose success is
// decided by ok(issued).
func series(end time.Duration, ok func(time.Duration) bool) []Record {
	var recs []Record
	for t := time.Duration(0); t < end; t += 250 * time.Millisecond {
		recs = append(recs, Record{Issued: t, OK: ok(t), Attempts: 1})
	}
	return recs
}

func TestRecovery(t *testing.T) {
	t.Parallel()
	sec := time.Second
	for _, tc := range []struct {
		name    string
		ok      func(time.Duration) bool
		want    time.Duration
		wantRec bool
	}{
		{"instant", func(t time.Duration) bool { return t < 10*sec || t >= 20*sec }, 0, true},
		{"after 7 s", func(t time.Duration) bool { return t < 10*sec || t >= 27*sec }, 7 * sec, true},
		{"never", func(t time.Duration) bool { return t < 10*sec }, 0, false},
		{"relapse counts", func(t time.Duration) bool {
			return t < 10*sec || (t >= 21*sec && t < 30*sec) || t >= 33*sec
		}, 13 * sec, true},
		// One failure in 20 requests is 95%: recovered.
		{"95% is enough", func(t time.Duration) bool { return t < 10*sec || t >= 20*sec || t != 40*sec }, 0, true},
	} {
		recs := series(60*sec, tc.ok)
		got, rec := Recovery(recs, 20*sec, 60*sec, sec, 5*sec, 0.95)
		if got != tc.want || rec != tc.wantRec {
			t.Errorf("%s: Recovery = %v, %v; want %v, %v", tc.name, got, rec, tc.want, tc.wantRec)
		}
	}
}

func TestWindowAttempts(t *testing.T) {
	t.Parallel()
	recs := []Record{
		{Issued: 1 * time.Second, Attempts: 5},
		{Issued: 10 * time.Second, Attempts: 1},
		{Issued: 11 * time.Second, Attempts: 0}, // refused by a breaker
		{Issued: 12 * time.Second, Attempts: 2},
		{Issued: 13 * time.Second, Dropped: true},
		{Issued: 20 * time.Second, Attempts: 5}, // To is exclusive
	}
	got, n := WindowAttempts(recs, Window{From: 10 * time.Second, To: 20 * time.Second})
	if n != 3 || got != 1 {
		t.Errorf("WindowAttempts = %v over %d, want 1 over 3", got, n)
	}
	if _, n := WindowAttempts(recs, Window{From: 30 * time.Second, To: 40 * time.Second}); n != 0 {
		t.Errorf("empty window counted %d requests", n)
	}
}

func TestCountAndSuccessSeries(t *testing.T) {
	t.Parallel()
	at := []time.Duration{0, 500 * time.Millisecond, 1500 * time.Millisecond, 3 * time.Second, -time.Second, 10 * time.Second}
	got := CountSeries(at, time.Second, 3*time.Second)
	want := []int{2, 1, 0, 1}
	if len(got) != len(want) {
		t.Fatalf("CountSeries = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("CountSeries = %v, want %v", got, want)
		}
	}
	recs := []Record{{Issued: 0, OK: true}, {Issued: 500 * time.Millisecond}, {Issued: 2 * time.Second, OK: true}}
	s := SuccessSeries(recs, time.Second, time.Second, 3*time.Second)
	if s[0] != 0.5 || s[1] != -1 || s[2] != 1 || s[3] != -1 {
		t.Errorf("SuccessSeries = %v, want [0.5 -1 1 -1]", s)
	}
}

func TestMeasure(t *testing.T) {
	t.Parallel()
	sc := Scenario{Name: "x", Method: "POST", Duration: 10 * time.Second, Window: Window{From: 2 * time.Second, To: 4 * time.Second}}
	recs := []Record{
		{Issued: 1 * time.Second, OK: true, Attempts: 1, Latency: 100 * time.Millisecond, Outcome: "200"},
		{Issued: 2 * time.Second, OK: true, Attempts: 3, Latency: 60 * time.Second, Outcome: "200"},
		{Issued: 3 * time.Second, Attempts: 2, Latency: 30 * time.Second, Outcome: "504"},
		{Issued: 5 * time.Second, Dropped: true, Outcome: "dropped"},
	}
	execs := []int{1, 3, 1, 0}
	r := measure(&sc, recs, execs, []time.Duration{time.Second, 2 * time.Second})
	if r.Requests != 4 || r.Succeeded != 2 || r.SuccessRate != 0.5 || r.Dropped != 1 {
		t.Errorf("counts: %+v", r)
	}
	if r.Attempts != 6 || r.Amplification != 2 {
		t.Errorf("attempts %d amplification %v, want 6 and 2 (dropped requests excluded)", r.Attempts, r.Amplification)
	}
	if r.Executions != 5 || r.Duplicates != 1 {
		t.Errorf("executions %d duplicates %d, want 5 and 1", r.Executions, r.Duplicates)
	}
	if r.P50 != 30000 || r.Max != 60000 {
		t.Errorf("p50 %v max %v, want 30000 and 60000", r.P50, r.Max)
	}
	if r.WindowAttempts != 2.5 || r.WindowRequests != 2 {
		t.Errorf("window attempts %v over %d, want 2.5 over 2", r.WindowAttempts, r.WindowRequests)
	}
	if r.Outcomes["200"] != 2 || r.Outcomes["dropped"] != 1 {
		t.Errorf("outcomes %v", r.Outcomes)
	}
}
