package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// readmeCommands returns the commands of the README's "Troubleshooting
// 504s" section: every line of its sh blocks, continuation lines joined,
// comments dropped, split into words (the section quotes nothing with
// spaces).
func readmeCommands(t *testing.T) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	start := strings.Index(s, "## Troubleshooting 504s")
	if start < 0 {
		t.Fatal("README has no Troubleshooting 504s section")
	}
	s = s[start:]
	if end := strings.Index(s[3:], "\n## "); end >= 0 {
		s = s[:end+3]
	}
	var cmds [][]string
	for _, block := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(s, -1) {
		text := strings.ReplaceAll(block[1], "\\\n", " ")
		for line := range strings.SplitSeq(text, "\n") {
			line, _, _ = strings.Cut(line, "#")
			if f := strings.Fields(line); len(f) > 0 {
				cmds = append(cmds, f)
			}
		}
	}
	return cmds
}

// TestReadmeTroubleshootingCommands runs the README's steps 0 to 4 as
// written, except for the listening address (port 0), a faster time scale,
// fewer requests and the files written to a temporary directory; and checks
// that step 5's commands name what exists and parse.
func TestReadmeTroubleshootingCommands(t *testing.T) {
	t.Parallel()
	cmds := readmeCommands(t)
	find := func(prefix ...string) []string {
		t.Helper()
		for _, c := range cmds {
			if len(c) >= len(prefix) && slices.Equal(c[:len(prefix)], prefix) {
				return c
			}
		}
		t.Fatalf("README has no %q command; it has %q", prefix, cmds)
		return nil
	}
	find("go", "install", "./cmd/retryscope")

	emulate := find("retryscope", "emulate", "-time-scale")[2:]
	probeArgs := find("retryscope", "probe")[2:]
	diagnoseArgs := find("retryscope", "diagnose")[2:]

	// Every file diagnose reads is one that emulate or probe writes.
	written := map[string]bool{}
	for i, a := range emulate {
		if strings.HasSuffix(a, "-log") && i+1 < len(emulate) {
			written[emulate[i+1]] = true
		}
	}
	for i, a := range probeArgs {
		if a == "-attempt-log" && i+1 < len(probeArgs) {
			written[probeArgs[i+1]] = true
		}
	}
	for _, f := range diagnoseArgs {
		if !written[f] {
			t.Errorf("diagnose reads %s, which no command of the section writes (%v)", f, written)
		}
	}

	dir := t.TempDir()
	inDir := func(args []string) []string {
		out := slices.Clone(args)
		for i, a := range out {
			if written[a] {
				out[i] = filepath.Join(dir, a)
			}
		}
		return out
	}
	// Faster: 29 s last 0.29 s instead of 2.9 s.
	emuArgs := inDir(emulate)
	if i := slices.Index(emuArgs, "-time-scale"); i >= 0 {
		emuArgs[i+1] = "0.01"
	}
	r := startEmulate(t, emuArgs...)

	pArgs := inDir(probeArgs)
	if i := slices.Index(pArgs, "-n"); i >= 0 {
		pArgs[i+1] = "8"
	}
	url := pArgs[len(pArgs)-1]
	const readmeURL = "http://127.0.0.1:8080/prod"
	if !strings.HasPrefix(url, readmeURL+"/") {
		t.Fatalf("probe's URL %q is not under the emulator's printed URL %s", url, readmeURL)
	}
	pArgs[len(pArgs)-1] = r.url + strings.TrimPrefix(url, readmeURL)
	stdout, stderr, code := runProbeCmd(t, pArgs...)
	if code != 0 && code != 1 || stderr != "" {
		t.Fatalf("probe %q: exit %d, stderr %q", pArgs, code, stderr)
	}
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(line, "  ") && utf8.RuneCountInString(line) > tableWidth {
			t.Errorf("table line of %d columns: %q", utf8.RuneCountInString(line), line)
		}
	}
	if strings.Contains(stdout, "circuit breaker") || !strings.Contains(stdout, "504 Gateway Timeout") {
		t.Errorf("probe output:\n%s", stdout)
	}
	if c := r.stop(t); c != 0 {
		t.Fatalf("emulate: exit %d", c)
	}
	for f := range written {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: not written (%v)", f, err)
		}
	}

	var dout, derr bytes.Buffer
	if code := runDiagnose(inDir(diagnoseArgs), &dout, &derr); code != 0 {
		t.Fatalf("diagnose: exit %d: %s", code, derr.String())
	}
	if !strings.Contains(dout.String(), "RAN") || !strings.Contains(dout.String(), "findings:") {
		t.Errorf("diagnose output:\n%s", dout.String())
	}

	// Step 5: the build command names this repository's example function,
	// and the emulate command parses.
	build := find("go", "build", "-o", "bootstrap")
	if pkg := build[len(build)-1]; !fileExists(filepath.Join("..", "..", pkg, "main.go")) {
		t.Errorf("step 5 builds %s, which has no main.go", pkg)
	}
	step5 := slices.Clone(find("retryscope", "emulate", "-function")[2:])
	if step5[1] != "./"+build[3] {
		t.Errorf("step 5 runs %s, not the %s it builds", step5[1], build[3])
	}
	step5[1] = os.Args[0] // an executable that exists
	if _, code := parseEmulateFlags(step5, io.Discard); code >= 0 {
		t.Errorf("step 5's emulate flags %q do not parse (code %d)", step5, code)
	}
}

func fileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}
