package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fixture(name string) string {
	return filepath.Join("..", "..", "diagnose", "testdata", "e2e", name)
}

func TestDiagnoseCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	unknown := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(unknown, []byte("hello\nworld\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	all := []string{fixture("attempts.jsonl"), fixture("access.jsonl"), fixture("execution.log"), fixture("lambda.log")}
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantOut    string
		wantErr    string
		errOneLine bool
	}{
		{name: "text", args: all, wantCode: 0, wantOut: "findings:"},
		{name: "flags after files", args: append(append([]string{}, all...), "-timeout", "20s"), wantCode: 0, wantOut: "20s integration timeout"},
		{name: "unknown flag", args: []string{"-bogus", fixture("access.jsonl")}, wantCode: 2, wantErr: "flag provided but not defined: -bogus", errOneLine: true},
		{name: "no files", args: []string{"-json"}, wantCode: 2, wantErr: "no log files given", errOneLine: true},
		{name: "unreadable", args: []string{filepath.Join(dir, "missing.log")}, wantCode: 1, wantErr: "missing.log", errOneLine: true},
		{name: "unknown format", args: []string{unknown}, wantCode: 1, wantErr: "notes.txt: unknown log format", errOneLine: true},
		{name: "some unreadable: the others are reported", args: append([]string{filepath.Join(dir, "missing.log"), unknown}, all...), wantCode: 3,
			wantOut: "missing.log: unreadable", wantErr: "notes.txt: unknown log format"},
		{name: "help", args: []string{"-h"}, wantCode: 0, wantErr: "usage: retryscope diagnose"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"diagnose"}, tt.args...), &stdout, &stderr)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr %q", code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantOut) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantOut, stdout.String())
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tt.wantErr)
			}
			if tt.errOneLine && strings.Count(stderr.String(), "\n") != 1 {
				t.Errorf("stderr is not one line: %q", stderr.String())
			}
		})
	}
}

func TestDiagnoseJSONKeys(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	args := []string{"diagnose", "-json", fixture("attempts.jsonl"), fixture("access.jsonl"), fixture("execution.log"), fixture("lambda.log")}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var out struct {
		Attempts []struct {
			RequestID string `json:"request_id"`
			Verdict   string `json:"verdict"`
			Reason    string `json:"reason"`
		} `json:"attempts"`
		Findings  []json.RawMessage `json:"findings"`
		Malformed []struct {
			File string `json:"file"`
			Line int    `json:"line"`
		} `json:"malformed"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Attempts) != 10 || len(out.Findings) == 0 || len(out.Malformed) != 3 {
		t.Fatalf("attempts %d findings %d malformed %d", len(out.Attempts), len(out.Findings), len(out.Malformed))
	}
	counts := map[string]int{}
	for _, a := range out.Attempts {
		if a.RequestID == "" || a.Reason == "" {
			t.Errorf("empty request_id or reason: %+v", a)
		}
		counts[a.Verdict]++
	}
	if counts["ran"] != 3 || counts["not_run"] != 5 || counts["maybe"] != 2 {
		t.Errorf("verdict counts %v", counts)
	}
}

// One unreadable file stopped the whole run; now the others are read, the
// report lists the unreadable ones (text and JSON "files") and the exit
// status is 3.
func TestBugDiagnoseStopsAtUnreadableFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	unknown := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(unknown, []byte("hello\nworld\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	args := []string{"diagnose", "-json", unknown, filepath.Join(dir, "missing.log"), fixture("access.jsonl"), fixture("execution.log")}
	if code := run(args, &stdout, &stderr); code != 3 {
		t.Fatalf("exit %d, want 3; stderr %q", code, stderr.String())
	}
	var out struct {
		Attempts []json.RawMessage `json:"attempts"`
		Files    []struct {
			Path   string `json:"path"`
			Format string `json:"format"`
			Error  string `json:"error"`
		} `json:"files"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Attempts) == 0 || len(out.Files) != 4 {
		t.Fatalf("attempts %d files %+v", len(out.Attempts), out.Files)
	}
	for i, f := range out.Files[:2] {
		if f.Format != "unreadable" || f.Error == "" {
			t.Errorf("file %d: %+v, want unreadable with an error", i, f)
		}
	}
	for _, f := range out.Files[2:] {
		if f.Error != "" {
			t.Errorf("%+v", f)
		}
	}
}

// What a log holds reaches -json escaped where a terminal would act on it
// (a C1 CSI, a bidi override), and decodes to what the log held.
func TestDiagnoseJSONTerminalSafe(t *testing.T) {
	t.Parallel()
	log := filepath.Join(t.TempDir(), "access.jsonl")
	line := `{"requestId":"11111111-1111-4111-8111-111111111111","status":"504","integrationLatency":"-",` +
		"\"error_message\":\"Endpoint request timed out\u009b2J\u202egnp.exe\",\"error_responseType\":\"INTEGRATION_TIMEOUT\"," +
		`"responseLatency":"29012","requestTimeEpoch":"1795654800010"}` + "\n"
	if err := os.WriteFile(log, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"diagnose", "-json", log}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	if strings.ContainsAny(out, "\u009b\u202e") {
		t.Fatalf("raw C1 or bidi override in -json output:\n%s", out)
	}
	if !strings.Contains(out, `\u009b2J\u202egnp.exe`) {
		t.Errorf("the log's text is not in the output, escaped:\n%s", out)
	}
}
