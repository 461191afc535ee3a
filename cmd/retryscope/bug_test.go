package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestBugEmulateBadPortExitsOne pins an -addr whose port is out of range
// or not a number: it passed the flag checks and failed at listen time with
// exit 1 and net's message, instead of a usage error (exit 2).
func TestBugEmulateBadPortExitsOne(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"127.0.0.1:99999", "127.0.0.1:-1", "127.0.0.1:http", "localhost:"} {
		var stdout, stderr bytes.Buffer
		code := emulate(context.Background(), []string{"-addr", addr}, &stdout, &stderr, nil)
		if code != 2 || !strings.Contains(stderr.String(), "PORT must be a number from 0 to 65535") ||
			strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("-addr %s: exit %d, stderr %q", addr, code, stderr.String())
		}
	}
}

// TestBugEmulateUnwritableLogExitsOne pins a log file that cannot be
// created: emulate exited 1 without naming the file, where probe's
// -attempt-log and bench's -out give a usage error (exit 2).
func TestBugEmulateUnwritableLogExitsOne(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "missing", "lambda.log")
	var stdout, stderr bytes.Buffer
	code := emulate(context.Background(), []string{"-lambda-log", bad}, &stdout, &stderr, nil)
	if code != 2 || !strings.Contains(stderr.String(), "-lambda-log: cannot write "+bad) ||
		strings.Count(stderr.String(), "\n") != 1 {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// TestBugProbeURLWithoutHostname pins a URL with a port but no host name
// ("http://:80/x", or ":/x" which becomes "http://:/x"): it passed the
// "has no host" check and was sent, dialling this machine, instead of a
// usage error.
func TestBugProbeURLWithoutHostname(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"http://:80/x", ":/x", "http://user:pw@:8080/x?k=v"} {
		var stdout, stderr bytes.Buffer
		code := probe(context.Background(), []string{u}, &stdout, &stderr, nil)
		if code != 2 || !strings.Contains(stderr.String(), "has no host") || strings.Contains(stderr.String(), "pw") ||
			stdout.Len() != 0 {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", u, code, stdout.String(), stderr.String())
		}
	}
}

// TestBugInsightsQueryOverLimit pins the queries probe prints for long
// request ids (an API that answers x-amzn-RequestId with ids of up to 128
// characters, which probe accepts): 100 of them made one query of more than
// Logs Insights' 10,000 characters, which the console refuses.
func TestBugInsightsQueryOverLimit(t *testing.T) {
	t.Parallel()
	for _, n := range []int{36, 128} {
		var ids []string
		for i := range 250 {
			id := fmt.Sprintf("%04d", i) + strings.Repeat("a", n-4)
			ids = append(ids, id)
		}
		seen := map[string]int{}
		for _, q := range insightsQueries(ids) {
			if len(q.Query) > 10000 {
				t.Errorf("ids of %d characters: a query of %d characters: %s", n, len(q.Query), q.Title)
			}
			for _, id := range ids {
				if strings.Contains(q.Query, `"`+id+`"`) {
					seen[id]++
				}
			}
		}
		for _, id := range ids {
			if seen[id] != 3 {
				t.Errorf("ids of %d characters: %s in %d queries, want 3", n, id[:4], seen[id])
				break
			}
		}
	}
}

// TestBugDiagnoseUsageOmitsMaxLine pins diagnose's one-line usage, printed
// with every flag error: it named -json and -timeout but not -max-line.
func TestBugDiagnoseUsageOmitsMaxLine(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"diagnose", "-max-lines", "5", "x.log"}, &stdout, &stderr); code != 2 {
		t.Fatalf("exit %d", code)
	}
	for _, flag := range []string{"-json", "-timeout", "-max-line "} {
		if !strings.Contains(stderr.String(), flag) {
			t.Errorf("stderr lacks %q: %q", flag, stderr.String())
		}
	}
	if strings.Count(stderr.String(), "\n") != 1 {
		t.Errorf("not one line: %q", stderr.String())
	}
}
