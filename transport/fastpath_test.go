package transport

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/retryscope/retryscope/policy"
)

// TestLandSuccessAsLand: a host whose first attempts are admitted through
// admitHealthy and land through landSuccess, as admitFirst and the
// sequential loop take them (admitGeneral and land when they decline),
// ends every step in the same state as a host whose attempts all go
// through admitGeneral and land:
// its wait (in-flight slots, usual latency, last success, the release's
// verdicts), its breaker (state, gobreaker's counts, the fast path's
// buckets), its send rate and its budget. Each host runs in a virtual-time
// bubble of its own, so that whatever admitFirst waits for happens at the
// same instants in both. Steps: "a" sends a first attempt and keeps it in
// flight, "P" a probe released by the queue, "e" an attempt whose send is
// still to come; "s", "S", "f", "x" and "g" end the oldest one with a
// success, a slow success (past the slow-call threshold), a failure, a
// throttle and API Gateway's 500 for a throttled Lambda; "1" and "9" let
// a second and 9 s pass.
func TestLandSuccessAsLand(t *testing.T) {
	failure := &OutcomeError{Status: 504, Outcome: policy.Outcome{Reach: policy.ReachBackendTimeout, Cause: policy.CauseIntegrationTimeout}}
	throttle := &OutcomeError{Status: 429, Outcome: policy.Outcome{Reach: policy.ReachGateway, Cause: policy.CauseThrottled}, Excluded: true}
	gateway := &OutcomeError{Status: 500, Outcome: policy.Outcome{Reach: policy.ReachGateway, Cause: policy.CauseGatewayError}, Excluded: true}
	tests := []struct {
		name string
		opts []Option
		seq  string
	}{
		{"successes", nil, strings.Repeat("as1", 30)},
		{"successes in flight", nil, strings.Repeat("aaaa", 5) + strings.Repeat("s", 20) + "1" + strings.Repeat("as", 10)},
		{"slow successes", nil, "asasaS" + "a1s" + "a9Sa9S" + "asas"},
		{"a failure, then successes", nil, "asasafasasas1asas" + "aaaffs" + strings.Repeat("as", 8)},
		{"the breaker opens, probes succeed", nil, strings.Repeat("af", 10) + "9" + "PsPsPs" + "1as"},
		{"throttles and the send rate", nil, "asaxaxax1asasas9asas" + "aaaxxs1as"},
		{"gateway throttles", nil, "asagasag1as"},
		{"a send still to come", nil, "asesas"},
		{"in flight through a stall", nil, "as" + strings.Repeat("a", 10) + "9" + strings.Repeat("s", 10) + "as"},
		{"fail fast", []Option{WithFailFast()}, "asasaaf1sas"},
		{"no send rate", []Option{WithoutSendRate()}, "asaxas1as"},
		{"no slow-call rule", []Option{WithSlowCallThreshold(-1)}, "asa9Sas"},
		{"no budget", []Option{WithoutBudget()}, "asafasesas"},
		{"no breaker", []Option{WithoutBreaker()}, "asafasaS" + strings.Repeat("a", 10) + "99" + strings.Repeat("s", 10) + "as"},
	}
	u, _ := url.Parse("https://api.example.com/orders")
	for _, tc := range tests {
		// run plays the steps on a host of its own and returns its state
		// after each, and how many admissions admitHealthy and landings
		// landSuccess took.
		run := func(viaLandSuccess bool) (states []string, admitted, taken int) {
			synctest.Test(t, func(t *testing.T) {
				tr := New(http.DefaultTransport, tc.opts...)
				c := &call{t: tr, ctx: context.Background(), host: tr.hosts.get(u), req: &http.Request{Method: http.MethodGet, URL: u}}
				var pending []landing
				for i, op := range tc.seq {
					now := time.Now()
					switch op {
					case 'a':
						c.start = now
						l, ok := landing{}, false
						if viaLandSuccess {
							ok = c.host.wait.admitHealthy(now, &l)
						}
						var err error
						if ok {
							admitted++
						} else {
							l, err = c.admitGeneral(now)
						}
						if err != nil {
							t.Fatalf("%s, step %d: refused: %v", tc.name, i, err)
						}
						pending = append(pending, l)
					case 'P':
						pending = append(pending, c.host.wait.observed(noopDone, true, now, 0))
					case 'e':
						pending = append(pending, c.host.wait.observed(noopDone, false, now.Add(time.Second), 0.5))
					case 's', 'S', 'f', 'x', 'g':
						if op == 'S' {
							time.Sleep(3 * time.Second)
							now = time.Now()
						}
						v := map[rune]error{'f': failure, 'x': throttle, 'g': gateway}[op]
						if len(pending) == 0 {
							t.Fatalf("%s, step %d: nothing in flight", tc.name, i)
						}
						l := &pending[0]
						pending = pending[1:]
						c.host.noteEnd(now)
						switch {
						case viaLandSuccess && v == nil && l.landSuccess(now):
							taken++
						default:
							l.land(c, v, now)
						}
					case '1':
						time.Sleep(time.Second)
					case '9':
						time.Sleep(9 * time.Second)
					}
					// The host's pacer may act at this very instant (a tick
					// that falls on the end of a sleep): the snapshot is
					// taken once it has, in both runs alike.
					synctest.Wait()
					states = append(states, snapshotHost(c.host))
				}
				time.Sleep(time.Minute) // a pacer that released a waiter sees its queue empty and ends
			})
			return states, admitted, taken
		}
		got, admitted, taken := run(true)
		want, _, _ := run(false)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s, step %d (%c):\n landSuccess %s\n land        %s", tc.name, i, tc.seq[i], got[i], want[i])
			}
		}
		if taken == 0 {
			t.Errorf("%s: landSuccess landed nothing", tc.name)
		}
		if admitted == 0 {
			t.Errorf("%s: admitHealthy admitted nothing", tc.name)
		}
	}
}

// snapshotHost prints what a host's decisions depend on.
func snapshotHost(h *hostState) string {
	w := h.wait
	w.mu.Lock()
	s := fmt.Sprintf("wait{inflight %v free %v n %d usual %v lastOK %v stallSeen %v verdicts %+v queue %d recovered %v burst %d}",
		w.inflight, w.free, w.nInflight, w.usual, w.lastOK, w.stallSeen, w.verdicts, len(w.queue), w.recovered, w.burst)
	w.mu.Unlock()
	if h.breaker != nil {
		s += fmt.Sprintf(" breaker{%v %+v}", h.breaker.State(), h.breaker.Counts())
	}
	if f := h.fast; f != nil {
		f.mu.Lock()
		s += fmt.Sprintf(" fast{%v inflight %d healthy %v closed %v}", slices.Clone(f.buckets), f.inflight.Load(), f.healthy.Load(), f.closed.Load())
		f.mu.Unlock()
	}
	if w.rate != nil {
		s += fmt.Sprintf(" rate%+v", w.rate)
	}
	if h.budget != nil {
		s += fmt.Sprintf(" budget%+v", h.budget)
	}
	return s
}
