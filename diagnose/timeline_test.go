package diagnose

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func readFixtures(t *testing.T, e *Evidence, names ...string) {
	t.Helper()
	for _, name := range names {
		f, err := os.Open(filepath.Join("testdata", "e2e", name))
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.ReadFile(name, f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestTimeline checks the times Timeline gives against the fixtures' lines.
func TestTimeline(t *testing.T) {
	t.Parallel()
	ms := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name                       string
		files                      []string
		requestID                  string
		sent, answered, gaveUp     time.Time
		deadline                   time.Time
		functionStart, functionEnd time.Time
		retried                    bool
		method                     string
		startLine, endLine         string
	}{
		{
			name:      "504 with an attempt log: the client's interval, the function from lambdalog",
			files:     []string{"attempts.jsonl", "access.jsonl", "execution.log", "lambda.log"},
			requestID: "11111111-1111-4111-8111-111111111111",
			sent:      ms("2026-11-26T01:00:00Z"), answered: ms("2026-11-26T01:00:29.05Z"),
			deadline: ms("2026-11-26T01:00:29.01Z"), gaveUp: ms("2026-11-26T01:00:29.01Z"),
			functionStart: ms("2026-11-26T01:00:00.205Z"), functionEnd: ms("2026-11-26T01:00:33.206Z"),
			retried: true, method: "PUT", startLine: "lambda.log:2", endLine: "lambda.log:8",
		},
		{
			name:      "no attempt log: the gateway's interval",
			files:     []string{"access.jsonl", "execution.log", "lambda.log"},
			requestID: "33333333-3333-4333-8333-333333333333",
			sent:      ms("2026-11-26T01:00:29.51Z"), answered: ms("2026-11-26T01:00:29.641Z"),
			deadline:      ms("2026-11-26T01:00:58.51Z"),
			functionStart: ms("2026-11-26T01:00:29.6Z"), functionEnd: ms("2026-11-26T01:00:29.7195Z"),
			startLine: "lambda.log:3", endLine: "lambda.log:5",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := NewEvidence(Options{})
			readFixtures(t, e, tt.files...)
			tl := e.Timeline()
			if len(tl.Timings) != len(tl.Report.Attempts) || tl.IntegrationTimeout != 29*time.Second {
				t.Fatalf("%d timings for %d attempts, timeout %v", len(tl.Timings), len(tl.Report.Attempts), tl.IntegrationTimeout)
			}
			for i, tm := range tl.Timings {
				if tm.RequestID != tl.Report.Attempts[i].RequestID {
					t.Fatalf("timing %d is for %s, attempt %d is %s", i, tm.RequestID, i, tl.Report.Attempts[i].RequestID)
				}
				if tm.RequestID != tt.requestID {
					continue
				}
				got := []time.Time{tm.Sent, tm.Answered, tm.Deadline, tm.GaveUp, tm.FunctionStart, tm.FunctionEnd}
				want := []time.Time{tt.sent, tt.answered, tt.deadline, tt.gaveUp, tt.functionStart, tt.functionEnd}
				names := []string{"sent", "answered", "deadline", "gave up", "function start", "function end"}
				for k := range got {
					if d := got[k].Sub(want[k]); d < -time.Millisecond || d > time.Millisecond {
						t.Errorf("%s %v, want %v", names[k], got[k], want[k])
					}
				}
				if tm.Retried != tt.retried || tm.Method != tt.method {
					t.Errorf("retried %v method %q, want %v %q", tm.Retried, tm.Method, tt.retried, tt.method)
				}
				if tm.FunctionStartLine == nil || tm.FunctionStartLine.Position.String() != tt.startLine ||
					tm.FunctionEndLine == nil || tm.FunctionEndLine.Position.String() != tt.endLine {
					t.Errorf("function lines %v, %v, want %s, %s", tm.FunctionStartLine, tm.FunctionEndLine, tt.startLine, tt.endLine)
				}
				return
			}
			t.Fatalf("no timing for %s", tt.requestID)
		})
	}
}
