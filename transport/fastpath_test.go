package transport

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/retryscope/retryscope/policy"
)

// TestHealthyPathDecidesAsGeneralPath: a host whose first attempts go
// through admitHealthy and landHealthy (admitFirst and the sequential
// loop's landing) ends every step in the same state as a host whose
// attempts all take the general path (waitForHost, observed, land): its
// wait (in-flight slots, usual latency, last success, verdicts), its
// breaker (state, gobreaker's counts, the fast path's buckets) and its send
// rate. Steps: "a" sends an attempt and keeps it in flight; "s", "S", "f",
// "x" and "p" end the oldest one with a success, a slow success (past the
// slow-call threshold), a failure, a throttle and a 500 of the gateway;
// "1" and "9" let a second and 9 s pass; "q" makes a request wait in the
// queue and "Q" takes it out; "q" and "k" check that a host with a queue,
// or stalled, is refused on the healthy path without a change.
func TestHealthyPathDecidesAsGeneralPath(t *testing.T) {
	failure := &OutcomeError{Status: 504, Outcome: policy.Outcome{Reach: policy.ReachBackendTimeout, Cause: policy.CauseIntegrationTimeout}}
	throttle := &OutcomeError{Status: 429, Outcome: policy.Outcome{Reach: policy.ReachGateway, Cause: policy.CauseThrottled}, Excluded: true}
	tests := []struct {
		name string
		opts []Option
		seq  string
	}{
		{"successes", nil, strings.Repeat("as1", 30)},
		{"successes in flight", nil, strings.Repeat("aaaa", 5) + strings.Repeat("s", 20) + "1" + strings.Repeat("as", 10)},
		{"slow successes", nil, "asasaS" + "a1s" + "a9Sa9S" + "asas"},
		{"a failure, then successes", nil, "asasafasasas1asas" + "aaaffs" + strings.Repeat("as", 8)},
		{"throttles and the send rate", nil, "asaxaxax1asasas9asas" + "aaaxxs1as"},
		{"gateway throttles", nil, "asapasap1as"},
		{"a waiting request", nil, "asqQas"},
		{"a stall", nil, "as" + strings.Repeat("a", 10) + "9k" + strings.Repeat("s", 10) + "as"},
		{"fail fast", []Option{WithFailFast()}, "asasaaf1sas"},
		{"no send rate", []Option{WithoutSendRate()}, "asaxas1as"},
		{"no slow-call rule", []Option{WithSlowCallThreshold(-1)}, "asa9Sas"},
		{"no budget", []Option{WithoutBudget()}, "asafas"},
		{"no breaker", []Option{WithoutBreaker()}, "asafasaS" + strings.Repeat("a", 10) + "99k" + strings.Repeat("s", 10) + "as"},
	}
	u, _ := url.Parse("https://api.example.com/orders")
	for _, tc := range tests {
		synctest.Test(t, func(t *testing.T) {
			type side struct {
				c       *call
				pending []landing
			}
			var fast, general side
			for _, s := range []*side{&fast, &general} {
				tr := New(http.DefaultTransport, tc.opts...)
				h := tr.hosts.get(u)
				s.c = &call{t: tr, ctx: context.Background(), host: h, req: &http.Request{Method: http.MethodGet, URL: u}}
			}
			healthy := 0
			for i, op := range tc.seq {
				now := time.Now()
				fw, gw := fast.c.host.wait, general.c.host.wait
				switch op {
				case 'a':
					fast.c.start, general.c.start = now, now
					fl, ferr := fast.c.admitFirst()
					done, probe, _, gerr := general.c.waitForHost(now, now)
					if (ferr == nil) != (gerr == nil) {
						t.Fatalf("%s, step %d: admitted %v, the general path %v", tc.name, i, ferr, gerr)
					}
					if ferr != nil {
						t.Fatalf("%s, step %d: refused: %v", tc.name, i, ferr)
					}
					if fl.fast {
						healthy++
					}
					fast.pending = append(fast.pending, fl)
					general.pending = append(general.pending, general.c.host.wait.observed(done, probe, now, 0))
				case 's', 'S', 'f', 'x', 'p':
					if op == 'S' {
						time.Sleep(3 * time.Second)
						now = time.Now()
					}
					var v error
					switch op {
					case 'f':
						v = failure
					case 'x':
						v = throttle
					case 'p':
						v = &OutcomeError{Status: 500, Outcome: policy.Outcome{Reach: policy.ReachGateway, Cause: policy.CauseGatewayError}, Excluded: true}
					}
					for _, s := range []*side{&fast, &general} {
						s.c.host.noteEnd(now)
					}
					if len(fast.pending) == 0 {
						t.Fatalf("%s, step %d: nothing in flight", tc.name, i)
					}
					if l := fast.pending[0]; v != nil || !l.landHealthy(now) {
						l.land(fast.c, v, now)
					}
					general.pending[0].land(general.c, v, now)
					fast.pending, general.pending = fast.pending[1:], general.pending[1:]
				case '1':
					time.Sleep(time.Second)
				case '9':
					time.Sleep(9 * time.Second)
				case 'q', 'Q':
					for _, w := range []*hostWait{fw, gw} {
						w.mu.Lock()
						if op == 'q' {
							w.queue = append(w.queue, &waiter{grant: make(chan waitGrant, 1), limit: now.Add(time.Hour)})
						} else {
							w.queue = w.queue[:0]
						}
						w.mu.Unlock()
					}
					if op == 'Q' {
						break
					}
					fallthrough
				case 'k':
					if queued, stalled := gw.holds(now); !queued && !stalled {
						t.Fatalf("%s, step %d: nobody waits and the host has not stalled: %+v", tc.name, i, snapshotHost(general.c.host))
					}
					before := snapshotHost(fast.c.host)
					if fw.admitHealthy(now, new(landing)) {
						t.Fatalf("%s, step %d: a stalled host admitted an attempt on the healthy path", tc.name, i)
					}
					if after := snapshotHost(fast.c.host); !reflect.DeepEqual(before, after) {
						t.Fatalf("%s, step %d: a refusal changed the host\n before %+v\n after  %+v", tc.name, i, before, after)
					}
				}
				if got, want := snapshotHost(fast.c.host), snapshotHost(general.c.host); !reflect.DeepEqual(got, want) {
					t.Fatalf("%s, step %d (%c):\n healthy path %+v\n general path %+v", tc.name, i, op, got, want)
				}
			}
			if healthy == 0 {
				t.Errorf("%s: no attempt took the healthy path", tc.name)
			}
		})
	}
}

