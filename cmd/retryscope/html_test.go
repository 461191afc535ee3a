package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retryscope/retryscope/apigwtest"
)

// TestDiagnoseHTML: -html writes the page beside the usual report, one lane
// per logical request and one bar per attempt, with credentials from the
// logs hidden as in the text report.
func TestDiagnoseHTML(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var files []string
	for _, name := range []string{"attempts.jsonl", "access.jsonl", "execution.log", "lambda.log"} {
		b, err := os.ReadFile(fixture(name))
		if err != nil {
			t.Fatal(err)
		}
		// The attempt lines quoted as evidence now carry URL credentials.
		b = bytes.ReplaceAll(b, []byte("https://abc123."), []byte("https://alice:s3cr3t@abc123."))
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	page := filepath.Join(dir, "page.html")
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"diagnose", "-html", page}, files...), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "findings:") {
		t.Errorf("the text report is missing:\n%s", stdout.String())
	}
	html := readPage(t, page, 4, 10)
	for _, want := range []string{"<!DOCTYPE html>", "attempts.jsonl:8", "504_not_in_lambda_safe_to_retry", "ran 4.2 s past the timeout"} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(html, "s3cr3t") || strings.Contains(stdout.String(), "s3cr3t") {
		t.Error("a credential from the logs is on the page")
	}
	for _, tag := range []string{"<script", "<link", "src=", "http-equiv"} {
		if strings.Contains(html, tag) {
			t.Errorf("page has %q: it must be self-contained and script-free", tag)
		}
	}
}

func TestDiagnoseHTMLUnwritable(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	code := run([]string{"diagnose", "-html", filepath.Join(t.TempDir(), "missing", "page.html"), fixture("access.jsonl")}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "-html: ") || strings.Count(stderr.String(), "\n") != 1 {
		t.Errorf("exit %d, stderr %q: want 1 and one line about -html", code, stderr.String())
	}
}

// TestProbeHTML: the probe's page has its attempts, verdicts inferred from
// reach and marked so, and no credential.
func TestProbeHTML(t *testing.T) {
	t.Parallel()
	s := newProbeServer(t, firstAttemptFault(apigwtest.Fault{Outage: apigwtest.OutageTimeout}))
	page := filepath.Join(t.TempDir(), "probe.html")
	url := strings.Replace(s.URL, "http://", "http://user:s3cret@", 1) + "/orders?token=s3cret"
	stdout, stderr, code := runProbeCmd(t, "-n", "2", "-html", page, "-H", "Authorization: Bearer s3cret", url)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "request 2:") {
		t.Errorf("the text output is missing:\n%s", stdout)
	}
	html := readPage(t, page, 2, 4) // 504 then 200, twice
	for _, want := range []string{"504 · ", "200 · ", "Verdicts here come from what the client saw", "token=REDACTED", `class="mark"`} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(html, "s3cret") {
		t.Error("a credential is on the page")
	}
}

// TestProbeHTMLUnwritable: a page that cannot be written stops the probe
// before it sends anything.
func TestProbeHTMLUnwritable(t *testing.T) {
	t.Parallel()
	s := newProbeServer(t)
	_, stderr, code := runProbeCmd(t, "-html", filepath.Join(t.TempDir(), "missing", "p.html"), s.URL+"/orders")
	if code != 2 || !strings.Contains(stderr, "-html") {
		t.Errorf("exit %d, stderr %q: want 2 and a word about -html", code, stderr)
	}
	if n := len(s.Invocations()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// readPage reads the page at path and checks its number of lanes and of
// attempt bars (the legend's sample bars not counted).
func readPage(t *testing.T, path string, lanes, bars int) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	if n := strings.Count(html, `<section class="lane`); n != lanes {
		t.Errorf("%d lanes, want %d", n, lanes)
	}
	_, drawn, _ := strings.Cut(html, `<div id="lanes">`)
	if n := strings.Count(drawn, `<rect class="att `); n != bars {
		t.Errorf("%d attempt bars, want %d", n, bars)
	}
	return html
}
