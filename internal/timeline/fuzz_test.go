package timeline

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// FuzzBuildWrite draws pages from arbitrary attempts: times out of order,
// zero or negative durations, odd statuses and verdicts, markup in every
// text. Building and writing must not fail or panic, every coordinate must
// be a finite number, and no text may turn into markup.
func FuzzBuildWrite(f *testing.F) {
	f.Add(int64(0), int64(29e9), int64(35e9), int64(1e8), 504, "ran", "backend_timeout", "lambda.log:3 <b>x</b>", true, uint8(2))
	f.Add(int64(5e9), int64(-1), int64(0), int64(0), 0, "", "not_sent", "", false, uint8(1))
	f.Add(int64(-9e18), int64(9e18), int64(1), int64(-5), 200, "maybe", "<script>", "\"><svg onload=x>", true, uint8(3))
	f.Fuzz(func(t *testing.T, sent, answered, fnEnd, wait int64, status int, verdict, reach, reason string, timedOut bool, n uint8) {
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		var req Request
		for k := range int(n%4) + 1 {
			a := Attempt{Number: k + 1, RequestID: reason, Status: status, Reach: reach, Verdict: verdict, Reason: reason, Evidence: reason,
				Sent: t0.Add(time.Duration(sent)), Answered: t0.Add(time.Duration(answered)), Wait: time.Duration(wait),
				GatewayTimedOut: timedOut, Deadline: t0.Add(time.Duration(answered)), GaveUp: t0.Add(time.Duration(answered)), RanOn: reason}
			if k%2 == 0 {
				a.Function = &Execution{LambdaRequestID: reason, Start: t0.Add(time.Duration(sent)), End: t0.Add(time.Duration(fnEnd))}
			}
			req.Attempts = append(req.Attempts, a)
		}
		p := Build(Input{Title: reason, Source: reason, Requests: []Request{req, req}, Findings: []Finding{{Kind: reason, Summary: reason, Advice: reason, RequestIDs: []string{reason}}}})
		var buf bytes.Buffer
		if err := Write(&buf, p); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for _, bad := range []string{"NaN", "Inf", "ZgotmplZ"} {
			if strings.Contains(out, bad) && !strings.Contains(reason+reach+verdict, bad) {
				t.Fatalf("page contains %s", bad)
			}
		}
		if strings.Contains(reason+reach+verdict, "<") && strings.Count(out, "<script") > 0 {
			t.Fatal("text became markup")
		}
	})
}