// hostSnapshot is what a host's decisions depend on.
type hostSnapshot struct {
	Inflight            []time.Time
	Free                []uint64
	NInflight           int
	Usual               time.Duration
	LastOK              time.Time
	Verdicts            []verdictEvent
	Queue               int
	Recovered           bool
	Burst               int
	State               string
	Counts              [5]uint32
	Buckets             []fastBucket
	FastInflight        uint32
	FastHealthy, Closed bool
	Rate                float64
	Engaged             bool
}

func snapshotHost(h *hostState) hostSnapshot {
	w := h.wait
	w.mu.Lock()
	s := hostSnapshot{Inflight: slices.Clone(w.inflight), Free: slices.Clone(w.free), NInflight: w.nInflight,
		Usual: w.usual, LastOK: w.lastOK, Verdicts: slices.Clone(w.verdicts), Queue: len(w.queue),
		Recovered: w.recovered, Burst: w.burst}
	w.mu.Unlock()
	if h.breaker != nil {
		c := h.breaker.Counts()
		s.State = h.breaker.State().String()
		s.Counts = [5]uint32{c.Requests, c.TotalSuccesses, c.TotalFailures, c.ConsecutiveFailures, c.TotalExclusions}
	}
	if f := h.fast; f != nil {
		f.mu.Lock()
		s.Buckets = slices.Clone(f.buckets)
		s.FastInflight = f.inflight.Load()
		f.mu.Unlock()
		s.FastHealthy, s.Closed = f.healthy.Load(), f.closed.Load()
	}
	if w.rate != nil {
		s.Rate, s.Engaged = w.rate.Rate()
	}
	return s
}
